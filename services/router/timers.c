/* timers.c: the tick hook: fires due timers, and costs nothing while idle.
 *
 * Every timer (deadline warnings, breaches, reminders, closure without
 * feedback, duty checks) is one key in router.due, ordered by due time;
 * expiries of private data are the first entry of each kind in
 * router.expiry (retention.h). The
 * tick keeps the earliest due time in memory and re-reads it (one cursor
 * step) only after a commit may have changed the index; while nothing is
 * due it does no I/O at all and tells the core loop how long it may sleep.
 *
 * After a start the timers are held until the consumer has applied intake's
 * backlog (at most router.catch_up_hold_ms), so that actions taken in time
 * but not yet applied never read as breaches.
 */
#include "router.h"

#include "qf_err.h"
#include "retention.h"
#include "qf_log.h"

#define MAX_SLEEP_MS 60000

struct first_arg {
	struct router *r;
	int64_t due;
};

static int s_first(struct qf_txn *t, void *arg)
{
	struct first_arg *a = arg;
	char tag, id[160];
	int64_t expiry;
	int rc = rt_db_due_first(&a->r->db, t, &a->due, &tag, id, sizeof id);
	if (rc == QF_ERR_NOTFOUND) {
		a->due = INT64_MAX;
	} else if (rc == QF_ERR_AGAIN) { /* a malformed key: let the writer remove it */
		a->due = 0;
		return QF_OK;
	} else if (rc) {
		return rc;
	}
	if ((rc = rt_retention_next(&a->r->engine, t, &expiry)))
		return rc;
	if (expiry < a->due)
		a->due = expiry;
	return QF_OK;
}

struct fire_arg {
	struct router *r;
	int64_t now;
	unsigned fired;
	int more;
};

static int s_fire(struct qf_txn *t, void *arg)
{
	struct fire_arg *a = arg;
	return rt_engine_fire(&a->r->engine, t, a->now,
			      (unsigned)a->r->conf.rt.timer_batch, &a->fired, &a->more);
}

int rt_timers_tick(void *app)
{
	struct router *r = app;
	int64_t mono = qf_mono_ms();
	if (!r->timers_on) {
		struct qf_bus_consumer *c = qf_svc_consumer(r->svc);
		if (c && !qf_bus_consumer_caught_up(c) &&
		    mono - r->started_mono < r->conf.rt.catch_up_hold_ms)
			return 100;
		r->timers_on = 1;
		qf_info("timers_started", "held_ms=%lld",
			(long long)(mono - r->started_mono));
	}
	if (r->retry_mono && mono < r->retry_mono)
		return (int)(r->retry_mono - mono);
	r->retry_mono = 0;
	if (r->engine.due_dirty) {
		struct first_arg a = {r, INT64_MAX};
		int rc = qf_store_read(r->store, s_first, &a);
		if (rc) {
			qf_error("timer_read_failed", "error=\"%s\"", qf_strerror(rc));
			r->retry_mono = mono + 1000;
			return 1000;
		}
		r->engine.due_dirty = 0;
		r->next_due = a.due;
	}
	int64_t now = qf_now_ms(qf_svc_clock(r->svc));
	if (r->next_due > now) {
		int64_t wait = r->next_due - now;
		return wait > MAX_SLEEP_MS ? MAX_SLEEP_MS : (int)wait;
	}
	struct fire_arg f = {r, now, 0, 0};
	int rc = qf_store_write(r->store, s_fire, &f);
	if (rc) {
		qf_error("timers_failed", "error=\"%s\"", qf_strerror(rc));
		r->retry_mono = mono + 1000;
		return 1000;
	}
	qf_metric_add(r->m_timers_fired, (double)f.fired);
	r->engine.due_dirty = 1; /* set by the commit hook too; be explicit */
	return 0;
}
