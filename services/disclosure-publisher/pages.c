/* pages.c: the Chinese HTML pages: case board, case page, three-affairs
 * board, ledger quarter, list, record history, roster, statistics, live
 * dashboard, the question form and the verification guide.
 *
 * Each page is a renderer (struct render -> struct qf_buf) wrapped by a thin
 * HTTP handler; the static export calls the same renderers. A renderer
 * reads everything it needs in one read transaction and escapes every
 * string it did not write itself. */
#include "affairs.h"
#include "html.h"
#include "dash.h"
#include "live.h"
#include "signals.h"
#include "snapshot.h"
#include "stats.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*render_txn_fn)(struct qf_txn *t, void *arg);

static int s_read(const struct render *r, render_txn_fn fn, void *arg)
{
	return qf_store_read(r->dp->store, fn, arg);
}

static void s_render_init(struct render *rc, struct dp *dp)
{
	memset(rc, 0, sizeof *rc);
	rc->dp = dp;
	rc->now = qf_now_ms(dp->clock);
}

/* Handler tail: the page, a 404 page, or a 500. */
static void s_finish(struct qf_http_req *r, struct render *rc, int rc_render,
		     struct qf_buf *b, const char *what)
{
	if (rc_render == QF_ERR_NOTFOUND) {
		qf_buf_reset(b);
		render_not_found(rc, what, b);
		web_reply_html(r, rc->dp, 404, b);
		return;
	}
	if (rc_render || !qf_buf_ok(b)) {
		qf_buf_free(b);
		qf_http_reply_error(r, 500, "internal", "页面生成失败", NULL);
		return;
	}
	web_reply_html(r, rc->dp, 200, b);
}

int render_not_found(const struct render *r, const char *what, struct qf_buf *b)
{
	html_begin(b, r, "未找到", "");
	qf_buf_puts(b, "<h1>没有找到");
	qf_buf_html(b, what);
	qf_buf_puts(b, "</h1><p>可能编号有误，或事项尚未公开。<a href=\"");
	web_link(b, r, "/");
	qf_buf_puts(b, "\">返回首页</a></p>");
	html_end(b, r);
	return QF_OK;
}

/* ------------------------------------------------------------ board */

/* A board item, from the case's record (the list's JSON summary holds the
 * same fields: cases_query writes it for the JSON list; parsing it back here
 * was half of GET /'s CPU). */
static void s_case_item(struct qf_buf *b, const struct render *r, const struct case_view *v,
			int overdue)
{
	char path[120], title[200];
	snprintf(path, sizeof path, "/cases/%s", v->id);
	qf_buf_puts(b, "<li><a class=\"t\" href=\"");
	web_link(b, r, path);
	qf_buf_puts(b, "\">");
	qf_buf_html(b, v->category_name);
	qf_buf_puts(b, " · ");
	qf_buf_html(b, v->building_name);
	qf_buf_puts(b, "</a>");
	html_state(b, case_state_code(v->h.state), case_state_label(v->h.state));
	if (overdue)
		qf_buf_puts(b, "<span class=\"state late\">已超时</span>");
	qf_buf_puts(b, "<div class=\"note\">");
	if (v->h.flags & CH_WITHHELD) {
		qf_buf_puts(b, "<span class=\"meta\">（诉求内容未公开）</span>");
	} else {
		case_view_title(v, title, sizeof title);
		qf_buf_html(b, title);
	}
	qf_buf_puts(b, "</div><div class=\"meta\"><span class=\"code\">");
	qf_buf_html(b, v->tracking_code);
	qf_buf_puts(b, "</span><span>提交 ");
	html_time(b, r, v->h.submitted_ms);
	qf_buf_puts(b, "</span>");
	if (*v->handler_name) {
		qf_buf_puts(b, "<span>经办 ");
		qf_buf_html(b, v->handler_name);
		if (*v->handler_post) {
			qf_buf_puts(b, "（");
			qf_buf_html(b, v->handler_post);
			qf_buf_puts(b, "）");
		}
		qf_buf_puts(b, "</span>");
	}
	if (v->h.resolve_due_ms && !v->h.resolved_ms) {
		qf_buf_puts(b, "<span>办结时限 ");
		html_time(b, r, v->h.resolve_due_ms);
		qf_buf_puts(b, "</span>");
	}
	if (v->h.rating)
		qf_buf_printf(b, "<span>评价 %lld/5</span>", (long long)v->h.rating);
	qf_buf_puts(b, "</div></li>");
}

struct board {
	const struct render *r;
	const struct case_filter *f;
	struct qf_buf *b;
	uint64_t total, open, overdue;
	unsigned shown;
};

static int s_board_item(void *arg, const struct case_view *v, int overdue)
{
	struct board *bd = arg;
	s_case_item(bd->b, bd->r, v, overdue);
	bd->shown++;
	return 0;
}

static void s_option(struct qf_buf *b, const char *value, const char *label, const char *sel)
{
	qf_buf_puts(b, "<option value=\"");
	qf_buf_html(b, value);
	qf_buf_puts(b, strcmp(value, sel) ? "\">" : "\" selected>");
	qf_buf_html(b, label);
	qf_buf_puts(b, "</option>");
}

static void s_filters(struct qf_buf *b, const struct render *r, const struct case_filter *f)
{
	struct dp *dp = r->dp;
	qf_buf_puts(b, "<form class=\"filters card\" method=\"get\" action=\"/\">"
		    "<label>类别<select name=\"category\">");
	s_option(b, "", "全部", f->category);
	pthread_rwlock_rdlock(&dp->community_lock);
	for (unsigned i = 0; i < dp->community->ncategories; i++)
		s_option(b, dp->community->categories[i].code,
			 dp->community->categories[i].name, f->category);
	qf_buf_puts(b, "</select></label><label>楼栋<select name=\"building\">");
	s_option(b, "", "全部", f->building);
	for (unsigned i = 0; i < dp->community->nbuildings; i++)
		s_option(b, dp->community->buildings[i].id,
			 dp->community->buildings[i].name, f->building);
	pthread_rwlock_unlock(&dp->community_lock);
	qf_buf_puts(b, "</select></label><label>状态<select name=\"state\">");
	static const char *const st[][2] = {{"", "全部"},
					    {"open", "办理中（全部）"},
					    {"done", "已结束"},
					    {"submitted", "待派单"},
					    {"assigned", "已派单"},
					    {"accepted", "已受理"},
					    {"in_progress", "处理中"},
					    {"resolved", "已办结"},
					    {"closed", "已结案"},
					    {"rejected", "不予受理"},
					    {"reopened", "重新办理"},
					    {"merged", "已合并"}};
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
		s_option(b, st[i][0], st[i][1], f->state);
	qf_buf_puts(b, "</select></label><label>起始日期<input type=\"date\" name=\"from\" "
		    "value=\"");
	qf_buf_html(b, f->from);
	qf_buf_puts(b,
		 "\"></label><label>截止日期<input type=\"date\" name=\"to\" value=\"");
	qf_buf_html(b, f->to);
	qf_buf_puts(b, "\"></label><label>只看超时<select name=\"overdue\">");
	s_option(b, "", "否", f->overdue ? "1" : "");
	s_option(b, "1", "是", f->overdue ? "1" : "");
	qf_buf_puts(b, "</select></label><button type=\"submit\">筛选</button></form>");
}

static int s_board_txn(struct qf_txn *t, void *arg)
{
	struct board *bd = arg;
	struct dp *dp = bd->r->dp;
	bd->open = cases_count(dp, t, "open");
	bd->overdue = bd->r->static_site ? cases_overdue_count(dp, t, bd->r->now)
					 : cases_overdue_cached(dp, t, bd->r->now);
	struct qf_buf *b = bd->b;
	qf_buf_puts(b, "<div class=\"kpis\">");
	qf_buf_printf(b, "<div class=\"kpi\"><b>%llu</b><small>全部案件</small></div>",
		   (unsigned long long)cases_count(dp, t, "all"));
	qf_buf_printf(b, "<div class=\"kpi\"><b>%llu</b><small>办理中</small></div>",
		   (unsigned long long)bd->open);
	qf_buf_printf(b, "<div class=\"kpi%s\"><b>%llu</b><small>已超时</small></div></div>",
		   bd->overdue ? " alarm" : "", (unsigned long long)bd->overdue);
	if (!bd->r->static_site)
		s_filters(b, bd->r, bd->f);
	qf_buf_puts(b, "<ul class=\"cases\">");
	struct case_query q = bd->f->q;
	q.no_summary = 1; /* s_case_item renders from the record */
	int rc = cases_query(dp, t, &q, bd->r->now, s_board_item, bd, &bd->total);
	qf_buf_puts(b, "</ul>");
	return rc;
}

