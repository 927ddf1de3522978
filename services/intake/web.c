/* web.c: the page shell of intake's web pages (web.h): document frame,
 * navigation, security headers, the large-type toggle and the assets route.
 *
 * Design: the shell writes no inline script or style attribute, so the
 * Content-Security-Policy can forbid both; large type is a class on <html>
 * chosen by a cookie that a plain link sets, so it works without JS. */
#include "web.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

static const struct web_link s_resident_nav[] = {
    {"submit", "/", "我要反映"},
    {"follow", "/t", "查询进度"},
    {"staff", "/staff/login", "工作人员登录"},
};

#define CSP                                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: " \
	"blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "               \
	"frame-ancestors 'none'; object-src 'none'"

void web_begin(struct qf_buf *b, const struct web_page *p)
{
	const char *site = p->site && *p->site ? p->site : "清风";
	qf_buf_puts(b, "<!doctype html>\n<html lang=\"zh-CN\"");
	if (p->large)
		qf_buf_puts(b, " class=\"big\"");
	qf_buf_puts(b,
		    "><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\">"
		    "<title>");
	qf_buf_html(b, p->title);
	qf_buf_puts(b, " · ");
	qf_buf_html(b, site);
	qf_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"/assets/intake.css\">");
	if (p->script) {
		qf_buf_puts(b, "<script defer src=\"/assets/");
		qf_buf_html(b, p->script);
		qf_buf_puts(b, "\"></script>");
	}
	qf_buf_puts(b, "</head><body><a class=\"skip\" href=\"#main\">跳到正文</a>"
		       "<header class=\"top\"><div class=\"wrap\"><a class=\"brand\" "
		       "href=\"/\">");
	qf_buf_html(b, site);
	qf_buf_puts(b, "</a><span class=\"motto\">");
	qf_buf_puts(b, p->area == WEB_AREA_STAFF ? "清风 · 工作台" : "清风 · 居民反映");
	qf_buf_puts(b, "</span></div>");
	const struct web_link *nav =
	    p->area == WEB_AREA_RESIDENT ? s_resident_nav : p->nav;
	unsigned n = p->area == WEB_AREA_RESIDENT
			 ? (unsigned)(sizeof s_resident_nav / sizeof s_resident_nav[0])
			 : p->nnav;
	if (nav && n) {
		qf_buf_puts(b, "<nav class=\"wrap nav\" aria-label=\"主导航\">");
		for (unsigned i = 0; i < n; i++) {
			int on = p->active && !strcmp(p->active, nav[i].key);
			qf_buf_puts(b, "<a href=\"");
			qf_buf_html(b, nav[i].href);
			qf_buf_puts(b, on ? "\" class=\"on\" aria-current=\"page\">"
					  : "\">");
			qf_buf_html(b, nav[i].label);
			qf_buf_puts(b, "</a>");
		}
		qf_buf_puts(b, "</nav>");
	}
	qf_buf_puts(b, "</header><main id=\"main\" class=\"wrap\" tabindex=\"-1\">");
}

void web_end(struct qf_buf *b, const struct web_page *p)
{
	const char *here = p->here && web_local_path(p->here) ? p->here : "/";
	qf_buf_puts(b, "</main><footer class=\"wrap foot\"><p><a class=\"bigtoggle\" "
		       "href=\"/large?on=");
	qf_buf_puts(b, p->large ? "0" : "1");
	qf_buf_puts(b, "&amp;back=");
	/* url-escaped, then html-escaped for the attribute */
	struct qf_buf u;
	qf_buf_init(&u);
	qf_buf_url(&u, here);
	qf_buf_html(b, qf_buf_ok(&u) ? u.p : "%2F");
	qf_buf_free(&u);
	qf_buf_puts(b, "\">");
	qf_buf_puts(b, p->large ? "恢复标准字号" : "大字模式");
	qf_buf_puts(b, "</a></p>");
	if (p->area == WEB_AREA_RESIDENT)
		qf_buf_puts(b, "<p>您的姓名、电话和住址只给处理您诉求的工作人员看，"
			       "绝不公开；公开栏只显示脱敏后的内容。</p>");
	qf_buf_puts(b, "</footer></body></html>\n");
}

void web_headers(struct qf_http_req *r, int secret)
{
	qf_http_add_header(r, "Content-Security-Policy", CSP);
	qf_http_add_header(r, "Referrer-Policy", "no-referrer");
	qf_http_add_header(r, "X-Frame-Options", "DENY");
	/* a page depends on the reader (large-type cookie, a secret): never
	   shared caches; secrets never stored at all */
	qf_http_add_header(r, "Cache-Control", secret ? "no-store" : "private, no-cache");
}

void web_reply(struct qf_http_req *r, unsigned status, const struct web_page *p,
	       struct qf_buf *b)
{
	web_headers(r, p->secret);
	size_t len;
	char *s = qf_buf_take(b, &len);
	if (!s) {
		qf_http_reply_error(r, 500, "nomem", "服务器内存不足", NULL);
		return;
	}
	qf_http_reply_take(r, status, "text/html; charset=utf-8", s, len);
}

