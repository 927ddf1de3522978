/* ntf_channel.c: request bytes and answer verdicts per channel
 * (ntf_channel.h).
 *
 * Each format is one static function that appends to ntf_buf; the one
 * place where a petitioner's contact is opened is ntf_request_build, which
 * wipes the opened copy before it returns (the request itself is wiped by
 * the sender after the transfer). */
#include "ntf_channel.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_id.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

static const char *const s_outcomes[] = {"delivered", "transient", "permanent", "skipped",
					 "cancelled"};

const char *ntf_outcome_name(int o)
{
	return o >= 0 && o <= NTF_OUT_CANCEL ? s_outcomes[o] : "?";
}

void ntf_job_free(struct ntf_job *j)
{
	if (!j)
		return;
	free(j->url);
	free(j->subject);
	free(j->text);
	free(j->markdown);
	free(j->event);
	free(j->event_id);
	free(j->case_id);
	free(j->tracking_code);
	free(j->rule);
	free(j->rk);
	free(j->rid);
	if (j->to_addr)
		sodium_memzero(j->to_addr, strlen(j->to_addr));
	free(j->to_addr);
	for (unsigned i = 0; i < j->nmentions; i++)
		free(j->mentions[i]);
	free(j->mentions);
	free(j->sealed);
	free(j->sealed_secret);
	free(j->unsubscribe);
	free(j->masked);
	free(j);
}

void ntf_request_wipe(struct ntf_request *r)
{
	if (r->url)
		sodium_memzero(r->url, strlen(r->url));
	free(r->url);
	for (unsigned i = 0; i < r->nheaders; i++) {
		sodium_memzero(r->headers[i], strlen(r->headers[i]));
		free(r->headers[i]);
	}
	free(r->headers);
	if (r->body)
		sodium_memzero(r->body, r->body_len);
	free(r->body);
	if (r->mail_from)
		free(r->mail_from);
	if (r->rcpt) {
		sodium_memzero(r->rcpt, strlen(r->rcpt));
		free(r->rcpt);
	}
	memset(r, 0, sizeof *r);
}

static int s_header(struct ntf_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int s_header(struct ntf_request *r, const char *fmt, ...)
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

static void s_hmac(const char *key, const void *a, size_t al, const void *b, size_t bl,
		   const void *c, size_t cl, uint8_t out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, a, al);
	crypto_auth_hmacsha256_update(&st, b, bl);
	crypto_auth_hmacsha256_update(&st, c, cl);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void ntf_webhook_signature(const char *secret, const char *ts, const char *body,
			   size_t len, char *out, size_t n)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof mac + 1];
	s_hmac(secret, ts, strlen(ts), ".", 1, body, len, mac);
	snprintf(out, n, "sha256=%s", qf_hex(mac, sizeof mac, hex));
}

char *ntf_dingtalk_sign(const char *secret, const char *ts_ms)
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	s_hmac(secret, ts_ms, strlen(ts_ms), "\n", 1, secret, strlen(secret), mac);
	struct ntf_buf b64 = {0}, enc = {0};
	ntf_buf_base64(&b64, mac, sizeof mac);
	char *s = ntf_buf_take(&b64, NULL);
	if (!s)
		return NULL;
	ntf_buf_urlenc(&enc, s);
	free(s);
	return ntf_buf_take(&enc, NULL);
}

static int s_needs_encoding(const char *s)
{
	size_t l = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, l++)
		if (*p >= 0x80 || *p < 0x20)
			return 1;
	return l > 70 || strstr(s, "=?") != NULL;
}