int render_board(const struct render *r, const struct case_filter *f, struct qf_buf *b)
{
	html_begin(b, r, "案件公开", "board");
	qf_buf_puts(
	    b, "<h1>群众诉求办理公开</h1><p class=\"meta\">每一件诉求从受理、派单到办结、"
	       "评价，全过程向居民公开；个人信息已脱敏。</p>");
	struct board bd = {r, f, b, 0, 0, 0, 0};
	int rc = s_read(r, s_board_txn, &bd);
	if (rc)
		return rc;
	if (!bd.shown)
		qf_buf_puts(b, "<p class=\"empty\">没有符合条件的案件。</p>");
	uint64_t pages = f->page_size ? (bd.total + f->page_size - 1) / f->page_size : 1;
	if (!r->static_site && pages > 1) {
		struct qf_buf q;
		qf_buf_init(&q);
		web_filter_query(&q, f);
		qf_buf_puts(b, "<nav class=\"pager\" aria-label=\"分页\">");
		if (f->page > 1) {
			qf_buf_printf(b, "<a href=\"/?page=%u%s", f->page - 1,
				   q.len ? "&amp;" : "");
			qf_buf_html(b, q.p);
			qf_buf_puts(b, "\">上一页</a>");
		}
		qf_buf_printf(b, "<span>第 %u / %llu 页，共 %llu 件</span>", f->page,
			   (unsigned long long)pages, (unsigned long long)bd.total);
		if (f->page < pages) {
			qf_buf_printf(b, "<a href=\"/?page=%u%s", f->page + 1,
				   q.len ? "&amp;" : "");
			qf_buf_html(b, q.p);
			qf_buf_puts(b, "\">下一页</a>");
		}
		qf_buf_puts(b, "</nav>");
		qf_buf_free(&q);
	} else if (r->static_site && bd.total > bd.shown) {
		qf_buf_printf(b,
			   "<p class=\"meta\">此处显示最新 %u 件，共 %llu 件；全部案件见 "
			   "CSV 下载。</p>",
			   bd.shown, (unsigned long long)bd.total);
	}
	html_end(b, r);
	return QF_OK;
}

void page_board(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct case_filter f;
	struct web_err e;
	struct qf_buf b;
	qf_buf_init(&b);
	if (web_case_filter(r, ctx, &f, &e)) {
		html_begin(&b, &rc, "参数有误", "board");
		qf_buf_puts(&b, "<h1>筛选条件有误</h1><p>");
		qf_buf_html(&b, e.message);
		qf_buf_puts(&b, "</p><p><a href=\"/\">查看全部案件</a></p>");
		html_end(&b, &rc);
		web_reply_html(r, ctx, 400, &b);
		return;
	}
	s_finish(r, &rc, render_board(&rc, &f, &b), &b, "案件");
}

/* ------------------------------------------------------------ case */

static const char *s_reject_label(const char *code)
{
	if (!strcmp(code, "duplicate"))
		return "重复诉求";
	if (!strcmp(code, "not_ours"))
		return "不属于社区职责";
	if (!strcmp(code, "spam"))
		return "广告或虚假信息";
	return code;
}

static void s_field(struct qf_buf *b, const char *label, const char *text)
{
	if (!text || !*text)
		return;
	qf_buf_puts(b, "<div><span class=\"meta\">");
	qf_buf_html(b, label);
	qf_buf_puts(b, "：</span><span class=\"note\">");
	qf_buf_html(b, text);
	qf_buf_puts(b, "</span></div>");
}

static void s_media(struct qf_buf *b, const struct render *r, json_t *media)
{
	size_t i;
	json_t *m;
	if (!json_array_size(media))
		return;
	qf_buf_puts(b, "<div class=\"meta\">附件：");
	json_array_foreach(media, i, m)
	{
		qf_buf_puts(b, "<a href=\"");
		if (*html_js(m, "sha256")) {
			qf_buf_html(b, r->dp->conf->intake_url);
			qf_buf_puts(b, "/v1/media/");
			qf_buf_html(b, html_js(m, "sha256"));
		} else {
			qf_buf_html(b, html_js(m, "url"));
		}
		qf_buf_printf(b, "\" rel=\"noopener noreferrer\">图片 %zu</a> ", i + 1);
	}
	qf_buf_puts(b, "</div>");
}

static void s_timeline_entry(struct qf_buf *b, const struct render *r, json_t *e)
{
	const char *type = html_js(e, "type");
	int warn = !strcmp(type, "DEADLINE_WARNING");
	qf_buf_puts(b, warn ? "<li class=\"warn\">" : "<li>");
	qf_buf_puts(b, "<div class=\"meta\">");
	html_time(b, r, html_ji(e, "at_ms"));
	qf_buf_puts(b, "</div><div class=\"what\">");
	qf_buf_html(b, case_event_label(type));
	if (warn) {
		int breached = json_is_true(json_object_get(e, "breached"));
		qf_buf_puts(b, "：");
		qf_buf_puts(b, !strcmp(html_js(e, "kind"), "respond") ? "响应" : "办结");
		if (breached)
			qf_buf_puts(b, "已超过时限");
		else
			qf_buf_printf(b, "时限已用 %lld%%",
				   (long long)html_ji(e, "permille") / 10);
	}
	const char *to = html_js(e, "to");
	if (*to && strcmp(type, "CASE_PROGRESS")) {
		qf_buf_puts(b, " → ");
		qf_buf_html(b, case_state_label((unsigned)(case_state_parse(to) > 0
							    ? case_state_parse(to)
							    : 0)));
	}
	qf_buf_puts(b, "</div>");
	json_t *a = json_object_get(e, "actor");
	if (json_is_object(a) && *html_js(a, "name")) {
		qf_buf_puts(b, "<div class=\"meta\">办理人：");
		qf_buf_html(b, html_js(a, "name"));
		qf_buf_puts(b, "</div>");
	}
	if (*html_js(e, "assignee_name") &&
	    (!strcmp(type, "CASE_ASSIGNED") || !strcmp(type, "CASE_TRANSFERRED") ||
	     !strcmp(type, "CASE_ESCALATED") || !strcmp(type, "CASE_REOPENED"))) {
		qf_buf_puts(b, "<div>交由 ");
		qf_buf_html(b, html_js(e, "assignee_name"));
		if (*html_js(e, "assignee_post")) {
			qf_buf_puts(b, "（");
			qf_buf_html(b, html_js(e, "assignee_post"));
			qf_buf_puts(b, "）");
		}
		qf_buf_puts(b, " 负责</div>");
	}
	if (json_is_true(json_object_get(e, "withheld")))
		qf_buf_puts(
		    b,
		    "<div class=\"meta\">（涉及干部作风的举报，办理细节不公开）</div>");
	s_field(b, "原因", html_js(e, "reason"));
	s_field(b, "查明原因", html_js(e, "cause"));
	s_field(b, "处理进展", html_js(e, "progress"));
	s_field(b, "处理结果", html_js(e, "result"));
	if (*html_js(e, "reject_reason"))
		s_field(b, "不予受理理由", s_reject_label(html_js(e, "reject_reason")));
	if (*html_js(e, "related_case")) {
		char path[120];
		snprintf(path, sizeof path, "/cases/%s", html_js(e, "related_case"));
		qf_buf_puts(b, "<div><span class=\"meta\">关联案件：</span><a href=\"");
		web_link(b, r, path);
		qf_buf_puts(b, "\" class=\"code\">");
		qf_buf_html(b, html_js(e, "related_case"));
		qf_buf_puts(b, "</a></div>");
	}
	if (json_is_integer(json_object_get(e, "rating"))) {
		int64_t n = html_ji(e, "rating");
		qf_buf_puts(b, "<div>评分：");
		for (int64_t i = 0; i < 5; i++)
			qf_buf_puts(b, i < n ? "★" : "☆");
		qf_buf_printf(b, "（%lld/5）</div>", (long long)n);
	}
	s_field(b, "评价", html_js(e, "comment"));
	if (html_ji(e, "extension_hours")) {
		qf_buf_printf(b, "<div>延期 %lld 小时",
			   (long long)html_ji(e, "extension_hours"));
		if (!strcmp(type, "EXTENSION_DECIDED"))
			qf_buf_puts(b, json_is_true(json_object_get(e, "extension_approved"))
					? "，已批准"
					: "，未批准");
		qf_buf_puts(b, "</div>");
	}
	if (json_is_true(json_object_get(e, "closed_without_feedback")))
		qf_buf_puts(b, "<div class=\"bad\">未经群众评价即结案</div>");
	s_media(b, r, json_object_get(e, "media"));
	qf_buf_puts(b, "</li>");
}

struct case_load {
	struct dp *dp;
	const char *id;
	json_t *doc;
};

static int s_case_get(struct qf_txn *t, void *arg)
{
	struct case_load *c = arg;
	c->doc = cases_doc(c->dp, t, c->id);
	return QF_OK;
}

