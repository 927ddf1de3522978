/* intake.c: the service's state: opening its databases, loading the
 * community, tokens and keys, the limiters, SIGHUP reload, the core-thread
 * timer and orderly shutdown (intake.h).
 *
 * Design: the community and the tokens are one immutable "world" swapped by
 * pointer on reload; handlers take the pointer once per request, and old
 * worlds are kept until exit, so no lock is needed on the read path. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qf_err.h"
#include "qf_log.h"
#include "ratelimit.h"

static int s_load_world(struct intake_conf *c, struct intake_world **out)
{
	struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	struct intake_world *w = calloc(1, sizeof *w);
	char *cpath = qf_cfg_resolve(c->svc.config_file, c->svc.community);
	char *tpath = qf_cfg_resolve(c->svc.config_file, c->tokens_file);
	int rc = QF_ERR_NOMEM;
	if (!w || !cpath || !tpath)
		goto out;
	rc = qf_community_load(cpath, &w->community, &errs);
	if (!rc)
		rc = qf_tokens_load(tpath, w->community, &w->tokens, &errs);
	for (unsigned i = 0; i < errs.n; i++)
		qf_error("config_error", "detail=\"%s\"", errs.msg[i]);
out:
	free(cpath);
	free(tpath);
	if (rc) {
		if (w) {
			qf_tokens_free(&w->tokens);
			qf_community_free(&w->community);
		}
		free(w);
		return rc;
	}
	*out = w;
	return QF_OK;
}

const struct intake_world *intake_world_get(struct intake *in)
{
	return __atomic_load_n(&in->world, __ATOMIC_ACQUIRE);
}

void intake_reload(void *app)
{
	struct intake *in = app;
	struct intake_world *w;
	if (s_load_world(in->conf, &w)) {
		qf_error("reload_failed",
			 "detail=\"keeping the previous community and tokens\"");
		return;
	}
	struct intake_world *old = in->world;
	__atomic_store_n(&in->world, w, __ATOMIC_RELEASE);
	old->retired_next = in->retired;
	in->retired = old;
	qf_info("reloaded", "categories=%u buildings=%u staff=%u",
		w->community->ncategories, w->community->nbuildings,
		w->community->nstaff);
}

static void s_key_warn(const char *setting, const char *msg)
{
	char b[700];
	qf_warn("key_warning", "setting=%s detail=%s", setting,
		qf_log_q(msg, b, sizeof b));
}

static int s_dbi(struct intake *in, const char *name, MDB_dbi *out)
{
	int rc = qf_store_dbi(in->store, name, 0, out);
	if (rc)
		qf_error("dbi_failed", "name=%s error=\"%s\"", name, qf_strerror(rc));
	return rc;
}

static void s_counters(struct intake *in)
{
	struct qf_metrics *m = in->metrics;
	struct intake_counters *c = &in->m;
	c->accepted = qf_metrics_counter(m, "qf_intake_petitions_total",
					 "Petitions accepted", "outcome=\"accepted\"");
	c->held = qf_metrics_counter(m, "qf_intake_petitions_total", "Petitions accepted",
				     "outcome=\"held_as_spam\"");
	c->unlocated =
	    qf_metrics_counter(m, "qf_intake_petitions_total", "Petitions accepted",
			       "outcome=\"awaiting_dispatch\"");
	c->invalid = qf_metrics_counter(m, "qf_intake_petitions_total",
					"Petitions accepted", "outcome=\"invalid\"");
	c->released = qf_metrics_counter(m, "qf_intake_spam_released_total",
					 "Held submissions released by review", NULL);
	c->limited = qf_metrics_counter(m, "qf_intake_rate_limited_total",
					"Requests refused by rate limits", NULL);
	c->idem_replay =
	    qf_metrics_counter(m, "qf_intake_idempotent_replays_total",
			       "Retries answered with the first answer", NULL);
	c->actions = qf_metrics_counter(m, "qf_intake_actions_total",
					"Staff actions requested", NULL);
	c->action_timeouts = qf_metrics_counter(
	    m, "qf_intake_action_timeouts_total",
	    "Actions answered 202 (router slower than the wait)", NULL);
	c->results =
	    qf_metrics_counter(m, "qf_intake_action_results_total",
			       "Router verdicts received for our commands", NULL);
	c->contact_views = qf_metrics_counter(m, "qf_intake_contact_views_total",
					      "Contact details shown to staff", NULL);
	c->visits =
	    qf_metrics_counter(m, "qf_intake_visits_total", "Visit records", NULL);
	c->disclosures = qf_metrics_counter(m, "qf_intake_disclosures_total",
					    "Disclosure records and corrections", NULL);
	c->events_applied =
	    qf_metrics_counter(m, "qf_intake_router_events_total",
			       "Router events applied to the follow view", NULL);
	c->feedback =
	    qf_metrics_counter(m, "qf_intake_feedback_total", "Feedback given", NULL);
}

int intake_new(struct intake **out, struct intake_conf *conf)
{
	struct intake *in = calloc(1, sizeof *in);
	if (!in)
		return QF_ERR_NOMEM;
	in->conf = conf;
	*out = in;
	return QF_OK;
}

int intake_open(struct intake *in, struct qf_svc *svc)
{
	struct intake_conf *conf = in->conf;
	in->svc = svc;
	in->store = qf_svc_store(svc);
	in->vault = qf_svc_vault(svc);
	in->gc = qf_svc_gc(svc);
	in->prod = qf_svc_producer(svc);
	in->clock = qf_svc_clock(svc);
	in->metrics = qf_svc_metrics(svc);
	int rc;
	if ((rc = s_load_world(conf, &in->world)))
		goto fail;
	struct qf_cfg_errors errs;
	memset(&errs, 0, sizeof errs);
	if (intake_keys_load(&in->keys, conf->svc.config_file, conf->svc.data_dir,
			     conf->pseudonym_key_file, conf->contact_key_file,
			     &conf->seal_to, 0, &errs, s_key_warn)) {
		for (unsigned i = 0; i < errs.n; i++)
			qf_error("config_error", "detail=\"%s\"", errs.msg[i]);
		rc = QF_ERR_CONFIG;
		goto fail;
	}
	snprintf(in->prefix, sizeof in->prefix, "%s",
		 conf->tracking_prefix[0] ? conf->tracking_prefix
					  : in->world->community->code);
	for (char *p = in->prefix; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	if (conf->replica_code[0]) {
		char rc1[4];
		snprintf(rc1, sizeof rc1, "%s", conf->replica_code);
		intake_crockford_norm(rc1);
		in->replica = rc1[0];
	}
	struct {
		const char *name;
		MDB_dbi *dbi;
	} dbs[] = {{"intake.case", &in->db.cases},
		   {"intake.contact", &in->db.contact},
		   {"intake.code", &in->db.codes},
		   {"intake.timeline", &in->db.timeline},
		   {"intake.idem", &in->db.idem},
		   {"intake.idem_exp", &in->db.idem_exp},
		   {"intake.cmd", &in->db.cmds},
		   {"intake.media", &in->db.media},
		   {"intake.upload", &in->db.uploads},
		   {"intake.hold", &in->db.holds},
		   {"intake.hold_contact", &in->db.hold_contact},
		   {"intake.visit", &in->db.visits},
		   {"intake.disclosure", &in->db.disc},
		   {"intake.contact_view", &in->db.views},
		   {"intake.spam_terms", &in->db.spam_terms},
		   {"intake.account", &in->db.accounts},
		   {"intake.session", &in->db.sessions},
		   {"intake.alert", &in->db.alerts}};
	for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++)
		if ((rc = s_dbi(in, dbs[i].name, dbs[i].dbi)))
			goto fail;
	if ((rc = intake_staff_open(in)))
		goto fail;
	unsigned slots = (unsigned)conf->rl_slots;
	if ((rc = intake_limiter_new(&in->lim_ip, slots, (unsigned)conf->rl_ip,
				     (int64_t)conf->rl_ip_window_s * 1000)) ||
	    (rc = intake_limiter_new(&in->lim_phone, slots, (unsigned)conf->rl_phone,
				     (int64_t)conf->rl_phone_window_s * 1000)) ||
	    (rc = intake_limiter_new(&in->lim_follow, slots, (unsigned)conf->rl_follow,
				     (int64_t)conf->rl_follow_window_s * 1000)) ||
	    (rc = intake_waiters_new(&in->waiters)) ||
	    (rc = intake_spamdup_new(&in->spamdup,
				     (int64_t)conf->spam.dup_window_s * 1000)))
		goto fail;
	s_counters(in);
	return QF_OK;
fail:
	qf_error("intake_open_failed", "error=\"%s\"", qf_strerror(rc));
	return rc;
}

void intake_destroy(struct intake **inp)
{
	if (!inp || !*inp)
		return;
	struct intake *in = *inp;
	intake_waiters_destroy(&in->waiters);
	intake_limiter_destroy(&in->lim_ip);
	intake_limiter_destroy(&in->lim_phone);
	intake_limiter_destroy(&in->lim_follow);
	intake_spamdup_destroy(&in->spamdup);
	intake_keys_free(&in->keys);
	struct intake_world *w = in->retired;
	while (w) {
		struct intake_world *next = w->retired_next;
		qf_tokens_free(&w->tokens);
		qf_community_free(&w->community);
		free(w);
		w = next;
	}
	if (in->world) {
		qf_tokens_free(&in->world->tokens);
		qf_community_free(&in->world->community);
		free(in->world);
	}
	free(in);
	*inp = NULL;
}

/* The idempotency sweep runs as a group-commit job of its own. */
struct sweep {
	struct qf_gc_job job;
	struct intake *in;
	int64_t now;
	int n;
};

