/* feeds.c: Atom feeds (RFC 4287) of new cases and new disclosures, and CSV
 * (RFC 4180, UTF-8 with a byte-order mark so spreadsheet programs show the
 * Chinese) of cases and of the ledger. The same renderers write the files
 * of the static export. */
#include "affairs.h"
#include "html.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char BOM[] = "\xEF\xBB\xBF";

static void s_rfc3339(struct qf_buf *b, int64_t ms)
{
	char t[40];
	qf_time_fmt(ms > 0 ? ms : 0, 0, t, sizeof t);
	qf_buf_puts(b, t);
}

static void s_feed_head(struct qf_buf *b, struct dp *dp, const char *path, const char *title,
			int64_t updated)
{
	qf_buf_puts(
	    b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	       "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\"><title>");
	qf_buf_xml(b, dp->title);
	qf_buf_puts(b, " · ");
	qf_buf_xml(b, title);
	qf_buf_puts(b, "</title><id>");
	qf_buf_xml(b, dp->conf->public_url);
	qf_buf_xml(b, path);
	qf_buf_puts(b, "</id><link rel=\"self\" type=\"application/atom+xml\" href=\"");
	qf_buf_xml(b, dp->conf->public_url);
	qf_buf_xml(b, path);
	qf_buf_puts(b, "\"/><link rel=\"alternate\" type=\"text/html\" href=\"");
	qf_buf_xml(b, dp->conf->public_url);
	qf_buf_puts(b, "/\"/><updated>");
	s_rfc3339(b, updated);
	qf_buf_puts(b, "</updated><author><name>");
	qf_buf_xml(b, dp->title);
	qf_buf_puts(
	    b, "</name></author><generator>qingfeng disclosure-publisher</generator>\n");
}

static json_t *s_summary_json(const struct case_view *v, int overdue)
{
	char *t = malloc(v->summary_len + 2);
	if (!t)
		return NULL;
	memcpy(t, v->summary, v->summary_len);
	t[v->summary_len] = '}';
	json_t *j = json_loadb(t, v->summary_len + 1, 0, NULL);
	free(t);
	if (j) {
		json_object_set_new(j, "overdue", json_boolean(overdue));
		json_object_set_new(j, "updated_ms", json_integer(v->h.updated_ms));
		json_object_set_new(j, "first_response_ms",
				    json_integer(v->h.first_response_ms));
		json_object_set_new(j, "handler", json_string(v->handler));
	}
	return j;
}

struct collect {
	json_t *arr;
};

static int s_collect(void *arg, const struct case_view *v, int overdue)
{
	struct collect *c = arg;
	json_t *j = s_summary_json(v, overdue);
	if (j)
		json_array_append_new(c->arr, j);
	return 0;
}

struct query_call {
	struct dp *dp;
	struct case_query q;
	int64_t now;
	struct collect c;
};

static int s_query_txn(struct qf_txn *t, void *arg)
{
	struct query_call *qc = arg;
	return cases_query(qc->dp, t, &qc->q, qc->now, s_collect, &qc->c, NULL);
}

int feed_cases_render(struct dp *dp, struct qf_buf *b)
{
	struct query_call qc = {
	    dp,
	    {.state = CQ_STATE_ANY, .limit = (unsigned)dp->conf->feed_entries},
	    qf_now_ms(dp->clock),
	    {json_array()}};
	int rc = qf_store_read(dp->store, s_query_txn, &qc);
	if (rc) {
		json_decref(qc.c.arr);
		return rc;
	}
	int64_t updated = 0;
	size_t i;
	json_t *s;
	json_array_foreach(qc.c.arr, i, s) if (html_ji(s, "updated_ms") > updated)
	    updated = html_ji(s, "updated_ms");
	s_feed_head(b, dp, "/feeds/cases.atom", "新案件", updated);
	json_array_foreach(qc.c.arr, i, s)
	{
		qf_buf_puts(b, "<entry><title>");
		qf_buf_xml(b, html_js(s, "category_name"));
		qf_buf_puts(b, " · ");
		qf_buf_xml(b, html_js(s, "building_name"));
		qf_buf_puts(b, "（");
		qf_buf_xml(b, html_js(s, "state_name"));
		qf_buf_puts(b, "）</title><id>");
		qf_buf_xml(b, dp->conf->public_url);
		qf_buf_puts(b, "/cases/");
		qf_buf_xml(b, html_js(s, "id"));
		qf_buf_puts(b, "</id><link rel=\"alternate\" type=\"text/html\" href=\"");
		qf_buf_xml(b, dp->conf->public_url);
		qf_buf_puts(b, "/cases/");
		qf_buf_xml(b, html_js(s, "id"));
		qf_buf_puts(b, "\"/><published>");
		s_rfc3339(b, html_ji(s, "submitted_ms"));
		qf_buf_puts(b, "</published><updated>");
		s_rfc3339(b, html_ji(s, "updated_ms"));
		qf_buf_puts(b, "</updated><category term=\"");
		qf_buf_xml(b, html_js(s, "category"));
		qf_buf_puts(b, "\" label=\"");
		qf_buf_xml(b, html_js(s, "category_name"));
		qf_buf_puts(b, "\"/><summary type=\"text\">");
		qf_buf_xml(b, html_js(s, "tracking_code"));
		qf_buf_puts(b, " ");
		qf_buf_xml(b, json_is_true(json_object_get(s, "withheld"))
			       ? "（诉求内容未公开）"
			       : html_js(s, "title"));
		qf_buf_puts(b, "</summary></entry>\n");
	}
	qf_buf_puts(b, "</feed>\n");
	json_decref(qc.c.arr);
	return QF_OK;
}

