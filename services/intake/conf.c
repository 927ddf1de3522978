/* conf.c: intake's configuration beyond the settings table: custom list
 * parsers (trusted proxies, Open311 API keys) and the whole-file check that
 * `--check-config` and start-up share (community, tokens, key files).
 *
 * Design: --check-config runs exactly the checks a start runs, minus
 * creating development keys, so a file that passes the check starts. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_tokens.h"

int intake_conf_parse_strlist(const struct qf_cfg_setting *def, config_setting_t *s,
			      void *conf, struct qf_cfg_errors *errs)
{
	struct intake_strlist *l = (struct intake_strlist *)((char *)conf + def->offset);
	l->n = 0;
	if (!s)
		return QF_OK;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL, "must be a list of strings [ \"...\", ... ]");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s), rc = QF_OK;
	if (n > INTAKE_MAX_PROXIES) {
		qf_cfg_error(errs, s, NULL, "at most %d entries", INTAKE_MAX_PROXIES);
		return QF_ERR_CONFIG;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (!v || !*v || strlen(v) > 63) {
			qf_cfg_error(errs, e, NULL, "must be a string of 1..63 bytes");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!(l->v[l->n++] = strdup(v)))
			return QF_ERR_NOMEM;
	}
	return rc;
}

/* A host name as a trusted client's list holds it: lower case letters,
 * digits, '-' and '.', not starting or ending with a dot. */
static int s_host_ok(const char *h)
{
	size_t n = strlen(h);
	if (!n || n > 253 || h[0] == '.' || h[n - 1] == '.')
		return 0;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= '0' && *h <= '9') || *h == '-' ||
		      *h == '.'))
			return 0;
	return 1;
}

/* trust = "trusted" | "standard" (default) and hosts = [ ... ]: the hosts
 * whose links in a trusted client's descriptions are its own (its report
 * pages), removed before the spam check. hosts only with trust = trusted. */
static int s_parse_trust(config_setting_t *g, struct intake_api_key *a,
			 struct qf_cfg_errors *errs)
{
	const char *trust = NULL;
	a->trusted = 0;
	a->nhosts = 0;
	if (qf_cfg_member_str(g, "trust", 1, &trust, errs))
		return -1;
	if (trust && strcmp(trust, "trusted") && strcmp(trust, "standard")) {
		qf_cfg_error(errs, config_setting_get_member(g, "trust"), NULL,
			     "must be \"trusted\" or \"standard\"");
		return -1;
	}
	a->trusted = trust && !strcmp(trust, "trusted");
	config_setting_t *hs = config_setting_get_member(g, "hosts");
	if (!hs)
		return 0;
	int t = config_setting_type(hs), n = config_setting_length(hs);
	if (!a->trusted) {
		qf_cfg_error(errs, hs, NULL, "hosts are for trust = \"trusted\" clients");
		return -1;
	}
	if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) ||
	    n > INTAKE_MAX_TRUSTED_HOSTS) {
		qf_cfg_error(errs, hs, NULL, "must be a list of at most %d host names",
			     INTAKE_MAX_TRUSTED_HOSTS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(hs, (unsigned)i);
		const char *h = config_setting_get_string(e);
		if (!h || !s_host_ok(h)) {
			qf_cfg_error(
			    errs, e, NULL,
			    "must be a host name in lower case (fms.example.org)");
			return -1;
		}
		if (!(a->hosts[a->nhosts] = strdup(h)))
			return -1;
		a->nhosts++;
	}
	return 0;
}