static int s_sweep_apply(struct qf_txn *t, void *arg)
{
	struct sweep *s = arg;
	s->n = intake_idem_sweep(s->in, t, s->now, 1000);
	s->n += intake_upload_sweep(s->in, t, s->now, 1000);
	s->n += intake_session_sweep(s->in, t, s->now, 1000);
	return QF_OK;
}

static void s_sweep_done(void *arg, int rc)
{
	struct sweep *s = arg;
	if (!rc && s->n)
		qf_debug("expired_swept", "records=%d", s->n);
	free(s);
}

static void s_sweep(struct intake *in)
{
	struct sweep *s = calloc(1, sizeof *s);
	if (!s)
		return;
	s->in = in;
	s->now = qf_now_ms(in->clock);
	s->job.apply = s_sweep_apply;
	s->job.done = s_sweep_done;
	s->job.arg = s;
	if (qf_gc_submit(in->gc, &s->job))
		free(s);
}

int intake_tick(void *app)
{
	struct intake *in = app;
	int64_t mono = qf_mono_ms();
	int next = intake_waiters_expire(in, mono, 0);
	if (mono >= in->next_key_retry_ms) {
		in->next_key_retry_ms = mono + 10000;
		unsigned before = 0;
		for (unsigned i = 0; i < in->keys.nrecip; i++)
			before += (unsigned)in->keys.recip[i].have;
		if (before < in->keys.nrecip && intake_keys_retry(&in->keys) > before)
			qf_info("seal_key_loaded", "recipients=%u", in->keys.nrecip);
	}
	if (mono >= in->next_sweep_ms) {
		in->next_sweep_ms = mono + 60000;
		s_sweep(in);
	}
	int64_t t = in->next_sweep_ms - mono;
	if (in->next_key_retry_ms - mono < t)
		t = in->next_key_retry_ms - mono;
	if (next >= 0 && next < t)
		t = next;
	return t < 0 ? 0 : (int)t;
}