char *ntf_rfc2047(const char *s)
{
	struct ntf_buf b = {0};
	if (!s_needs_encoding(s)) {
		ntf_buf_puts(&b, s);
		return ntf_buf_take(&b, NULL);
	}
	size_t len = strlen(s), i = 0;
	int first = 1;
	while (i < len) {
		/* at most 45 bytes per word (60 base64 characters + 12 = 72),
		   cut at a UTF-8 character boundary */
		size_t take = len - i < 45 ? len - i : 45;
		while (take > 0 && i + take < len &&
		       ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = len - i < 45 ? len - i : 45;
		char clean[64];
		for (size_t k = 0; k < take; k++) /* no control characters in headers */
			clean[k] = (unsigned char)s[i + k] < 0x20 ? ' ' : s[i + k];
		if (!first)
			ntf_buf_puts(&b, "\r\n ");
		ntf_buf_puts(&b, "=?UTF-8?B?");
		ntf_buf_base64(&b, clean, take);
		ntf_buf_puts(&b, "?=");
		first = 0;
		i += take;
	}
	return ntf_buf_take(&b, NULL);
}

/* ------------------------------------------------------------ formats */

static void s_json_field(struct ntf_buf *b, const char *name, const char *v, int comma)
{
	ntf_buf_printf(b, "%s\"%s\":\"", comma ? "," : "", name);
	ntf_buf_jsonesc(b, v ? v : "");
	ntf_buf_puts(b, "\"");
}

static void s_webhook_body(struct ntf_buf *b, const struct ntf_job *j, int64_t now_ms)
{
	ntf_buf_puts(b, "{");
	s_json_field(b, "delivery_id", j->id, 0);
	s_json_field(b, "event", j->event, 1);
	s_json_field(b, "event_id", j->event_id, 1);
	s_json_field(b, "rule", j->rule, 1);
	s_json_field(b, "case_id", j->case_id, 1);
	s_json_field(b, "tracking_code", j->tracking_code, 1);
	ntf_buf_puts(b, ",\"recipient\":{");
	s_json_field(b, "kind", j->rk, 0);
	if (j->to == NTF_TO_PETITIONER)
		s_json_field(b, "pseudonym", j->rid, 1);
	else if (j->to == NTF_TO_FOLLOWER)
		s_json_field(b, "follow_id", j->rid, 1);
	else
		s_json_field(b, "id", j->rid, 1);
	ntf_buf_puts(b, "}");
	s_json_field(b, "subject", j->subject, 1);
	s_json_field(b, "text", j->text, 1);
	if (j->unsubscribe)
		s_json_field(b, "unsubscribe", j->unsubscribe, 1);
	ntf_buf_printf(b, ",\"attempt\":%d,\"created_ms\":%lld,\"sent_ms\":%lld}",
		       j->attempt, (long long)j->created, (long long)now_ms);
}

static void s_mentions_json(struct ntf_buf *b, const struct ntf_job *j)
{
	for (unsigned i = 0; i < j->nmentions; i++) {
		ntf_buf_printf(b, "%s\"", i ? "," : "");
		ntf_buf_jsonesc(b, j->mentions[i]);
		ntf_buf_puts(b, "\"");
	}
}

static void s_wecom_body(struct ntf_buf *b, const struct ntf_job *j, int markdown)
{
	if (markdown) {
		ntf_buf_puts(b, "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":\"");
		ntf_buf_puts(b, "**");
		ntf_buf_jsonesc(b, j->subject);
		ntf_buf_puts(b, "**\\n");
		ntf_buf_jsonesc(b, j->markdown ? j->markdown : j->text);
		ntf_buf_puts(b, "\"}}");
		return;
	}
	ntf_buf_puts(b, "{\"msgtype\":\"text\",\"text\":{\"content\":\"");
	ntf_buf_jsonesc(b, j->text);
	ntf_buf_puts(b, "\"");
	if (j->nmentions) {
		ntf_buf_puts(b, ",\"mentioned_mobile_list\":[");
		s_mentions_json(b, j);
		ntf_buf_puts(b, "]");
	}
	ntf_buf_puts(b, "}}");
}

static void s_dingtalk_body(struct ntf_buf *b, const struct ntf_job *j, int markdown)
{
	/* DingTalk only rings the people whose @mobile appears in the text */
	if (markdown) {
		ntf_buf_puts(b, "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":\"");
		ntf_buf_jsonesc(b, j->subject);
		ntf_buf_puts(b, "\",\"text\":\"");
		ntf_buf_puts(b, "#### ");
		ntf_buf_jsonesc(b, j->subject);
		ntf_buf_puts(b, "\\n\\n");
		ntf_buf_jsonesc(b, j->markdown ? j->markdown : j->text);
	} else {
		ntf_buf_puts(b, "{\"msgtype\":\"text\",\"text\":{\"content\":\"");
		ntf_buf_jsonesc(b, j->text);
	}
	for (unsigned i = 0; i < j->nmentions; i++) {
		ntf_buf_puts(b, i ? " @" : (markdown ? "\\n\\n@" : "\\n@"));
		ntf_buf_jsonesc(b, j->mentions[i]);
	}
	ntf_buf_puts(b, "\"},\"at\":{\"atMobiles\":[");
	s_mentions_json(b, j);
	ntf_buf_puts(b, "],\"isAtAll\":false}}");
}

static const char *s_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at && at[1] ? at + 1 : "localhost";
}

