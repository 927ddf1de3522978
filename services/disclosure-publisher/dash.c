/* dash.c: the live dashboard's counters, the stream a browser opens to
 * follow it (GET /v1/events/stream), /v1/status, and the core thread's
 * tick that pushes the counters (dash.h).
 *
 * It stands above cases.c (whose counts it reads) and live.c (the notes and
 * the hub it publishes to), so that cases.c can note events (live.h)
 * without live.c reading cases back. */
#include "dash.h"
#include "cases.h"
#include "live.h"

#include "qf_buf.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_store.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ counters */

json_t *live_counters(struct dp *dp, struct qf_txn *t, int64_t now)
{
	char day[32], key[64];
	qf_time_fmt(now, dp_tz(dp), day, sizeof day);
	json_t *o = json_object();
	json_object_set_new(o, "total",
			    json_integer((json_int_t)cases_count(dp, t, "all")));
	json_object_set_new(o, "open",
			    json_integer((json_int_t)cases_count(dp, t, "open")));
	json_object_set_new(o, "overdue",
			    json_integer((json_int_t)cases_overdue_cached(dp, t, now)));
	static const char *const what[] = {"new", "resolved", "warn", "breach"};
	static const char *const names[] = {"today_new", "today_resolved",
					    "today_warnings", "today_breaches"};
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof key, "d:%.4s%.2s%.2s:%s", day, day + 5, day + 8,
			 what[i]);
		json_object_set_new(o, names[i],
				    json_integer(dp_count_get(dp, t, dp->db.meta, key)));
	}
	int64_t rated = dp_count_get(dp, t, dp->db.counts, "rated");
	int64_t sat = dp_count_get(dp, t, dp->db.counts, "satisfied");
	json_object_set_new(o, "rated", json_integer(rated));
	json_object_set_new(o, "satisfied", json_integer(sat));
	json_object_set_new(o, "satisfaction_rate",
			    rated ? json_real((double)sat / (double)rated) : json_null());
	json_object_set_new(o, "alerts",
			    json_integer(dp_count_get(dp, t, dp->db.meta, "alerts")));
	json_object_set_new(o, "hotspots",
			    json_integer(dp_count_get(dp, t, dp->db.meta, "hotspots")));
	json_object_set_new(o, "spam_held",
			    json_integer(dp_count_get(dp, t, dp->db.meta, "spam_held")));
	json_object_set_new(o, "viewers",
			    json_integer(dp->hub ? sse_hub_clients(dp->hub) : 0));
	json_object_set_new(o, "at_ms", json_integer(now));
	return o;
}

/* ------------------------------------------------------------ stream */

struct greet {
	struct dp *dp;
	json_t *counters;
};

static int s_greet(struct qf_txn *t, void *arg)
{
	struct greet *g = arg;
	g->counters = live_counters(g->dp, t, qf_now_ms(g->dp->clock));
	return QF_OK;
}

void sse_handle(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct greet g = {dp, NULL};
	qf_store_read(dp->store, s_greet, &g);
	char *cj = g.counters ? json_dumps(g.counters, JSON_COMPACT) : NULL;
	json_decref(g.counters);
	struct qf_buf b;
	qf_buf_init(&b);
	qf_buf_printf(&b, "retry: 3000\n\nevent: counters\ndata: %s\n\n", cj ? cj : "{}");
	free(cj);
	sse_hub_subscribe(dp->hub, r, &b);
}

/* ------------------------------------------------------------ tick */

struct counters_read {
	struct dp *dp;
	char *txt;
};

static int s_counters_read(struct qf_txn *t, void *arg)
{
	struct counters_read *c = arg;
	json_t *j = live_counters(c->dp, t, qf_now_ms(c->dp->clock));
	c->txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return QF_OK;
}

/* Copy the consumer's stream positions for /v1/status (the consumer
 * belongs to the core thread; HTTP threads read the copy). */
static void s_status(struct dp *dp)
{
	struct qf_bus_consumer *c = qf_svc_consumer(dp->svc);
	json_t *o = json_object(), *a = json_array();
	if (c) {
		static struct qf_bus_stream_state st[1024];
		unsigned n = qf_bus_consumer_streams(c, st, 1024);
		for (unsigned i = 0; i < n; i++) {
			char ep[17];
			uint8_t eb[8];
			qf_be64_put(eb, st[i].epoch);
			qf_hex(eb, 8, ep);
			json_array_append_new(
			    a, json_pack("{s:s, s:s, s:i, s:I, s:I}", "producer",
					 st[i].producer, "epoch", ep, "partition",
					 (int)st[i].partition, "applied",
					 (json_int_t)st[i].applied, "seen",
					 (json_int_t)st[i].seen));
		}
		uint64_t applied, dups, gaps, inc;
		qf_bus_consumer_counts(c, &applied, &dups, &gaps, &inc);
		json_object_set_new(o, "applied", json_integer((json_int_t)applied));
		json_object_set_new(o, "caught_up",
				    json_boolean(qf_bus_consumer_caught_up(c)));
	}
	json_object_set_new(o, "streams", a);
	json_object_set_new(o, "ready", json_boolean(dp->ready_seen));
	char *txt = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	pthread_mutex_lock(&dp->status_lock);
	free(dp->status_json);
	dp->status_json = txt;
	pthread_mutex_unlock(&dp->status_lock);
}

void live_status_handle(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	pthread_mutex_lock(&dp->status_lock);
	char *copy = dp->status_json ? strdup(dp->status_json) : NULL;
	pthread_mutex_unlock(&dp->status_lock);
	if (!copy) {
		qf_http_reply_error(r, 503, "starting", "服务正在启动", NULL);
		return;
	}
	qf_http_add_header(r, "Cache-Control", "no-cache");
	qf_http_reply_take(r, 200, "application/json; charset=utf-8", copy, strlen(copy));
}

int live_tick(struct dp *dp)
{
	if (!dp->ready_seen && qf_svc_ready(dp->svc))
		dp->ready_seen = 1;
	if (dp->ready_seen) /* caught up: the catch-up's case memory goes back */
		cases_cache_release(dp);
	int64_t now = qf_mono_ms();
	if (now - dp->status_mono >= 100) {
		s_status(dp);
		dp->status_mono = now;
	}
	int64_t since = now - dp->counters_sent_mono;
	int next = 1000;
	if (dp->hub && ((dp->counters_dirty && since >= 250) || since >= 30000)) {
		struct counters_read c = {dp, NULL};
		qf_store_read(dp->store, s_counters_read, &c);
		if (c.txt)
			sse_hub_publish(dp->hub, "counters", c.txt);
		free(c.txt);
		dp->counters_dirty = 0;
		dp->counters_sent_mono = now;
	} else if (dp->counters_dirty) {
		next = (int)(250 - since);
	}
	int ka = (dp->conf->sse_keepalive_s > 0 ? dp->conf->sse_keepalive_s : 15) * 1000;
	if (dp->hub && now - dp->keepalive_mono >= ka) {
		sse_hub_keepalive(dp->hub);
		dp->keepalive_mono = now;
	}
	if (next < 1)
		next = 1;
	return next;
}
