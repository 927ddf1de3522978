/* pages_help.c: the question form and the verification guide (pages.h has
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

/* ------------------------------------------------------------ question */

void page_question(struct qf_http_req *r, void *ctx)
{
	struct dp *dp = ctx;
	struct render rc;
	pages_render_init(&rc, dp);
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
	/* the form posts to intake's own page form directly (a navigation,
	 * no cross-origin script): contact details never pass through this
	 * service, and intake answers on its own origin with the resident's
	 * receipt page (code, secret once, follow link), or the form again
	 * with the error next to its field */
	qf_buf_puts(&b, "<form id=\"qform\" class=\"qform card\" method=\"post\" action=\"");
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
		pages_option(&b, dp->community->buildings[i].id,
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
	    "<button type=\"submit\">提交质询</button></form>");
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
	json_t *snaps = pages_one(r, s_snaps_fn, "");
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
	pages_render_init(&rc, ctx);
	struct qf_buf b;
	qf_buf_init(&b);
	pages_finish(r, &rc, render_verify(&rc, &b), &b, "校验");
}
