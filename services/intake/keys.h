/* keys.h: the secrets intake holds and what it does with them.
 *
 *  - pseudonym key: keyed hash (HMAC-SHA256) of a normalised phone number,
 *    the petitioner's pseudonym in events. Must be the same on every intake
 *    replica (the router links repeat petitions by it), so production
 *    configurations name a shared file.
 *  - contact key: crypto_secretbox key that keeps contact details (and
 *    idempotent answers holding tracking secrets) encrypted at rest in
 *    intake's own store.
 *  - seal recipients: libsodium box public keys of the services allowed to
 *    read contact details (the notifier); contacts leave intake only
 *    sealed to them (common/qf_seal.h: one X25519 per key rotation instead
 *    of two per petition).
 *
 * Key files hold 64 hex characters (32 bytes) on their first line, as
 * `qfctl keygen --seal` writes them. An empty file setting for the
 * pseudonym or contact key means "development default": a key is made once
 * under the data directory and reused (logged as a warning).
 */
#ifndef INTAKE_KEYS_H
#define INTAKE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "qf_cfg.h"
#include "qf_seal.h"

#define INTAKE_MAX_RECIPIENTS 4

struct intake_recipient_conf {
	char *recipient; /* service name ("notifier") */
	char *file;	 /* public key file */
	int required;	 /* refuse to start without it */
};

struct intake_recipient {
	char name[32];
	uint8_t pk[32];
	int have;   /* key loaded (and sealer made) */
	struct qf_sealer *sealer; /* seals to pk (common/qf_seal.h) */
	char *path; /* resolved file path (owned) */
	int required;
};

struct intake_keys {
	uint8_t pseudonym[32];
	uint8_t contact[32];
	uint8_t names[32]; /* keys the hashes of names known to a case (mask.c),
			      derived from the contact key */
	struct intake_recipient recip[INTAKE_MAX_RECIPIENTS];
	unsigned nrecip;
};

/* qf_cfg custom parser for intake.seal_to: a list of groups
 * { recipient = "notifier"; public_key_file = "..."; required = true; }.
 * conf + def->offset is a struct intake_recipient_conf[INTAKE_MAX_RECIPIENTS]
 * followed by an unsigned count. */
struct intake_recipients_conf {
	struct intake_recipient_conf r[INTAKE_MAX_RECIPIENTS];
	unsigned n;
};
int intake_keys_parse_recipients(const struct qf_cfg_setting *def, config_setting_t *s,
				 void *conf, struct qf_cfg_errors *errs);
void intake_recipients_conf_free(struct intake_recipients_conf *c);

/* Read a 32-byte hex key file: 0, or -1 with a reason in err. */
int intake_key_read(const char *path, uint8_t key[32], char *err, size_t n);

/* Load every key. base is the configuration file (relative paths resolve
 * against it), data_dir the store directory (development defaults).
 * check_only: do not create development keys, only check what is named.
 * Missing optional recipient keys are warnings (reported through warn, may
 * be NULL). Returns 0, or -1 with every problem in errs. */
int intake_keys_load(struct intake_keys *k, const char *base, const char *data_dir,
		     const char *pseudonym_file, const char *contact_file,
		     const struct intake_recipients_conf *rc, int check_only,
		     struct qf_cfg_errors *errs,
		     void (*warn)(const char *setting, const char *msg));
/* Retry loading recipient keys that were missing at start; returns how many
 * are now loaded. */
unsigned intake_keys_retry(struct intake_keys *k);
void intake_keys_free(struct intake_keys *k);

/* HMAC-SHA256(pseudonym key, normalised phone). */
void intake_keys_pseudonym(const struct intake_keys *k, const char *phone,
			   uint8_t out[32]);
/* Seal msg to recipient i: out is crypto_box_SEALBYTES + len bytes. */
int intake_keys_seal(const struct intake_keys *k, unsigned i, const void *msg, size_t len,
		     uint8_t *out);
/* Encrypt for storage: nonce || secretbox; *out malloc'd. 0 or -1. */
int intake_keys_box(const struct intake_keys *k, const void *msg, size_t len,
		    uint8_t **out, size_t *out_len);
/* Decrypt what intake_keys_box made; *out malloc'd and NUL-terminated. */
int intake_keys_unbox(const struct intake_keys *k, const void *box, size_t len,
		      char **out, size_t *out_len);

#endif
