/* stats.c: period statistics (stats.h). One walk over the time index reads
 * each case's fixed head (never its document), so a year of cases costs a
 * few milliseconds; groups are small linear tables. */
#include "stats.h"
#include "cases.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct durations {
	int64_t *v;
	size_t n, cap;
};

struct acc {
	char key[72];
	uint64_t total, excluded, responded, resp_due, resp_on_time, resolved,
	    res_on_time, on_time_due, rated, satisfied, rating_sum, open, overdue,
	    reopened, rejected, escalated, no_feedback;
	struct durations resp, res;
};

struct group {
	struct acc *a;
	size_t n, cap;
};

static void s_dur_add(struct durations *d, int64_t v)
{
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 64;
		int64_t *nv = realloc(d->v, nc * sizeof *nv);
		if (!nv)
			return;
		d->v = nv;
		d->cap = nc;
	}
	d->v[d->n++] = v;
}

static int s_cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static json_t *s_median(struct durations *d)
{
	if (!d->n)
		return json_null();
	qsort(d->v, d->n, sizeof *d->v, s_cmp64);
	int64_t m = d->n % 2 ? d->v[d->n / 2] : (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
	return json_integer(m / 1000);
}

static struct acc *s_find(struct group *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->a[i].key, key))
			return &g->a[i];
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 16;
		struct acc *na = realloc(g->a, nc * sizeof *na);
		if (!na)
			return NULL;
		g->a = na;
		g->cap = nc;
	}
	struct acc *a = &g->a[g->n++];
	memset(a, 0, sizeof *a);
	snprintf(a->key, sizeof a->key, "%s", key);
	return a;
}

static void s_add(struct acc *a, const struct case_view *v, int64_t now, int sat_min)
{
	const struct case_head *h = &v->h;
	a->total++;
	if (h->flags & CH_EXCLUDED) {
		a->excluded++;
		return;
	}
	int open = case_state_open(h->state);
	if (h->first_response_ms) {
		a->responded++;
		a->resp_due++;
		if (!h->respond_due_ms || h->first_response_ms <= h->respond_due_ms)
			a->resp_on_time++;
		s_dur_add(&a->resp, h->first_response_ms - h->submitted_ms);
	} else if (h->respond_due_ms && now > h->respond_due_ms) {
		a->resp_due++;
	}
	int resolved =
	    h->resolved_ms && (h->state == QINGFENG__V1__CASE_STATE__STATE_RESOLVED ||
			       h->state == QINGFENG__V1__CASE_STATE__STATE_CLOSED);
	if (resolved) {
		a->resolved++;
		a->on_time_due++;
		if (!h->resolved_due_ms || h->resolved_ms <= h->resolved_due_ms)
			a->res_on_time++;
		s_dur_add(&a->res, h->resolved_ms - h->submitted_ms);
	} else if (open && h->resolve_due_ms && now > h->resolve_due_ms) {
		a->on_time_due++;
	}
	if (h->rating) {
		a->rated++;
		a->rating_sum += h->rating;
		if (h->rating >= sat_min)
			a->satisfied++;
	}
	if (open)
		a->open++;
	if (case_overdue(h, now))
		a->overdue++;
	if (h->reopen_count)
		a->reopened++;
	if (h->flags & CH_REJECTED)
		a->rejected++;
	if (h->flags & CH_ESCALATED)
		a->escalated++;
	if (h->flags & CH_NO_FEEDBACK)
		a->no_feedback++;
}