void feed_cases_atom(struct qf_http_req *r, void *ctx)
{
	struct qf_buf b;
	qf_buf_init(&b);
	if (feed_cases_render(ctx, &b)) {
		qf_buf_free(&b);
		qf_http_reply_error(r, 500, "internal", "订阅源生成失败", NULL);
		return;
	}
	web_reply_buf(r, 200, "application/atom+xml; charset=utf-8", &b);
}

struct recent_call {
	struct dp *dp;
	json_t *out;
};

static int s_recent_txn(struct qf_txn *t, void *arg)
{
	struct recent_call *c = arg;
	c->out = affairs_recent(c->dp, t, (unsigned)c->dp->conf->feed_entries);
	return QF_OK;
}

static void s_disclosure_link(struct qf_buf *b, struct dp *dp, json_t *d)
{
	const char *kind = html_js(d, "kind");
	qf_buf_xml(b, dp->conf->public_url);
	if (!strcmp(kind, "ledger_entry") || !strcmp(kind, "balance")) {
		qf_buf_puts(b, "/affairs/ledger/");
		qf_buf_xml(b, html_js(d, "quarter"));
	} else if (!strcmp(kind, "list")) {
		qf_buf_puts(b, "/affairs/lists/");
		qf_buf_xml(b, html_js(d, "record_id"));
	} else if (!strcmp(kind, "roster")) {
		qf_buf_puts(b, "/roster");
	} else {
		qf_buf_puts(b, "/affairs");
	}
}

int feed_disclosures_render(struct dp *dp, struct qf_buf *b)
{
	struct recent_call c = {dp, NULL};
	int rc = qf_store_read(dp->store, s_recent_txn, &c);
	if (rc || !c.out) {
		json_decref(c.out);
		return rc ? rc : QF_ERR_NOMEM;
	}
	json_t *first = json_array_get(c.out, 0);
	s_feed_head(b, dp, "/feeds/disclosures.atom", "三务公开",
		    first ? html_ji(first, "submitted_ms") : 0);
	size_t i;
	json_t *d;
	json_array_foreach(c.out, i, d)
	{
		const char *kind = html_js(d, "kind");
		qf_buf_puts(b, "<entry><title>");
		qf_buf_xml(b, affairs_kind_label(kind));
		qf_buf_puts(b, "：");
		if (!strcmp(kind, "ledger_entry")) {
			qf_buf_xml(b, html_js(d, "date"));
			qf_buf_puts(b, json_is_true(json_object_get(d, "income"))
					? " 收入 "
					: " 支出 ");
			struct qf_buf m;
			qf_buf_init(&m);
			qf_buf_yuan(&m, html_ji(d, "amount_fen"));
			qf_buf_xml(b, m.p);
			qf_buf_free(&m);
			qf_buf_puts(b, " 元 ");
			qf_buf_xml(b, html_js(d, "reason"));
		} else if (!strcmp(kind, "balance")) {
			qf_buf_xml(b, html_js(d, "quarter"));
			qf_buf_puts(b, " 银行余额");
		} else if (!strcmp(kind, "roster")) {
			qf_buf_xml(b, html_js(d, "name"));
			qf_buf_puts(b, " ");
			qf_buf_xml(b, html_js(d, "post"));
		} else {
			qf_buf_xml(b, html_js(d, "title"));
		}
		if (html_ji(d, "version") > 1)
			qf_buf_printf(b, "（第%lld版更正）",
				   (long long)html_ji(d, "version"));
		qf_buf_puts(b, "</title><id>");
		qf_buf_xml(b, dp->conf->public_url);
		qf_buf_puts(b, "/records/");
		qf_buf_xml(b, html_js(d, "record_id"));
		qf_buf_printf(
		    b, "#v%lld</id><link rel=\"alternate\" type=\"text/html\" href=\"",
		    (long long)html_ji(d, "version"));
		s_disclosure_link(b, dp, d);
		qf_buf_puts(b, "\"/><updated>");
		s_rfc3339(b, html_ji(d, "submitted_ms"));
		qf_buf_puts(b, "</updated><summary type=\"text\">");
		if (*html_js(d, "body"))
			qf_buf_xml(b, html_js(d, "body"));
		else if (*html_js(d, "correction_reason")) {
			qf_buf_puts(b, "更正理由：");
			qf_buf_xml(b, html_js(d, "correction_reason"));
		} else {
			qf_buf_xml(b, affairs_kind_label(kind));
		}
		qf_buf_puts(b, "</summary></entry>\n");
	}
	qf_buf_puts(b, "</feed>\n");
	json_decref(c.out);
	return QF_OK;
}

