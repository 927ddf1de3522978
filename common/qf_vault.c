/* qf_vault.c: per-subject keys and XChaCha20-Poly1305 boxes (qf_vault.h).
 * A key record is 32 bytes; a tombstone is the single byte 0. */
#include "qf_vault.h"
#include "qf_err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 1
#define KEYLEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCELEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAGLEN crypto_aead_xchacha20poly1305_ietf_ABYTES

struct qf_vault {
	MDB_dbi keys;
};

int qf_vault_open(struct qf_vault **out, struct qf_store *s)
{
	struct qf_vault *v = calloc(1, sizeof *v);
	if (!v)
		return QF_ERR_NOMEM;
	int rc = qf_store_dbi(s, "vault.keys", 0, &v->keys);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return QF_OK;
}

void qf_vault_destroy(struct qf_vault **v)
{
	if (!v || !*v)
		return;
	free(*v);
	*v = NULL;
}

static int s_subject_ok(const char *subject, size_t *n)
{
	if (!subject)
		return 0;
	*n = strlen(subject);
	return *n >= 1 && *n <= QF_VAULT_SUBJECT_MAX;
}

/* The subject's key: 0 with key filled, QF_ERR_GONE (tombstone),
 * QF_ERR_NOTFOUND (never made). */
static int s_key(struct qf_vault *v, struct qf_txn *t, const char *subject, size_t n,
		 uint8_t key[KEYLEN])
{
	MDB_val val;
	int rc = qf_txn_get(t, v->keys, subject, n, &val);
	if (rc)
		return rc;
	if (val.mv_size != KEYLEN)
		return QF_ERR_GONE;
	memcpy(key, val.mv_data, KEYLEN);
	return QF_OK;
}

int qf_vault_seal(struct qf_vault *v, struct qf_txn *t, const char *subject,
		  const void *ad, size_t adlen, const void *m, size_t len,
		  uint8_t **out, size_t *out_len)
{
	size_t sn;
	if (!s_subject_ok(subject, &sn))
		return QF_ERR_INVAL;
	uint8_t key[KEYLEN];
	int rc = s_key(v, t, subject, sn, key);
	if (rc == QF_ERR_NOTFOUND) {
		crypto_aead_xchacha20poly1305_ietf_keygen(key);
		rc = qf_txn_put(t, v->keys, subject, sn, key, KEYLEN, 0);
	}
	if (rc) {
		sodium_memzero(key, sizeof key);
		return rc;
	}
	size_t total = QF_VAULT_OVERHEAD(sn) + len;
	uint8_t *b = malloc(total);
	if (!b) {
		sodium_memzero(key, sizeof key);
		return QF_ERR_NOMEM;
	}
	b[0] = VERSION;
	b[1] = (uint8_t)sn;
	memcpy(b + 2, subject, sn);
	uint8_t *nonce = b + 2 + sn;
	randombytes_buf(nonce, NONCELEN);
	unsigned long long clen;
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + NONCELEN, &clen, m, len, ad,
						   adlen, NULL, nonce, key);
	sodium_memzero(key, sizeof key);
	*out = b;
	*out_len = total;
	return QF_OK;
}

const char *qf_vault_box_subject(const uint8_t *box, size_t box_len, size_t *n)
{
	if (box_len < 2 || box[0] != VERSION || box[1] == 0 ||
	    box_len < QF_VAULT_OVERHEAD((size_t)box[1]))
		return NULL;
	*n = box[1];
	return (const char *)box + 2;
}

int qf_vault_unseal(struct qf_vault *v, struct qf_txn *t, const uint8_t *box,
		    size_t box_len, const void *ad, size_t adlen, uint8_t **out,
		    size_t *out_len)
{
	size_t sn;
	const char *subject = qf_vault_box_subject(box, box_len, &sn);
	if (!subject)
		return QF_ERR_PROTO;
	uint8_t key[KEYLEN];
	int rc = s_key(v, t, subject, sn, key);
	if (rc == QF_ERR_NOTFOUND)
		rc = QF_ERR_GONE;
	if (rc)
		return rc;
	const uint8_t *nonce = box + 2 + sn;
	const uint8_t *c = nonce + NONCELEN;
	size_t clen = box_len - 2 - sn - NONCELEN;
	uint8_t *m = malloc(clen - TAGLEN + 1);
	if (!m) {
		sodium_memzero(key, sizeof key);
		return QF_ERR_NOMEM;
	}
	unsigned long long mlen;
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, c, clen, ad, adlen,
							nonce, key);
	sodium_memzero(key, sizeof key);
	if (rc) {
		free(m);
		return QF_ERR_CRYPTO;
	}
	*out = m;
	*out_len = (size_t)mlen;
	return QF_OK;
}

int qf_vault_forget(struct qf_vault *v, struct qf_txn *t, const char *subject)
{
	size_t sn;
	if (!s_subject_ok(subject, &sn))
		return QF_ERR_INVAL;
	static const uint8_t tomb = 0;
	return qf_txn_put(t, v->keys, subject, sn, &tomb, 1, 0);
}

int qf_vault_forgotten(struct qf_vault *v, struct qf_txn *t, const char *subject)
{
	size_t sn;
	if (!s_subject_ok(subject, &sn))
		return 0;
	uint8_t key[KEYLEN];
	int rc = s_key(v, t, subject, sn, key);
	sodium_memzero(key, sizeof key);
	return rc == QF_ERR_GONE;
}
