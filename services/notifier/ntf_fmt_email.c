/* ntf_fmt_email.c: the e-mail format (ntf_format.h).
 *
 * An RFC 5322 message for SMTP: RFC 2047 subject and sender name, a base64
 * UTF-8 text body in 76-character lines, Message-ID = delivery id, and
 * List-Unsubscribe for followers. The verdict reads the SMTP reply: 5xx is
 * refused for good, 4xx is worth retrying. */
#include "ntf_format.h"
#include "qf_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const char *s_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at && at[1] ? at + 1 : "localhost";
}

static int s_message(struct ntf_buf *b, const struct ntf_job *j, const char *rcpt,
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

static int s_build(const struct ntf_job *j, const struct ntf_dest *d, int64_t now_ms,
		   struct ntf_request *r, char *err, size_t n)
{
	const struct ntf_channel_conf *ch = j->ch;
	if (!d->addr || !d->addr[0]) {
		snprintf(err, n, "no_address: no e-mail address for %s",
			 j->rid ? j->rid : "recipient");
		return NTF_OUT_SKIP;
	}
	struct ntf_buf b = {0};
	r->smtp = 1;
	r->method = "SMTP";
	int rc = 0;
	if (s_message(&b, j, d->addr, now_ms) ||
	    !(r->body = ntf_buf_take(&b, &r->body_len)) || !(r->url = strdup(ch->url)) ||
	    !(r->mail_from = strdup(ch->from)) || !(r->rcpt = strdup(d->addr)))
		rc = QF_ERR_NOMEM;
	ntf_buf_wipe(&b);
	return rc;
}

static int s_parse(config_setting_t *g, struct ntf_channel_conf *ch,
		   struct qf_cfg_errors *errs)
{
	const char *from = NULL;
	if (qf_cfg_member_str(g, "from", 0, &from, errs))
		return QF_ERR_CONFIG;
	int rc = 0;
	if (strncmp(ch->url, "smtp://", 7) && strncmp(ch->url, "smtps://", 8)) {
		qf_cfg_error(errs, config_setting_get_member(g, "url"), NULL,
			     "must start with smtp:// or smtps://");
		rc = QF_ERR_CONFIG;
	}
	if (!ntf_email_valid(ch->from)) {
		qf_cfg_error(errs, config_setting_get_member(g, "from"), NULL,
			     "'%s' is not an e-mail address", ch->from);
		rc = QF_ERR_CONFIG;
	}
	if (ch->username[0] && !ch->password) {
		qf_cfg_error(errs, g, NULL, "username needs password_file");
		rc = QF_ERR_CONFIG;
	}
	if (!ch->url[0]) {
		qf_cfg_error(errs, g, NULL, "missing 'url'");
		rc = QF_ERR_CONFIG;
	}
	return rc;
}

static int s_verdict(const struct ntf_format *f, const struct ntf_answer *a, char *err,
		     size_t n)
{
	(void)f;
	if (a->status >= 400 && a->status < 600) {
		snprintf(err, n, "smtp %ld", a->status);
		return a->status >= 500 ? NTF_OUT_PERMANENT : NTF_OUT_TRANSIENT;
	}
	if (a->transport_err) {
		snprintf(err, n, "%s", a->transport ? a->transport : "smtp failure");
		return a->transport_err;
	}
	return NTF_OUT_OK;
}

const struct ntf_format ntf_fmt_email = {
    .name = "email",
    .addr = NTF_ADDR_EMAIL,
    .concurrency = 4,
    .parse = s_parse,
    .build = s_build,
    .verdict = s_verdict,
};