void feed_disclosures_atom(struct qf_http_req *r, void *ctx)
{
	struct qf_buf b;
	qf_buf_init(&b);
	if (feed_disclosures_render(ctx, &b)) {
		qf_buf_free(&b);
		qf_http_reply_error(r, 500, "internal", "订阅源生成失败", NULL);
		return;
	}
	web_reply_buf(r, 200, "application/atom+xml; charset=utf-8", &b);
}

/* ------------------------------------------------------------ CSV */

static void s_csv_time(struct qf_buf *b, struct dp *dp, int64_t ms)
{
	if (!ms) {
		qf_buf_puts(b, "\"\"");
		return;
	}
	char t[40];
	qf_time_fmt(ms, dp_tz(dp), t, sizeof t);
	t[10] = ' ';
	t[19] = '\0';
	qf_buf_csv(b, t);
}

int csv_cases_render(struct dp *dp, const struct case_query *q, int64_t now,
		     struct qf_buf *b)
{
	struct query_call qc = {dp, *q, now, {json_array()}};
	qc.q.offset = 0;
	qc.q.limit = 0;
	int rc = qf_store_read(dp->store, s_query_txn, &qc);
	if (rc) {
		json_decref(qc.c.arr);
		return rc;
	}
	qf_buf_puts(b, BOM);
	qf_buf_puts(
	    b,
	    "案件编号,查询码,类别,楼栋,状态,提交时间,经办人,经办人职务,响应时限,首次响应,"
	    "办结时限,办结时间,评分,是否超时,摘要\r\n");
	size_t i;
	json_t *s;
	json_array_foreach(qc.c.arr, i, s)
	{
		qf_buf_csv(b, html_js(s, "id"));
		qf_buf_putc(b, ',');
		qf_buf_csv(b, html_js(s, "tracking_code"));
		qf_buf_putc(b, ',');
		qf_buf_csv(b, html_js(s, "category_name"));
		qf_buf_putc(b, ',');
		qf_buf_csv(b, html_js(s, "building_name"));
		qf_buf_putc(b, ',');
		qf_buf_csv(b, html_js(s, "state_name"));
		qf_buf_putc(b, ',');
		s_csv_time(b, dp, html_ji(s, "submitted_ms"));
		qf_buf_putc(b, ',');
		qf_buf_csv(b, html_js(s, "handler_name"));
		qf_buf_putc(b, ',');
		qf_buf_csv(b, html_js(s, "handler_post"));
		qf_buf_putc(b, ',');
		s_csv_time(b, dp, html_ji(s, "respond_due_ms"));
		qf_buf_putc(b, ',');
		s_csv_time(b, dp, html_ji(s, "first_response_ms"));
		qf_buf_putc(b, ',');
		s_csv_time(b, dp, html_ji(s, "resolve_due_ms"));
		qf_buf_putc(b, ',');
		s_csv_time(b, dp, html_ji(s, "resolved_ms"));
		qf_buf_putc(b, ',');
		if (json_is_integer(json_object_get(s, "rating")))
			qf_buf_printf(b, "%lld", (long long)html_ji(s, "rating"));
		qf_buf_putc(b, ',');
		qf_buf_puts(b, json_is_true(json_object_get(s, "overdue")) ? "是" : "否");
		qf_buf_putc(b, ',');
		qf_buf_csv(b, json_is_true(json_object_get(s, "withheld"))
			       ? "（未公开）"
			       : html_js(s, "title"));
		qf_buf_puts(b, "\r\n");
	}
	json_decref(qc.c.arr);
	return QF_OK;
}

