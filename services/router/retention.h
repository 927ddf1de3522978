/* retention.h: forgetting private data once its retention has passed.
 *
 * A case's private data (the petition as received, the private parts of
 * the events about it) is kept retention.days after the case became final
 * (closed, rejected or merged); a visit record's, retention.visit_days
 * after the visit's date. Then the router emits PRIVATE_EXPIRED for the
 * subject (the case id, or "visit:<id>": the vault subjects of
 * docs/PRIVACY.md) and, in the same transaction, forgets the subject in its
 * own vault, so router.petitions and the private parts in its outbox become
 * ciphertext nobody can open; every other service forgets its own copies
 * when it consumes the event.
 *
 * Entries live in router.expiry (rdb.h), keyed by when the retention
 * started; the period is added when they are read, so a changed setting
 * applies to every case. An entry fires once: firing marks the case
 * RT_F_EXPIRED (rdb.c then removes its entry) and leaves a tombstone in the
 * vault, which is also what keeps a visit from being scheduled again. A
 * case reopened before its expiry loses its entry with the state change
 * (and one whose data expired can no longer be reopened: fsm.c). Entries
 * are in the store, so they survive restarts; the clock only decides
 * when, never whether.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stdint.h>

#include "engine_ctx.h"

/* The vault subject of a visit record ("visit:" and its id). */
#define RT_VISIT_SUBJECT "visit:"

/* The earliest time an expiry is due (INT64_MAX: none). */
int rt_retention_next(struct rt_engine *e, struct qf_txn *t, int64_t *due);
/* Fire the expiries due at `now`, at most `max`; *fired counts them and
 * *more says whether due ones remain. */
int rt_retention_fire(struct rt_engine *e, struct qf_txn *t, int64_t now, unsigned max,
		      unsigned *fired, int *more);
/* Schedule a VISIT_RECORDED's expiry (once per visit id). */
int rt_retention_visit(struct rt_engine *e, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__VisitRecorded *v);
/* Once per store (at start): give every final case written before
 * retention existed its expiry entry, and every entry of the repeat index
 * its place in router.meta. */
int rt_retention_backfill(struct rt_engine *e, struct qf_txn *t);

#endif
