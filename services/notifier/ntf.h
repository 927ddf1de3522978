/* ntf.h: the notifier service as one struct, passed explicitly to every
 * module (no globals).
 *
 * Ownership: main owns the struct and everything it points to. What SIGHUP
 * reloads (configuration, community file, staff tokens) lives in a
 * generation (struct ntf_gen, ntf_reload.h) that is immutable once
 * published; every older generation stays alive until shutdown, so a
 * pointer taken from any of them stays valid and nothing is read while it
 * is freed or written. Who reads what:
 *   - the core thread (consumer apply, dispatch, group-commit applies, the
 *     SIGHUP hook) reads n->conf and n->com: it replaces them itself,
 *     between two turns of its loop, so one event or turn sees one
 *     configuration;
 *   - HTTP threads take ntf_cur(n) once per request: the generation the
 *     core thread published with an atomic store (release/acquire);
 *   - the sender thread reads only the channel of its job, and channels
 *     never change without a restart (every generation shares the start's).
 * The keys are loaded once. The store is written only by the core thread
 * (consumer apply, group-commit jobs, dispatch outcomes), as qf_svc
 * requires.
 */
#ifndef NTF_H
#define NTF_H

#include <stdatomic.h>

#include "ntf_conf.h"
#include "ntf_keys.h"
#include "ntf_store.h"
#include "qf_community.h"
#include "qf_metrics.h"
#include "qf_svc.h"
#include "qf_tokens.h"

struct ntf_dispatch;
struct ntf_sender;

/* One generation of the reloadable configuration, checked as a whole
 * (ntf_reload.h). Never changed after it is published. */
struct ntf_gen {
	struct ntf_conf conf;
	struct qf_community *com;
	struct qf_tokens *tokens;
	struct ntf_gen *older; /* the generation this one replaced */
	unsigned no;	       /* 1 at start, +1 per reload applied */
};

struct ntf {
	/* the current generation's configuration and community file, for the
	   core thread only (it replaces them on SIGHUP) */
	struct ntf_conf *conf;
	struct qf_community *com;
	/* the current generation, for any other thread: ntf_cur() */
	_Atomic(struct ntf_gen *) gen;
	struct ntf_keys keys;
	struct qf_svc *svc;	      /* set once qf_svc_open succeeded */
	struct qf_store *store;	      /* the service's store (qf_svc_store) */
	struct qf_bus_producer *prod; /* outcome events (qf_svc_producer) */
	struct qf_clock *clock;	      /* qf_svc_clock: injectable */
	struct ntf_db db;
	struct ntf_dispatch *dispatch;
	struct ntf_sender *sender;
	/* metrics (owned by the service's registry) */
	struct qf_metric *m_created;	 /* deliveries written */
	struct qf_metric *m_unaddressed; /* intended, but no address for it */
	struct qf_metric *m_ignored;	 /* events decoded but malformed */
	struct qf_metric *m_released;
	struct qf_metric *m_follows;			 /* follows confirmed */
	struct qf_metric *m_expired; /* subjects forgotten (PRIVATE_EXPIRED) */
	struct qf_metric *m_reload_ok, *m_reload_failed; /* SIGHUP results */
	unsigned pend_created; /* deliveries written in the open txn */
	unsigned pend_expired; /* subjects forgotten in the open txn */
};

/* The current generation, for threads other than the core thread (HTTP
 * handlers): take it once per request, so one request sees one
 * configuration; it stays valid until the service is torn down. */
static inline struct ntf_gen *ntf_cur(const struct ntf *n)
{
	return atomic_load_explicit(&((struct ntf *)n)->gen, memory_order_acquire);
}

/* Consumer apply (qf_svc_opts.apply): records what later messages need,
 * turns the event into deliveries by the rules, in the caller's
 * transaction; forgets a subject's private data on PRIVATE_EXPIRED.
 * Returns 0 for ignored or malformed events. */
int ntf_consume_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m);

#endif
