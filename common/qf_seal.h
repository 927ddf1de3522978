/* qf_seal.h: contact details sealed to a service (the notifier) so that only
 * it can read them, cheaply enough for every petition.
 *
 * libsodium's crypto_box_seal costs two X25519 operations per message (a
 * fresh ephemeral key pair, then the shared key), about 50 µs: at intake's
 * rates that was a third of its CPU. Here a sender keeps one ephemeral key
 * pair per recipient and precomputes the shared key (crypto_box_beforenm),
 * rotating it periodically; each message is then crypto_box_easy_afternm
 * with a random nonce (about 1 µs). Anyone can still seal, only the
 * recipient can open; what is lost is per-message key independence on the
 * sender's side, which holds the plaintext anyway.
 *
 * Format: "QS2" || sender public key (32) || nonce (24) || box (len + 16).
 * qf_seal_open() also opens classic crypto_box_seal boxes, so senders and
 * stored events of either kind keep working.
 */
#ifndef QF_SEAL_H
#define QF_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define QF_SEAL_OVERHEAD (3 + 32 + 24 + 16)

struct qf_sealer;

/* A sealer for one recipient public key; its ephemeral key pair rotates
 * after rotate_ms (0: one hour). Thread-safe. Returns 0 or QF_ERR_NOMEM /
 * QF_ERR_CRYPTO (e.g. an invalid public key). */
int qf_sealer_new(struct qf_sealer **out, const uint8_t recipient_pk[32],
		  int64_t rotate_ms);
void qf_sealer_destroy(struct qf_sealer **s);
/* Seal msg into out (len + QF_SEAL_OVERHEAD bytes). 0 or QF_ERR_CRYPTO. */
int qf_seal(struct qf_sealer *s, uint8_t *out, const uint8_t *msg, size_t len);

/* Open a box of either format with the recipient's key pair into out (at
 * least len bytes); *mlen gets the message length. 0, or QF_ERR_CRYPTO when
 * the box is not for this key or was altered. Stateless: one X25519 per
 * call, like crypto_box_seal_open. */
int qf_seal_open(uint8_t *out, size_t *mlen, const uint8_t *box, size_t len,
		 const uint8_t pk[32], const uint8_t sk[32]);

#endif
