/* ratelimit.h: token buckets keyed by client address or phone pseudonym.
 *
 * A fixed-size table (no allocation after creation, so a flood of distinct
 * keys cannot exhaust memory): a key hashes to a run of 8 slots; when all
 * are taken the fullest bucket (the one that would allow the most) is
 * evicted, which can only make the limiter more lenient, never lock anyone
 * out. Thread-safe (one mutex; the critical section is a few loads).
 */
#ifndef INTAKE_RATELIMIT_H
#define INTAKE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct intake_limiter;

/* `limit` requests per `window_ms`, with bursts up to `limit`; slots is
 * rounded up to a power of two. limit 0 disables the limiter (every take
 * succeeds). Returns 0 or QF_ERR_NOMEM. */
int intake_limiter_new(struct intake_limiter **out, unsigned slots, unsigned limit,
		       int64_t window_ms);
void intake_limiter_destroy(struct intake_limiter **l);
/* Take one token for key at now_ms: 0 when allowed, otherwise the ms until a
 * token is available (for Retry-After). */
int64_t intake_limiter_take(struct intake_limiter *l, const void *key, size_t klen,
			    int64_t now_ms);

#endif
