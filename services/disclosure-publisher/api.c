/* api.c: the public JSON API under /v1/public/ (docs/api/disclosure.md).
 *
 * Every handler validates its parameters first (400 with {code, message,
 * field}), then answers from one short read transaction. The case list is
 * the hot path: it concatenates the stored list summaries instead of
 * building JSON objects, so a page costs a few B-tree lookups. */
#include "affairs.h"
#include "dash.h"
#include "live.h"
#include "signals.h"
#include "snapshot.h"
#include "stats.h"
#include "web.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_page.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef json_t *(*read_fn)(struct dp *dp, struct qf_txn *t, void *arg);

struct read_call {
	struct dp *dp;
	read_fn fn;
	void *arg;
	json_t *out;
};

static int s_read_cb(struct qf_txn *t, void *arg)
{
	struct read_call *c = arg;
	c->out = c->fn(c->dp, t, c->arg);
	return QF_OK;
}

static json_t *s_read(struct dp *dp, read_fn fn, void *arg)
{
	struct read_call c = {dp, fn, arg, NULL};
	if (qf_store_read(dp->store, s_read_cb, &c)) {
		json_decref(c.out);
		return NULL;
	}
	return c.out;
}

/* Reply 200 with j, or 404 with a message when j is NULL. */
static void s_reply(struct qf_http_req *r, json_t *j, const char *what)
{
	if (!j) {
		char msg[160];
		snprintf(msg, sizeof msg, "没有找到%s", what);
		qf_http_reply_error(r, 404, "not_found", msg, NULL);
		return;
	}
	qf_http_add_header(r, "Cache-Control", "no-cache");
	qf_http_reply_json(r, 200, j);
}

/* ------------------------------------------------------------ cases */

struct list_ctx {
	struct qf_buf *b;
	unsigned n;
};

static int s_list_item(void *arg, const struct case_view *v, int overdue)
{
	struct list_ctx *c = arg;
	if (c->n++)
		qf_buf_putc(c->b, ',');
	qf_buf_add(c->b, v->summary, v->summary_len);
	qf_buf_puts(c->b, overdue ? ",\"overdue\":true}" : ",\"overdue\":false}");
	return 0;
}

struct list_call {
	struct dp *dp;
	const struct case_filter *f;
	int64_t now;
	struct qf_buf *b;
	int rc;
	char next[QF_PAGE_U64_LEN]; /* the next page's cursor, "" on the last */
};

static int s_list_cb(struct qf_txn *t, void *arg)
{
	struct list_call *c = arg;
	struct list_ctx lc = {c->b, 0};
	uint64_t total = 0;
	qf_buf_puts(c->b, "{\"items\":[");
	c->rc = cases_query(c->dp, t, &c->f->q, c->now, s_list_item, &lc, &total);
	uint64_t pages = (total + c->f->page_size - 1) / c->f->page_size;
	uint64_t end = (uint64_t)c->f->q.offset + lc.n;
	c->next[0] = '\0';
	if (lc.n && end < total)
		qf_page_u64_cursor(end, c->next);
	qf_buf_puts(c->b, "],\"next_cursor\":");
	qf_buf_puts(c->b, c->next[0] ? "\"" : "null");
	if (c->next[0])
		qf_buf_printf(c->b, "%s\"", c->next);
	qf_buf_printf(c->b,
		   ",\"total\":%llu,\"page\":%u,\"page_size\":%u,\"pages\":%llu,"
		   "\"now_ms\":%lld}",
		   (unsigned long long)total, c->f->page, c->f->page_size,
		   (unsigned long long)pages, (long long)c->now);
	return QF_OK;
}

static int s_cases_json(struct dp *dp, const struct case_filter *f, int64_t now,
			struct qf_buf *out, char next[QF_PAGE_U64_LEN])
{
	struct list_call c = {dp, f, now, out, 0, ""};
	int rc = qf_store_read(dp->store, s_list_cb, &c);
	memcpy(next, c.next, QF_PAGE_U64_LEN);
	return rc ? rc : c.rc;
}

int api_cases_json(struct dp *dp, const struct case_filter *f, int64_t now,
		   struct qf_buf *out)
{
	char next[QF_PAGE_U64_LEN];
	return s_cases_json(dp, f, now, out, next);
}

/* The deprecated page parameters (docs/API.md), left out of Link. */
static const char *const s_page_legacy[] = {"page", "page_size", NULL};

/* cursor and limit over the filter's page and page_size (kept for one
 * release as aliases). 0, or -1 after replying 400. */
