/* pages_affairs.c: the three-affairs pages: the board of notices, the
 * ledger quarter, a list, a record's history and the roster (pages.h has
 * what the pages share). */
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
		pages_field(b, "更正理由", html_js(n, "correction_reason"));
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
	int rc = pages_read(r, s_affairs_txn, &a);
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_affairs(&rc, &b), &b, "三务公开");
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
	json_t *q = pages_one(r, affairs_ledger_quarter, quarter);
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_ledger(&rc, qf_http_param(r, "quarter"), &b), &b,
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
	json_t *l = pages_one(r, affairs_list, id);
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
		pages_field(b, "更正理由", html_js(l, "correction_reason"));
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_list(&rc, qf_http_param(r, "id"), &b), &b, "这份名单");
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
	json_t *rec = pages_one(r, affairs_record, id);
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_record(&rc, qf_http_param(r, "id"), &b), &b,
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
	json_t *ro = pages_one(r, s_roster_fn, "");
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
		pages_field(b, "职责", html_js(e, "responsibilities"));
		pages_field(b, "值班时间", html_js(e, "duty"));
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_roster(&rc, &b), &b, "干部名册");
}
