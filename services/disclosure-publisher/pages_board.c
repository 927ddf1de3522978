/* pages_board.c: the case board (filters, list, paging) and the case page
 * with its timeline (pages.h has what the pages share). */
#include "pages.h"
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

static void s_filters(struct qf_buf *b, const struct render *r, const struct case_filter *f)
{
	struct dp *dp = r->dp;
	qf_buf_puts(b, "<form class=\"filters card\" method=\"get\" action=\"/\">"
		    "<label>类别<select name=\"category\">");
	pages_option(b, "", "全部", f->category);
	pthread_rwlock_rdlock(&dp->community_lock);
	for (unsigned i = 0; i < dp->community->ncategories; i++)
		pages_option(b, dp->community->categories[i].code,
			 dp->community->categories[i].name, f->category);
	qf_buf_puts(b, "</select></label><label>楼栋<select name=\"building\">");
	pages_option(b, "", "全部", f->building);
	for (unsigned i = 0; i < dp->community->nbuildings; i++)
		pages_option(b, dp->community->buildings[i].id,
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
		pages_option(b, st[i][0], st[i][1], f->state);
	qf_buf_puts(b, "</select></label><label>起始日期<input type=\"date\" name=\"from\" "
		    "value=\"");
	qf_buf_html(b, f->from);
	qf_buf_puts(b,
		 "\"></label><label>截止日期<input type=\"date\" name=\"to\" value=\"");
	qf_buf_html(b, f->to);
	qf_buf_puts(b, "\"></label><label>只看超时<select name=\"overdue\">");
	pages_option(b, "", "否", f->overdue ? "1" : "");
	pages_option(b, "1", "是", f->overdue ? "1" : "");
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
	int rc = pages_read(r, s_board_txn, &bd);
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
	pages_render_init(&rc, ctx);
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
	pages_finish(r, &rc, render_board(&rc, &f, &b), &b, "案件");
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
	pages_field(b, "原因", html_js(e, "reason"));
	pages_field(b, "查明原因", html_js(e, "cause"));
	pages_field(b, "处理进展", html_js(e, "progress"));
	pages_field(b, "处理结果", html_js(e, "result"));
	if (*html_js(e, "reject_reason"))
		pages_field(b, "不予受理理由", s_reject_label(html_js(e, "reject_reason")));
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
	pages_field(b, "评价", html_js(e, "comment"));
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
	if (!dp_id_ok(id) || pages_read(r, s_case_get, &cl) || !cl.doc)
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
		pages_field(b, "地点", html_js(d, "address"));
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_case(&rc, qf_http_param(r, "id"), &b), &b, "这个案件");
}
