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

void html_begin(struct buf *b, const struct render *r, const char *title,
		const char *active)
{
	const char *site = r->dp->title;
	buf_puts(
	    b, "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	       "<title>");
	buf_html(b, title);
	buf_puts(b, " · ");
	buf_html(b, site);
	buf_puts(b, "</title><link rel=\"stylesheet\" href=\"");
	web_link(b, r, "/static/site.css");
	buf_puts(b, "\"><link rel=\"alternate\" type=\"application/atom+xml\" "
		    "title=\"新案件\" href=\"");
	web_link(b, r, "/feeds/cases.atom");
	buf_puts(b, "\"><link rel=\"alternate\" type=\"application/atom+xml\" "
		    "title=\"三务公开\" href=\"");
	web_link(b, r, "/feeds/disclosures.atom");
	buf_puts(b, "\"></head><body><header class=\"top\"><div class=\"wrap\"><a "
		    "class=\"brand\" href=\"");
	web_link(b, r, "/");
	buf_puts(b, "\">");
	buf_html(b, site);
	buf_puts(b, "</a><span class=\"motto\">清风 · 阳光公开</span></div><nav "
		    "class=\"wrap nav\">");
	for (size_t i = 0; i < sizeof s_nav / sizeof s_nav[0]; i++) {
		if (r->static_site && !strcmp(s_nav[i].key, "live"))
			continue;
		buf_puts(b, "<a href=\"");
		web_link(b, r, s_nav[i].path);
		buf_puts(b, strcmp(active, s_nav[i].key)
				? "\">"
				: "\" class=\"on\" aria-current=\"page\">");
		buf_puts(b, s_nav[i].label);
		buf_puts(b, "</a>");
	}
	buf_puts(b, "</nav></header><main class=\"wrap\">");
}

void html_end(struct buf *b, const struct render *r)
{
	buf_puts(
	    b,
	    "</main><footer class=\"wrap "
	    "foot\"><p>本站公开的诉求人信息均已脱敏（姓名只留姓氏，"
	    "电话、证件号、邮箱隐去）。三务公开的每份快照都计算 SHA-256 并写入审计日志，"
	    "可<a href=\"");
	web_link(b, r, "/verify");
	buf_puts(b, "\">自行校验</a>。</p><p class=\"links\"><a href=\"");
	web_link(b, r, "/feeds/cases.atom");
	buf_puts(b, "\">订阅新案件</a><a href=\"");
	web_link(b, r, "/feeds/disclosures.atom");
	buf_puts(b, "\">订阅三务公开</a>");
	if (!r->static_site) {
		buf_puts(b, "<a href=\"/v1/public/cases.csv\">下载案件表（CSV）</a>"
			    "<a href=\"/v1/public/ledger.csv\">下载财务明细（CSV）</a>");
	} else {
		buf_puts(b, "<a href=\"");
		web_link(b, r, "/cases.csv");
		buf_puts(b, "\">下载案件表（CSV）</a><a href=\"");
		web_link(b, r, "/ledger.csv");
		buf_puts(b, "\">下载财务明细（CSV）</a>");
	}
	buf_puts(b, "<a href=\"");
	web_link(b, r, "/question");
	buf_puts(b, "\">我要质询</a></p>");
	if (r->static_site) {
		buf_puts(b, "<p>静态导出于 ");
		html_time(b, r, r->now);
		buf_puts(b, "，内容以在线公开栏为准。</p>");
	}
	buf_puts(b, "</footer></body></html>\n");
}

void html_time(struct buf *b, const struct render *r, int64_t ms)
{
	if (!ms) {
		buf_puts(b, "—");
		return;
	}
	char t[40];
	qf_time_fmt(ms, dp_tz(r->dp), t, sizeof t);
	t[10] = ' ';
	t[16] = '\0';
	buf_puts(b, t);
}

void html_time_short(struct buf *b, const struct render *r, int64_t ms)
{
	char t[40];
	qf_time_fmt(ms, dp_tz(r->dp), t, sizeof t);
	t[10] = ' ';
	t[16] = '\0';
	buf_puts(b, t + 5);
}

void html_duration(struct buf *b, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 3600)
		buf_printf(b, "%lld分钟", (long long)((s + 59) / 60));
	else if (s < 86400)
		buf_printf(b, "%lld小时%lld分", (long long)(s / 3600),
			   (long long)(s % 3600 / 60));
	else
		buf_printf(b, "%lld天%lld小时", (long long)(s / 86400),
			   (long long)(s % 86400 / 3600));
}