static int s_email(struct ntf_buf *b, const struct ntf_job *j, const char *rcpt,
		   int64_t now_ms)
{
	const struct ntf_channel_conf *ch = j->ch;
	char date[64];
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	char *subj = ntf_rfc2047(j->subject ? j->subject : "");
	char *from_name = ch->from_name[0] ? ntf_rfc2047(ch->from_name) : NULL;
	if (!subj || (ch->from_name[0] && !from_name)) {
		free(subj);
		free(from_name);
		return QF_ERR_NOMEM;
	}
	ntf_buf_printf(b, "Date: %s\r\n", date);
	if (from_name)
		ntf_buf_printf(b, "From: %s <%s>\r\n", from_name, ch->from);
	else
		ntf_buf_printf(b, "From: <%s>\r\n", ch->from);
	ntf_buf_printf(b, "To: <%s>\r\n", rcpt);
	ntf_buf_printf(b, "Subject: %s\r\n", subj);
	ntf_buf_printf(b, "Message-ID: <%s@%s>\r\n", j->id, s_domain(ch->from));
	ntf_buf_puts(b, "MIME-Version: 1.0\r\n"
			"Content-Type: text/plain; charset=UTF-8\r\n"
			"Content-Transfer-Encoding: base64\r\n"
			"Auto-Submitted: auto-generated\r\n");
	ntf_buf_printf(b, "X-QF-Delivery: %s\r\n", j->id);
	if (j->event && j->event[0])
		ntf_buf_printf(b, "X-QF-Event: %s\r\n", j->event);
	if (j->unsubscribe) {
		ntf_buf_printf(b, "List-Unsubscribe: <%s>\r\n", j->unsubscribe);
		ntf_buf_puts(b, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	}
	ntf_buf_puts(b, "\r\n");
	/* body: UTF-8 text, CRLF line ends, base64 in 76-character lines */
	struct ntf_buf txt = {0}, enc = {0};
	for (const char *p = j->text ? j->text : ""; *p; p++) {
		if (*p == '\n' && (p == j->text || p[-1] != '\r'))
			ntf_buf_put(&txt, "\r\n", 2);
		else
			ntf_buf_put(&txt, p, 1);
	}
	ntf_buf_put(&txt, "\r\n", 2);
	ntf_buf_base64(&enc, txt.d, txt.len);
	for (size_t o = 0; !enc.oom && o < enc.len; o += 76) {
		ntf_buf_put(b, enc.d + o, enc.len - o < 76 ? enc.len - o : 76);
		ntf_buf_puts(b, "\r\n");
	}
	int oom = txt.oom || enc.oom;
	ntf_buf_free(&txt);
	ntf_buf_free(&enc);
	free(subj);
	free(from_name);
	return oom ? QF_ERR_NOMEM : 0;
}

/* SMS templates: values escaped for where they land */
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

static int s_sms(struct ntf_request *r, const struct ntf_job *j, const char *to,
		 const char *secret, int64_t now_ms)
{
	const struct ntf_channel_conf *ch = j->ch;
	char ts[24];
	snprintf(ts, sizeof ts, "%lld", (long long)(now_ms / 1000));
	const char *vals[NTF_SMS_NPH] = {to, j->text ? j->text : "", j->id,
					 secret ? secret : "", ts};
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
		if (s_header(r, "Content-Type: %s", ch->content_type))
			return QF_ERR_NOMEM;
	}
	for (unsigned i = 0; i < ch->nsms_headers; i++) {
		struct ntf_buf h = {0};
		ntf_tmpl_render_to(ch->sms_headers[i], vals, s_esc_header, &h, s_put);
		char *hs = ntf_buf_take(&h, NULL);
		if (!hs)
			return QF_ERR_NOMEM;
		int rc = s_header(r, "%s", hs);
		sodium_memzero(hs, strlen(hs));
		free(hs);
		if (rc)
			return rc;
	}
	return s_header(r, "X-QF-Delivery: %s", j->id);
}

