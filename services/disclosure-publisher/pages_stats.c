/* pages_stats.c: the statistics page and the live dashboard (pages.h has
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
		int rc = pages_read(r, s_stats_txn, &s);
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
	pages_render_init(&rc, dp);
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
	pages_finish(r, &rc, render_stats(&rc, from, to, label, &b), &b, "统计");
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
	int rc = pages_read(r, s_live_txn, &l);
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_live(&rc, &b), &b, "看板");
}
