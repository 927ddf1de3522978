/* engine.h: the router's core: turns consumed events and due timers into
 * case changes and emitted events, inside the caller's write transaction.
 *
 * Exactly once: the consumer applies a batch of intake's events and writes
 * its checkpoint in one transaction; the engine writes the case changes and
 * emits the router's events (outbox) in that same transaction. A transaction
 * may run twice (map growth), so the engine keeps no state outside it except
 * through commit hooks (counters, "timers changed").
 *
 * The engine does not own a socket or a thread: events leave through the
 * emit function it is given (qf_bus_emit in the service, a recorder in unit
 * tests), and time comes from the clock it is given.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include "engine_ctx.h"

/* The consumer's apply function (struct qf_svc_opts.apply): dispatches
 * PETITION_SUBMITTED, STAFF_ACTION_REQUESTED, FEEDBACK_GIVEN,
 * PETITION_SUPPLEMENTED and
 * VISIT_RECORDED (duty count, expiry of its private data); skips every
 * other type. Returns 0, or an error only for
 * store failures (the batch is then retried). `app` is the engine. */
int rt_engine_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m);

int rt_engine_petition(struct rt_engine *e, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__PetitionSubmitted *p);
int rt_engine_action(struct rt_engine *e, struct qf_txn *t,
		     const Qingfeng__V1__Envelope *env,
		     const Qingfeng__V1__StaffActionRequested *a);
int rt_engine_feedback(struct rt_engine *e, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__FeedbackGiven *f);
/* PETITION_SUPPLEMENTED: the petitioner's words and photos, noted on an
 * open case's timeline as a CASE_PROGRESS by the petitioner (its comment
 * and media); answered like feedback when it carries a command id. */
int rt_engine_supplement(struct rt_engine *e, struct qf_txn *t,
			 const Qingfeng__V1__Envelope *env,
			 const Qingfeng__V1__PetitionSupplemented *s);

/* Fire the timers due at `now` (deadlines, duty checks, then expiries of
 * private data: retention.h), at most `max` of them; *fired counts them and
 * *more says whether due ones remain. */
int rt_engine_fire(struct rt_engine *e, struct qf_txn *t, int64_t now, unsigned max,
		   unsigned *fired, int *more);

#endif
