/* ntf_queue.h: every change of a delivery's state, in the caller's write
 * transaction, with the outcome event that proves it.
 *
 * A delivery is written once (ntf_queue_add) in the transaction of the
 * event that caused it; after that only the outcome of an attempt
 * (ntf_queue_outcome), a release from the dead letters (ntf_queue_release)
 * or retention change it. Each of these keeps the record and its indexes
 * (schedule, dead letters, by case) consistent and emits DELIVERY_DELIVERED,
 * DELIVERY_FAILED, DELIVERY_DEAD_LETTERED or DELIVERY_RELEASED in the same
 * transaction, so the audit log sees exactly what the store holds.
 */
#ifndef NTF_QUEUE_H
#define NTF_QUEUE_H

#include "ntf.h"
#include "ntf_channel.h"

/* Write a new pending delivery (d->id set; state, due, created filled
 * here from now and quiet hours). Returns 0, QF_ERR_EXISTS when a delivery
 * with this id exists already (nothing written), or a store error. */
int ntf_queue_add(struct ntf *n, struct qf_txn *t, struct ntf_delivery *d, int64_t now);
/* Apply the result of a finished attempt. A job whose delivery is no
 * longer pending (released twice, purged) is ignored. */
int ntf_queue_outcome(struct ntf *n, struct qf_txn *t, const struct ntf_job *j,
		      int64_t now);
/* Dead letter -> pending, attempts from zero, due now. Returns 0,
 * QF_ERR_NOTFOUND, or QF_ERR_CONFLICT when it is not dead. */
int ntf_queue_release(struct ntf *n, struct qf_txn *t, const char *id, const char *by,
		      int64_t now);
/* Mark a pending delivery dead without an attempt (its channel was removed
 * from the configuration). */
int ntf_queue_kill(struct ntf *n, struct qf_txn *t, const char *id, const char *why,
		   int64_t now);

/* The first moment at or after now outside quiet hours. */
int64_t ntf_quiet_until(const struct ntf_conf *c, int tz_offset_min, int64_t now);
/* Backoff before attempt `attempt` + 1 (exponential from base, capped,
 * with "equal jitter": half fixed, half random). */
int64_t ntf_backoff_ms(int64_t base, int64_t cap, int attempt);

#endif
