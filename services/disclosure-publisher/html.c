/* html.c: page frame and shared HTML fragments (html.h). */
#include "html.h"

#include "qf_clock.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *key, *path, *label;
} s_nav[] = {
    {"board", "/", "案件公开"},	       {"affairs", "/affairs", "三务公开"},
    {"roster", "/roster", "干部名册"}, {"stats", "/stats", "办理统计"},
    {"live", "/live", "实时看板"},
};

void html_begin(struct qf_buf *b, const struct render *r, const char *title,
		const char *active)
{
	const char *site = r->dp->title;
	qf_buf_puts(
	    b, "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	       "<title>");
	qf_buf_html(b, title);
	qf_buf_puts(b, " · ");
	qf_buf_html(b, site);
	qf_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"");
	web_link(b, r, "/static/site.css");
	qf_buf_puts(b, "\"><link rel=\"alternate\" type=\"application/atom+xml\" "
		    "title=\"新案件\" href=\"");
	web_link(b, r, "/feeds/cases.atom");
	qf_buf_puts(b, "\"><link rel=\"alternate\" type=\"application/atom+xml\" "
		    "title=\"三务公开\" href=\"");
	web_link(b, r, "/feeds/disclosures.atom");
	qf_buf_puts(b, "\"></head><body><header class=\"top\"><div class=\"wrap\"><a "
		    "class=\"brand\" href=\"");
	web_link(b, r, "/");
	qf_buf_puts(b, "\">");
	qf_buf_html(b, site);
	qf_buf_puts(b, "</a><span class=\"motto\">清风 · 阳光公开</span></div><nav "
		       "class=\"wrap nav\" aria-label=\"主导航\">");
	for (size_t i = 0; i < sizeof s_nav / sizeof s_nav[0]; i++) {
		if (r->static_site && !strcmp(s_nav[i].key, "live"))
			continue;
		qf_buf_puts(b, "<a href=\"");
		web_link(b, r, s_nav[i].path);
		qf_buf_puts(b, strcmp(active, s_nav[i].key)
				? "\">"
				: "\" class=\"on\" aria-current=\"page\">");
		qf_buf_puts(b, s_nav[i].label);
		qf_buf_puts(b, "</a>");
	}
	qf_buf_puts(b, "</nav></header><main class=\"wrap\">");
}

void html_end(struct qf_buf *b, const struct render *r)
{
	qf_buf_puts(
	    b,
	    "</main><footer class=\"wrap "
	    "foot\"><p>本站公开的诉求人信息均已脱敏（姓名只留姓氏，"
	    "电话、证件号、邮箱隐去）。三务公开的每份快照都计算 SHA-256 并写入审计日志，"
	    "可<a href=\"");
	web_link(b, r, "/verify");
	qf_buf_puts(b, "\">自行校验</a>。</p><p class=\"links\"><a href=\"");
	web_link(b, r, "/feeds/cases.atom");
	qf_buf_puts(b, "\">订阅新案件</a><a href=\"");
	web_link(b, r, "/feeds/disclosures.atom");
	qf_buf_puts(b, "\">订阅三务公开</a>");
	if (!r->static_site) {
		qf_buf_puts(b, "<a href=\"/v1/public/cases.csv\">下载案件表（CSV）</a>"
			    "<a href=\"/v1/public/ledger.csv\">下载财务明细（CSV）</a>");
	} else {
		qf_buf_puts(b, "<a href=\"");
		web_link(b, r, "/cases.csv");
		qf_buf_puts(b, "\">下载案件表（CSV）</a><a href=\"");
		web_link(b, r, "/ledger.csv");
		qf_buf_puts(b, "\">下载财务明细（CSV）</a>");
	}
	qf_buf_puts(b, "<a href=\"");
	web_link(b, r, "/question");
	qf_buf_puts(b, "\">我要质询</a></p>");
	if (r->static_site) {
		qf_buf_puts(b, "<p>静态导出于 ");
		html_time(b, r, r->now);
		qf_buf_puts(b, "，内容以在线公开栏为准。</p>");
	}
	qf_buf_puts(b, "</footer></body></html>\n");
}

void html_time(struct qf_buf *b, const struct render *r, int64_t ms)
{
	if (!ms) {
		qf_buf_puts(b, "—");
		return;
	}
	char t[40];
	qf_time_fmt(ms, dp_tz(r->dp), t, sizeof t);
	t[10] = ' ';
	t[16] = '\0';
	qf_buf_puts(b, t);
}

void html_time_short(struct qf_buf *b, const struct render *r, int64_t ms)
{
	char t[40];
	qf_time_fmt(ms, dp_tz(r->dp), t, sizeof t);
	t[10] = ' ';
	t[16] = '\0';
	qf_buf_puts(b, t + 5);
}

void html_duration(struct qf_buf *b, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 3600)
		qf_buf_printf(b, "%lld分钟", (long long)((s + 59) / 60));
	else if (s < 86400)
		qf_buf_printf(b, "%lld小时%lld分", (long long)(s / 3600),
			   (long long)(s % 3600 / 60));
	else
		qf_buf_printf(b, "%lld天%lld小时", (long long)(s / 86400),
			   (long long)(s % 86400 / 3600));
}