static int s_url_with_sign(struct ntf_request *r, const char *url, const char *secret,
			   int64_t now_ms)
{
	char ts[24];
	snprintf(ts, sizeof ts, "%lld", (long long)now_ms);
	char *sign = ntf_dingtalk_sign(secret, ts);
	if (!sign)
		return QF_ERR_NOMEM;
	int n = asprintf(&r->url, "%s%ctimestamp=%s&sign=%s", url,
			 strchr(url, '?') ? '&' : '?', ts, sign);
	free(sign);
	if (n < 0) {
		r->url = NULL;
		return QF_ERR_NOMEM;
	}
	return 0;
}

int ntf_request_build(const struct ntf_job *j, const struct ntf_keys *keys,
		      int64_t now_ms, struct ntf_request *r, char *err, size_t n)
{
	memset(r, 0, sizeof *r);
	const struct ntf_channel_conf *ch = j->ch;
	struct ntf_contact ct = {0};
	char *faddr = NULL, *fsecret = NULL;
	const char *addr = j->to_addr; /* staff */
	const char *url = j->url ? j->url : ch->url;
	const char *secret = ch->secret;
	int rc = NTF_OUT_OK;
	err[0] = '\0';
	if ((j->to == NTF_TO_PETITIONER && j->fmt != NTF_FMT_WEBHOOK) ||
	    j->to == NTF_TO_FOLLOWER) {
		if (!ntf_keys_ready(keys)) {
			snprintf(err, n,
				 "contact_key_missing: the notifier's secret key is not "
				 "loaded yet");
			return NTF_OUT_TRANSIENT;
		}
	}
	if (j->to == NTF_TO_PETITIONER && j->fmt != NTF_FMT_WEBHOOK) {
		if (!j->sealed) {
			snprintf(err, n,
				 "contact_pending: the petition has not arrived yet");
			return NTF_OUT_TRANSIENT;
		}
		int x = ntf_contact_open(keys, j->sealed, j->sealed_len, &ct);
		if (x == QF_ERR_NOMEM)
			return QF_ERR_NOMEM;
		if (x) {
			snprintf(err, n, "contact_unreadable: %s",
				 x == QF_ERR_CRYPTO ? "not sealed to this notifier's key"
						    : "not the expected JSON");
			return NTF_OUT_PERMANENT;
		}
		addr = j->fmt == NTF_FMT_EMAIL ? ct.email : ct.phone;
		if (!addr || (j->fmt == NTF_FMT_EMAIL && !ntf_email_valid(addr))) {
			ntf_contact_wipe(&ct);
			snprintf(err, n, "no_address: the petitioner left no %s",
				 j->fmt == NTF_FMT_EMAIL ? "e-mail address"
							 : "phone number");
			return NTF_OUT_SKIP;
		}
		if (j->fmt == NTF_FMT_EMAIL)
			ntf_mask_email(addr, r->masked, sizeof r->masked);
		else
			ntf_mask_phone(addr, r->masked, sizeof r->masked);
	} else if (j->to == NTF_TO_FOLLOWER) {
		int x = ntf_keys_open(keys, j->sealed, j->sealed_len, &faddr);
		if (x == QF_ERR_NOMEM)
			return x;
		if (x) {
			snprintf(err, n,
				 "follow_unreadable: address not sealed to this key");
			return NTF_OUT_PERMANENT;
		}
		if (j->sealed_secret &&
		    (x = ntf_keys_open(keys, j->sealed_secret, j->sealed_secret_len,
				       &fsecret))) {
			sodium_memzero(faddr, strlen(faddr));
			free(faddr);
			snprintf(err, n,
				 "follow_unreadable: secret not sealed to this key");
			return x == QF_ERR_NOMEM ? x : NTF_OUT_PERMANENT;
		}
		if (j->fmt == NTF_FMT_EMAIL || j->fmt == NTF_FMT_SMS) {
			addr = faddr; /* an sms follower: the gateway's own secret */
		} else {
			url = faddr;
			secret = fsecret;
		}
		snprintf(r->masked, sizeof r->masked, "%s",
			 j->masked ? j->masked : "follower");
	} else if (j->to == NTF_TO_STAFF) {
		snprintf(r->masked, sizeof r->masked, "%s", j->rid ? j->rid : "");
	} else {
		snprintf(r->masked, sizeof r->masked, "group:%s", ch->name);
	}

	struct ntf_buf b = {0};
	char ts[24];
	switch (j->fmt) {
	case NTF_FMT_WEBHOOK: {
		s_webhook_body(&b, j, now_ms);
		if (!(r->body = ntf_buf_take(&b, &r->body_len)) ||
		    !(r->url = strdup(url))) {
			rc = QF_ERR_NOMEM;
			break;
		}
		r->method = "POST";
		snprintf(ts, sizeof ts, "%lld", (long long)(now_ms / 1000));
		if (s_header(r, "Content-Type: application/json; charset=utf-8") ||
		    s_header(r, "X-QF-Delivery: %s", j->id) ||
		    s_header(r, "X-QF-Event: %s", j->event ? j->event : "") ||
		    s_header(r, "X-QF-Attempt: %d", j->attempt) ||
		    s_header(r, "X-QF-Timestamp: %s", ts)) {
			rc = QF_ERR_NOMEM;
			break;
		}
		if (secret && secret[0]) {
			char sig[96];
			ntf_webhook_signature(secret, ts, r->body, r->body_len, sig,
					      sizeof sig);
			if (s_header(r, "X-QF-Signature: %s", sig))
				rc = QF_ERR_NOMEM;
		}
		break;
	}
	case NTF_FMT_WECOM:
		s_wecom_body(&b, j, ch->markdown);
		if (!(r->body = ntf_buf_take(&b, &r->body_len)) ||
		    !(r->url = strdup(url)) ||
		    s_header(r, "Content-Type: application/json; charset=utf-8") ||
		    s_header(r, "X-QF-Delivery: %s", j->id))
			rc = QF_ERR_NOMEM;
		r->method = "POST";
		break;
	case NTF_FMT_DINGTALK:
		s_dingtalk_body(&b, j, ch->markdown);
		if (!(r->body = ntf_buf_take(&b, &r->body_len)) ||
		    s_header(r, "Content-Type: application/json; charset=utf-8") ||
		    s_header(r, "X-QF-Delivery: %s", j->id)) {
			rc = QF_ERR_NOMEM;
			break;
		}
		r->method = "POST";
		if (secret && secret[0])
			rc = s_url_with_sign(r, url, secret, now_ms);
		else if (!(r->url = strdup(url)))
			rc = QF_ERR_NOMEM;
		break;
	case NTF_FMT_EMAIL:
		if (!addr || !addr[0]) {
			snprintf(err, n, "no_address: no e-mail address for %s",
				 j->rid ? j->rid : "recipient");
			rc = NTF_OUT_SKIP;
			break;
		}
		r->smtp = 1;
		r->method = "SMTP";
		if (s_email(&b, j, addr, now_ms) ||
		    !(r->body = ntf_buf_take(&b, &r->body_len)) ||
		    !(r->url = strdup(ch->url)) || !(r->mail_from = strdup(ch->from)) ||
		    !(r->rcpt = strdup(addr)))
			rc = QF_ERR_NOMEM;
		break;
	case NTF_FMT_SMS:
		if (!addr || !addr[0]) {
			snprintf(err, n, "no_address: no phone number for %s",
				 j->rid ? j->rid : "recipient");
			rc = NTF_OUT_SKIP;
			break;
		}
		rc = s_sms(r, j, addr, secret, now_ms);
		break;
	default:
		snprintf(err, n, "unknown format");
		rc = NTF_OUT_PERMANENT;
	}
	ntf_buf_wipe(&b);
	ntf_contact_wipe(&ct);
	if (faddr) {
		sodium_memzero(faddr, strlen(faddr));
		free(faddr);
	}
	if (fsecret) {
		sodium_memzero(fsecret, strlen(fsecret));
		free(fsecret);
	}
	if (rc != NTF_OUT_OK) {
		char keep[96];
		memcpy(keep, r->masked, sizeof keep);
		ntf_request_wipe(r);
		memcpy(r->masked, keep, sizeof keep);
	}
	return rc;
}