int intake_conf_parse_api_keys(const struct qf_cfg_setting *def, config_setting_t *s,
			       void *conf, struct qf_cfg_errors *errs)
{
	struct intake_api_keys *k =
	    (struct intake_api_keys *)((char *)conf + def->offset);
	k->n = 0;
	if (!s)
		return QF_OK;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		qf_cfg_error(
		    errs, s, NULL,
		    "must be a list ( { client = ...; sha256 = ...; } or { client = ...; "
		    "key = ...; } )");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s), rc = QF_OK;
	if (n > INTAKE_MAX_API_KEYS) {
		qf_cfg_error(errs, s, NULL, "at most %d API keys", INTAKE_MAX_API_KEYS);
		return QF_ERR_CONFIG;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		const char *client = NULL, *hex = NULL, *key = NULL;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			qf_cfg_error(errs, g, NULL,
				     "must be a group { client = ...; ... }");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (qf_cfg_member_str(g, "client", 0, &client, errs) ||
		    qf_cfg_member_str(g, "sha256", 1, &hex, errs) ||
		    qf_cfg_member_str(g, "key", 1, &key, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		for (int m = 0; m < config_setting_length(g); m++) {
			config_setting_t *e = config_setting_get_elem(g, (unsigned)m);
			const char *mn = config_setting_name(e);
			if (strcmp(mn, "client") && strcmp(mn, "sha256") &&
			    strcmp(mn, "key") && strcmp(mn, "note") &&
			    strcmp(mn, "trust") && strcmp(mn, "hosts")) {
				qf_cfg_error(
				    errs, e, NULL,
				    "unknown setting (client, sha256, key, note, "
				    "trust, hosts)");
				rc = QF_ERR_CONFIG;
			}
		}
		struct intake_api_key *a = &k->k[k->n];
		if (!*client || strlen(client) > 63) {
			qf_cfg_error(errs, config_setting_get_member(g, "client"), NULL,
				     "must be a name of 1..63 bytes");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if ((hex != NULL) == (key != NULL)) {
			qf_cfg_error(errs, g, NULL, "give exactly one of sha256 or key");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (hex) {
			char lower[65];
			size_t hl = strlen(hex);
			for (size_t c = 0; c < hl && c < 64; c++)
				lower[c] =
				    (char)(hex[c] >= 'A' && hex[c] <= 'F' ? hex[c] + 32
									  : hex[c]);
			lower[hl < 64 ? hl : 64] = '\0';
			if (hl != 64 || qf_unhex(lower, a->sha256, 32)) {
				qf_cfg_error(
				    errs, config_setting_get_member(g, "sha256"), NULL,
				    "must be 64 hex characters (sha256 of the key)");
				rc = QF_ERR_CONFIG;
				continue;
			}
		} else {
			if (strlen(key) < 8) {
				qf_cfg_error(errs, config_setting_get_member(g, "key"),
					     NULL,
					     "API keys must be at least 8 characters");
				rc = QF_ERR_CONFIG;
				continue;
			}
			crypto_hash_sha256(a->sha256, (const uint8_t *)key, strlen(key));
		}
		/* last, so that a key counted (k->n) owns its hosts */
		if (s_parse_trust(g, a, errs)) {
			for (unsigned h = 0; h < a->nhosts; h++)
				free(a->hosts[h]);
			a->nhosts = 0;
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!(a->client = strdup(client)))
			return QF_ERR_NOMEM;
		k->n++;
	}
	return rc;
}

static void s_check_warn(const char *setting, const char *msg)
{
	fprintf(stderr, "warning: setting '%s': %s\n", setting, msg);
}

int intake_conf_check(struct intake_conf *c, int check_only, struct qf_cfg_errors *errs)
{
	int rc = qf_svc_conf_check(&c->svc, errs);
	const char *file = c->svc.config_file;
	if (c->replica_code[0]) {
		char rcode[4];
		snprintf(rcode, sizeof rcode, "%s", c->replica_code);
		if (strlen(c->replica_code) != 1 || intake_crockford_norm(rcode)) {
			qf_cfg_error(errs, NULL, "intake.replica_code",
				     "must be one character of 0-9 A-Z (not I, L, O, U)");
			rc = QF_ERR_CONFIG;
		}
	}
	for (const char *p = c->tracking_prefix; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) {
			qf_cfg_error(errs, NULL, "intake.tracking_prefix",
				     "only capital letters and digits");
			rc = QF_ERR_CONFIG;
			break;
		}
	if (c->o311_enabled && !c->o311_keys.n) {
		qf_cfg_error(errs, NULL, "open311.api_keys",
			     "Open311 is enabled but no API key is configured");
		rc = QF_ERR_CONFIG;
	}
	if (c->max_media_bytes * c->max_media * 4 / 3 + 65536 > c->petition_max_body) {
		qf_cfg_error(errs, NULL, "intake.max_media_bytes",
			     "%d photos of %lld bytes in base64 do not fit "
			     "intake.petition_max_body (%lld)",
			     c->max_media, (long long)c->max_media_bytes,
			     (long long)c->petition_max_body);
		rc = QF_ERR_CONFIG;
	}
	/* the community and tokens files load as at start */
	struct qf_community *com = NULL;
	struct qf_tokens *tok = NULL;
	char *cpath = qf_cfg_resolve(file, c->svc.community);
	char *tpath = qf_cfg_resolve(file, c->tokens_file);
	struct qf_cfg_errors sub;
	memset(&sub, 0, sizeof sub);
	if (!cpath || !tpath || qf_community_load(cpath, &com, &sub)) {
		rc = QF_ERR_CONFIG;
		if (!sub.n)
			qf_cfg_error(errs, NULL, "service.community", "cannot load '%s'",
				     cpath ? cpath : "?");
	} else if (qf_tokens_load(tpath, com, &tok, &sub)) {
		rc = QF_ERR_CONFIG;
	}
	for (unsigned i = 0; i < sub.n && errs->n < QF_CFG_MAX_ERRORS; i++)
		snprintf(errs->msg[errs->n++], sizeof errs->msg[0], "%s", sub.msg[i]);
	qf_tokens_free(&tok);
	qf_community_free(&com);
	free(cpath);
	free(tpath);
	if (check_only) {
		struct intake_keys k;
		if (intake_keys_load(&k, file, c->svc.data_dir, c->pseudonym_key_file,
				     c->contact_key_file, &c->seal_to, 1, errs,
				     s_check_warn))
			rc = QF_ERR_CONFIG;
		intake_keys_free(&k);
	}
	return rc;
}

void intake_conf_free_extra(struct intake_conf *c)
{
	for (unsigned i = 0; i < c->trusted_proxies.n; i++)
		free(c->trusted_proxies.v[i]);
	c->trusted_proxies.n = 0;
	for (unsigned i = 0; i < c->o311_keys.n; i++) {
		free(c->o311_keys.k[i].client);
		for (unsigned h = 0; h < c->o311_keys.k[i].nhosts; h++)
			free(c->o311_keys.k[i].hosts[h]);
	}
	c->o311_keys.n = 0;
	intake_recipients_conf_free(&c->seal_to);
	intake_spam_conf_free(&c->spam);
}
