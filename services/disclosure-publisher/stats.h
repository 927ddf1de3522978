/* stats.h: statistics over a period, per category, per building and per
 * handler, with the 12345 hotline's measures. Definitions (also in
 * docs/services/disclosure.md and in every answer's "definitions"):
 *
 *  cases submitted in [from, to); "excluded" = merged into another case or
 *  rejected as duplicate or spam; base = total - excluded.
 *  response rate    = responded within the response deadline
 *                     / base cases responded or past that deadline now
 *  resolution rate  = resolved (state resolved or closed after a resolution)
 *                     / base
 *  on-time rate     = resolved by the resolution deadline in force then
 *                     / (resolved + open cases past their deadline now)
 *  satisfaction     = ratings >= satisfied_min_rating / rated cases
 *  median response  = median of first response - submission (seconds)
 *  median resolve   = median of resolution - submission (seconds)
 * A rate whose denominator is 0 is null. First response = the first
 * acceptance, progress note, resolution or rejection.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <jansson.h>

#include "dp.h"

/* Statistics of cases submitted in [from, to) (0: unbounded) evaluated at
 * `now`; a new JSON object {"from_ms","to_ms","overall",{...},
 * "by_category":[...],"by_building":[...],"by_handler":[...],"daily":[...]} */
json_t *stats_compute(struct dp *dp, struct qf_txn *t, int64_t from, int64_t to,
		      int64_t now);
/* Statistics as JSON text for [from, to), served from a small cache for up
 * to 5 seconds (a year of cases is a few tens of milliseconds to walk).
 * Returns malloc'd text or NULL. Thread-safe. */
char *stats_cached(struct dp *dp, int64_t from, int64_t to, int64_t now);
/* Free the cache (at shutdown). */
void stats_cache_free(struct dp *dp);

/* Parse a period: "2026", "2026Q3", "2026-11", "2026-11-25" (community
 * time zone) into [from, to). 0 or QF_ERR_INVAL. */
int stats_period(const char *p, int tz_min, int64_t *from, int64_t *to);

#endif