static int s_page(struct qf_http_req *r, struct dp *dp, struct case_filter *f)
{
	struct qf_page_rule rule = {f->page_size, (unsigned)dp->conf->max_page_size};
	struct qf_page pg;
	if (qf_page_parse(r, &rule, &pg))
		return -1;
	uint64_t off = f->q.offset;
	if (pg.cursor && (qf_page_cursor_u64(pg.cursor, &off) || off > 100000000))
		return qf_page_bad_cursor(r);
	f->page_size = pg.limit;
	f->q.limit = pg.limit;
	f->q.offset = pg.cursor ? (unsigned)off : (f->page - 1) * pg.limit;
	f->page = f->q.offset / pg.limit + 1;
	return 0;
}

void api_cases(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct case_filter f;
	struct web_err e;
	if (web_case_filter(r, dp, &f, &e)) {
		qf_http_reply_error(r, 400, e.code, e.message, e.field);
		return;
	}
	if (s_page(r, dp, &f))
		return;
	struct qf_buf b;
	char next[QF_PAGE_U64_LEN];
	qf_buf_init(&b);
	if (s_cases_json(dp, &f, qf_now_ms(dp->clock), &b, next) ||
	    qf_page_link(r, next, s_page_legacy)) {
		qf_buf_free(&b);
		qf_http_reply_error(r, 500, "internal", "读取案件失败", NULL);
		return;
	}
	web_reply_buf(r, 200, "application/json; charset=utf-8", &b);
}

/* The public form of a case document: internal sort keys removed, labels
 * and the overdue flag added. */
static json_t *s_case_public(struct dp *dp, json_t *doc, int64_t now)
{
	json_t *tl = json_object_get(doc, "timeline"), *e;
	size_t i;
	json_array_foreach(tl, i, e)
	{
		json_object_del(e, "k");
		const char *type = json_string_value(json_object_get(e, "type"));
		json_object_set_new(e, "label",
				    json_string(case_event_label(type ? type : "")));
	}
	const char *st = json_string_value(json_object_get(doc, "state"));
	struct case_head h = {0};
	h.state =
	    (uint8_t)(st ? (case_state_parse(st) > 0 ? case_state_parse(st) : 0) : 0);
	h.first_response_ms =
	    json_integer_value(json_object_get(doc, "first_response_ms"));
	h.respond_due_ms = json_integer_value(json_object_get(doc, "respond_due_ms"));
	h.resolve_due_ms = json_integer_value(json_object_get(doc, "resolve_due_ms"));
	json_object_set_new(doc, "overdue", json_boolean(case_overdue(&h, now)));
	json_object_del(doc, "petition");
	if (json_is_true(json_object_get(doc, "withheld"))) {
		json_object_del(doc, "description");
		json_object_del(doc, "address");
		json_object_del(doc, "media");
		json_object_del(doc, "location");
	}
	json_object_set_new(doc, "question_url",
			    json_sprintf("%s/question?ref=case:%s", dp->conf->public_url,
					 json_string_value(json_object_get(doc, "id"))));
	return doc;
}

struct case_call {
	const char *id;
	int64_t now;
};

static json_t *s_case_read(struct dp *dp, struct qf_txn *t, void *arg)
{
	struct case_call *c = arg;
	json_t *d = cases_doc(dp, t, c->id);
	return d ? s_case_public(dp, d, c->now) : NULL;
}

void api_case(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	const char *id = qf_http_param(r, "id");
	if (!dp_id_ok(id)) {
		qf_http_reply_error(r, 400, "bad_id", "案件编号格式不正确", "id");
		return;
	}
	struct case_call c = {id, qf_now_ms(dp->clock)};
	s_reply(r, s_read(dp, s_case_read, &c), "这个案件");
}

/* ------------------------------------------------------------ stats */

struct stats_call {
	int64_t from, to, now;
};

