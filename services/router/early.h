/* early.h: early warnings beyond deadlines: hotspots (N petitions of one
 * category at one building within T hours) and repeats (the same petitioner,
 * building and category again within a window).
 *
 * Both work on indexes ordered by submission time, so each check reads only
 * the entries inside its window, and entries that fell out of a hotspot
 * window are pruned as they are passed. Partitions follow the building, so
 * every petition these checks need lives in the same router instance.
 */
#ifndef EARLY_H
#define EARLY_H

#include <stddef.h>
#include <stdint.h>

#include "engine_ctx.h"

/* Index case k under its petitioner (pseudonym: intake's keyed hash; empty
 * for anonymous petitions, which are never repeats) and, if an earlier case
 * of the same petitioner, building and category lies within the window, set
 * k->repeat_of and k->repeat_count. Emits nothing. */
int rt_early_repeat_link(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
			 const uint8_t *pseudo, size_t plen);
/* For a case linked above: emit REPEAT_LINKED (not for a sensitive case)
 * and count the repeat on the earlier case. */
int rt_early_repeat_emit(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
			 int64_t at_ms);
/* Retention: remove case k from the repeat index (the last trace of its
 * petitioner there). */
int rt_early_forget(struct rt_engine *e, struct qf_txn *t, const struct rt_case *k);
/* Index case k for clusters and, when its building and category reach the
 * hotspot count within the window (counting only cases after the last
 * warning, and at most one warning per window), emit HOTSPOT_WARNING and
 * flag the cases. Sensitive cases are left out. */
int rt_early_cluster(struct rt_engine *e, struct qf_txn *t, struct rt_case *k,
		     int64_t at_ms);

#endif
