/* qf_seal.c: cheap sealing to a recipient's public key (qf_seal.h). */
#include "qf_seal.h"
#include "qf_clock.h"
#include "qf_err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "QS2"

struct qf_sealer {
	pthread_mutex_t lock;
	uint8_t rpk[32];
	uint8_t epk[32];                          /* current ephemeral public key */
	uint8_t k[crypto_box_BEFORENMBYTES];      /* shared key with rpk */
	int64_t made_ms, rotate_ms;
};

static int s_rotate(struct qf_sealer *s)
{
	uint8_t esk[crypto_box_SECRETKEYBYTES];
	crypto_box_keypair(s->epk, esk);
	int rc = crypto_box_beforenm(s->k, s->rpk, esk);
	sodium_memzero(esk, sizeof esk);
	s->made_ms = qf_mono_ms();
	return rc ? QF_ERR_CRYPTO : QF_OK;
}

int qf_sealer_new(struct qf_sealer **out, const uint8_t recipient_pk[32],
		  int64_t rotate_ms)
{
	struct qf_sealer *s = calloc(1, sizeof *s);
	if (!s)
		return QF_ERR_NOMEM;
	pthread_mutex_init(&s->lock, NULL);
	memcpy(s->rpk, recipient_pk, 32);
	s->rotate_ms = rotate_ms > 0 ? rotate_ms : 3600000;
	if (s_rotate(s)) {
		qf_sealer_destroy(&s);
		return QF_ERR_CRYPTO;
	}
	*out = s;
	return QF_OK;
}

void qf_sealer_destroy(struct qf_sealer **sp)
{
	if (!sp || !*sp)
		return;
	sodium_memzero((*sp)->k, sizeof (*sp)->k);
	pthread_mutex_destroy(&(*sp)->lock);
	free(*sp);
	*sp = NULL;
}

int qf_seal(struct qf_sealer *s, uint8_t *out, const uint8_t *msg, size_t len)
{
	uint8_t k[crypto_box_BEFORENMBYTES];
	pthread_mutex_lock(&s->lock);
	if (qf_mono_ms() - s->made_ms >= s->rotate_ms && s_rotate(s)) {
		pthread_mutex_unlock(&s->lock);
		return QF_ERR_CRYPTO;
	}
	memcpy(out, MAGIC, 3);
	memcpy(out + 3, s->epk, 32);
	memcpy(k, s->k, sizeof k);
	pthread_mutex_unlock(&s->lock);
	uint8_t *nonce = out + 35;
	randombytes_buf(nonce, crypto_box_NONCEBYTES);
	int rc = crypto_box_easy_afternm(out + 59, msg, len, nonce, k);
	sodium_memzero(k, sizeof k);
	return rc ? QF_ERR_CRYPTO : QF_OK;
}

int qf_seal_open(uint8_t *out, size_t *mlen, const uint8_t *box, size_t len,
		 const uint8_t pk[32], const uint8_t sk[32])
{
	if (len >= QF_SEAL_OVERHEAD && memcmp(box, MAGIC, 3) == 0 &&
	    crypto_box_open_easy(out, box + 59, len - 59, box + 35, box + 3, sk) == 0) {
		*mlen = len - QF_SEAL_OVERHEAD;
		return QF_OK;
	}
	/* a classic sealed box (which may by chance start with the magic) */
	if (len >= crypto_box_SEALBYTES && crypto_box_seal_open(out, box, len, pk, sk) == 0) {
		*mlen = len - crypto_box_SEALBYTES;
		return QF_OK;
	}
	return QF_ERR_CRYPTO;
}