void html_rate(struct buf *b, json_t *rate)
{
	if (!json_is_number(rate)) {
		buf_puts(b, "—");
		return;
	}
	buf_printf(b, "%.1f%%", json_number_value(rate) * 100.0);
}

void html_money(struct buf *b, int64_t fen)
{
	buf_puts(b, "¥");
	buf_yuan(b, fen);
}

void html_question(struct buf *b, const struct render *r, const char *ref,
		   const char *label)
{
	buf_puts(b, "<a class=\"ask\" href=\"");
	if (r->static_site) {
		buf_html(b, r->dp->conf->public_url);
		buf_puts(b, "/question?ref=");
	} else {
		buf_puts(b, "/question?ref=");
	}
	struct buf u;
	buf_init(&u);
	buf_url(&u, ref);
	buf_html(b, u.p);
	buf_free(&u);
	buf_puts(b, "\">");
	buf_html(b, label ? label : "有疑问？我要质询");
	buf_puts(b, "</a>");
}

void html_state(struct buf *b, const char *code, const char *label)
{
	buf_puts(b, "<span class=\"state s-");
	buf_html(b, code);
	buf_puts(b, "\">");
	buf_html(b, label);
	buf_puts(b, "</span>");
}

void html_snapshot(struct buf *b, const struct render *r, json_t *snap)
{
	if (!json_is_object(snap))
		return;
	buf_puts(b, "<details class=\"proof\"><summary>防篡改校验：第");
	buf_printf(b, "%lld", (long long)html_ji(snap, "version"));
	buf_puts(b, "版快照</summary><dl><dt>SHA-256</dt><dd class=\"mono\">");
	buf_html(b, html_js(snap, "sha256"));
	buf_puts(b, "</dd><dt>条目数</dt><dd>");
	buf_printf(b, "%lld", (long long)html_ji(snap, "item_count"));
	buf_puts(b, "</dd>");
	json_t *an = json_object_get(snap, "announcement");
	if (json_is_object(an)) {
		buf_puts(b, "<dt>公告事件</dt><dd class=\"mono\">");
		buf_html(b, html_js(an, "producer"));
		buf_printf(b, " / 分区 %lld / 序号 %lld",
			   (long long)html_ji(an, "partition"),
			   (long long)html_ji(an, "seq"));
		buf_puts(b, "</dd><dt>发布时间</dt><dd>");
		html_time(b, r, html_ji(an, "at_ms"));
		buf_puts(b, "</dd><dt>审计检查点</dt><dd>");
		json_t *cp = json_object_get(an, "checkpoint");
		int by_leaf = json_is_object(cp) && !strcmp(html_js(cp, "basis"), "leaf");
		if (json_is_integer(json_object_get(an, "leaf_index")))
			buf_printf(b, "审计日志第 %lld 条记录；",
				   (long long)html_ji(an, "leaf_index"));
		if (json_is_object(cp)) {
			buf_puts(b, "检查点 <span class=\"mono\">");
			buf_html(b, html_js(cp, "origin"));
			buf_printf(b, "</span> 共 %lld 条，签名于 ",
				   (long long)html_ji(cp, "size"));
			html_time(b, r, html_ji(cp, "at_ms"));
			buf_puts(b, "，根哈希 <span class=\"mono\">");
			buf_html(b, html_js(cp, "root_hash"));
			buf_puts(b, "</span><br>");
			if (by_leaf) {
				buf_puts(b,
					 "<small>该检查点包含本快照的公告。<a href=\"");
				buf_html(b, html_js(cp, "proof_url"));
				buf_puts(b, "\">查看包含证明</a></small>");
			} else {
				buf_puts(
				    b,
				    "<small>"
				    "此检查点签署于公告之后（按时间推断，尚未在审计日志中"
				    "定位到公告）；请以审计服务的包含证明为准。</small>");
			}
		} else {
			buf_puts(b, "等待审计服务签署包含它的检查点");
		}
		buf_puts(b, "</dd>");
	}
	buf_puts(b, "</dl><p><a href=\"");
	if (r->static_site) {
		buf_html(b, r->dp->conf->public_url);
	}
	buf_puts(b, "/v1/public/snapshots/");
	buf_html(b, html_js(snap, "kind"));
	buf_puts(b, "/");
	buf_html(b, html_js(snap, "key"));
	buf_puts(b,
		 "/canonical\">下载规范化内容</a>，计算 SHA-256 与上面比对；<a href=\"");
	web_link(b, r, "/verify");
	buf_puts(b, "\">校验方法</a></p></details>");
}
