/* engine_ctx.h: the router engine's state and what its modules share
 * (engine_ctx.c): the transaction hooks that count, ownership of a
 * partition key, sensitivity, and emitting an event.
 *
 * It stands below engine.c and the modules the engine calls (duty.c,
 * early.c, retention.c), so that they use these without depending on the
 * engine that calls them. The service (service.c) owns the struct
 * rt_engine; the engine's modules only borrow it inside the caller's
 * write transaction.
 */
#ifndef ENGINE_CTX_H
#define ENGINE_CTX_H

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