int render_case(const struct render *r, const char *id, struct qf_buf *b)
{
	struct case_load cl = {r->dp, id, NULL};
	if (!dp_id_ok(id) || s_read(r, s_case_get, &cl) || !cl.doc)
		return QF_ERR_NOTFOUND;
	json_t *d = cl.doc;
	char title[160];
	snprintf(title, sizeof title, "%s %s", html_js(d, "tracking_code"),
		 html_js(d, "category_name"));
	html_begin(b, r, title, "board");
	qf_buf_puts(b, "<h1>");
	qf_buf_html(b, html_js(d, "category_name"));
	qf_buf_puts(b, " · ");
	qf_buf_html(b, html_js(d, "building_name"));
	html_state(b, html_js(d, "state"), html_js(d, "state_name"));
	struct case_head h = {0};
	int st = case_state_parse(html_js(d, "state"));
	h.state = (uint8_t)(st > 0 ? st : 0);
	h.first_response_ms = html_ji(d, "first_response_ms");
	h.respond_due_ms = html_ji(d, "respond_due_ms");
	h.resolve_due_ms = html_ji(d, "resolve_due_ms");
	if (case_overdue(&h, r->now))
		qf_buf_puts(b, "<span class=\"state late\">已超时</span>");
	qf_buf_puts(b, "</h1><div class=\"card\"><div class=\"meta\"><span class=\"code\">");
	qf_buf_html(b, html_js(d, "tracking_code"));
	qf_buf_puts(b, "</span><span>案件编号 <span class=\"code\">");
	qf_buf_html(b, html_js(d, "id"));
	qf_buf_puts(b, "</span></span></div>");
	if (json_is_true(json_object_get(d, "withheld"))) {
		qf_buf_puts(b, json_is_true(json_object_get(d, "sensitive"))
				? "<p "
				  "class=\"meta\">"
				  "涉及干部作风的举报：为保护举报人，诉求内容不公开，"
				  "办理过程照常公开。</p>"
				: "<p "
				  "class=\"meta\">"
				  "诉求人未同意公开诉求内容，仅公开办理过程。</p>");
	} else {
		qf_buf_puts(b, "<p class=\"note\">");
		qf_buf_html(b, html_js(d, "description"));
		qf_buf_puts(b, "</p>");
		s_field(b, "地点", html_js(d, "address"));
		s_media(b, r, json_object_get(d, "media"));
	}
	qf_buf_puts(b, "<div class=\"meta\"><span>诉求人 ");
	qf_buf_html(b, *html_js(d, "name") ? html_js(d, "name") : "匿名");
	if (*html_js(d, "phone")) {
		qf_buf_puts(b, "（");
		qf_buf_html(b, html_js(d, "phone"));
		qf_buf_puts(b, "）");
	}
	qf_buf_puts(b, "</span><span>提交 ");
	html_time(b, r, html_ji(d, "submitted_ms"));
	qf_buf_puts(b, "</span></div></div>");
	/* who and by when */
	json_t *hd = json_object_get(d, "handler");
	qf_buf_puts(b, "<div class=\"card\"><div><span class=\"meta\">经办人：</span>");
	if (*html_js(hd, "name")) {
		qf_buf_html(b, html_js(hd, "name"));
		if (*html_js(hd, "post")) {
			qf_buf_puts(b, "（");
			qf_buf_html(b, html_js(hd, "post"));
			qf_buf_puts(b, "）");
		}
	} else {
		qf_buf_puts(b, "尚未派单");
	}
	qf_buf_puts(b, "</div>");
	if (json_is_string(json_object_get(d, "owner"))) {
		char on[128];
		dp_staff_name(r->dp, html_js(d, "owner"), on, sizeof on);
		qf_buf_puts(b, "<div><span class=\"meta\">首问负责人：</span>");
		qf_buf_html(b, on);
		qf_buf_puts(b, "</div>");
	}
	qf_buf_puts(b, "<div><span class=\"meta\">响应时限：</span>");
	html_time(b, r, h.respond_due_ms);
	if (h.first_response_ms) {
		qf_buf_puts(b, "，已于 ");
		html_time(b, r, h.first_response_ms);
		qf_buf_puts(b, h.respond_due_ms && h.first_response_ms > h.respond_due_ms
				? " 响应<span class=\"bad\">（超时）</span>"
				: " 响应");
	}
	qf_buf_puts(b, "</div><div><span class=\"meta\">办结时限：</span>");
	html_time(b, r, h.resolve_due_ms);
	if (html_ji(d, "resolved_ms")) {
		qf_buf_puts(b, "，已于 ");
		html_time(b, r, html_ji(d, "resolved_ms"));
		qf_buf_puts(b, " 办结");
	}
	qf_buf_puts(b, "</div>");
	if (html_ji(d, "reopen_count"))
		qf_buf_printf(b, "<div class=\"bad\">重新办理 %lld 次</div>",
			   (long long)html_ji(d, "reopen_count"));
	if (html_ji(d, "transfer_count"))
		qf_buf_printf(b, "<div class=\"meta\">转办 %lld 次</div>",
			   (long long)html_ji(d, "transfer_count"));
	qf_buf_puts(b, "</div><h2>办理过程</h2><ol class=\"timeline\">");
	json_t *tl = json_object_get(d, "timeline"), *e;
	size_t i;
	json_array_foreach(tl, i, e) s_timeline_entry(b, r, e);
	qf_buf_puts(b, "</ol>");
	char ref[120];
	snprintf(ref, sizeof ref, "case:%s", html_js(d, "id"));
	html_question(b, r, ref, "对这件诉求的办理有疑问？向社区质询");
	html_end(b, r);
	json_decref(d);
	return QF_OK;
}

void page_case(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_case(&rc, qf_http_param(r, "id"), &b), &b, "这个案件");
}

/* ------------------------------------------------------------ affairs */

static void s_version_badge(struct qf_buf *b, const struct render *r, json_t *x)
{
	int64_t v = html_ji(x, "version");
	if (v <= 1)
		return;
	char path[120];
	snprintf(path, sizeof path, "/records/%s", html_js(x, "record_id"));
	qf_buf_printf(b, "<a class=\"ver\" href=\"");
	web_link(b, r, path);
	qf_buf_printf(b, "\">第%lld版·已更正</a>", (long long)v);
}

static void s_notice(struct qf_buf *b, const struct render *r, json_t *n)
{
	qf_buf_puts(b, "<div class=\"card\"><div><b>");
	qf_buf_html(b, html_js(n, "title"));
	qf_buf_puts(b, "</b>");
	s_version_badge(b, r, n);
	qf_buf_puts(b, "</div><div class=\"meta\">");
	qf_buf_html(b, html_js(n, "affair_name"));
	qf_buf_puts(b, " · ");
	qf_buf_html(b, html_js(n, "date"));
	qf_buf_puts(b, "</div><div class=\"note\">");
	qf_buf_html(b, html_js(n, "body"));
	qf_buf_puts(b, "</div>");
	json_t *p = json_object_get(n, "previous");
	if (json_is_object(p)) {
		qf_buf_puts(b, "<details><summary>更正前的内容（第");
		qf_buf_printf(b, "%lld", (long long)html_ji(p, "version"));
		qf_buf_puts(b, "版）</summary><div class=\"note meta\">");
		qf_buf_html(b, html_js(p, "title"));
		qf_buf_puts(b, "\n");
		qf_buf_html(b, html_js(p, "body"));
		qf_buf_puts(b, "</div>");
		s_field(b, "更正理由", html_js(n, "correction_reason"));
		qf_buf_puts(b, "</details>");
	}
	char ref[120];
	snprintf(ref, sizeof ref, "notice:%s", html_js(n, "record_id"));
	html_question(b, r, ref, NULL);
	qf_buf_puts(b, "</div>");
}

struct affairs_read {
	struct dp *dp;
	json_t *ledger, *notices, *lists, *nsnaps;
};

static int s_affairs_txn(struct qf_txn *t, void *arg)
{
	struct affairs_read *a = arg;
	a->ledger = affairs_ledger_index(a->dp, t);
	a->notices = affairs_notices(a->dp, t, NULL);
	a->lists = affairs_lists(a->dp, t);
	a->nsnaps = snapshot_list(a->dp, t, "notices");
	return QF_OK;
}

int render_affairs(const struct render *r, struct qf_buf *b)
{
	struct affairs_read a = {r->dp, NULL, NULL, NULL, NULL};
	int rc = s_read(r, s_affairs_txn, &a);
	if (rc)
		return rc;
	html_begin(b, r, "三务公开", "affairs");
	qf_buf_puts(
	    b, "<h1>党务、居务、财务公开</h1><p class=\"meta\">社区收支按季度逐笔公开，"
	       "余额与银行对账单核对；名单、公告和干部名册的每次更正都保留原版本。</p>");
	qf_buf_puts(b, "<h2>财务公开</h2>");
	if (!json_array_size(a.ledger)) {
		qf_buf_puts(b, "<p class=\"empty\">暂无财务公开。</p>");
	} else {
		html_scroll(b, "财务公开（按季度）");
		qf_buf_puts(b, "<table><thead><tr><th>季度</th><th>期初余额</th>"
			       "<th>收入</th><th>支出</th><th>计算期末</th><th>公布余额</"
			       "th><th>核对</th>"
			       "</tr></thead><tbody>");
		size_t i;
		json_t *q;
		json_array_foreach(a.ledger, i, q)
		{
			char path[80];
			snprintf(path, sizeof path, "/affairs/ledger/%s",
				 html_js(q, "quarter"));
			json_t *rec = json_object_get(q, "reconciled");
			qf_buf_puts(b, json_is_false(rec) ? "<tr class=\"flag\">" : "<tr>");
			qf_buf_puts(b, "<td><a href=\"");
			web_link(b, r, path);
			qf_buf_puts(b, "\">");
			qf_buf_html(b, html_js(q, "quarter"));
			qf_buf_puts(b, "</a></td><td class=\"n\">");
			html_money(b, html_ji(q, "opening_fen"));
			qf_buf_puts(b, "</td><td class=\"n\">");
			html_money(b, html_ji(q, "income_fen"));
			qf_buf_puts(b, "</td><td class=\"n\">");
			html_money(b, html_ji(q, "expense_fen"));
			qf_buf_puts(b, "</td><td class=\"n\">");
			html_money(b, html_ji(q, "computed_closing_fen"));
			qf_buf_puts(b, "</td><td class=\"n\">");
			if (json_is_integer(json_object_get(q, "published_closing_fen")))
				html_money(b, html_ji(q, "published_closing_fen"));
			else
				qf_buf_puts(b, "未公布");
			qf_buf_puts(b, "</td><td>");
			if (json_is_true(rec))
				qf_buf_puts(b, "<span class=\"ok\">账实相符</span>");
			else if (json_is_false(rec))
				qf_buf_puts(b, "<span class=\"bad\">不一致</span>");
			else
				qf_buf_puts(b, "待核对");
			qf_buf_puts(b, "</td></tr>");
		}
		qf_buf_puts(b, "</tbody></table></div>");
	}
	static const char *const affairs[] = {"party", "residential", "financial"};
	for (int k = 0; k < 3; k++) {
		qf_buf_puts(b, "<h2>");
		qf_buf_html(b, affairs_affair_label(affairs[k]));
		qf_buf_puts(b, "公告</h2>");
		size_t i, shown = 0;
		json_t *n;
		json_array_foreach(a.notices, i, n)
		{
			if (strcmp(html_js(n, "affair"), affairs[k]))
				continue;
			s_notice(b, r, n);
			shown++;
		}
		if (!shown)
			qf_buf_puts(b, "<p class=\"empty\">暂无公告。</p>");
		json_t *s;
		json_array_foreach(a.nsnaps, i,
				   s) if (!strcmp(html_js(s, "key"), affairs[k]))
		    html_snapshot(b, r, s);
	}
	qf_buf_puts(b, "<h2>公示名单</h2>");
	if (!json_array_size(a.lists)) {
		qf_buf_puts(b, "<p class=\"empty\">暂无公示名单。</p>");
	} else {
		qf_buf_puts(b, "<ul class=\"cases\">");
		size_t i;
		json_t *l;
		json_array_foreach(a.lists, i, l)
		{
			char path[120];
			snprintf(path, sizeof path, "/affairs/lists/%s",
				 html_js(l, "record_id"));
			qf_buf_puts(b, "<li><a class=\"t\" href=\"");
			web_link(b, r, path);
			qf_buf_puts(b, "\">");
			qf_buf_html(b, html_js(l, "title"));
			qf_buf_puts(b, "</a>");
			s_version_badge(b, r, l);
			qf_buf_puts(b, "<div class=\"meta\"><span>");
			qf_buf_html(b, html_js(l, "period"));
			qf_buf_printf(b, "</span><span>%lld 人（户）</span></div></li>",
				   (long long)html_ji(l, "item_count"));
		}
		qf_buf_puts(b, "</ul>");
	}
	html_end(b, r);
	json_decref(a.ledger);
	json_decref(a.notices);
	json_decref(a.lists);
	json_decref(a.nsnaps);
	return QF_OK;
}

