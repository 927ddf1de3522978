/* web.c: the route table, query parsing shared by the JSON API, pages and
 * CSV, links that work both served and exported, and replies with the
 * security headers every HTML page gets. */
#include "web.h"
#include "dash.h"

#include "qf_clock.h"
#include "qf_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything here is public: the board reads public parts only (its
 * consumer is public_only), so every route's action is "public". */
const struct qf_http_route dp_routes[] = {
    {"GET", "/v1/public/cases", api_cases, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/cases.csv", csv_cases, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/cases/:id", api_case, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/stats", api_stats, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/ledger", api_ledger, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/ledger.csv", csv_ledger, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/ledger/:quarter", api_ledger_quarter, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/notices", api_notices, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/lists", api_lists, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/lists/:id", api_list, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/roster", api_roster, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/records/:id", api_record, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/snapshots", api_snapshots, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/snapshots/:kind/:key", api_snapshot, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/snapshots/:kind/:key/canonical", api_snapshot_canonical, 0, 0,
     NULL, "public", NULL},
    {"GET", "/v1/public/checkpoints", api_checkpoints, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/public/dashboard", api_dashboard, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/events/stream", sse_handle, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/status", live_status_handle, 0, 0, NULL, "public", NULL},
    {"GET", "/feeds/cases.atom", feed_cases_atom, 0, 0, NULL, "public", NULL},
    {"GET", "/feeds/disclosures.atom", feed_disclosures_atom, 0, 0, NULL, "public", NULL},
    {"GET", "/", page_board, 0, 0, NULL, "public", NULL},
    {"GET", "/cases/:id", page_case, 0, 0, NULL, "public", NULL},
    {"GET", "/affairs", page_affairs, 0, 0, NULL, "public", NULL},
    {"GET", "/affairs/ledger/:quarter", page_ledger, 0, 0, NULL, "public", NULL},
    {"GET", "/affairs/lists/:id", page_list, 0, 0, NULL, "public", NULL},
    {"GET", "/records/:id", page_record, 0, 0, NULL, "public", NULL},
    {"GET", "/roster", page_roster, 0, 0, NULL, "public", NULL},
    {"GET", "/stats", page_stats, 0, 0, NULL, "public", NULL},
    {"GET", "/live", page_live, 0, 0, NULL, "public", NULL},
    {"GET", "/question", page_question, 0, 0, NULL, "public", NULL},
    {"GET", "/verify", page_verify, 0, 0, NULL, "public", NULL},
    {"GET", "/static/site.css", asset_css, 0, 0, NULL, "public", NULL},
    {"GET", "/static/live.js", asset_js, 0, 0, NULL, "public", NULL},
};
const size_t dp_nroutes = sizeof dp_routes / sizeof dp_routes[0];

void web_link(struct qf_buf *b, const struct render *r, const char *path)
{
	if (!r->static_site) {
		qf_buf_html(b, path);
		return;
	}
	for (int i = 0; i < r->depth; i++)
		qf_buf_puts(b, "../");
	const char *p = path[0] == '/' ? path + 1 : path;
	if (!*p) {
		qf_buf_puts(b, "index.html");
		return;
	}
	/* files (css, js, feeds, csv) as they are; pages are directories */
	const char *dot = strrchr(p, '.'), *slash = strrchr(p, '/');
	qf_buf_html(b, p);
	if (!dot || (slash && dot < slash))
		qf_buf_puts(b, "/index.html");
}

void web_reply_buf(struct qf_http_req *r, unsigned status, const char *ctype,
		   struct qf_buf *b)
{
	size_t len;
	char *body = qf_buf_take(b, &len);
	if (!body) {
		qf_http_reply_error(r, 500, "internal", "服务器内存不足", NULL);
		return;
	}
	qf_http_reply_take(r, status, ctype, body, len);
}

void web_reply_html(struct qf_http_req *r, struct dp *dp, unsigned status, struct qf_buf *b)
{
	/* scripts and styles only from this service (no inline script, so an
	 * injected <script> cannot run even if escaping failed); the question
	 * form posts to intake, images may come from it */
	char csp[1400];
	const char *in = dp->conf->intake_url;
	snprintf(csp, sizeof csp,
		 "default-src 'none'; style-src 'self'; script-src 'self'; img-src "
		 "'self' data: %s; "
		 "connect-src 'self'; form-action %s; base-uri 'none'; "
		 "frame-ancestors 'none'",
		 in, in);
	qf_http_add_header(r, "Content-Security-Policy", csp);
	qf_http_add_header(r, "Referrer-Policy", "same-origin");
	qf_http_add_header(r, "X-Frame-Options", "DENY");
	web_reply_buf(r, status, "text/html; charset=utf-8", b);
}

static int s_copy(char *out, size_t n, const char *v)
{
	if (!v)
		return 0;
	if (strlen(v) >= n)
		return -1;
	strcpy(out, v);
	return 1;
}

static int s_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 9)
		return -1;
	unsigned long x = strtoul(v, &end, 10);
	if (x < min || x > max)
		return -1;
	*out = (unsigned)x;
	return 0;
}

