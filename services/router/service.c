/* service.c: the glue between the router's engine and the service frame:
 * loading and reloading the community file and tokens, wiring the engine to
 * the store, producer and clock, and turning committed counts into metrics.
 *
 * The engine never sees qf_svc; this file is the only place that knows both.
 */
#include "router.h"

#include <stdlib.h>
#include <string.h>

#include "duty.h"
#include "qf_err.h"
#include "qf_log.h"
#include "retention.h"

int rt_router_load_files(struct router *r, struct qf_cfg_errors *errs)
{
	const char *cfg = r->conf.svc.config_file;
	free(r->community_path);
	free(r->tokens_path);
	r->community_path = qf_cfg_resolve(cfg, r->conf.svc.community);
	r->tokens_path = qf_cfg_resolve(cfg, r->conf.rt.tokens_file);
	if (!r->community_path || !r->tokens_path)
		return QF_ERR_NOMEM;
	struct qf_community *c = NULL;
	struct qf_tokens *tk = NULL;
	const char *saved = errs->file;
	int rc = qf_community_load(r->community_path, &c, errs);
	errs->file = saved;
	if (rc)
		return QF_ERR_CONFIG;
	rc = rt_conf_check(&r->conf.rt, c, errs);
	const char *tk_saved = errs->file;
	if (qf_tokens_load(r->tokens_path, c, &tk, errs))
		rc = QF_ERR_CONFIG;
	errs->file = tk_saved;
	if (rc) {
		qf_tokens_free(&tk);
		qf_community_free(&c);
		return QF_ERR_CONFIG;
	}
	atomic_store(&r->community, c);
	atomic_store(&r->tokens, tk);
	return QF_OK;
}

static int s_emit(void *arg, struct qf_txn *t, const struct qf_bus_event *ev,
		  const struct qf_privacy *c, uint32_t *partition, uint64_t *seq)
{
	return qf_privacy_emit_event(arg, t, ev, c, partition, seq, NULL);
}

static void s_committed(void *arg, const struct rt_stats *d)
{
	struct router *r = arg;
	qf_metric_add(r->m_cases, (double)d->cases);
	qf_metric_add(r->m_transitions, (double)d->transitions);
	qf_metric_add(r->m_ok, (double)d->actions_ok);
	qf_metric_add(r->m_refused, (double)d->actions_refused);
	qf_metric_add(r->m_warnings, (double)d->warnings);
	qf_metric_add(r->m_breaches, (double)d->breaches);
	qf_metric_add(r->m_reminders, (double)d->reminders);
	qf_metric_add(r->m_escalations, (double)d->escalations);
	qf_metric_add(r->m_closed, (double)d->auto_closed);
	qf_metric_add(r->m_hotspots, (double)d->hotspots);
	qf_metric_add(r->m_repeats, (double)d->repeats);
	qf_metric_add(r->m_duty, (double)d->duty_reports);
	qf_metric_add(r->m_ignored, (double)(d->ignored + d->duplicates));
	qf_metric_add(r->m_expired, (double)d->expired);
}

struct count_arg {
	MDB_dbi dbi;
	size_t n;
};

static int s_count(struct qf_txn *t, void *arg)
{
	struct count_arg *a = arg;
	MDB_stat st;
	if (mdb_stat(qf_txn_mdb(t), a->dbi, &st))
		return QF_ERR_STORE;
	a->n = st.ms_entries;
	return QF_OK;
}

static double s_gauge(struct router *r, MDB_dbi dbi)
{
	struct count_arg a = {dbi, 0};
	return qf_store_read(r->store, s_count, &a) ? 0 : (double)a.n;
}

static double s_g_open(void *arg)
{
	return s_gauge(arg, ((struct router *)arg)->db.queue);
}

static double s_g_timers(void *arg)
{
	return s_gauge(arg, ((struct router *)arg)->db.due);
}

static double s_g_alerts(void *arg)
{
	return s_gauge(arg, ((struct router *)arg)->db.alerts);
}

static double s_g_cases(void *arg)
{
	return s_gauge(arg, ((struct router *)arg)->db.cases);
}