void page_affairs(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_affairs(&rc, &b), &b, "三务公开");
}

struct one_read {
	struct dp *dp;
	const char *id;
	json_t *(*fn)(struct dp *, struct qf_txn *, const char *);
	json_t *out;
};

static int s_one_txn(struct qf_txn *t, void *arg)
{
	struct one_read *o = arg;
	o->out = o->fn(o->dp, t, o->id);
	return QF_OK;
}

static json_t *s_one(const struct render *r,
		     json_t *(*fn)(struct dp *, struct qf_txn *, const char *),
		     const char *id)
{
	struct one_read o = {r->dp, id, fn, NULL};
	if (s_read(r, s_one_txn, &o)) {
		json_decref(o.out);
		return NULL;
	}
	return o.out;
}

static void s_ledger_row(struct qf_buf *b, const struct render *r, json_t *e, int old)
{
	qf_buf_puts(b, old ? "<tr class=\"old\">" : "<tr>");
	qf_buf_puts(b, "<td>");
	qf_buf_html(b, html_js(e, "date"));
	qf_buf_puts(b, "</td><td>");
	qf_buf_puts(b, json_is_true(json_object_get(e, "income")) ? "收入" : "支出");
	qf_buf_puts(b, "</td><td class=\"n\">");
	html_money(b, html_ji(e, "amount_fen"));
	qf_buf_puts(b, "</td><td>");
	qf_buf_html(b, html_js(e, "reason"));
	qf_buf_puts(b, "</td><td>");
	qf_buf_html(b, html_js(e, "counterparty"));
	qf_buf_puts(b, "</td><td>");
	qf_buf_html(b, html_js(e, "voucher"));
	qf_buf_puts(b, "</td><td class=\"n\">");
	if (!old)
		html_money(b, html_ji(e, "balance_fen"));
	qf_buf_puts(b, "</td><td>");
	if (old) {
		qf_buf_printf(b, "第%lld版（已被更正）", (long long)html_ji(e, "version"));
	} else {
		s_version_badge(b, r, e);
		char ref[120];
		snprintf(ref, sizeof ref, "ledger:%s", html_js(e, "record_id"));
		html_question(b, r, ref, "质询");
	}
	qf_buf_puts(b, "</td></tr>");
}

int render_ledger(const struct render *r, const char *quarter, struct qf_buf *b)
{
	if (!affairs_quarter_ok(quarter))
		return QF_ERR_NOTFOUND;
	json_t *q = s_one(r, affairs_ledger_quarter, quarter);
	if (!q)
		return QF_ERR_NOTFOUND;
	char title[64];
	snprintf(title, sizeof title, "%s 财务收支", quarter);
	html_begin(b, r, title, "affairs");
	qf_buf_puts(b, "<h1>");
	qf_buf_html(b, quarter);
	qf_buf_puts(b, " 财务收支公开</h1>");
	json_t *rec = json_object_get(q, "reconciled");
	qf_buf_puts(b, json_is_false(rec)	? "<div class=\"card flag\">"
		    : json_is_true(rec) ? "<div class=\"card good\">"
					: "<div class=\"card\">");
	qf_buf_puts(b, "<div class=\"kpis\"><div class=\"kpi\"><b>");
	html_money(b, html_ji(q, "opening_fen"));
	qf_buf_puts(b, "</b><small>期初余额");
	const char *src = html_js(q, "opening_source");
	qf_buf_puts(b, !strcmp(src, "statement")		 ? ""
		    : !strcmp(src, "previous_statement") ? "（取上季度公布余额）"
							 : "（未公布，按0计）");
	qf_buf_puts(b, "</small></div><div class=\"kpi\"><b>");
	html_money(b, html_ji(q, "income_fen"));
	qf_buf_puts(b, "</b><small>本季收入</small></div><div class=\"kpi\"><b>");
	html_money(b, html_ji(q, "expense_fen"));
	qf_buf_puts(b, "</b><small>本季支出</small></div><div class=\"kpi\"><b>");
	html_money(b, html_ji(q, "computed_closing_fen"));
	qf_buf_puts(b, "</b><small>按明细计算的期末余额</small></div><div class=\"kpi");
	qf_buf_puts(b, json_is_false(rec) ? " alarm\"><b>" : "\"><b>");
	if (json_is_integer(json_object_get(q, "published_closing_fen")))
		html_money(b, html_ji(q, "published_closing_fen"));
	else
		qf_buf_puts(b, "—");
	qf_buf_puts(b, "</b><small>公布的银行余额</small></div></div><p>");
	if (json_is_true(rec)) {
		qf_buf_puts(
		    b,
		    "<span "
		    "class=\"ok\">核对结果：账实相符。</span>按收支明细逐笔计算的期末余额"
		    "与社区公布的银行余额一致。");
	} else if (json_is_false(rec)) {
		qf_buf_puts(
		    b,
		    "<span "
		    "class=\"bad\">核对结果：不一致！</span>公布的银行余额与按明细计算的"
		    "余额相差 ");
		html_money(b, html_ji(q, "difference_fen"));
		qf_buf_puts(b, "。请社区说明原因，居民可对此提出质询。");
	} else {
		qf_buf_puts(b, "本季度尚未公布银行余额，暂无法核对。");
	}
	json_t *om = json_object_get(q, "opening_matches_previous");
	if (json_is_false(om))
		qf_buf_puts(b, "<br><span "
			    "class=\"bad\">"
			    "注意：本季度期初余额与上季度公布的期末余额不一致。</span>");
	qf_buf_puts(b, "</p>");
	json_t *st = json_object_get(q, "statement");
	if (json_is_object(st)) {
		qf_buf_puts(b, "<div class=\"meta\">银行账户：");
		qf_buf_html(b, html_js(st, "account"));
		qf_buf_puts(b, "，对账日期：");
		qf_buf_html(b, html_js(st, "as_of"));
		s_version_badge(b, r, st);
		qf_buf_puts(b, "</div>");
		json_t *ps = json_object_get(st, "previous");
		if (json_is_object(ps)) {
			qf_buf_puts(b, "<div class=\"meta\">更正前公布余额：");
			html_money(b, html_ji(ps, "closing_fen"));
			qf_buf_puts(b, "</div>");
		}
	}
	char ref[80];
	snprintf(ref, sizeof ref, "ledger_quarter:%s", quarter);
	html_question(b, r, ref, "对本季度财务有疑问？我要质询");
	qf_buf_puts(b, "</div>");
	json_t *entries = json_object_get(q, "entries");
	svg_balance(b, "本季度逐笔余额变化", entries, html_ji(q, "opening_fen"));
	qf_buf_puts(b, "<h2>收支明细</h2>");
	html_scroll(b, "收支明细");
	qf_buf_puts(b, "<table><thead><tr><th>日期</th>"
		       "<th>收支</th><th>金额</th><th>事由</th><th>对方</th><th>凭证号</"
		       "th><th>余额</th>"
		       "<th>版本</th></tr></thead><tbody>");
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e)
	{
		s_ledger_row(b, r, e, 0);
		json_t *p = json_object_get(e, "previous");
		if (json_is_object(p))
			s_ledger_row(b, r, p, 1);
	}
	if (!json_array_size(entries))
		qf_buf_puts(
		    b,
		    "<tr><td colspan=\"8\" class=\"empty\">本季度暂无收支明细</td></tr>");
	qf_buf_puts(b, "</tbody></table></div>");
	if (!r->static_site) {
		qf_buf_puts(b, "<p class=\"meta\"><a href=\"/v1/public/ledger.csv?quarter=");
		qf_buf_html(b, quarter);
		qf_buf_puts(b,
			 "\">下载本季度明细（CSV）</a> · <a href=\"/v1/public/ledger/");
		qf_buf_html(b, quarter);
		qf_buf_puts(b, "\">JSON 数据</a></p>");
	}
	html_snapshot(b, r, json_object_get(q, "snapshot"));
	html_end(b, r);
	json_decref(q);
	return QF_OK;
}