void csv_cases(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct case_filter f;
	struct web_err e;
	if (web_case_filter(r, dp, &f, &e)) {
		qf_http_reply_error(r, 400, e.code, e.message, e.field);
		return;
	}
	struct qf_buf b;
	qf_buf_init(&b);
	if (csv_cases_render(dp, &f.q, qf_now_ms(dp->clock), &b)) {
		qf_buf_free(&b);
		qf_http_reply_error(r, 500, "internal", "导出失败", NULL);
		return;
	}
	qf_http_add_header(r, "Content-Disposition",
			   "attachment; filename=\"cases.csv\"");
	web_reply_buf(r, 200, "text/csv; charset=utf-8", &b);
}

struct ledger_call {
	struct dp *dp;
	const char *quarter;
	json_t *quarters; /* array of quarter objects */
};

static int s_ledger_txn(struct qf_txn *t, void *arg)
{
	struct ledger_call *c = arg;
	c->quarters = json_array();
	if (c->quarter) {
		json_t *q = affairs_ledger_quarter(c->dp, t, c->quarter);
		if (q)
			json_array_append_new(c->quarters, q);
		return QF_OK;
	}
	json_t *idx = affairs_ledger_index(c->dp, t);
	/* oldest quarter first: a ledger reads forward */
	for (size_t i = json_array_size(idx); i > 0; i--) {
		json_t *q = affairs_ledger_quarter(
		    c->dp, t, html_js(json_array_get(idx, i - 1), "quarter"));
		if (q)
			json_array_append_new(c->quarters, q);
	}
	json_decref(idx);
	return QF_OK;
}

int csv_ledger_render(struct dp *dp, const char *quarter, struct qf_buf *b)
{
	struct ledger_call c = {dp, quarter, NULL};
	int rc = qf_store_read(dp->store, s_ledger_txn, &c);
	if (rc || !c.quarters) {
		json_decref(c.quarters);
		return rc ? rc : QF_ERR_NOMEM;
	}
	if (quarter && !json_array_size(c.quarters)) {
		json_decref(c.quarters);
		return QF_ERR_NOTFOUND;
	}
	qf_buf_puts(b, BOM);
	qf_buf_puts(
	    b, "季度,日期,收支,金额（元）,事由,对方,凭证号,余额（元）,记录编号,版本\r\n");
	size_t i, j;
	json_t *q, *e;
	json_array_foreach(c.quarters, i, q)
	{
		json_array_foreach(json_object_get(q, "entries"), j, e)
		{
			qf_buf_csv(b, html_js(q, "quarter"));
			qf_buf_putc(b, ',');
			qf_buf_csv(b, html_js(e, "date"));
			qf_buf_putc(b, ',');
			qf_buf_puts(b, json_is_true(json_object_get(e, "income")) ? "收入,"
									       : "支出,");
			int64_t amt = html_ji(e, "amount_fen");
			qf_buf_printf(b, "%s%lld.%02lld,", "", (long long)(amt / 100),
				   (long long)(amt % 100));
			qf_buf_csv(b, html_js(e, "reason"));
			qf_buf_putc(b, ',');
			qf_buf_csv(b, html_js(e, "counterparty"));
			qf_buf_putc(b, ',');
			qf_buf_csv(b, html_js(e, "voucher"));
			qf_buf_putc(b, ',');
			int64_t bal = html_ji(e, "balance_fen");
			qf_buf_printf(b, "%s%lld.%02lld,", bal < 0 ? "-" : "",
				   (long long)((bal < 0 ? -bal : bal) / 100),
				   (long long)((bal < 0 ? -bal : bal) % 100));
			qf_buf_csv(b, html_js(e, "record_id"));
			qf_buf_printf(b, ",%lld\r\n", (long long)html_ji(e, "version"));
		}
	}
	json_decref(c.quarters);
	return QF_OK;
}

void csv_ledger(struct qf_http_req *r, void *ctx)
{
	const char *q = qf_http_query(r, "quarter");
	if (q && !*q)
		q = NULL;
	if (q && !affairs_quarter_ok(q)) {
		qf_http_reply_error(r, 400, "bad_quarter", "季度格式应为 2026Q3",
				    "quarter");
		return;
	}
	struct qf_buf b;
	qf_buf_init(&b);
	int rc = csv_ledger_render(ctx, q, &b);
	if (rc == QF_ERR_NOTFOUND) {
		qf_buf_free(&b);
		qf_http_reply_error(r, 404, "not_found", "没有找到这个季度的财务公开",
				    "quarter");
		return;
	}
	if (rc) {
		qf_buf_free(&b);
		qf_http_reply_error(r, 500, "internal", "导出失败", NULL);
		return;
	}
	qf_http_add_header(r, "Content-Disposition",
			   "attachment; filename=\"ledger.csv\"");
	web_reply_buf(r, 200, "text/csv; charset=utf-8", &b);
}
