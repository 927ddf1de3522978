/* ratelimit.c: bounded token-bucket table (ratelimit.h).
 *
 * Design: tokens are kept in milli-tokens as integers and refilled lazily on
 * each take, so an idle key costs nothing and time never needs a thread. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"

#define PROBE 8

struct slot {
	uint64_t key;  /* 0: empty */
	int64_t milli; /* tokens x 1000 at time t */
	int64_t t;
};

struct intake_limiter {
	pthread_mutex_t lock;
	struct slot *s;
	size_t mask;
	int64_t cap_milli; /* limit x 1000 */
	int64_t window_ms;
	unsigned limit;
};

static uint64_t s_hash(const void *key, size_t n)
{
	/* FNV-1a 64, then a final mix so nearby keys spread */
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = key;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

int intake_limiter_new(struct intake_limiter **out, unsigned slots, unsigned limit,
		       int64_t window_ms)
{
	struct intake_limiter *l = calloc(1, sizeof *l);
	if (!l)
		return QF_ERR_NOMEM;
	size_t n = 64;
	while (n < slots)
		n <<= 1;
	l->s = calloc(n, sizeof *l->s);
	if (!l->s) {
		free(l);
		return QF_ERR_NOMEM;
	}
	l->mask = n - 1;
	l->limit = limit;
	l->cap_milli = (int64_t)limit * 1000;
	l->window_ms = window_ms > 0 ? window_ms : 1000;
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return QF_OK;
}

void intake_limiter_destroy(struct intake_limiter **lp)
{
	if (!lp || !*lp)
		return;
	pthread_mutex_destroy(&(*lp)->lock);
	free((*lp)->s);
	free(*lp);
	*lp = NULL;
}

/* Tokens of a slot at now (refilled, capped). */
static int64_t s_level(const struct intake_limiter *l, const struct slot *s, int64_t now)
{
	int64_t dt = now - s->t;
	if (dt < 0)
		dt = 0;
	/* limit tokens per window: milli per ms = limit * 1000 / window */
	int64_t add =
	    dt >= l->window_ms ? l->cap_milli : dt * l->cap_milli / l->window_ms;
	int64_t v = s->milli + add;
	return v > l->cap_milli ? l->cap_milli : v;
}

int64_t intake_limiter_take(struct intake_limiter *l, const void *key, size_t klen,
			    int64_t now_ms)
{
	if (!l || !l->limit)
		return 0;
	uint64_t h = s_hash(key, klen);
	pthread_mutex_lock(&l->lock);
	struct slot *hit = NULL, *victim = NULL;
	int64_t vlevel = -1;
	for (unsigned i = 0; i < PROBE; i++) {
		struct slot *s = &l->s[(h + i) & l->mask];
		if (s->key == h) {
			hit = s;
			break;
		}
		int64_t lv = s->key ? s_level(l, s, now_ms) : l->cap_milli + 1;
		if (lv > vlevel) {
			vlevel = lv;
			victim = s;
		}
	}
	if (!hit) {
		hit = victim;
		hit->key = h;
		hit->milli = l->cap_milli;
		hit->t = now_ms;
	}
	int64_t lv = s_level(l, hit, now_ms);
	int64_t wait = 0;
	if (lv >= 1000) {
		hit->milli = lv - 1000;
		hit->t = now_ms;
	} else {
		/* ms until the bucket holds one whole token */
		int64_t need = 1000 - lv;
		wait = (need * l->window_ms + l->cap_milli - 1) / l->cap_milli;
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&l->lock);
	return wait;
}
