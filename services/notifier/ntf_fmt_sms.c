/* ntf_fmt_sms.c: the SMS gateway format (ntf_format.h).
 *
 * Gateways differ, so the request is a template from the configuration:
 * url, body and headers with {to} {text} {id} {secret} {timestamp}, each
 * value escaped for where it lands (URL, JSON or form body, header). A 2xx
 * answer counts only when it holds the channel's ok_contains mark. */
#include "ntf_format.h"
#include "qf_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The placeholders of a gateway request template. */
enum { SMS_TO, SMS_TEXT, SMS_ID, SMS_SECRET, SMS_TIMESTAMP, SMS_NPH };
static const char *const s_names[SMS_NPH] = {"to", "text", "id", "secret", "timestamp"};

/* values escaped for where they land */
static void s_put(void *buf, const char *s, size_t len) { ntf_buf_put(buf, s, len); }

static void s_esc_url(void *buf, ntf_tmpl_put put, const char *s)
{
	(void)put;
	ntf_buf_urlenc(buf, s);
}

static void s_esc_json(void *buf, ntf_tmpl_put put, const char *s)
{
	(void)put;
	ntf_buf_jsonesc(buf, s);
}

static void s_esc_header(void *buf, ntf_tmpl_put put, const char *s)
{
	for (const char *p = s; *p; p++)
		put(buf, (*p == '\r' || *p == '\n') ? " " : p, 1);
}

static int s_build(const struct ntf_job *j, const struct ntf_dest *d, int64_t now_ms,
		   struct ntf_request *r, char *err, size_t n)
{
	const struct ntf_channel_conf *ch = j->ch;
	if (!d->addr || !d->addr[0]) {
		snprintf(err, n, "no_address: no phone number for %s",
			 j->rid ? j->rid : "recipient");
		return NTF_OUT_SKIP;
	}
	char ts[24];
	snprintf(ts, sizeof ts, "%lld", (long long)(now_ms / 1000));
	const char *vals[SMS_NPH] = {d->addr, j->text ? j->text : "", j->id,
				     d->secret ? d->secret : "", ts};
	struct ntf_buf u = {0}, body = {0};
	ntf_tmpl_render_to(ch->sms_url, vals, s_esc_url, &u, s_put);
	if (!(r->url = ntf_buf_take(&u, NULL)))
		return QF_ERR_NOMEM;
	r->method = !strcmp(ch->method, "GET")	 ? "GET"
		    : !strcmp(ch->method, "PUT") ? "PUT"
						 : "POST";
	if (strcmp(r->method, "GET")) {
		ntf_tmpl_esc esc = strstr(ch->content_type, "json") ? s_esc_json
				   : strstr(ch->content_type, "x-www-form-urlencoded")
				       ? s_esc_url
				       : NULL;
		ntf_tmpl_render_to(ch->sms_body, vals, esc, &body, s_put);
		if (!(r->body = ntf_buf_take(&body, &r->body_len)))
			return QF_ERR_NOMEM;
		if (ntf_request_header(r, "Content-Type: %s", ch->content_type))
			return QF_ERR_NOMEM;
	}
	for (unsigned i = 0; i < ch->nsms_headers; i++) {
		struct ntf_buf h = {0};
		ntf_tmpl_render_to(ch->sms_headers[i], vals, s_esc_header, &h, s_put);
		char *hs = ntf_buf_take(&h, NULL);
		if (!hs)
			return QF_ERR_NOMEM;
		int rc = ntf_request_header(r, "%s", hs);
		sodium_memzero(hs, strlen(hs));
		free(hs);
		if (rc)
			return rc;
	}
	return ntf_request_header(r, "X-QF-Delivery: %s", j->id);
}

static int s_tmpl(config_setting_t *g, const char *name, const char *text,
		  struct ntf_tmpl **out, struct qf_cfg_errors *errs)
{
	char err[160];
	int rc = ntf_tmpl_parse_names(text, s_names, SMS_NPH, out, err, sizeof err);
	if (rc == QF_ERR_CONFIG) {
		config_setting_t *m = config_setting_get_member(g, name);
		qf_cfg_error(errs, m ? m : g, NULL,
			     "%s (known: {to} {text} {id} {secret} {timestamp})", err);
	}
	return rc;
}

static int s_parse(config_setting_t *g, struct ntf_channel_conf *ch,
		   struct qf_cfg_errors *errs)
{
	int rc = ntf_parse_http_url(g, ch, errs);
	const char *body = "{\"to\":\"{to}\",\"text\":\"{text}\",\"id\":\"{id}\"}";
	if (qf_cfg_member_str(g, "body", 1, &body, errs) ||
	    s_tmpl(g, "url", ch->url, &ch->sms_url, errs) ||
	    s_tmpl(g, "body", body, &ch->sms_body, errs))
		return QF_ERR_CONFIG;
	struct qf_strlist hl = {0};
	if (ntf_conf_strlist(config_setting_get_member(g, "headers"), &hl, errs))
		return QF_ERR_CONFIG;
	ch->sms_headers = calloc(hl.n + 1, sizeof *ch->sms_headers);
	if (!ch->sms_headers) {
		ntf_strlist_free(&hl);
		return QF_ERR_NOMEM;
	}
	for (unsigned i = 0; i < hl.n; i++) {
		if (!strchr(hl.v[i], ':') || strpbrk(hl.v[i], "\r\n")) {
			qf_cfg_error(errs, config_setting_get_member(g, "headers"), NULL,
				     "'%s' is not 'Name: value'", hl.v[i]);
			rc = QF_ERR_CONFIG;
			continue;
		}
		if (s_tmpl(g, "headers", hl.v[i], &ch->sms_headers[ch->nsms_headers],
			   errs))
			rc = QF_ERR_CONFIG;
		else
			ch->nsms_headers++;
	}
	ntf_strlist_free(&hl);
	if (strcmp(ch->method, "POST") && strcmp(ch->method, "GET") &&
	    strcmp(ch->method, "PUT")) {
		qf_cfg_error(errs, config_setting_get_member(g, "method"), NULL,
			     "'%s' is not GET, POST or PUT", ch->method);
		rc = QF_ERR_CONFIG;
	}
	if (!ch->url[0]) {
		qf_cfg_error(errs, g, NULL, "an sms channel needs url");
		rc = QF_ERR_CONFIG;
	}
	return rc;
}

static int s_verdict(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		     size_t n)
{
	int v = ntf_verdict_http(f, a, err, n);
	const char *mark = a->ok_contains;
	if (v != NTF_OUT_OK || !mark || !mark[0])
		return v;
	size_t ol = strlen(mark);
	for (size_t i = 0; a->body && i + ol <= a->len; i++)
		if (memcmp(a->body + i, mark, ol) == 0)
			return NTF_OUT_OK;
	snprintf(err, n, "http %ld without the gateway's success mark", a->status);
	return NTF_OUT_TRANSIENT;
}

const struct ntf_format ntf_fmt_sms = {
    .name = "sms",
    .addr = NTF_ADDR_PHONE,
    .concurrency = 8,
    .parse = s_parse,
    .build = s_build,
    .verdict = s_verdict,
};