#define FAIL(c, m, f)                                                                    \
	do {                                                                             \
		e->code = c;                                                             \
		e->message = m;                                                          \
		e->field = f;                                                            \
		return -1;                                                               \
	} while (0)

int web_case_filter(struct qf_http_req *r, struct dp *dp, struct case_filter *f,
		    struct web_err *e)
{
	memset(f, 0, sizeof *f);
	f->q.state = CQ_STATE_ANY;
	f->page = 1;
	f->page_size = (unsigned)dp->conf->page_size;
	const char *v;
	int tz = dp_tz(dp);
	if ((v = qf_http_query(r, "category")) && *v) {
		if (s_copy(f->category, sizeof f->category, v) < 0 || !dp_id_ok(v))
			FAIL("bad_category", "类别代码格式不正确", "category");
		pthread_rwlock_rdlock(&dp->community_lock);
		int known = qf_community_category(dp->community, v) != NULL;
		pthread_rwlock_unlock(&dp->community_lock);
		if (!known)
			FAIL("unknown_category", "没有这个诉求类别", "category");
		f->q.category = f->category;
	}
	if ((v = qf_http_query(r, "building")) && *v) {
		if (s_copy(f->building, sizeof f->building, v) < 0 || !dp_id_ok(v))
			FAIL("bad_building", "楼栋编号格式不正确", "building");
		pthread_rwlock_rdlock(&dp->community_lock);
		int known = qf_community_building(dp->community, v) != NULL;
		pthread_rwlock_unlock(&dp->community_lock);
		if (!known)
			FAIL("unknown_building", "没有这个楼栋或院落", "building");
		f->q.building = f->building;
	}
	if ((v = qf_http_query(r, "handler")) && *v) {
		if (s_copy(f->handler, sizeof f->handler, v) < 0 || !dp_id_ok(v))
			FAIL("bad_handler", "经办人编号格式不正确", "handler");
		f->q.handler = f->handler;
	}
	if ((v = qf_http_query(r, "state")) && *v) {
		if (s_copy(f->state, sizeof f->state, v) < 0)
			FAIL("bad_state", "状态不正确", "state");
		if (!strcmp(v, "open"))
			f->q.state = CQ_STATE_OPEN;
		else if (!strcmp(v, "done"))
			f->q.state = CQ_STATE_DONE;
		else if ((f->q.state = case_state_parse(v)) < 0)
			FAIL("bad_state",
			     "状态应为 "
			     "open、done、submitted、assigned、accepted、in_progress、"
			     "resolved、closed、rejected、reopened 或 merged",
			     "state");
	}
	if ((v = qf_http_query(r, "from")) && *v) {
		if (s_copy(f->from, sizeof f->from, v) < 0 ||
		    qf_time_parse(v, tz, &f->q.from_ms))
			FAIL("bad_date", "开始日期应为 YYYY-MM-DD", "from");
	}
	if ((v = qf_http_query(r, "to")) && *v) {
		if (s_copy(f->to, sizeof f->to, v) < 0 ||
		    qf_time_parse(v, tz, &f->q.to_ms))
			FAIL("bad_date", "结束日期应为 YYYY-MM-DD", "to");
		if (strlen(v) == 10) /* a date includes its whole day */
			f->q.to_ms += 86400000;
	}
	if (f->q.from_ms && f->q.to_ms && f->q.to_ms <= f->q.from_ms)
		FAIL("bad_range", "结束日期早于开始日期", "to");
	if ((v = qf_http_query(r, "overdue")) && *v) {
		if (!strcmp(v, "1") || !strcmp(v, "true"))
			f->overdue = f->q.overdue = 1;
		else if (strcmp(v, "0") && strcmp(v, "false"))
			FAIL("bad_overdue", "overdue 应为 1 或 0", "overdue");
	}
	if ((v = qf_http_query(r, "page")) && s_uint(v, 1, 1000000, &f->page))
		FAIL("bad_page", "页码应为正整数", "page");
	if ((v = qf_http_query(r, "page_size")) &&
	    s_uint(v, 1, (unsigned)dp->conf->max_page_size, &f->page_size))
		FAIL("bad_page_size", "每页条数超出允许范围", "page_size");
	f->q.offset = (f->page - 1) * f->page_size;
	f->q.limit = f->page_size;
	return 0;
}

void web_filter_query(struct qf_buf *b, const struct case_filter *f)
{
	const struct {
		const char *k, *v;
	} kv[] = {{"category", f->category}, {"building", f->building},
		  {"state", f->state},	     {"handler", f->handler},
		  {"from", f->from},	     {"to", f->to}};
	int first = 1;
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		if (!kv[i].v[0])
			continue;
		qf_buf_puts(b, first ? "" : "&");
		qf_buf_puts(b, kv[i].k);
		qf_buf_putc(b, '=');
		qf_buf_url(b, kv[i].v);
		first = 0;
	}
	if (f->overdue) {
		qf_buf_puts(b, first ? "" : "&");
		qf_buf_puts(b, "overdue=1");
	}
}