/* ------------------------------------------------------------ answers */

static int s_robot_verdict(const char *body, size_t len, int fmt, char *err, size_t n)
{
	json_t *o = body ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *ec = o ? json_object_get(o, "errcode") : NULL;
	if (!o || !json_is_integer(ec)) {
		json_decref(o);
		snprintf(err, n, "unexpected answer from the %s robot",
			 fmt == NTF_FMT_WECOM ? "WeCom" : "DingTalk");
		return NTF_OUT_TRANSIENT;
	}
	long long code = json_integer_value(ec);
	const char *msg = json_string_value(json_object_get(o, "errmsg"));
	int v;
	if (code == 0)
		v = NTF_OUT_OK;
	else if (code == -1 ||
		 (fmt == NTF_FMT_WECOM && (code == 45009 || code == 45033)) ||
		 (fmt == NTF_FMT_DINGTALK && code == 130101))
		v = NTF_OUT_TRANSIENT; /* busy or too fast */
	else
		v = NTF_OUT_PERMANENT; /* bad key, signature, keyword, blocked */
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

int ntf_response_classify(int fmt, int transport_err, const char *transport, long status,
			  const char *body, size_t len, const char *ok_contains,
			  char *err, size_t n)
{
	err[0] = '\0';
	if (fmt == NTF_FMT_EMAIL) {
		if (status >= 500 && status < 600) {
			snprintf(err, n, "smtp %ld", status);
			return NTF_OUT_PERMANENT;
		}
		if (status >= 400 && status < 500) {
			snprintf(err, n, "smtp %ld", status);
			return NTF_OUT_TRANSIENT;
		}
		if (transport_err) {
			snprintf(err, n, "%s", transport ? transport : "smtp failure");
			return transport_err;
		}
		return NTF_OUT_OK;
	}
	if (transport_err) {
		snprintf(err, n, "%s", transport ? transport : "transport failure");
		return transport_err;
	}
	if (status >= 200 && status < 300) {
		if (fmt == NTF_FMT_WECOM || fmt == NTF_FMT_DINGTALK)
			return s_robot_verdict(body, len, fmt, err, n);
		if (fmt == NTF_FMT_SMS && ok_contains && ok_contains[0]) {
			int found = 0;
			size_t ol = strlen(ok_contains);
			for (size_t i = 0; body && i + ol <= len && !found; i++)
				found = memcmp(body + i, ok_contains, ol) == 0;
			if (!found) {
				snprintf(err, n,
					 "http %ld without the gateway's success mark",
					 status);
				return NTF_OUT_TRANSIENT;
			}
		}
		return NTF_OUT_OK;
	}
	snprintf(err, n, "http %ld", status);
	if (status == 408 || status == 425 || status == 429 || status >= 500)
		return NTF_OUT_TRANSIENT;
	return NTF_OUT_PERMANENT; /* 3xx (never followed) and other 4xx */
}