void page_ledger(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_ledger(&rc, qf_http_param(r, "quarter"), &b), &b,
		 "这个季度的财务公开");
}

static void s_list_row(struct qf_buf *b, json_t *it, int old)
{
	qf_buf_puts(b, old ? "<tr class=\"old\"><td>" : "<tr><td>");
	qf_buf_html(b, html_js(it, "name"));
	qf_buf_puts(b, "</td><td>");
	qf_buf_html(b, *html_js(it, "building_name") ? html_js(it, "building_name")
						  : html_js(it, "building"));
	qf_buf_puts(b, "</td><td>");
	qf_buf_html(b, html_js(it, "detail"));
	qf_buf_puts(b, "</td><td class=\"n\">");
	if (html_ji(it, "amount_fen"))
		html_money(b, html_ji(it, "amount_fen"));
	qf_buf_puts(b, "</td></tr>");
}

int render_list(const struct render *r, const char *id, struct qf_buf *b)
{
	if (!dp_id_ok(id))
		return QF_ERR_NOTFOUND;
	json_t *l = s_one(r, affairs_list, id);
	if (!l)
		return QF_ERR_NOTFOUND;
	html_begin(b, r, html_js(l, "title"), "affairs");
	qf_buf_puts(b, "<h1>");
	qf_buf_html(b, html_js(l, "title"));
	s_version_badge(b, r, l);
	qf_buf_puts(b, "</h1><p class=\"meta\">");
	qf_buf_html(b, html_js(l, "period"));
	qf_buf_puts(b, " · 公示于 ");
	html_time(b, r, html_ji(l, "submitted_ms"));
	qf_buf_puts(b, "。如发现不符合条件的情况，请向社区质询。</p>");
	html_scroll(b, html_js(l, "title"));
	qf_buf_puts(b, "<table><thead>"
		       "<tr><th>姓名</th><th>楼栋</th><th>说明</th><th>金额</th></tr></"
		       "thead><tbody>");
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(l, "items"), i, it) s_list_row(b, it, 0);
	qf_buf_puts(b, "</tbody></table></div>");
	json_t *p = json_object_get(l, "previous");
	if (json_is_object(p)) {
		qf_buf_printf(b, "<h2>更正前（第%lld版）</h2>",
			   (long long)html_ji(p, "version"));
		s_field(b, "更正理由", html_js(l, "correction_reason"));
		html_scroll(b, "更正前");
		qf_buf_puts(b, "<table><tbody>");
		json_array_foreach(json_object_get(p, "items"), i, it)
		    s_list_row(b, it, 1);
		qf_buf_puts(b, "</tbody></table></div>");
	}
	char ref[120];
	snprintf(ref, sizeof ref, "list:%s", id);
	html_question(b, r, ref, "对这份名单有疑问？我要质询");
	html_snapshot(b, r, json_object_get(l, "snapshot"));
	html_end(b, r);
	json_decref(l);
	return QF_OK;
}

void page_list(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_list(&rc, qf_http_param(r, "id"), &b), &b, "这份名单");
}

/* Fields of a version shown in the history table, per kind. */
static const char *const s_fields[][2] = {
    {"date", "日期"},
    {"income", "收支"},
    {"amount_fen", "金额"},
    {"reason", "事由"},
    {"counterparty", "对方"},
    {"voucher", "凭证号"},
    {"quarter", "季度"},
    {"opening_fen", "期初余额"},
    {"closing_fen", "期末余额"},
    {"account", "账户"},
    {"as_of", "对账日期"},
    {"affair", "类别"},
    {"title", "标题"},
    {"body", "内容"},
    {"period", "期间"},
    {"name", "姓名"},
    {"post", "职务"},
    {"responsibilities", "职责"},
    {"duty", "值班时间"},
    {"office_phone", "办公电话"},
    {"removed", "已撤下"},
    {"correction_reason", "更正理由"},
};

static void s_value(struct qf_buf *b, json_t *v, const char *key)
{
	if (json_is_string(v)) {
		qf_buf_html(b, json_string_value(v));
	} else if (json_is_boolean(v)) {
		if (!strcmp(key, "income"))
			qf_buf_puts(b, json_is_true(v) ? "收入" : "支出");
		else
			qf_buf_puts(b, json_is_true(v) ? "是" : "否");
	} else if (json_is_integer(v)) {
		if (strstr(key, "_fen"))
			html_money(b, json_integer_value(v));
		else
			qf_buf_printf(b, "%lld", (long long)json_integer_value(v));
	}
}

int render_record(const struct render *r, const char *id, struct qf_buf *b)
{
	if (!dp_id_ok(id))
		return QF_ERR_NOTFOUND;
	json_t *rec = s_one(r, affairs_record, id);
	if (!rec)
		return QF_ERR_NOTFOUND;
	html_begin(b, r, "版本记录", "affairs");
	qf_buf_puts(b, "<h1>");
	qf_buf_html(b, html_js(rec, "kind_name"));
	qf_buf_puts(b, " 的版本记录</h1><p class=\"meta\">记录编号 <span class=\"code\">");
	qf_buf_html(b, id);
	qf_buf_printf(
	    b, "</span>，现行第 %lld 版。公开事项只能以新版本更正，原版本永久保留。</p>",
	    (long long)html_ji(rec, "current_version"));
	json_t *vs = json_object_get(rec, "versions");
	html_scroll(b, "版本对照");
	qf_buf_puts(b, "<table><thead><tr><th>项目</th>");
	size_t i;
	json_t *v;
	json_array_foreach(vs, i, v)
	{
		qf_buf_printf(b, "<th>第%lld版", (long long)html_ji(v, "version"));
		qf_buf_puts(b, !strcmp(html_js(v, "status"), "current") ? "（现行）"
								     : "（已更正）");
		qf_buf_puts(b, "</th>");
	}
	qf_buf_puts(b, "</tr></thead><tbody><tr><th>提交时间</th>");
	json_array_foreach(vs, i, v)
	{
		qf_buf_puts(b, "<td>");
		html_time(b, r, html_ji(v, "submitted_ms"));
		qf_buf_puts(b, "</td>");
	}
	qf_buf_puts(b, "</tr><tr><th>提交人</th>");
	json_array_foreach(vs, i, v)
	{
		qf_buf_puts(b, "<td>");
		qf_buf_html(b, html_js(json_object_get(v, "actor"), "name"));
		qf_buf_puts(b, "</td>");
	}
	qf_buf_puts(b, "</tr>");
	for (size_t f = 0; f < sizeof s_fields / sizeof s_fields[0]; f++) {
		int any = 0;
		json_array_foreach(vs, i, v) any |=
		    json_object_get(v, s_fields[f][0]) != NULL;
		if (!any)
			continue;
		/* mark rows whose value changed between versions */
		int changed = 0;
		json_t *first = json_object_get(json_array_get(vs, 0), s_fields[f][0]);
		json_array_foreach(vs, i, v) changed |= !json_equal(
		    first ? first : json_null(), json_object_get(v, s_fields[f][0])
						     ? json_object_get(v, s_fields[f][0])
						     : json_null());
		qf_buf_puts(b, changed ? "<tr class=\"flag\"><th>" : "<tr><th>");
		qf_buf_puts(b, s_fields[f][1]);
		qf_buf_puts(b, "</th>");
		json_array_foreach(vs, i, v)
		{
			qf_buf_puts(b, "<td class=\"note\">");
			s_value(b, json_object_get(v, s_fields[f][0]), s_fields[f][0]);
			qf_buf_puts(b, "</td>");
		}
		qf_buf_puts(b, "</tr>");
	}
	json_t *items = json_object_get(json_array_get(vs, 0), "items");
	if (items) {
		qf_buf_puts(b, "<tr><th>名单人数</th>");
		json_array_foreach(vs, i, v) qf_buf_printf(
		    b, "<td>%zu</td>", json_array_size(json_object_get(v, "items")));
		qf_buf_puts(b, "</tr>");
	}
	qf_buf_puts(b, "</tbody></table></div>");
	char ref[120];
	snprintf(ref, sizeof ref, "record:%s", id);
	html_question(b, r, ref, NULL);
	html_end(b, r);
	json_decref(rec);
	return QF_OK;
}

void page_record(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_record(&rc, qf_http_param(r, "id"), &b), &b,
		 "这条公开记录");
}

/* ------------------------------------------------------------ roster */

static json_t *s_roster_fn(struct dp *dp, struct qf_txn *t, const char *unused)
{
	(void)unused;
	return affairs_roster(dp, t);
}