void api_stats(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct stats_call c = {0, 0, qf_now_ms(dp->clock)};
	int tz = dp_tz(dp);
	const char *p = qf_http_query(r, "period"), *from = qf_http_query(r, "from"),
		   *to = qf_http_query(r, "to");
	if (p && *p) {
		if (stats_period(p, tz, &c.from, &c.to)) {
			qf_http_reply_error(
			    r, 400, "bad_period",
			    "统计周期应为 2026、2026Q3、2026-11 或 2026-11-25", "period");
			return;
		}
	} else {
		if (from && *from && qf_time_parse(from, tz, &c.from)) {
			qf_http_reply_error(r, 400, "bad_date", "开始日期应为 YYYY-MM-DD",
					    "from");
			return;
		}
		if (to && *to) {
			if (qf_time_parse(to, tz, &c.to)) {
				qf_http_reply_error(r, 400, "bad_date",
						    "结束日期应为 YYYY-MM-DD", "to");
				return;
			}
			if (strlen(to) == 10)
				c.to += 86400000;
		}
		if (c.from && c.to && c.to <= c.from) {
			qf_http_reply_error(r, 400, "bad_range", "结束日期早于开始日期",
					    "to");
			return;
		}
	}
	char *text = stats_cached(dp, c.from, c.to, c.now);
	if (!text) {
		qf_http_reply_error(r, 500, "internal", "统计失败", NULL);
		return;
	}
	qf_http_add_header(r, "Cache-Control", "max-age=5");
	qf_http_reply_take(r, 200, "application/json; charset=utf-8", text, strlen(text));
}

/* ------------------------------------------------------------ affairs */

static json_t *s_ledger_index(struct dp *dp, struct qf_txn *t, void *arg)
{
	(void)arg;
	json_t *q = affairs_ledger_index(dp, t);
	return q ? json_pack("{s:o}", "quarters", q) : NULL;
}

void api_ledger(struct qf_http_req *r, void *ctx)
{
	s_reply(r, s_read(ctx, s_ledger_index, NULL), "财务公开");
}

static json_t *s_ledger_quarter(struct dp *dp, struct qf_txn *t, void *arg)
{
	return affairs_ledger_quarter(dp, t, arg);
}

void api_ledger_quarter(struct qf_http_req *r, void *ctx)
{
	const char *q = qf_http_param(r, "quarter");
	if (!affairs_quarter_ok(q)) {
		qf_http_reply_error(r, 400, "bad_quarter", "季度格式应为 2026Q3",
				    "quarter");
		return;
	}
	s_reply(r, s_read(ctx, s_ledger_quarter, (void *)q), "这个季度的财务公开");
}

static json_t *s_notices(struct dp *dp, struct qf_txn *t, void *arg)
{
	json_t *n = affairs_notices(dp, t, arg);
	return n ? json_pack("{s:o}", "notices", n) : NULL;
}

void api_notices(struct qf_http_req *r, void *ctx)
{
	const char *a = qf_http_query(r, "affair");
	if (a && !*a)
		a = NULL;
	if (a && strcmp(a, "party") && strcmp(a, "residential") &&
	    strcmp(a, "financial")) {
		qf_http_reply_error(
		    r, 400, "bad_affair",
		    "affair 应为 party（党务）、residential（居务）或 financial（财务）",
		    "affair");
		return;
	}
	s_reply(r, s_read(ctx, s_notices, (void *)a), "公告");
}

static json_t *s_lists(struct dp *dp, struct qf_txn *t, void *arg)
{
	(void)arg;
	json_t *l = affairs_lists(dp, t);
	return l ? json_pack("{s:o}", "lists", l) : NULL;
}

void api_lists(struct qf_http_req *r, void *ctx)
{
	s_reply(r, s_read(ctx, s_lists, NULL), "公示名单");
}

static json_t *s_list(struct dp *dp, struct qf_txn *t, void *arg)
{
	return affairs_list(dp, t, arg);
}

void api_list(struct qf_http_req *r, void *ctx)
{
	const char *id = qf_http_param(r, "id");
	if (!dp_id_ok(id)) {
		qf_http_reply_error(r, 400, "bad_id", "名单编号格式不正确", "id");
		return;
	}
	s_reply(r, s_read(ctx, s_list, (void *)id), "这份名单");
}

static json_t *s_roster(struct dp *dp, struct qf_txn *t, void *arg)
{
	(void)arg;
	return affairs_roster(dp, t);
}

void api_roster(struct qf_http_req *r, void *ctx)
{
	s_reply(r, s_read(ctx, s_roster, NULL), "干部名册");
}

static json_t *s_record(struct dp *dp, struct qf_txn *t, void *arg)
{
	return affairs_record(dp, t, arg);
}

void api_record(struct qf_http_req *r, void *ctx)
{
	const char *id = qf_http_param(r, "id");
	if (!dp_id_ok(id)) {
		qf_http_reply_error(r, 400, "bad_id", "记录编号格式不正确", "id");
		return;
	}
	s_reply(r, s_read(ctx, s_record, (void *)id), "这条公开记录");
}

/* ------------------------------------------------------------ snapshots */