int web_large(struct qf_http_req *r)
{
	const char *c = qf_http_header(r, "Cookie");
	for (const char *s = c; s && (s = strstr(s, "qf_large=")); s += 9)
		if ((s == c || s[-1] == ' ' || s[-1] == ';') && s[9] == '1')
			return 1;
	return 0;
}

int web_local_path(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n == 0 || n > 200 || p[0] != '/' || strstr(p, "//") || strchr(p, '\\'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

void web_h_asset(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	const struct web_asset *a = web_asset_find(qf_http_param(r, "name"));
	if (!a) {
		qf_http_reply_error(r, 404, "not_found", "没有这个文件", NULL);
		return;
	}
	qf_http_add_header(r, "Cache-Control", "no-cache");
	qf_http_reply(r, 200, a->ctype, a->body, strlen(a->body));
}

void web_h_large(struct qf_http_req *r, void *ctx)
{
	(void)ctx;
	const char *on = qf_http_query(r, "on");
	const char *back = qf_http_query(r, "back");
	int big = on && !strcmp(on, "1");
	qf_http_add_header(
	    r, "Set-Cookie",
	    big ? "qf_large=1; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
		: "qf_large=0; Path=/; Max-Age=0; SameSite=Lax; HttpOnly");
	qf_http_add_header(r, "Location", web_local_path(back) ? back : "/");
	qf_http_add_header(r, "Cache-Control", "no-store");
	qf_http_reply(r, 303, "text/plain; charset=utf-8", "", 0);
}

int web_err_is(const struct intake_err *e, const char *field)
{
	return e && e->code && !strcmp(e->field, field);
}

void web_field_attrs(struct qf_buf *b, const char *field, int hint,
		     const struct intake_err *e)
{
	qf_buf_puts(b, " id=\"f-");
	qf_buf_html(b, field);
	qf_buf_puts(b, "\" name=\"");
	qf_buf_html(b, field);
	qf_buf_putc(b, '"');
	int bad = web_err_is(e, field);
	if (hint || bad) {
		qf_buf_puts(b, " aria-describedby=\"");
		if (hint) {
			qf_buf_puts(b, "h-");
			qf_buf_html(b, field);
		}
		if (bad) {
			qf_buf_puts(b, hint ? " e-" : "e-");
			qf_buf_html(b, field);
		}
		qf_buf_putc(b, '"');
	}
	if (bad)
		qf_buf_puts(b, " aria-invalid=\"true\"");
}

void web_field_err(struct qf_buf *b, const char *field, const struct intake_err *e,
		   const char *message)
{
	if (!web_err_is(e, field))
		return;
	qf_buf_puts(b, "<span class=\"err\" role=\"alert\" id=\"e-");
	qf_buf_html(b, field);
	qf_buf_puts(b, "\">");
	qf_buf_html(b, message ? message : e->message);
	qf_buf_puts(b, "</span>");
}

void web_field_value(struct qf_buf *b, const json_t *fields, const char *field)
{
	qf_buf_html(b, json_string_value(json_object_get(fields, field)));
}

int web_origin(struct qf_http_req *r, char *out, size_t n)
{
	const char *h = qf_http_header(r, "Host");
	const char *xp = qf_http_header(r, "X-Forwarded-Proto");
	out[0] = '\0';
	if (!h || !*h || strlen(h) > 253)
		return -1;
	for (const char *c = h; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"
			    "89.-:[]",
			    *c))
			return -1;
	snprintf(out, n, "%s://%s", xp && !strcmp(xp, "https") ? "https" : "http", h);
	return 0;
}

void web_time(struct qf_buf *b, const char *iso)
{
	if (iso && strlen(iso) >= 16 && iso[10] == 'T') {
		qf_buf_htmln(b, iso, 10);
		qf_buf_putc(b, ' ');
		qf_buf_htmln(b, iso + 11, 5);
	} else {
		qf_buf_html(b, iso);
	}
}

/* ------------------------------------------------------------ form keys */

void web_form_key_field(struct qf_buf *b)
{
	uint8_t fk[16];
	char fkey[2 * sizeof fk + 1];
	randombytes_buf(fk, sizeof fk);
	sodium_bin2hex(fkey, sizeof fkey, fk, sizeof fk);
	qf_buf_printf(b, "<input type=\"hidden\" name=\"form_key\" value=\"%s\">", fkey);
}

int web_form_key_idem(const json_t *obj, const char *scope, struct intake_idem *id)
{
	memset(id, 0, sizeof *id);
	const char *k = json_string_value(json_object_get(obj, "form_key"));
	if (!k || strlen(k) != 32 || strspn(k, "0123456789abcdef") != 32)
		return 0;
	json_t *f = json_deep_copy(obj);
	json_object_del(f, "form_key");
	char *body = json_dumps(f, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(f);
	if (!body)
		return 0;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)scope, strlen(scope) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)k, 32);
	crypto_hash_sha256_final(&st, id->key);
	crypto_hash_sha256(id->body, (const uint8_t *)body, strlen(body));
	free(body);
	id->present = 1;
	return 1;
}
