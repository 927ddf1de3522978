/* spamdup.c: the recent-texts table of the duplicate signal (spamdup.h).
 *
 * Design: a linear scan of a small fixed array under one mutex; 1024
 * entries of 24 bytes are cheaper to scan than to index, and the scan is
 * bounded whatever the input. */
#include "spamdup.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_norm.h"
#include "spam.h"

struct dup_slot {
	uint64_t hash; /* 0: free */
	int64_t last_ms;
	uint32_t count;
};

struct intake_spamdup {
	pthread_mutex_t lock;
	int64_t window_ms;
	unsigned char key[crypto_generichash_KEYBYTES];
	struct dup_slot slot[INTAKE_SPAMDUP_SLOTS];
};

int intake_spamdup_new(struct intake_spamdup **out, int64_t window_ms)
{
	struct intake_spamdup *d = calloc(1, sizeof *d);
	if (!d)
		return QF_ERR_NOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->window_ms = window_ms;
	randombytes_buf(d->key, sizeof d->key);
	*out = d;
	return QF_OK;
}

void intake_spamdup_destroy(struct intake_spamdup **dp)
{
	if (!dp || !*dp)
		return;
	pthread_mutex_destroy(&(*dp)->lock);
	sodium_memzero((*dp)->key, sizeof(*dp)->key);
	free(*dp);
	*dp = NULL;
}

/* Fingerprints look at this many code points of a text. */
#define S_FP_MAX 2000

unsigned intake_spamdup_seen(struct intake_spamdup *d, const char *text, int64_t now_ms)
{
	char *fp = intake_spam_fingerprint_text(text, S_FP_MAX);
	if (!fp)
		return 0;
	size_t len = strlen(fp), i = 0, n = 0;
	while (i < len && n < INTAKE_SPAMDUP_MIN) {
		qf_norm_decode((const unsigned char *)fp, len, &i);
		n++;
	}
	if (n < INTAKE_SPAMDUP_MIN) {
		free(fp);
		return 0;
	}
	uint64_t h = 0;
	crypto_generichash((unsigned char *)&h, sizeof h, (const unsigned char *)fp, len,
			   d->key, sizeof d->key);
	free(fp);
	h |= 1; /* never 0 (a free slot) */
	pthread_mutex_lock(&d->lock);
	struct dup_slot *hit = NULL, *victim = &d->slot[0];
	for (size_t k = 0; k < INTAKE_SPAMDUP_SLOTS; k++) {
		struct dup_slot *s = &d->slot[k];
		if (s->hash && now_ms - s->last_ms > d->window_ms)
			s->hash = 0; /* expired */
		if (s->hash == h)
			hit = s;
		if (!s->hash) {
			if (victim->hash)
				victim = s; /* the first free slot */
		} else if (victim->hash && s->last_ms < victim->last_ms) {
			victim = s; /* else the one seen least recently */
		}
	}
	if (!hit) {
		hit = victim;
		hit->hash = h;
		hit->count = 0;
	}
	if (hit->count < UINT32_MAX)
		hit->count++;
	hit->last_ms = now_ms;
	unsigned c = hit->count;
	pthread_mutex_unlock(&d->lock);
	return c;
}