int render_roster(const struct render *r, struct qf_buf *b)
{
	json_t *ro = s_one(r, s_roster_fn, "");
	if (!ro)
		return QF_ERR_NOMEM;
	html_begin(b, r, "干部名册", "roster");
	qf_buf_puts(b, "<h1>社区干部名册</h1><p "
		    "class=\"meta\">姓名、职务、职责、值班时间和办公电话，"
		    "方便居民找到负责的人。</p>");
	json_t *es = json_object_get(ro, "entries"),
	       *duties = json_object_get(ro, "duties");
	size_t i, j;
	json_t *e, *q;
	if (!json_array_size(es))
		qf_buf_puts(b, "<p class=\"empty\">名册尚未公布。</p>");
	json_array_foreach(es, i, e)
	{
		qf_buf_puts(b, "<div class=\"card\"><div><b>");
		qf_buf_html(b, html_js(e, "name"));
		qf_buf_puts(b, "</b> <span class=\"meta\">");
		qf_buf_html(b, html_js(e, "post"));
		qf_buf_puts(b, "</span>");
		s_version_badge(b, r, e);
		qf_buf_puts(b, "</div>");
		s_field(b, "职责", html_js(e, "responsibilities"));
		s_field(b, "值班时间", html_js(e, "duty"));
		if (*html_js(e, "office_phone")) {
			qf_buf_puts(
			    b,
			    "<div><span class=\"meta\">办公电话：</span><a href=\"tel:");
			qf_buf_html(b, html_js(e, "office_phone"));
			qf_buf_puts(b, "\">");
			qf_buf_html(b, html_js(e, "office_phone"));
			qf_buf_puts(b, "</a></div>");
		}
		json_array_foreach(duties, j, q)
		{
			if (strcmp(html_js(q, "staff_id"), html_js(e, "staff_id")))
				continue;
			qf_buf_puts(b, "<div><span class=\"meta\">");
			qf_buf_html(b, html_js(q, "month"));
			qf_buf_puts(b, " ");
			qf_buf_puts(b, !strcmp(html_js(q, "duty"), "household_visits")
					? "入户走访"
					: "");
			if (strcmp(html_js(q, "duty"), "household_visits"))
				qf_buf_html(b, html_js(q, "duty"));
			qf_buf_printf(b, "：</span>%lld / %lld 户",
				   (long long)html_ji(q, "done"),
				   (long long)html_ji(q, "target"));
			if (json_is_true(json_object_get(q, "behind")))
				qf_buf_puts(b, " <span class=\"bad\">进度落后</span>");
			qf_buf_puts(b, "</div>");
		}
		char ref[120];
		snprintf(ref, sizeof ref, "roster:%s", html_js(e, "staff_id"));
		html_question(b, r, ref, NULL);
		qf_buf_puts(b, "</div>");
	}
	html_snapshot(b, r, json_object_get(ro, "snapshot"));
	html_end(b, r);
	json_decref(ro);
	return QF_OK;
}

void page_roster(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_roster(&rc, &b), &b, "干部名册");
}

/* ------------------------------------------------------------ stats */

struct stats_read {
	struct dp *dp;
	int64_t from, to, now;
	json_t *out;
};

static int s_stats_txn(struct qf_txn *t, void *arg)
{
	struct stats_read *s = arg;
	s->out = stats_compute(s->dp, t, s->from, s->to, s->now);
	return QF_OK;
}

static void s_stats_table(struct qf_buf *b, const char *title, json_t *rows)
{
	qf_buf_puts(b, "<h2>");
	qf_buf_html(b, title);
	qf_buf_puts(b, "</h2>");
	html_scroll(b, title);
	qf_buf_puts(b, "<table><thead><tr><th>名称</th><th>件数</th>"
		       "<th>响应率</th><th>按时办结率</th><th>解决率</th><th>满意率</th>"
		       "<th>响应用时（中位）</th><th>办结用时（中位）</th><th>办理中</"
		       "th><th>超时</th>"
		       "</tr></thead><tbody>");
	size_t i;
	json_t *x;
	json_array_foreach(rows, i, x)
	{
		qf_buf_puts(b, "<tr><td>");
		qf_buf_html(b, html_js(x, "name"));
		if (*html_js(x, "post")) {
			qf_buf_puts(b, "<br><small class=\"meta\">");
			qf_buf_html(b, html_js(x, "post"));
			qf_buf_puts(b, "</small>");
		}
		qf_buf_printf(b, "</td><td class=\"n\">%lld</td><td class=\"n\">",
			   (long long)html_ji(x, "total"));
		html_rate(b, json_object_get(x, "response_rate"));
		qf_buf_puts(b, "</td><td class=\"n\">");
		html_rate(b, json_object_get(x, "on_time_rate"));
		qf_buf_puts(b, "</td><td class=\"n\">");
		html_rate(b, json_object_get(x, "resolution_rate"));
		qf_buf_puts(b, "</td><td class=\"n\">");
		html_rate(b, json_object_get(x, "satisfaction_rate"));
		qf_buf_puts(b, "</td><td class=\"n\">");
		if (json_is_integer(json_object_get(x, "median_response_s")))
			html_duration(b, html_ji(x, "median_response_s"));
		else
			qf_buf_puts(b, "—");
		qf_buf_puts(b, "</td><td class=\"n\">");
		if (json_is_integer(json_object_get(x, "median_resolve_s")))
			html_duration(b, html_ji(x, "median_resolve_s"));
		else
			qf_buf_puts(b, "—");
		qf_buf_printf(
		    b, "</td><td class=\"n\">%lld</td><td class=\"n%s\">%lld</td></tr>",
		    (long long)html_ji(x, "open"), html_ji(x, "overdue") ? " bad" : "",
		    (long long)html_ji(x, "overdue"));
	}
	if (!json_array_size(rows))
		qf_buf_puts(b, "<tr><td colspan=\"10\" class=\"empty\">暂无数据</td></tr>");
	qf_buf_puts(b, "</tbody></table></div>");
}

static void s_rate_chart(struct qf_buf *b, const char *title, json_t *rows,
			 const char *measure, const char *num, const char *den)
{
	size_t n = json_array_size(rows);
	if (!n)
		return;
	struct svg_bar *bars = calloc(n, sizeof *bars);
	char(*notes)[48] = calloc(n, sizeof *notes);
	if (!bars || !notes) {
		free(bars);
		free(notes);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(rows, i);
		json_t *v = json_object_get(x, measure);
		bars[i].label = html_js(x, "name");
		bars[i].has = json_is_number(v);
		bars[i].value = bars[i].has ? json_number_value(v) : 0;
		snprintf(notes[i], sizeof notes[i], "%lld/%lld",
			 (long long)html_ji(x, num), (long long)html_ji(x, den));
		bars[i].note = notes[i];
	}
	svg_rate_bars(b, title, bars, n);
	free(bars);
	free(notes);
}

int render_stats(const struct render *r, int64_t from, int64_t to, const char *label,
		 struct qf_buf *b)
{
	json_t *o = NULL;
	if (r->static_site) {
		struct stats_read s = {r->dp, from, to, r->now, NULL};
		int rc = s_read(r, s_stats_txn, &s);
		if (rc || !s.out) {
			json_decref(s.out);
			return rc ? rc : QF_ERR_NOMEM;
		}
		o = s.out;
	} else {
		char *text = stats_cached(r->dp, from, to, r->now);
		o = text ? json_loads(text, 0, NULL) : NULL;
		free(text);
		if (!o)
			return QF_ERR_NOMEM;
	}
	json_t *all = json_object_get(o, "overall");
	html_begin(b, r, "办理统计", "stats");
	qf_buf_puts(b, "<h1>诉求办理统计</h1><p class=\"meta\">统计周期：");
	qf_buf_html(b, label);
	qf_buf_puts(
	    b, "。指标口径参照 12345 热线考核：响应率、按时办结率、解决率、满意率。</p>");
	if (!r->static_site) {
		char day[40];
		qf_time_fmt(r->now, dp_tz(r->dp), day, sizeof day);
		int month = atoi(day + 5);
		qf_buf_puts(b, "<p class=\"pager\"><a href=\"/stats\">全部</a>");
		qf_buf_printf(b, "<a href=\"/stats?period=%.4s\">本年</a>", day);
		qf_buf_printf(b, "<a href=\"/stats?period=%.4sQ%d\">本季度</a>", day,
			   (month - 1) / 3 + 1);
		qf_buf_printf(b, "<a href=\"/stats?period=%.7s\">本月</a></p>", day);
	}
	qf_buf_puts(b, "<div class=\"kpis\">");
	static const char *const k[][2] = {{"response_rate", "响应率"},
					   {"on_time_rate", "按时办结率"},
					   {"resolution_rate", "解决率"},
					   {"satisfaction_rate", "满意率"}};
	for (int i = 0; i < 4; i++) {
		qf_buf_puts(b, "<div class=\"kpi\"><b>");
		html_rate(b, json_object_get(all, k[i][0]));
		qf_buf_printf(b, "</b><small>%s</small></div>", k[i][1]);
	}
	qf_buf_printf(b, "<div class=\"kpi\"><b>%lld</b><small>诉求总数</small></div>",
		   (long long)html_ji(all, "total"));
	qf_buf_printf(b, "<div class=\"kpi%s\"><b>%lld</b><small>当前超时</small></div>",
		   html_ji(all, "overdue") ? " alarm" : "",
		   (long long)html_ji(all, "overdue"));
	qf_buf_puts(b, "<div class=\"kpi\"><b>");
	if (json_is_integer(json_object_get(all, "median_response_s")))
		html_duration(b, html_ji(all, "median_response_s"));
	else
		qf_buf_puts(b, "—");
	qf_buf_puts(b, "</b><small>响应用时中位数</small></div><div class=\"kpi\"><b>");
	if (json_is_integer(json_object_get(all, "median_resolve_s")))
		html_duration(b, html_ji(all, "median_resolve_s"));
	else
		qf_buf_puts(b, "—");
	qf_buf_puts(b, "</b><small>办结用时中位数</small></div></div>");
	svg_daily(b, "每日新增与办结", json_object_get(o, "daily"));
	json_t *cat = json_object_get(o, "by_category"),
	       *bld = json_object_get(o, "by_building"),
	       *hnd = json_object_get(o, "by_handler");
	s_rate_chart(b, "各类别按时办结率", cat, "on_time_rate", "resolved_on_time",
		     "on_time_due");
	s_rate_chart(b, "各类别满意率", cat, "satisfaction_rate", "satisfied", "rated");
	s_rate_chart(b, "各经办人响应率", hnd, "response_rate", "responded_on_time",
		     "response_due");
	s_stats_table(b, "按类别", cat);
	s_stats_table(b, "按楼栋院落", bld);
	s_stats_table(b, "按经办人", hnd);
	qf_buf_puts(b, "<h2>指标口径</h2><dl class=\"card\">");
	json_t *defs = json_object_get(o, "definitions");
	static const char *const dk[][2] = {{"response_rate", "响应率"},
					    {"on_time_rate", "按时办结率"},
					    {"resolution_rate", "解决率"},
					    {"satisfaction_rate", "满意率"},
					    {"median", "用时"}};
	for (int i = 0; i < 5; i++) {
		qf_buf_printf(b, "<dt><b>%s</b></dt><dd>", dk[i][1]);
		qf_buf_html(b, html_js(defs, dk[i][0]));
		qf_buf_puts(b, "</dd>");
	}
	qf_buf_printf(b, "<dt><b>满意</b></dt><dd>评分不低于 %lld 分（满分 5 分）</dd></dl>",
		   (long long)html_ji(o, "satisfied_min_rating"));
	if (!r->static_site)
		qf_buf_puts(
		    b,
		    "<p class=\"meta\"><a href=\"/v1/public/stats\">JSON 数据</a></p>");
	html_end(b, r);
	json_decref(o);
	return QF_OK;
}