static int s_kind_ok(const char *k)
{
	return k && (!strcmp(k, "ledger_quarter") || !strcmp(k, "list") ||
		     !strcmp(k, "roster") || !strcmp(k, "notices"));
}

static json_t *s_snapshots(struct dp *dp, struct qf_txn *t, void *arg)
{
	json_t *l = snapshot_list(dp, t, arg);
	return l ? json_pack("{s:o}", "snapshots", l) : NULL;
}

void api_snapshots(struct qf_http_req *r, void *ctx)
{
	const char *k = qf_http_query(r, "kind");
	if (k && !*k)
		k = NULL;
	if (k && !s_kind_ok(k)) {
		qf_http_reply_error(r, 400, "bad_kind",
				    "kind 应为 ledger_quarter、list、roster 或 notices",
				    "kind");
		return;
	}
	s_reply(r, s_read(ctx, s_snapshots, (void *)k), "快照");
}

struct snap_call {
	const char *kind, *key;
};

static json_t *s_snapshot(struct dp *dp, struct qf_txn *t, void *arg)
{
	struct snap_call *c = arg;
	json_t *h = snapshot_history(dp, t, c->kind, c->key);
	if (!h)
		return NULL;
	json_t *o = json_pack("{s:s, s:s, s:O, s:o}", "kind", c->kind, "key", c->key,
			      "current", json_array_get(h, 0), "versions", h);
	return o;
}

static int s_snap_params(struct qf_http_req *r, struct snap_call *c)
{
	c->kind = qf_http_param(r, "kind");
	c->key = qf_http_param(r, "key");
	if (!s_kind_ok(c->kind)) {
		qf_http_reply_error(
		    r, 400, "bad_kind",
		    "快照类型应为 ledger_quarter、list、roster 或 notices", "kind");
		return -1;
	}
	if (!dp_id_ok(c->key)) {
		qf_http_reply_error(r, 400, "bad_key", "快照编号格式不正确", "key");
		return -1;
	}
	return 0;
}

void api_snapshot(struct qf_http_req *r, void *ctx)
{
	struct snap_call c;
	if (s_snap_params(r, &c))
		return;
	s_reply(r, s_read(ctx, s_snapshot, &c), "这个快照");
}

struct bytes_call {
	struct dp *dp;
	struct snap_call *c;
	char *b;
	size_t len;
};

static int s_bytes_cb(struct qf_txn *t, void *arg)
{
	struct bytes_call *b = arg;
	b->b = snapshot_bytes(b->dp, t, b->c->kind, b->c->key, &b->len);
	return QF_OK;
}

void api_snapshot_canonical(struct qf_http_req *r, void *ctx)
{
	struct snap_call c;
	if (s_snap_params(r, &c))
		return;
	struct bytes_call b = {ctx, &c, NULL, 0};
	qf_store_read(((struct dp *)ctx)->store, s_bytes_cb, &b);
	if (!b.b) {
		qf_http_reply_error(r, 404, "not_found", "没有找到这个快照", NULL);
		return;
	}
	/* exactly the bytes hashed: never re-encoded */
	qf_http_add_header(r, "Cache-Control", "no-cache");
	qf_http_reply_take(r, 200, "application/json; charset=utf-8", b.b, b.len);
}

static json_t *s_checkpoints(struct dp *dp, struct qf_txn *t, void *arg)
{
	(void)arg;
	json_t *l = signals_checkpoints(dp, t, 100);
	return l ? json_pack("{s:o, s:s}", "checkpoints", l, "audit_url",
			     dp_audit_public(dp))
		 : NULL;
}

void api_checkpoints(struct qf_http_req *r, void *ctx)
{
	s_reply(r, s_read(ctx, s_checkpoints, NULL), "审计检查点");
}

/* ------------------------------------------------------------ dashboard */

static json_t *s_dashboard(struct dp *dp, struct qf_txn *t, void *arg)
{
	(void)arg;
	int64_t now = qf_now_ms(dp->clock);
	return json_pack(
	    "{s:o, s:o, s:o, s:o, s:o}", "counters", live_counters(dp, t, now), "recent",
	    live_recent(dp, t, 50), "alerts", signals_alerts(dp, t, 20), "hotspots",
	    signals_hotspots(dp, t, 20), "checkpoints", signals_checkpoints(dp, t, 5));
}

void api_dashboard(struct qf_http_req *r, void *ctx)
{
	s_reply(r, s_read(ctx, s_dashboard, NULL), "看板数据");
}