static json_t *s_rate(uint64_t num, uint64_t den)
{
	return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *s_acc_json(struct acc *a)
{
	json_t *o = json_object();
	uint64_t base = a->total - a->excluded;
	json_object_set_new(o, "total", json_integer((json_int_t)a->total));
	json_object_set_new(o, "excluded", json_integer((json_int_t)a->excluded));
	json_object_set_new(o, "base", json_integer((json_int_t)base));
	json_object_set_new(o, "responded", json_integer((json_int_t)a->responded));
	json_object_set_new(o, "responded_on_time",
			    json_integer((json_int_t)a->resp_on_time));
	json_object_set_new(o, "response_due", json_integer((json_int_t)a->resp_due));
	json_object_set_new(o, "response_rate", s_rate(a->resp_on_time, a->resp_due));
	json_object_set_new(o, "resolved", json_integer((json_int_t)a->resolved));
	json_object_set_new(o, "resolution_rate", s_rate(a->resolved, base));
	json_object_set_new(o, "resolved_on_time",
			    json_integer((json_int_t)a->res_on_time));
	json_object_set_new(o, "on_time_due", json_integer((json_int_t)a->on_time_due));
	json_object_set_new(o, "on_time_rate", s_rate(a->res_on_time, a->on_time_due));
	json_object_set_new(o, "rated", json_integer((json_int_t)a->rated));
	json_object_set_new(o, "satisfied", json_integer((json_int_t)a->satisfied));
	json_object_set_new(o, "satisfaction_rate", s_rate(a->satisfied, a->rated));
	json_object_set_new(o, "average_rating",
			    a->rated ? json_real((double)a->rating_sum / (double)a->rated)
				     : json_null());
	json_object_set_new(o, "median_response_s", s_median(&a->resp));
	json_object_set_new(o, "median_resolve_s", s_median(&a->res));
	json_object_set_new(o, "open", json_integer((json_int_t)a->open));
	json_object_set_new(o, "overdue", json_integer((json_int_t)a->overdue));
	json_object_set_new(o, "reopened", json_integer((json_int_t)a->reopened));
	json_object_set_new(o, "rejected", json_integer((json_int_t)a->rejected));
	json_object_set_new(o, "escalated", json_integer((json_int_t)a->escalated));
	json_object_set_new(o, "closed_without_feedback",
			    json_integer((json_int_t)a->no_feedback));
	free(a->resp.v);
	free(a->res.v);
	a->resp.v = a->res.v = NULL;
	return o;
}

static int s_key_cmp(const void *x, const void *y)
{
	return strcmp(((const struct acc *)x)->key, ((const struct acc *)y)->key);
}

static json_t *s_group_json(struct dp *dp, struct group *g, const char *what)
{
	if (g->n)
		qsort(g->a, g->n, sizeof *g->a, s_key_cmp);
	json_t *arr = json_array();
	for (size_t i = 0; i < g->n; i++) {
		char name[128] = "";
		const char *key = g->a[i].key;
		json_t *o = s_acc_json(&g->a[i]);
		if (!strcmp(what, "category")) {
			dp_category_name(dp, key, name, sizeof name);
		} else if (!strcmp(what, "building")) {
			dp_building_name(dp, key, name, sizeof name);
		} else if (*key) {
			dp_staff_name(dp, key, name, sizeof name);
			pthread_rwlock_rdlock(&dp->community_lock);
			const struct qf_staff *s = qf_community_staff(dp->community, key);
			if (s && s->post)
				json_object_set_new(o, "post", json_string(s->post));
			pthread_rwlock_unlock(&dp->community_lock);
		} else {
			snprintf(name, sizeof name, "未派单");
		}
		json_object_set_new(o, "key", json_string(key));
		json_object_set_new(o, "name", json_string(name));
		json_array_append_new(arr, o);
	}
	free(g->a);
	g->a = NULL;
	g->n = g->cap = 0;
	return arr;
}

/* Local day number of an instant. */
static int64_t s_day(int64_t ms, int tz)
{
	int64_t l = ms + (int64_t)tz * 60000;
	return l >= 0 ? l / 86400000 : (l - 86399999) / 86400000;
}

json_t *stats_compute(struct dp *dp, struct qf_txn *t, int64_t from, int64_t to,
		      int64_t now)
{
	struct group cat = {0}, bld = {0}, hnd = {0};
	struct acc all;
	memset(&all, 0, sizeof all);
	int sat = dp->conf->satisfied_min, tz = dp_tz(dp);
	/* daily series: only for periods of at most 120 days */
	int64_t d0 = 0, nd = 0;
	uint64_t *dnew = NULL, *dres = NULL;
	int64_t span_from = from, span_to = to ? to : now;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.by_time, &c))
		return NULL;
	uint8_t lo[8];
	qf_be64_put(lo, (uint64_t)(from > 0 ? from : 0));
	MDB_val k = {8, lo}, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && !from && k.mv_size > 8)
		span_from = (int64_t)qf_be64_get(k.mv_data);
	if (span_to > span_from && span_to - span_from <= 120LL * 86400000) {
		d0 = s_day(span_from, tz);
		nd = s_day(span_to - 1, tz) - d0 + 1;
		dnew = calloc((size_t)nd, sizeof *dnew);
		dres = calloc((size_t)nd, sizeof *dres);
		if (!dnew || !dres)
			nd = 0;
	}
	while (rc == 0 && k.mv_size > 8) {
		int64_t ts = (int64_t)qf_be64_get(k.mv_data);
		if (to && ts >= to)
			break;
		char id[72];
		size_t il = k.mv_size - 8;
		if (il < sizeof id) {
			memcpy(id, (char *)k.mv_data + 8, il);
			id[il] = '\0';
			struct case_view cv;
			if (cases_head(dp, t, id, &cv) == QF_OK) {
				struct acc *a;
				s_add(&all, &cv, now, sat);
				if ((a = s_find(&cat, cv.category)))
					s_add(a, &cv, now, sat);
				if ((a = s_find(&bld, cv.building)))
					s_add(a, &cv, now, sat);
				if ((a = s_find(&hnd, cv.handler)))
					s_add(a, &cv, now, sat);
				int64_t di = s_day(ts, tz) - d0;
				if (nd && di >= 0 && di < nd)
					dnew[di]++;
				if (nd && cv.h.resolved_ms) {
					int64_t ri = s_day(cv.h.resolved_ms, tz) - d0;
					if (ri >= 0 && ri < nd)
						dres[ri]++;
				}
			}
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	json_t *o = json_object();
	json_object_set_new(o, "from_ms", json_integer(from));
	json_object_set_new(o, "to_ms", json_integer(to));
	json_object_set_new(o, "now_ms", json_integer(now));
	json_object_set_new(o, "satisfied_min_rating", json_integer(sat));
	json_object_set_new(o, "overall", s_acc_json(&all));
	json_object_set_new(o, "by_category", s_group_json(dp, &cat, "category"));
	json_object_set_new(o, "by_building", s_group_json(dp, &bld, "building"));
	json_object_set_new(o, "by_handler", s_group_json(dp, &hnd, "handler"));
	json_t *daily = json_array();
	for (int64_t i = 0; i < nd; i++) {
		char day[32];
		qf_time_fmt((d0 + i) * 86400000 - (int64_t)tz * 60000, tz, day,
			    sizeof day);
		day[10] = '\0';
		json_array_append_new(daily, json_pack("{s:s, s:I, s:I}", "date", day,
						       "new", (json_int_t)dnew[i],
						       "resolved", (json_int_t)dres[i]));
	}
	free(dnew);
	free(dres);
	json_object_set_new(o, "daily", daily);
	json_object_set_new(
	    o, "definitions",
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "response_rate",
		      "按时响应数 / (已响应数 + 超过响应时限仍未响应数)；首次响应指受理、"
		      "处理进展、办结或不予受理",
		      "resolution_rate", "已办结数 / (总数 - 合并、重复及垃圾诉求数)",
		      "on_time_rate", "按时办结数 / (已办结数 + 超过办结时限仍未办结数)",
		      "satisfaction_rate", "满意评价（评分不低于设定值）数 / 已评价数",
		      "median", "中位数，单位秒：首次响应或办结时间减去提交时间"));
	return o;
}

