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

#include <stdint.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_community.h"
#include "qf_privacy.h"
#include "rcase.h"
#include "rconf.h"
#include "rdb.h"

/* Emit one event in transaction t (qf_bus_emit's contract): fills the
 * partition and seq it was given in the outbox. */
/* Emit ev, whose payload is the whole message; c decides its public part
 * (qf_privacy.h). The service's emitter is qf_privacy_emit_event. */
typedef int (*rt_emit_fn)(void *arg, struct qf_txn *t, const struct qf_bus_event *ev,
			  const struct qf_privacy *c, uint32_t *partition,
			  uint64_t *seq);

/* Counters; the engine adds a transaction's counts to `total` when it
 * commits. */
struct rt_stats {
	uint64_t cases;	      /* cases created */
	uint64_t duplicates;  /* PETITION_SUBMITTED for a known case (ignored) */
	uint64_t ignored;     /* events that could not be used (logged) */
	uint64_t transitions; /* CaseTransition events emitted */
	uint64_t actions_ok, actions_refused; /* ACTION_RESULT 200 / other */
	uint64_t warnings, breaches, reminders, escalations;
	uint64_t auto_closed;
	uint64_t hotspots, repeats;
	uint64_t duty_reports;
	uint64_t expired; /* PRIVATE_EXPIRED emitted (retention) */
};

struct rt_engine {
	const struct qf_community *community; /* core thread's current copy */
	const struct rt_conf *conf;
	struct qf_clock *clock;
	const struct rt_db *db;
	rt_emit_fn emit;
	void *emit_arg;
	uint32_t partitions; /* bus.partitions: for duty ownership */
	uint32_t instance, instances;
	int due_dirty;		 /* set on commit: the timers may have changed */
	struct rt_stats pending; /* the open transaction's counts */
	struct rt_stats total;	 /* committed counts */
	/* optional: called after each commit with that transaction's counts */
	void (*on_commit)(void *arg, const struct rt_stats *delta);
	void *on_commit_arg;
	/* scratch memory for decoding one consumed event (no malloc per event) */
	size_t arena_used;
	_Alignas(16) uint8_t arena[32768];
};

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

/* ---- shared by the engine's modules (early.c, duty.c) ---- */

/* Register the transaction hooks once per transaction. */
int rt_engine_touch(struct rt_engine *e, struct qf_txn *t);
/* Pack and emit a message; when k is given, also list it on k's timeline
 * (the caller writes k afterwards). */
/* Emit an event. k: the case it is about (its context decides the public
 * part, its partition key is used instead of key), or NULL; listed: add it
 * to k's timeline. */
int rt_engine_emit(struct rt_engine *e, struct qf_txn *t, int type, const char *key,
		   const char *case_id, const char *correlation_id,
		   const ProtobufCMessage *msg, struct rt_case *k, int listed);
/* Sensitive: an integrity report or a sensitive category (nothing public
 * may identify reporter or reported). */
int rt_engine_sensitive(const struct rt_engine *e, const struct rt_case *k);
/* Does this instance own partition key `key` (bus.instance of instances)? */
int rt_engine_owns(const struct rt_engine *e, const char *key);

#endif
