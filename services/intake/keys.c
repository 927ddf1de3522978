/* keys.c: loading, pseudonyms, sealing and at-rest encryption (keys.h).
 *
 * Design: every use of a secret key in intake goes through this file, so a
 * reviewer finds in one place what is hashed, sealed and encrypted, and with
 * which key. Keys are held in plain memory for the process's life. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qf_err.h"
#include "qf_id.h"

int intake_keys_parse_recipients(const struct qf_cfg_setting *def, config_setting_t *s,
				 void *conf, struct qf_cfg_errors *errs)
{
	struct intake_recipients_conf *c =
	    (struct intake_recipients_conf *)((char *)conf + def->offset);
	c->n = 0;
	if (!s)
		return QF_OK;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		qf_cfg_error(
		    errs, s, NULL,
		    "must be a list ( { recipient = ...; public_key_file = ...; } )");
		return QF_ERR_CONFIG;
	}
	int rc = QF_OK;
	int n = config_setting_length(s);
	if (n > INTAKE_MAX_RECIPIENTS) {
		qf_cfg_error(errs, s, NULL, "at most %d recipients",
			     INTAKE_MAX_RECIPIENTS);
		return QF_ERR_CONFIG;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		const char *name = NULL, *file = NULL;
		int req = 1;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			qf_cfg_error(errs, g, NULL,
				     "must be a group { recipient = ...; ... }");
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (qf_cfg_member_str(g, "recipient", 0, &name, errs) ||
		    qf_cfg_member_str(g, "public_key_file", 0, &file, errs) ||
		    qf_cfg_member_bool(g, "required", 1, &req, errs)) {
			rc = QF_ERR_CONFIG;
			continue;
		}
		for (int m = 0; m < config_setting_length(g); m++) {
			config_setting_t *e = config_setting_get_elem(g, (unsigned)m);
			const char *mn = config_setting_name(e);
			if (strcmp(mn, "recipient") && strcmp(mn, "public_key_file") &&
			    strcmp(mn, "required")) {
				qf_cfg_error(errs, e, NULL,
					     "unknown setting (recipient, "
					     "public_key_file, required)");
				rc = QF_ERR_CONFIG;
			}
		}
		if (!*name || strlen(name) > 31) {
			qf_cfg_error(errs, config_setting_get_member(g, "recipient"),
				     NULL, "must be a service name of 1..31 bytes");
			rc = QF_ERR_CONFIG;
			continue;
		}
		c->r[c->n].recipient = strdup(name);
		c->r[c->n].file = strdup(file);
		c->r[c->n].required = req;
		if (!c->r[c->n].recipient || !c->r[c->n].file)
			return QF_ERR_NOMEM;
		c->n++;
	}
	return rc;
}

void intake_recipients_conf_free(struct intake_recipients_conf *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		free(c->r[i].recipient);
		free(c->r[i].file);
	}
	c->n = 0;
}

int intake_key_read(const char *path, uint8_t key[32], char *err, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, n, "cannot read '%.400s': %s", path, strerror(errno));
		return -1;
	}
	char line[256];
	int ok = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, " \t\r\n")] = '\0';
		ok = strlen(line) == 64 && qf_unhex(line, key, 32) == 0;
		break;
	}
	fclose(f);
	if (!ok) {
		snprintf(err, n, "'%.400s' does not hold a 64-hex-character key", path);
		return -1;
	}
	return 0;
}

/* Development default: data_dir/keys/<name>, made once (0600). */
static int s_dev_key(const char *data_dir, const char *name, uint8_t key[32], char *err,
		     size_t n)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/keys", data_dir);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, n, "cannot create '%.400s': %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (access(path, F_OK) == 0)
		return intake_key_read(path, key, err, n);
	randombytes_buf(key, 32);
	char hex[65], tmp[4300];
	qf_hex(key, 32, hex);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		snprintf(err, n, "cannot create '%.400s': %s", tmp, strerror(errno));
		return -1;
	}
	char line[80];
	int l = snprintf(line, sizeof line, "%s\n", hex);
	int ok = write(fd, line, (size_t)l) == l && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path)) {
		snprintf(err, n, "cannot write '%.400s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int s_one(const char *base, const char *data_dir, const char *file,
		 const char *dev_name, const char *setting, const char *dev_note,
		 uint8_t key[32], int check_only, struct qf_cfg_errors *errs,
		 void (*warn)(const char *setting, const char *msg))
{
	char err[512];
	if (!file || !*file) {
		if (check_only)
			return 0;
		if (s_dev_key(data_dir, dev_name, key, err, sizeof err)) {
			qf_cfg_error(errs, NULL, setting, "%s", err);
			return -1;
		}
		if (warn)
			warn(setting, dev_note);
		return 0;
	}
	char *path = qf_cfg_resolve(base, file);
	int rc = path ? intake_key_read(path, key, err, sizeof err) : -1;
	if (rc)
		qf_cfg_error(errs, NULL, setting, "%s", path ? err : "out of memory");
	free(path);
	return rc;
}

int intake_keys_load(struct intake_keys *k, const char *base, const char *data_dir,
		     const char *pseudonym_file, const char *contact_file,
		     const struct intake_recipients_conf *rc, int check_only,
		     struct qf_cfg_errors *errs,
		     void (*warn)(const char *setting, const char *msg))
{
	int bad = 0;
	memset(k, 0, sizeof *k);
	if (sodium_init() < 0) {
		qf_cfg_error(errs, NULL, "intake", "libsodium failed to initialise");
		return -1;
	}
	bad |= s_one(base, data_dir, pseudonym_file, "pseudonym.key",
		     "intake.pseudonym_key_file",
		     "not set: a development key kept in the data directory; replicas "
		     "must share one key file or repeat petitions are not linked",
		     k->pseudonym, check_only, errs, warn);
	bad |=
	    s_one(base, data_dir, contact_file, "contact.key", "intake.contact_key_file",
		  "not set: a development key kept in the data directory (back it up "
		  "with the store, or contacts at rest cannot be read)",
		  k->contact, check_only, errs, warn);
	static const char names_label[] = "qingfeng-intake-mask-names-v1";
	crypto_generichash(k->names, 32, (const uint8_t *)names_label,
			   sizeof names_label - 1, k->contact, 32);
	for (unsigned i = 0; i < rc->n; i++) {
		struct intake_recipient *r = &k->recip[k->nrecip++];
		snprintf(r->name, sizeof r->name, "%s", rc->r[i].recipient);
		r->required = rc->r[i].required;
		r->path = qf_cfg_resolve(base, rc->r[i].file);
		char err[512], setting[64];
		snprintf(setting, sizeof setting, "intake.seal_to.[%u].public_key_file",
			 i);
		if (!r->path) {
			qf_cfg_error(errs, NULL, setting, "out of memory");
			bad = -1;
			continue;
		}
		if (access(r->path, F_OK) && !r->required) {
			if (warn) {
				char msg[700];
				snprintf(msg, sizeof msg,
					 "'%s' missing: contacts are not sealed to %s "
					 "until it "
					 "appears (checked every 10 s)",
					 r->path, r->name);
				warn(setting, msg);
			}
			continue;
		}
		if (intake_key_read(r->path, r->pk, err, sizeof err)) {
			qf_cfg_error(errs, NULL, setting, "%s", err);
			bad = -1;
			continue;
		}
		if (qf_sealer_new(&r->sealer, r->pk, 0)) {
			qf_cfg_error(errs, NULL, setting, "'%s' is not a usable public key", r->path);
			bad = -1;
			continue;
		}
		r->have = 1;
	}
	return bad ? -1 : 0;
}

unsigned intake_keys_retry(struct intake_keys *k)
{
	unsigned have = 0;
	for (unsigned i = 0; i < k->nrecip; i++) {
		struct intake_recipient *r = &k->recip[i];
		char err[512];
		uint8_t pk[32];
		if (!r->have && r->path && access(r->path, F_OK) == 0 &&
		    intake_key_read(r->path, pk, err, sizeof err) == 0) {
			memcpy(r->pk, pk, 32);
			if (qf_sealer_new(&r->sealer, r->pk, 0) == 0)
				__atomic_store_n(&r->have, 1, __ATOMIC_RELEASE);
		}
		have += (unsigned)__atomic_load_n(&r->have, __ATOMIC_ACQUIRE);
	}
	return have;
}

void intake_keys_free(struct intake_keys *k)
{
	for (unsigned i = 0; i < k->nrecip; i++) {
		free(k->recip[i].path);
		qf_sealer_destroy(&k->recip[i].sealer);
	}
	sodium_memzero(k, sizeof *k);
}

void intake_keys_pseudonym(const struct intake_keys *k, const char *phone,
			   uint8_t out[32])
{
	crypto_auth_hmacsha256(out, (const uint8_t *)phone, strlen(phone), k->pseudonym);
}

int intake_keys_seal(const struct intake_keys *k, unsigned i, const void *msg, size_t len,
		     uint8_t *out)
{
	if (i >= k->nrecip || !__atomic_load_n(&k->recip[i].have, __ATOMIC_ACQUIRE))
		return -1;
	return qf_seal(k->recip[i].sealer, out, msg, len) ? -1 : 0;
}

int intake_keys_box(const struct intake_keys *k, const void *msg, size_t len,
		    uint8_t **out, size_t *out_len)
{
	size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
	uint8_t *b = malloc(n);
	if (!b)
		return -1;
	randombytes_buf(b, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(b + crypto_secretbox_NONCEBYTES, msg, len, b, k->contact);
	*out = b;
	*out_len = n;
	return 0;
}

int intake_keys_unbox(const struct intake_keys *k, const void *box, size_t len,
		      char **out, size_t *out_len)
{
	if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		return -1;
	size_t n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	char *m = malloc(n + 1);
	if (!m)
		return -1;
	const uint8_t *b = box;
	if (crypto_secretbox_open_easy((uint8_t *)m, b + crypto_secretbox_NONCEBYTES,
				       len - crypto_secretbox_NONCEBYTES, b,
				       k->contact)) {
		free(m);
		return -1;
	}
	m[n] = '\0';
	*out = m;
	*out_len = n;
	return 0;
}