/* Digits at every position of p except those listed in `sep`. */
static int s_shape(const char *p, const char *shape)
{
	for (; *shape; p++, shape++) {
		if (*shape == '9' ? !(*p >= '0' && *p <= '9') : *p != *shape)
			return 0;
	}
	return *p == '\0';
}

int stats_period(const char *p, int tz, int64_t *from, int64_t *to)
{
	size_t n = strlen(p);
	if (!s_shape(p, "9999") && !s_shape(p, "9999Q9") && !s_shape(p, "9999-99") &&
	    !s_shape(p, "9999-99-99"))
		return QF_ERR_INVAL;
	char buf[32];
	int y, m, q;
	if (n == 4 && sscanf(p, "%4d", &y) == 1 && y >= 1970 && y < 3000) {
		snprintf(buf, sizeof buf, "%04d-01-01", y);
		if (qf_time_parse(buf, tz, from))
			return QF_ERR_INVAL;
		snprintf(buf, sizeof buf, "%04d-01-01", y + 1);
		return qf_time_parse(buf, tz, to);
	}
	if (n == 6 && p[4] == 'Q' && sscanf(p, "%4dQ%1d", &y, &q) == 2 && q >= 1 &&
	    q <= 4 && y >= 1970 && y < 3000) {
		snprintf(buf, sizeof buf, "%04d-%02d-01", y, (q - 1) * 3 + 1);
		if (qf_time_parse(buf, tz, from))
			return QF_ERR_INVAL;
		snprintf(buf, sizeof buf, "%04d-%02d-01", q == 4 ? y + 1 : y,
			 q == 4 ? 1 : q * 3 + 1);
		return qf_time_parse(buf, tz, to);
	}
	if (n == 7 && p[4] == '-' && sscanf(p, "%4d-%2d", &y, &m) == 2 && m >= 1 &&
	    m <= 12 && y >= 1970 && y < 3000) {
		snprintf(buf, sizeof buf, "%04d-%02d-01", y, m);
		if (qf_time_parse(buf, tz, from))
			return QF_ERR_INVAL;
		snprintf(buf, sizeof buf, "%04d-%02d-01", m == 12 ? y + 1 : y,
			 m == 12 ? 1 : m + 1);
		return qf_time_parse(buf, tz, to);
	}
	if (n == 10 && qf_time_parse(p, tz, from) == 0) {
		*to = *from + 86400000;
		return QF_OK;
	}
	return QF_ERR_INVAL;
}

