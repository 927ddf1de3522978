/* qf_vault.h: private data at rest, sealed under one key per subject, so
 * that deleting it is forgetting a key (crypto-shredding).
 *
 * Why: LMDB never overwrites a page in place. A value deleted or replaced
 * stays readable in the file's free pages until LMDB happens to reuse them,
 * and the bus outbox, audit's copies and intake's records are kept for
 * years. So private parts are written only encrypted (XChaCha20-Poly1305)
 * under a random 32-byte key per subject (a case id, "visit:<id>"), held in
 * the store's `vault.keys` database; retention forgets the key and leaves a
 * tombstone, and every copy sealed under it, wherever it sits in the file,
 * is ciphertext nobody can open. What a tombstone cannot promise: the
 * forgotten key's own 32 bytes may linger in a free page until LMDB reuses
 * it (docs/PRIVACY.md says how an operator compacts a store to end that).
 *
 * A sealed box is: version (1) | subject length (1) | subject | nonce (24) |
 * ciphertext with its 16-byte tag. The subject travels in the box, so a
 * reader needs only the box; the caller's associated data (an event id, a
 * record key) binds a box to where it is stored.
 *
 * Threading: every function runs inside a transaction of the store the
 * vault was opened on (write transactions for seal and forget, any for
 * open); struct qf_vault itself holds only the database handle.
 */
#ifndef QF_VAULT_H
#define QF_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "qf_store.h"

#define QF_VAULT_SUBJECT_MAX 255
#define QF_VAULT_OVERHEAD(subject_len) (2 + (subject_len) + 24 + 16)

struct qf_vault;

/* Open the vault of store s (creates `vault.keys`). Call at start, before
 * concurrent use. Returns 0 or a store error. */
int qf_vault_open(struct qf_vault **out, struct qf_store *s);
/* Accepts NULL; sets *v = NULL. */
void qf_vault_destroy(struct qf_vault **v);

/* Seal m (len bytes) for subject (1..255 bytes) inside write transaction t,
 * making the subject's key if it has none. *out is a malloc'd box the
 * caller frees. QF_ERR_GONE when the subject's key was forgotten (store
 * nothing private for it then), QF_ERR_INVAL for a bad subject. */
int qf_vault_seal(struct qf_vault *v, struct qf_txn *t, const char *subject,
		  const void *ad, size_t adlen, const void *m, size_t len,
		  uint8_t **out, size_t *out_len);
/* Open a box inside transaction t: *out is malloc'd (caller frees; the
 * caller should sodium_memzero it when done with it). QF_ERR_GONE when the
 * key was forgotten or never existed here, QF_ERR_CRYPTO when the box or
 * its associated data does not authenticate, QF_ERR_PROTO when malformed. */
int qf_vault_unseal(struct qf_vault *v, struct qf_txn *t, const uint8_t *box,
		    size_t box_len, const void *ad, size_t adlen, uint8_t **out,
		    size_t *out_len);
/* The subject a box was sealed for (points into box; *n its length), or
 * NULL when malformed. */
const char *qf_vault_box_subject(const uint8_t *box, size_t box_len, size_t *n);
/* Forget the subject's key inside write transaction t (a tombstone stays so
 * that no new key is made for it). 0, or a store error. Forgetting a
 * subject that has no key is not an error. */
int qf_vault_forget(struct qf_vault *v, struct qf_txn *t, const char *subject);
/* 1 if the subject's key was forgotten, 0 if it is live or unknown. */
int qf_vault_forgotten(struct qf_vault *v, struct qf_txn *t, const char *subject);

#endif