void page_stats(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct render rc;
	s_render_init(&rc, dp);
	struct qf_buf b;
	qf_buf_init(&b);
	int64_t from = 0, to = 0;
	const char *p = qf_http_query(r, "period");
	char label[64] = "全部";
	if (p && *p) {
		if (strlen(p) > 10 || stats_period(p, dp_tz(dp), &from, &to)) {
			html_begin(&b, &rc, "参数有误", "stats");
			qf_buf_puts(
			    &b,
			    "<h1>统计周期有误</h1><p>周期应为 2026、2026Q3、2026-11 或 "
			    "2026-11-25。</p>");
			html_end(&b, &rc);
			web_reply_html(r, dp, 400, &b);
			return;
		}
		snprintf(label, sizeof label, "%s", p);
	}
	s_finish(r, &rc, render_stats(&rc, from, to, label, &b), &b, "统计");
}

/* ------------------------------------------------------------ live */

struct live_read {
	struct dp *dp;
	int64_t now;
	json_t *counters, *recent, *alerts, *hotspots, *checkpoints;
};

static int s_live_txn(struct qf_txn *t, void *arg)
{
	struct live_read *l = arg;
	l->counters = live_counters(l->dp, t, l->now);
	l->recent = live_recent(l->dp, t, 30);
	l->alerts = signals_alerts(l->dp, t, 10);
	l->hotspots = signals_hotspots(l->dp, t, 10);
	l->checkpoints = signals_checkpoints(l->dp, t, 1);
	return QF_OK;
}

static void s_live_item(struct qf_buf *b, const struct render *r, json_t *rec)
{
	static const char *const labels[][2] = {
	    {"case", "新诉求"},		  {"state", "办理进展"},
	    {"warning", "时限预警"},	  {"breach", "超时"},
	    {"hotspot", "热点预警"},	  {"alert", "审计提示"},
	    {"checkpoint", "审计检查点"}, {"disclosure", "三务公开"},
	    {"spam", "拦截广告"}};
	const char *kind = html_js(rec, "kind"), *label = kind;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (!strcmp(kind, labels[i][0]))
			label = labels[i][1];
	json_t *d = json_object_get(rec, "data");
	qf_buf_puts(b, "<li class=\"k-");
	qf_buf_html(b, kind);
	qf_buf_puts(b, "\"><span class=\"kind\">");
	qf_buf_html(b, label);
	qf_buf_puts(b, "</span><span>");
	html_time_short(b, r, html_ji(rec, "at_ms"));
	qf_buf_puts(b, " </span>");
	if (*html_js(d, "case_id")) {
		char path[120];
		snprintf(path, sizeof path, "/cases/%s", html_js(d, "case_id"));
		qf_buf_puts(b, "<a href=\"");
		web_link(b, r, path);
		qf_buf_puts(b, "\">");
	} else {
		qf_buf_puts(b, "<span>");
	}
	if (!strcmp(kind, "case")) {
		qf_buf_html(b, html_js(d, "category_name"));
		qf_buf_puts(b, " · ");
		qf_buf_html(b, html_js(d, "building_name"));
		if (*html_js(d, "title")) {
			qf_buf_puts(b, "：");
			qf_buf_html(b, html_js(d, "title"));
		}
	} else if (!strcmp(kind, "state")) {
		qf_buf_html(b, html_js(d, "tracking_code"));
		qf_buf_puts(b, " ");
		qf_buf_html(b, html_js(d, "label"));
		qf_buf_puts(b, " → ");
		qf_buf_html(b, html_js(d, "state_name"));
	} else if (!strcmp(kind, "warning") || !strcmp(kind, "breach")) {
		qf_buf_html(b, html_js(d, "tracking_code"));
		qf_buf_puts(b, !strcmp(html_js(d, "kind"), "respond") ? " 响应" : " 办结");
		if (json_is_true(json_object_get(d, "breached")))
			qf_buf_puts(b, "已超时");
		else
			qf_buf_printf(b, "时限已用 %lld%%",
				   (long long)html_ji(d, "permille") / 10);
		if (*html_js(d, "assignee_name")) {
			qf_buf_puts(b, "，经办：");
			qf_buf_html(b, html_js(d, "assignee_name"));
		}
	} else if (!strcmp(kind, "hotspot")) {
		qf_buf_html(b, html_js(d, "building_name"));
		qf_buf_puts(b, " ");
		qf_buf_html(b, html_js(d, "category_name"));
		qf_buf_printf(b, " %lld 件 / %lld 小时", (long long)html_ji(d, "count"),
			   (long long)html_ji(d, "window_hours"));
	} else if (!strcmp(kind, "alert")) {
		qf_buf_html(b, html_js(d, "label"));
		if (*html_js(d, "detail")) {
			qf_buf_puts(b, "：");
			qf_buf_html(b, html_js(d, "detail"));
		}
	} else if (!strcmp(kind, "checkpoint")) {
		qf_buf_html(b, html_js(d, "origin"));
		qf_buf_printf(b, " #%lld", (long long)html_ji(d, "size"));
	} else if (!strcmp(kind, "disclosure")) {
		qf_buf_html(b, html_js(d, "kind_name"));
		qf_buf_puts(b, "：");
		qf_buf_html(b, html_js(d, "title"));
	} else {
		qf_buf_html(b, html_js(d, "building_name"));
		qf_buf_puts(b, " ");
		qf_buf_html(b, html_js(d, "category_name"));
	}
	qf_buf_puts(b, *html_js(d, "case_id") ? "</a></li>" : "</span></li>");
}

int render_live(const struct render *r, struct qf_buf *b)
{
	struct live_read l = {r->dp, r->now, NULL, NULL, NULL, NULL, NULL};
	int rc = s_read(r, s_live_txn, &l);
	if (rc)
		return rc;
	html_begin(b, r, "实时看板", "live");
	unsigned long long since = r->dp->hub ? sse_hub_next(r->dp->hub) : 0;
	qf_buf_printf(
	    b,
	    "<div id=\"live\" data-since=\"%llu\" data-tz=\"%d\" data-counters=\"page\">",
	    since, dp_tz(r->dp));
	qf_buf_puts(b, "<h1>实时监测看板</h1><p id=\"live-status\" class=\"status\" "
		    "data-live=\"off\">");
	qf_buf_puts(b, r->static_site ? "静态快照（不实时更新）" : "正在连接…");
	qf_buf_puts(b, "</p><div class=\"kpis\">");
	static const char *const ks[][2] = {
	    {"total", "全部案件"},	    {"open", "办理中"},
	    {"overdue", "已超时"},	    {"today_new", "今日新增"},
	    {"today_resolved", "今日办结"}, {"today_warnings", "今日预警"},
	    {"today_breaches", "今日超时"}, {"satisfaction_rate", "满意率"},
	    {"alerts", "审计提示"},	    {"viewers", "在线观看"}};
	for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		int alarm = (!strcmp(ks[i][0], "overdue") ||
			     !strcmp(ks[i][0], "today_breaches")) &&
			    html_ji(l.counters, ks[i][0]) > 0;
		qf_buf_printf(b, "<div class=\"kpi%s\"><b data-k=\"%s\">",
			   alarm ? " alarm" : "", ks[i][0]);
		if (!strcmp(ks[i][0], "satisfaction_rate"))
			html_rate(b, json_object_get(l.counters, ks[i][0]));
		else
			qf_buf_printf(b, "%lld", (long long)html_ji(l.counters, ks[i][0]));
		qf_buf_printf(b, "</b><small>%s</small></div>", ks[i][1]);
	}
	qf_buf_puts(b, "</div><h2>动态</h2><ul id=\"live-feed\" class=\"live-feed\">");
	size_t i;
	json_t *x;
	json_array_foreach(l.recent, i, x) s_live_item(b, r, x);
	qf_buf_puts(b, "</ul>");
	if (!json_array_size(l.recent))
		qf_buf_puts(b, "<p id=\"live-empty\" class=\"empty\">暂无动态。</p>");
	qf_buf_puts(b, "<h2>热点预警</h2>");
	if (!json_array_size(l.hotspots))
		qf_buf_puts(b, "<p class=\"empty\">暂无热点。</p>");
	else
		qf_buf_puts(b, "<ul class=\"live-feed\">");
	json_array_foreach(l.hotspots, i, x)
	{
		json_t *rec = json_pack("{s:s, s:I, s:O}", "kind", "hotspot", "at_ms",
					(json_int_t)html_ji(x, "at_ms"), "data", x);
		s_live_item(b, r, rec);
		json_decref(rec);
	}
	if (json_array_size(l.hotspots))
		qf_buf_puts(b, "</ul>");
	qf_buf_puts(b, "<h2>审计提示</h2>");
	if (!json_array_size(l.alerts))
		qf_buf_puts(b, "<p class=\"empty\">暂无审计提示。</p>");
	else
		qf_buf_puts(b, "<ul class=\"live-feed\">");
	json_array_foreach(l.alerts, i, x)
	{
		json_t *rec = json_pack("{s:s, s:I, s:O}", "kind", "alert", "at_ms",
					(json_int_t)html_ji(x, "at_ms"), "data", x);
		s_live_item(b, r, rec);
		json_decref(rec);
	}
	if (json_array_size(l.alerts))
		qf_buf_puts(b, "</ul>");
	json_t *cp = json_array_get(l.checkpoints, 0);
	if (cp) {
		qf_buf_puts(b, "<p class=\"meta\">最新审计检查点：<span class=\"mono\">");
		qf_buf_html(b, html_js(cp, "origin"));
		qf_buf_printf(b, "</span> 共 %lld 条，", (long long)html_ji(cp, "size"));
		html_time(b, r, html_ji(cp, "at_ms"));
		qf_buf_puts(b, "</p>");
	}
	qf_buf_puts(b, "</div>");
	if (!r->static_site)
		qf_buf_puts(b, "<script src=\"/static/live.js\"></script>");
	html_end(b, r);
	json_decref(l.counters);
	json_decref(l.recent);
	json_decref(l.alerts);
	json_decref(l.hotspots);
	json_decref(l.checkpoints);
	return QF_OK;
}