static void s_metrics(struct router *r)
{
	struct qf_metrics *m = qf_svc_metrics(r->svc);
#define C(field, name, help) r->field = qf_metrics_counter(m, name, help, NULL)
	C(m_cases, "qf_router_cases_created_total", "Cases created from petitions");
	C(m_transitions, "qf_router_transitions_total", "Case transitions emitted");
	C(m_ok, "qf_router_actions_ok_total", "Staff actions and feedback accepted");
	C(m_refused, "qf_router_actions_refused_total",
	  "Staff actions and feedback refused");
	C(m_warnings, "qf_router_deadline_warnings_total", "Early deadline warnings");
	C(m_breaches, "qf_router_deadline_breaches_total", "Deadlines breached");
	C(m_reminders, "qf_router_overdue_reminders_total", "Reminders while overdue");
	C(m_escalations, "qf_router_escalations_total", "Escalations along the chain");
	C(m_closed, "qf_router_auto_closed_total", "Cases closed by the timer");
	C(m_hotspots, "qf_router_hotspot_warnings_total", "Hotspot warnings");
	C(m_repeats, "qf_router_repeats_linked_total", "Repeat petitions linked");
	C(m_duty, "qf_router_duty_reports_total", "Duty quota reports");
	C(m_ignored, "qf_router_events_ignored_total",
	  "Consumed events that could not be used");
	C(m_timers_fired, "qf_router_timers_fired_total", "Timers fired");
	C(m_expired, "qf_router_private_expired_total",
	  "Subjects whose private data retention forgot (PRIVATE_EXPIRED)");
#undef C
	qf_metrics_gauge_fn(m, "qf_router_open_cases", "Cases open and assigned", NULL,
			    s_g_open, r);
	qf_metrics_gauge_fn(m, "qf_router_cases", "Cases known", NULL, s_g_cases, r);
	qf_metrics_gauge_fn(m, "qf_router_timers", "Pending timers", NULL, s_g_timers, r);
	qf_metrics_gauge_fn(m, "qf_router_alert_cases", "Open cases warned or overdue", NULL,
			    s_g_alerts, r);
}

static int s_schedule_txn(struct qf_txn *t, void *arg)
{
	struct router *r = arg;
	int rc = rt_retention_backfill(&r->engine, t);
	return rc ? rc : rt_duty_schedule(&r->engine, t, qf_now_ms(qf_svc_clock(r->svc)));
}

int rt_router_start(struct router *r)
{
	r->store = qf_svc_store(r->svc);
	int rc = rt_db_open(&r->db, r->store);
	if (rc) {
		qf_error("store_dbi_failed", "error=\"%s\"", qf_strerror(rc));
		return rc;
	}
	struct rt_engine *e = &r->engine;
	e->community = atomic_load(&r->community);
	e->conf = &r->conf.rt;
	e->clock = qf_svc_clock(r->svc);
	e->db = &r->db;
	e->emit = s_emit;
	e->emit_arg = qf_svc_producer(r->svc);
	e->partitions = (uint32_t)r->conf.svc.partitions;
	e->instance = (uint32_t)r->conf.svc.instance;
	e->instances = (uint32_t)r->conf.svc.instances;
	e->on_commit = s_committed;
	e->on_commit_arg = r;
	e->due_dirty = 1;
	s_metrics(r);
	r->started_mono = qf_mono_ms();
	r->next_due = INT64_MAX;
	if ((rc = qf_store_write(r->store, s_schedule_txn, r))) {
		qf_error("duty_schedule_failed", "error=\"%s\"", qf_strerror(rc));
		return rc;
	}
	return QF_OK;
}

int rt_router_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct router *r = app;
	return rt_engine_apply(&r->engine, t, m);
}

void rt_router_reload(void *app)
{
	struct router *r = app;
	struct qf_cfg_errors errs = {.file = r->conf.svc.config_file};
	struct qf_community *oc = atomic_load(&r->community);
	struct qf_tokens *ot = atomic_load(&r->tokens);
	if (r->nold >= RT_MAX_RETIRED) {
		qf_warn("reload_refused", "reason=too_many_reloads max=%d",
			RT_MAX_RETIRED);
		return;
	}
	if (rt_router_load_files(r, &errs)) {
		for (unsigned i = 0; i < errs.n; i++)
			qf_error("reload_failed", "error=\"%s\"", errs.msg[i]);
		atomic_store(&r->community, oc);
		atomic_store(&r->tokens, ot);
		return;
	}
	r->old_community[r->nold] = oc;
	r->old_tokens[r->nold++] = ot;
	r->engine.community = atomic_load(&r->community);
	int rc = qf_store_write(r->store, s_schedule_txn, r);
	qf_info("reloaded", "community=%s tokens=%s duty_schedule=%s", r->community_path,
		r->tokens_path, qf_errname(rc));
}

void rt_router_free(struct router *r)
{
	if (!r)
		return;
	struct qf_community *c = atomic_load(&r->community);
	struct qf_tokens *t = atomic_load(&r->tokens);
	rt_db_close(&r->db);
	qf_community_free(&c);
	qf_tokens_free(&t);
	for (unsigned i = 0; i < r->nold; i++) {
		qf_community_free(&r->old_community[i]);
		qf_tokens_free(&r->old_tokens[i]);
	}
	free(r->community_path);
	free(r->tokens_path);
	rt_conf_free(&r->conf);
}
