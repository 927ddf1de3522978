/* router.h: the router service: configuration, store, engine, timers and
 * HTTP views tied together (one struct, passed explicitly).
 *
 * Threads: the core loop (qf_svc) runs the consumer, the timers and every
 * write; libmicrohttpd's pool runs the views, which only read (qf_store_read)
 * and see the community file and tokens through atomic pointers. A reload
 * (SIGHUP) swaps those pointers on the core thread and keeps the previous
 * versions alive until exit, so a view never reads freed memory.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "qf_metrics.h"
#include "qf_svc.h"
#include "qf_tokens.h"
#include "rconf.h"
#include "rdb.h"

#define RT_MAX_RETIRED 32

struct router {
	struct router_conf conf;
	char *community_path, *tokens_path; /* resolved against the config file */
	struct qf_svc *svc;
	struct qf_store *store;
	struct rt_db db;
	struct rt_engine engine;
	_Atomic(struct qf_community *) community; /* current (views) */
	_Atomic(struct qf_tokens *) tokens;
	struct qf_community *old_community[RT_MAX_RETIRED]; /* kept until exit */
	struct qf_tokens *old_tokens[RT_MAX_RETIRED];
	unsigned nold;
	/* timers (core thread only) */
	int64_t next_due;     /* earliest timer known (INT64_MAX: none) */
	int64_t started_mono; /* for the catch-up hold */
	int timers_on;	      /* the hold is over */
	int64_t retry_mono;   /* back off after a failed timer transaction */
	/* metrics */
	struct qf_metric *m_cases, *m_transitions, *m_ok, *m_refused, *m_warnings,
	    *m_breaches, *m_reminders, *m_escalations, *m_closed, *m_hotspots, *m_repeats,
	    *m_duty, *m_ignored, *m_timers_fired, *m_expired;
};

/* Load the community file and tokens named by the configuration and run the
 * checks that need them; every problem goes to errs. On success the router
 * holds them (r->community, r->tokens). Returns 0 or QF_ERR_CONFIG. */
int rt_router_load_files(struct router *r, struct qf_cfg_errors *errs);
/* Wire the engine to the opened service (store, producer, clock), open the
 * databases, register metrics and schedule duty checks. */
int rt_router_start(struct router *r);
/* SIGHUP: reload the community file and tokens (struct qf_svc_hooks.reload). */
void rt_router_reload(void *app);
/* The consumer's apply (struct qf_svc_opts.apply): app is the router. */
int rt_router_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m);
/* Free everything the router holds (not the service). Accepts NULL. */
void rt_router_free(struct router *r);

/* Timers (timers.c): the tick hook; returns ms until it wants to run again. */
int rt_timers_tick(void *app);

/* Views (views.c): the HTTP route table and readiness. */
/* The access gate's callbacks for the views (qf_access.h). */
struct qf_access;
void rt_views_access(struct router *r, struct qf_access *a);
extern const struct qf_http_route rt_routes[];
extern const size_t rt_nroutes;
int rt_views_ready(void *ctx);

#endif