void html_rate(struct qf_buf *b, json_t *rate)
{
	if (!json_is_number(rate)) {
		qf_buf_puts(b, "—");
		return;
	}
	qf_buf_printf(b, "%.1f%%", json_number_value(rate) * 100.0);
}

void html_money(struct qf_buf *b, int64_t fen)
{
	qf_buf_puts(b, "¥");
	qf_buf_yuan(b, fen);
}

void html_question(struct qf_buf *b, const struct render *r, const char *ref,
		   const char *label)
{
	qf_buf_puts(b, "<a class=\"ask\" href=\"");
	if (r->static_site) {
		qf_buf_html(b, r->dp->conf->public_url);
		qf_buf_puts(b, "/question?ref=");
	} else {
		qf_buf_puts(b, "/question?ref=");
	}
	struct qf_buf u;
	qf_buf_init(&u);
	qf_buf_url(&u, ref);
	qf_buf_html(b, u.p);
	qf_buf_free(&u);
	qf_buf_puts(b, "\">");
	qf_buf_html(b, label ? label : "有疑问？我要质询");
	qf_buf_puts(b, "</a>");
}

void html_scroll(struct qf_buf *b, const char *label)
{
	qf_buf_puts(b,
		    "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"");
	qf_buf_html(b, label);
	qf_buf_puts(b, "\">");
}

void html_state(struct qf_buf *b, const char *code, const char *label)
{
	qf_buf_puts(b, "<span class=\"state s-");
	qf_buf_html(b, code);
	qf_buf_puts(b, "\">");
	qf_buf_html(b, label);
	qf_buf_puts(b, "</span>");
}

void html_snapshot(struct qf_buf *b, const struct render *r, json_t *snap)
{
	if (!json_is_object(snap))
		return;
	qf_buf_puts(b, "<details class=\"proof\"><summary>防篡改校验：第");
	qf_buf_printf(b, "%lld", (long long)html_ji(snap, "version"));
	qf_buf_puts(b, "版快照</summary><dl><dt>SHA-256</dt><dd class=\"mono\">");
	qf_buf_html(b, html_js(snap, "sha256"));
	qf_buf_puts(b, "</dd><dt>条目数</dt><dd>");
	qf_buf_printf(b, "%lld", (long long)html_ji(snap, "item_count"));
	qf_buf_puts(b, "</dd>");
	json_t *an = json_object_get(snap, "announcement");
	if (json_is_object(an)) {
		qf_buf_puts(b, "<dt>公告事件</dt><dd class=\"mono\">");
		qf_buf_html(b, html_js(an, "producer"));
		qf_buf_printf(b, " / 分区 %lld / 序号 %lld",
			   (long long)html_ji(an, "partition"),
			   (long long)html_ji(an, "seq"));
		qf_buf_puts(b, "</dd><dt>发布时间</dt><dd>");
		html_time(b, r, html_ji(an, "at_ms"));
		qf_buf_puts(b, "</dd><dt>审计检查点</dt><dd>");
		json_t *cp = json_object_get(an, "checkpoint");
		int by_leaf = json_is_object(cp) && !strcmp(html_js(cp, "basis"), "leaf");
		if (json_is_integer(json_object_get(an, "leaf_index")))
			qf_buf_printf(b, "审计日志第 %lld 条记录；",
				   (long long)html_ji(an, "leaf_index"));
		if (json_is_object(cp)) {
			qf_buf_puts(b, "检查点 <span class=\"mono\">");
			qf_buf_html(b, html_js(cp, "origin"));
			qf_buf_printf(b, "</span> 共 %lld 条，签名于 ",
				   (long long)html_ji(cp, "size"));
			html_time(b, r, html_ji(cp, "at_ms"));
			qf_buf_puts(b, "，根哈希 <span class=\"mono\">");
			qf_buf_html(b, html_js(cp, "root_hash"));
			qf_buf_puts(b, "</span><br>");
			if (by_leaf) {
				qf_buf_puts(b,
					 "<small>该检查点包含本快照的公告。<a href=\"");
				qf_buf_html(b, html_js(cp, "proof_url"));
				qf_buf_puts(b, "\">查看包含证明</a></small>");
			} else {
				qf_buf_puts(
				    b,
				    "<small>"
				    "此检查点签署于公告之后（按时间推断，尚未在审计日志中"
				    "定位到公告）；请以审计服务的包含证明为准。</small>");
			}
		} else {
			qf_buf_puts(b, "等待审计服务签署包含它的检查点");
		}
		qf_buf_puts(b, "</dd>");
	}
	qf_buf_puts(b, "</dl><p><a href=\"");
	if (r->static_site) {
		qf_buf_html(b, r->dp->conf->public_url);
	}
	qf_buf_puts(b, "/v1/public/snapshots/");
	qf_buf_html(b, html_js(snap, "kind"));
	qf_buf_puts(b, "/");
	qf_buf_html(b, html_js(snap, "key"));
	qf_buf_puts(b,
		 "/canonical\">下载规范化内容</a>，计算 SHA-256 与上面比对；<a href=\"");
	web_link(b, r, "/verify");
	qf_buf_puts(b, "\">校验方法</a></p></details>");
}
