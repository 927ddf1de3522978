/* qf_tokens.c: hashed staff bearer tokens (qf_tokens.h). */
#include "qf_tokens.h"
#include "qf_err.h"
#include "qf_id.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
	uint8_t hash[32];
	char *staff;
};

struct qf_tokens {
	struct entry *e;
	unsigned n;
};

void qf_tokens_hash(const char *token, char out[65])
{
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)token, strlen(token));
	qf_hex(h, 32, out);
}

int qf_tokens_load(const char *file, const struct qf_community *c,
		   struct qf_tokens **out, struct qf_cfg_errors *errs)
{
	config_t cfg;
	errs->file = file;
	config_init(&cfg);
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			qf_cfg_error(errs, NULL, "tokens", "cannot read the tokens file");
		else
			snprintf(errs->msg[errs->n++], sizeof errs->msg[0],
				 "%s:%d: syntax error: %s", file, config_error_line(&cfg),
				 config_error_text(&cfg));
		config_destroy(&cfg);
		return QF_ERR_CONFIG;
	}
	int rc = QF_OK;
	config_setting_t *l = config_lookup(&cfg, "tokens");
	if (!l || config_setting_type(l) != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, l, "tokens", "must be a list ( { staff = ..; sha256 = ..; } )");
		config_destroy(&cfg);
		return QF_ERR_CONFIG;
	}
	struct qf_tokens *t = calloc(1, sizeof *t);
	int n = config_setting_length(l);
	if (!t || !(t->e = calloc((size_t)n + 1, sizeof *t->e))) {
		free(t);
		config_destroy(&cfg);
		return QF_ERR_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		const char *staff = NULL, *hex = NULL, *note = "";
		if (config_setting_type(g) != CONFIG_TYPE_GROUP ||
		    qf_cfg_member_str(g, "staff", 0, &staff, errs) ||
		    qf_cfg_member_str(g, "sha256", 0, &hex, errs) ||
		    qf_cfg_member_str(g, "note", 1, &note, errs)) {
			if (config_setting_type(g) != CONFIG_TYPE_GROUP)
				qf_cfg_error(errs, g, NULL, "must be a group { ... }");
			rc = QF_ERR_CONFIG;
			continue;
		}
		struct entry *e = &t->e[t->n];
		char lower[65];
		size_t hl = strlen(hex);
		for (size_t k = 0; k < hl && k < 64; k++)
			lower[k] = (char)(hex[k] >= 'A' && hex[k] <= 'F' ? hex[k] + 32 : hex[k]);
		lower[hl < 64 ? hl : 64] = '\0';
		if (hl != 64 || qf_unhex(lower, e->hash, 32)) {
			qf_cfg_error(errs, config_setting_get_member(g, "sha256"), NULL,
				     "must be 64 hex characters (sha256 of the token)");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (!qf_community_staff(c, staff)) {
			qf_cfg_error(errs, config_setting_get_member(g, "staff"), NULL,
				     "no staff member '%s' in the community file", staff);
			rc = QF_ERR_CONFIG;
			continue;
		}
		e->staff = strdup(staff);
		t->n++;
	}
	config_destroy(&cfg);
	if (rc) {
		qf_tokens_free(&t);
		return rc;
	}
	*out = t;
	return QF_OK;
}

void qf_tokens_free(struct qf_tokens **tp)
{
	if (!tp || !*tp)
		return;
	for (unsigned i = 0; i < (*tp)->n; i++)
		free((*tp)->e[i].staff);
	free((*tp)->e);
	free(*tp);
	*tp = NULL;
}

const struct qf_staff *qf_tokens_auth(const struct qf_tokens *t,
				      const struct qf_community *c,
				      const char *authorization)
{
	if (!t || !authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	const char *tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	if (!*tok || strlen(tok) > 512)
		return NULL;
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)tok, strlen(tok));
	const char *found = NULL;
	for (unsigned i = 0; i < t->n; i++) /* no early exit: constant time */
		if (sodium_memcmp(h, t->e[i].hash, 32) == 0)
			found = t->e[i].staff;
	return found ? qf_community_staff(c, found) : NULL;
}