void page_live(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_live(&rc, &b), &b, "看板");
}

/* ------------------------------------------------------------ question */

void page_question(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct render rc;
	s_render_init(&rc, dp);
	struct qf_buf b;
	qf_buf_init(&b);
	const char *ref = qf_http_query(r, "ref");
	char item[200] = "三务公开事项";
	if (ref && *ref) {
		const char *colon = strchr(ref, ':');
		if (!colon || strlen(ref) > 120 || !dp_id_ok(colon + 1)) {
			html_begin(&b, &rc, "参数有误", "");
			qf_buf_puts(&b, "<h1>质询对象有误</h1><p><a "
				     "href=\"/question\">直接填写质询</a></p>");
			html_end(&b, &rc);
			web_reply_html(r, dp, 400, &b);
			return;
		}
		static const char *const kinds[][2] = {{"case", "案件"},
						       {"ledger", "财务收支条目"},
						       {"ledger_quarter", "季度财务公开"},
						       {"list", "公示名单"},
						       {"notice", "公告"},
						       {"roster", "干部名册条目"},
						       {"record", "公开记录"}};
		const char *kn = "公开事项";
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
			if (strlen(kinds[i][0]) == (size_t)(colon - ref) &&
			    !strncmp(ref, kinds[i][0], (size_t)(colon - ref)))
				kn = kinds[i][1];
		snprintf(item, sizeof item, "%s %s", kn, colon + 1);
	}
	html_begin(&b, &rc, "我要质询", "");
	qf_buf_puts(&b, "<h1>对公开事项提出质询</h1><p>对象：<b>");
	qf_buf_html(&b, item);
	qf_buf_puts(&b,
		 "</b></p><p "
		 "class=\"meta\">质询作为“公开事项质询”类诉求提交到社区诉求受理平台，"
		 "按时限办理并公开结果。您的姓名和电话只用于回复，公开时会脱敏。</p>");
	/* the form posts to intake directly: contact details never pass
	 * through this service */
	qf_buf_puts(&b, "<form id=\"qform\" class=\"qform card\" method=\"post\" action=\"");
	qf_buf_html(&b, dp->conf->intake_url);
	qf_buf_html(&b, dp->conf->question_path);
	qf_buf_puts(&b, "\" data-json=\"");
	qf_buf_html(&b, dp->conf->intake_url);
	qf_buf_html(&b, dp->conf->question_path);
	qf_buf_puts(&b, "\"><input type=\"hidden\" name=\"category\" value=\"");
	pthread_rwlock_rdlock(&dp->community_lock);
	const char *qc = "disclosure_query";
	for (unsigned i = 0; i < dp->community->ncategories; i++)
		if (dp->community->categories[i].disclosure_query) {
			qc = dp->community->categories[i].code;
			break;
		}
	qf_buf_html(&b, qc);
	qf_buf_puts(&b, "\"><input type=\"hidden\" name=\"channel\" value=\"web\">"
		     "<input type=\"hidden\" name=\"address\" value=\"");
	qf_buf_puts(&b, "公开事项：");
	qf_buf_html(&b, item);
	qf_buf_puts(&b, "\"><label>所在楼栋<select name=\"building\" required>");
	for (unsigned i = 0; i < dp->community->nbuildings; i++)
		s_option(&b, dp->community->buildings[i].id,
			 dp->community->buildings[i].name, "");
	pthread_rwlock_unlock(&dp->community_lock);
	qf_buf_puts(
	    &b,
	    "</select></label><label>质询内容<textarea name=\"description\" rows=\"5\" "
	    "required maxlength=\"4000\">对“");
	qf_buf_html(&b, item);
	qf_buf_puts(
	    &b,
	    "”有疑问：</textarea></label><label>姓名<input type=\"text\" name=\"name\" "
	    "maxlength=\"32\"></label><label>手机号<input type=\"tel\" name=\"phone\" "
	    "maxlength=\"20\"></label><label><input type=\"checkbox\" name=\"anonymous\" "
	    "value=\"true\"> 匿名</label><label><input type=\"checkbox\" "
	    "name=\"consent_public\" value=\"true\" checked> "
	    "同意公开质询内容（已脱敏）</label>"
	    "<button type=\"submit\">提交质询</button><p id=\"qresult\" class=\"meta\" "
	    "role=\"status\"></p></form><script src=\"/static/question.js\"></script>");
	html_end(&b, &rc);
	web_reply_html(r, dp, 200, &b);
}

/* ------------------------------------------------------------ verify */

static json_t *s_snaps_fn(struct dp *dp, struct qf_txn *t, const char *unused)
{
	(void)unused;
	return snapshot_list(dp, t, NULL);
}

int render_verify(const struct render *r, struct qf_buf *b)
{
	struct dp *dp = r->dp;
	json_t *snaps = s_one(r, s_snaps_fn, "");
	html_begin(b, r, "防篡改校验", "");
	qf_buf_puts(
	    b,
	    "<h1>如何校验公开内容没有被改动</h1><ol class=\"card\">"
	    "<li>"
	    "每个季度的财务明细、每份公示名单、干部名册和各类公告，发布或更正时都会生成一"
	    "份"
	    "“快照”：把全部内容按固定规则（JSON，键名排序、无空白、UTF-8）排成字节，计算 "
	    "SHA-256。</li><li>这个哈希值以 SNAPSHOT_PUBLISHED "
	    "事件写入审计日志；审计日志是"
	    "默克尔树（RFC 9162），定期签署检查点，任何人都能校验它只增不改。</li>"
	    "<li>下载快照的规范化内容，自己计算哈希：<br><code class=\"mono\">curl -s ");
	qf_buf_html(b, dp->conf->public_url);
	qf_buf_puts(b, "/v1/public/snapshots/roster/current/canonical | sha256sum</code>，"
		    "与下表及审计日志中的值比对。</li><li>在审计服务（<a href=\"");
	qf_buf_html(b, dp_audit_public(dp));
	qf_buf_puts(b, "\">");
	qf_buf_html(b, dp_audit_public(dp));
	qf_buf_puts(b, "</a>）按公告事件的分区和序号查到日志条目，用 <code>qfctl audit "
		       "verify</code> "
		       "校验包含证明和检查点签名。</li></ol><h2>当前快照</h2>");
	html_scroll(b, "当前快照");
	qf_buf_puts(b,
		    "<table>"
		    "<thead><tr><th>类型</th><th>编号</th><th>版本</th><th>SHA-256</th></"
		    "tr></thead>"
		    "<tbody>");
	size_t i;
	json_t *s;
	json_array_foreach(snaps, i, s)
	{
		qf_buf_puts(b, "<tr><td>");
		qf_buf_html(b, html_js(s, "kind"));
		qf_buf_puts(b, "</td><td>");
		qf_buf_html(b, html_js(s, "key"));
		qf_buf_printf(b, "</td><td class=\"n\">%lld</td><td class=\"mono\">",
			   (long long)html_ji(s, "version"));
		qf_buf_html(b, html_js(s, "sha256"));
		qf_buf_puts(b, "</td></tr>");
	}
	if (!json_array_size(snaps))
		qf_buf_puts(b, "<tr><td colspan=\"4\" class=\"empty\">暂无快照</td></tr>");
	qf_buf_puts(b, "</tbody></table></div>");
	html_end(b, r);
	json_decref(snaps);
	return QF_OK;
}

void page_verify(struct qf_http_req *r, void *ctx)
{
	struct render rc;
	s_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	s_finish(r, &rc, render_verify(&rc, &b), &b, "校验");
}
