/* ntf_format.c: the table of channel formats and the pieces their modules
 * share (ntf_format.h).
 *
 * The table is the only place that knows every format; adding one is a
 * new ntf_fmt_<name>.c, an enum value and one line here. */
#include "ntf_format.h"
#include "qf_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

const struct ntf_format *const ntf_formats[NTF_FMT_COUNT] = {
    [NTF_FMT_WEBHOOK] = &ntf_fmt_webhook,   [NTF_FMT_WECOM] = &ntf_fmt_wecom,
    [NTF_FMT_DINGTALK] = &ntf_fmt_dingtalk, [NTF_FMT_EMAIL] = &ntf_fmt_email,
    [NTF_FMT_SMS] = &ntf_fmt_sms,
};

const struct ntf_format *ntf_format_of(int fmt)
{
	return fmt >= 0 && fmt < NTF_FMT_COUNT ? ntf_formats[fmt] : NULL;
}

enum ntf_addr ntf_fmt_addr(int fmt)
{
	const struct ntf_format *m = ntf_format_of(fmt);
	return m ? m->addr : NTF_ADDR_URL;
}

int ntf_fmt_robot(int fmt)
{
	const struct ntf_format *m = ntf_format_of(fmt);
	return m && m->robot;
}

const char *ntf_fmt_name(enum ntf_fmt f)
{
	const struct ntf_format *m = ntf_format_of((int)f);
	return m ? m->name : "?";
}

int ntf_fmt_parse(const char *s)
{
	for (int i = 0; i < NTF_FMT_COUNT; i++)
		if (s && strcmp(s, ntf_formats[i]->name) == 0)
			return i;
	return -1;
}

int ntf_request_header(struct ntf_request *r, const char *fmt, ...)
{
	char **nh = realloc(r->headers, (r->nheaders + 1) * sizeof *nh);
	if (!nh)
		return QF_ERR_NOMEM;
	r->headers = nh;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&r->headers[r->nheaders], fmt, ap);
	va_end(ap);
	if (n < 0)
		return QF_ERR_NOMEM;
	r->nheaders++;
	return 0;
}

void ntf_hmac_sha256(const char *key, const void *a, size_t al, const void *b, size_t bl,
		     const void *c, size_t cl, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, a, al);
	crypto_auth_hmacsha256_update(&st, b, bl);
	crypto_auth_hmacsha256_update(&st, c, cl);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

int ntf_parse_http_url(config_setting_t *g, const struct ntf_channel_conf *ch,
		       struct qf_cfg_errors *errs)
{
	if (ch->url[0] && strncmp(ch->url, "http://", 7) &&
	    strncmp(ch->url, "https://", 8)) {
		qf_cfg_error(errs, config_setting_get_member(g, "url"), NULL,
			     "must start with http:// or https://");
		return QF_ERR_CONFIG;
	}
	return 0;
}

int ntf_parse_robot(config_setting_t *g, struct ntf_channel_conf *ch,
		    struct qf_cfg_errors *errs)
{
	int rc = ntf_parse_http_url(g, ch, errs);
	if (!ch->url[0]) {
		qf_cfg_error(errs, g, NULL, "missing 'url'");
		rc = QF_ERR_CONFIG;
	}
	/* a DingTalk robot without secret_file relies on keyword or IP
	   security instead: allowed */
	return rc;
}

void ntf_json_field(struct ntf_buf *b, const char *name, const char *v, int comma)
{
	ntf_buf_printf(b, "%s\"%s\":\"", comma ? "," : "", name);
	ntf_buf_jsonesc(b, v ? v : "");
	ntf_buf_puts(b, "\"");
}

void ntf_json_mentions(struct ntf_buf *b, const struct ntf_job *j)
{
	for (unsigned i = 0; i < j->nmentions; i++) {
		ntf_buf_printf(b, "%s\"", i ? "," : "");
		ntf_buf_jsonesc(b, j->mentions[i]);
		ntf_buf_puts(b, "\"");
	}
}

int ntf_request_json(struct ntf_request *r, struct ntf_buf *b, const char *url,
		     const struct ntf_job *j)
{
	r->method = "POST";
	if (!(r->body = ntf_buf_take(b, &r->body_len)) ||
	    (url && !(r->url = strdup(url))) ||
	    ntf_request_header(r, "Content-Type: application/json; charset=utf-8") ||
	    ntf_request_header(r, "X-QF-Delivery: %s", j->id))
		return QF_ERR_NOMEM;
	return 0;
}

int ntf_verdict_http(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		     size_t n)
{
	(void)f;
	if (a->transport_err) {
		snprintf(err, n, "%s", a->transport ? a->transport : "transport failure");
		return a->transport_err;
	}
	if (a->status >= 200 && a->status < 300)
		return NTF_OUT_OK;
	snprintf(err, n, "http %ld", a->status);
	if (a->status == 408 || a->status == 425 || a->status == 429 || a->status >= 500)
		return NTF_OUT_TRANSIENT;
	return NTF_OUT_PERMANENT; /* 3xx (never followed) and other 4xx */
}

int ntf_verdict_robot(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		      size_t n)
{
	int v = ntf_verdict_http(f, a, err, n);
	if (v != NTF_OUT_OK)
		return v;
	json_t *o = a->body ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	json_t *ec = o ? json_object_get(o, "errcode") : NULL;
	if (!o || !json_is_integer(ec)) {
		json_decref(o);
		snprintf(err, n, "unexpected answer from the %s robot", f->label);
		return NTF_OUT_TRANSIENT;
	}
	long long code = json_integer_value(ec);
	const char *msg = json_string_value(json_object_get(o, "errmsg"));
	v = code == 0 ? NTF_OUT_OK : code == -1 ? NTF_OUT_TRANSIENT : NTF_OUT_PERMANENT;
	for (size_t i = 0; i < sizeof f->busy / sizeof f->busy[0] && f->busy[i]; i++)
		if (code == f->busy[i])
			v = NTF_OUT_TRANSIENT; /* busy or too fast */
	/* anything else: bad key, signature, keyword, blocked */
	if (v != NTF_OUT_OK) {
		char safe[64];
		snprintf(safe, sizeof safe, "%s", msg ? msg : "");
		for (char *p = safe; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		snprintf(err, n, "errcode %lld %s", code, safe);
	}
	json_decref(o);
	return v;
}