int intake_ready(void *app)
{
	struct intake *in = app;
	return qf_svc_ready(in->svc);
}

void intake_health(void *app, json_t *obj)
{
	struct intake *in = app;
	json_t *seal = json_object();
	for (unsigned i = 0; i < in->keys.nrecip; i++)
		json_object_set_new(
		    seal, in->keys.recip[i].name,
		    json_string(__atomic_load_n(&in->keys.recip[i].have, __ATOMIC_ACQUIRE)
				    ? "loaded"
				    : "missing"));
	const struct intake_world *w = intake_world_get(in);
	json_object_set_new(obj, "service", json_string("intake"));
	json_object_set_new(obj, "node", json_string(in->conf->svc.node));
	json_object_set_new(obj, "seal_keys", seal);
	json_object_set_new(obj, "categories", json_integer(w->community->ncategories));
	json_object_set_new(obj, "buildings", json_integer(w->community->nbuildings));
	json_object_set_new(obj, "open311", json_boolean(in->conf->o311_enabled));
}

void intake_shutdown(struct intake *in)
{
	/* jobs that arrived on open connections after the loop's last turn,
	   then every request still waiting for the router */
	int answered = 0, n;
	for (int i = 0; i < 100 && (n = qf_gc_run(in->gc, NULL, NULL)) > 0; i++)
		answered += n;
	answered += intake_waiters_pending(in);
	intake_waiters_expire(in, qf_mono_ms(), 1);
	/* the HTTP workers write these answers; qf_http_stop waits (bounded)
	   for requests in flight before closing connections */
	(void)answered;
}
