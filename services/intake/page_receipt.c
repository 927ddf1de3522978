/* page_receipt.c: the receipt page, the answer to the resident's form POST
 * (never a redirect: a Location would carry the secret into logs and
 * history). It shows the tracking code, the secret once with a plain
 * warning, a QR code of the follow link, the audit receipt of the
 * submission event, and prints cleanly.
 *
 * Design: the follow link carries the secret in its fragment
 * (/t/<code>#k=<secret>): browsers never send a fragment to a server, so
 * the secret reaches no access log or proxy; the follow page's script
 * reads it there. */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "page.h"
#include "web.h"

static const struct {
	const char *key, *label;
} s_receipt_labels[] = {
    {"case_id", "案件编号"},  {"producer", "记录方"}, {"type", "事件类型"},
    {"partition", "分区"},    {"seq", "序号"},	      {"event_id", "事件编号"},
    {"commitment", "承诺值"}, {"nonce", "随机数"},    {"private", "私有部分"},
};

static void s_receipt(struct qf_buf *b, const json_t *rc)
{
	qf_buf_puts(b,
		    "<details class=\"card\" open><summary>提交凭证（审计记录）</summary>"
		    "<p class=\"hint\">这份凭证证明您的诉求已经写入不可篡改的审计日志。"
		    "日后如有争议，可凭它核对。</p><dl class=\"facts\">");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)rc, k, v)
	{
		const char *label = k;
		for (size_t i = 0;
		     i < sizeof s_receipt_labels / sizeof s_receipt_labels[0]; i++)
			if (!strcmp(s_receipt_labels[i].key, k))
				label = s_receipt_labels[i].label;
		qf_buf_puts(b, "<dt>");
		qf_buf_html(b, label);
		qf_buf_puts(b, "</dt><dd class=\"mono\">");
		if (json_is_string(v))
			qf_buf_html(b, json_string_value(v));
		else if (json_is_integer(v))
			qf_buf_printf(b, "%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			qf_buf_puts(b, json_is_true(v) ? "是" : "否");
		qf_buf_puts(b, "</dd>");
	}
	qf_buf_puts(b, "</dl></details>");
}

void page_receipt_reply(struct qf_http_req *r, struct intake *in, unsigned status,
			const json_t *a)
{
	const struct qf_community *c = intake_world_get(in)->community;
	const char *code = json_string_value(json_object_get(a, "tracking_code"));
	const char *secret = json_string_value(json_object_get(a, "secret"));
	const char *msg = json_string_value(json_object_get(a, "message"));
	struct web_page p = {.title = "提交成功",
			     .site = c->name,
			     .area = WEB_AREA_RESIDENT,
			     .large = web_large(r),
			     .secret = 1,
			     .script = "resident.js",
			     .here = "/"};
	struct qf_buf b;
	qf_buf_init(&b);
	web_begin(&b, &p);
	qf_buf_puts(&b, "<h1>已收到您的诉求</h1>");
	if (msg) {
		qf_buf_puts(&b, "<p class=\"notice\">");
		qf_buf_html(&b, msg);
		qf_buf_puts(&b, "</p>");
	} else {
		qf_buf_puts(
		    &b,
		    "<p "
		    "class=\"good\">社区会按时限受理和办理，进展会显示在跟进页上。</p>");
	}
	qf_buf_puts(&b,
		    "<div class=\"card\"><dl class=\"facts\"><dt>查询码</dt><dd><span "
		    "class=\"code\" id=\"tracking-code\">");
	qf_buf_html(&b, code);
	qf_buf_puts(&b, "</span></dd></dl>");
	if (secret) {
		qf_buf_puts(
		    &b, "<h2>密钥（只显示这一次）</h2><p class=\"notice\"><strong>请马上"
			"抄下、截图或打印保存这个密钥。</strong>它只在这里显示一次，"
			"社区也查不到。没有它就看不到办理进度，也不能补充材料或评价。"
			"不要告诉别人。</p><span class=\"secret\" id=\"secret\">");
		qf_buf_html(&b, secret);
		qf_buf_puts(&b, "</span>");
		char origin[300], rel[300], link[600];
		if (web_origin(r, origin, sizeof origin))
			origin[0] = '\0';
		struct qf_buf u;
		qf_buf_init(&u);
		qf_buf_puts(&u, "/t/");
		qf_buf_url(&u, code);
		qf_buf_puts(&u, "#k=");
		qf_buf_url(&u, secret);
		snprintf(rel, sizeof rel, "%s", qf_buf_ok(&u) ? u.p : "/t");
		qf_buf_free(&u);
		snprintf(link, sizeof link, "%s%s", origin, rel);
		qf_buf_puts(&b,
			    "<h2>跟进链接</h2><p>用手机扫描下面的二维码，或保存这个链接，"
			    "就能随时查看进度（链接里含有密钥，请勿转发）。</p>");
		web_qr_svg(&b, link, "跟进链接二维码");
		qf_buf_puts(&b, "<p><a id=\"follow-link\" href=\"");
		qf_buf_html(&b, rel);
		qf_buf_puts(&b, "\">打开跟进页</a></p>");
	} else {
		qf_buf_puts(&b, "<p>请使用您之前收到的密钥查看进度。</p>");
	}
	qf_buf_puts(&b, "<p class=\"noprint\"><button type=\"button\" id=\"print\" "
			"class=\"plain\" hidden>打印这张回执</button></p></div>");
	const json_t *rc = json_object_get(a, "receipt");
	if (json_is_object(rc))
		s_receipt(&b, rc);
	web_end(&b, &p);
	web_reply(r, status, &p, &b);
}