/* ------------------------------------------------------------ cache */

#define STATS_CACHE  8
#define STATS_TTL_MS 5000

struct stats_cache {
	struct {
		int64_t from, to, mono;
		char *text;
	} e[STATS_CACHE];
	unsigned next;
};

struct stats_call {
	struct dp *dp;
	int64_t from, to, now;
	json_t *out;
};

static int s_stats_read(struct qf_txn *t, void *arg)
{
	struct stats_call *c = arg;
	c->out = stats_compute(c->dp, t, c->from, c->to, c->now);
	return QF_OK;
}

char *stats_cached(struct dp *dp, int64_t from, int64_t to, int64_t now)
{
	int64_t mono = qf_mono_ms();
	pthread_mutex_lock(&dp->cache_lock);
	if (!dp->stats_cache)
		dp->stats_cache = calloc(1, sizeof *dp->stats_cache);
	struct stats_cache *c = dp->stats_cache;
	for (unsigned i = 0; c && i < STATS_CACHE; i++)
		if (c->e[i].text && c->e[i].from == from && c->e[i].to == to &&
		    mono - c->e[i].mono < STATS_TTL_MS) {
			char *copy = strdup(c->e[i].text);
			pthread_mutex_unlock(&dp->cache_lock);
			return copy;
		}
	pthread_mutex_unlock(&dp->cache_lock);
	struct stats_call call = {dp, from, to, now, NULL};
	if (qf_store_read(dp->store, s_stats_read, &call) || !call.out) {
		json_decref(call.out);
		return NULL;
	}
	char *text = json_dumps(call.out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(call.out);
	if (!text)
		return NULL;
	pthread_mutex_lock(&dp->cache_lock);
	if (c) {
		unsigned k = c->next++ % STATS_CACHE;
		free(c->e[k].text);
		c->e[k].text = strdup(text);
		c->e[k].from = from;
		c->e[k].to = to;
		c->e[k].mono = mono;
	}
	pthread_mutex_unlock(&dp->cache_lock);
	return text;
}

void stats_cache_free(struct dp *dp)
{
	if (!dp->stats_cache)
		return;
	for (unsigned i = 0; i < STATS_CACHE; i++)
		free(dp->stats_cache->e[i].text);
	free(dp->stats_cache);
	dp->stats_cache = NULL;
}
