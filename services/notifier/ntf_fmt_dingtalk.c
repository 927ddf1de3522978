/* ntf_fmt_dingtalk.c: the DingTalk (钉钉) group robot format
 * (ntf_format.h).
 *
 * Text or markdown with an "at" block; DingTalk only rings the people whose
 * @mobile also appears in the text, so the mentions are appended there. With
 * a signing secret the URL carries timestamp and sign (HMAC-SHA256 over
 * "timestamp\nsecret"). errcode 0 delivered, -1 / 130101 too fast (retry),
 * anything else refused. */
#include "ntf_format.h"
#include "qf_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ntf_dingtalk_sign(const char *secret, const char *ts_ms)
{
	uint8_t mac[32];
	ntf_hmac_sha256(secret, ts_ms, strlen(ts_ms), "\n", 1, secret, strlen(secret),
			mac);
	struct ntf_buf b64 = {0}, enc = {0};
	ntf_buf_base64(&b64, mac, sizeof mac);
	char *s = ntf_buf_take(&b64, NULL);
	if (!s)
		return NULL;
	ntf_buf_urlenc(&enc, s);
	free(s);
	return ntf_buf_take(&enc, NULL);
}

static void s_body(struct ntf_buf *b, const struct ntf_job *j, int markdown)
{
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
	ntf_json_mentions(b, j);
	ntf_buf_puts(b, "],\"isAtAll\":false}}");
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

static int s_build(const struct ntf_job *j, const struct ntf_dest *d, int64_t now_ms,
		   struct ntf_request *r, char *err, size_t n)
{
	(void)err;
	(void)n;
	struct ntf_buf b = {0};
	s_body(&b, j, j->ch->markdown);
	int rc = ntf_request_json(r, &b, NULL, j);
	ntf_buf_wipe(&b);
	if (rc)
		return rc;
	if (d->secret && d->secret[0])
		return s_url_with_sign(r, d->url, d->secret, now_ms);
	return (r->url = strdup(d->url)) ? NTF_OUT_OK : QF_ERR_NOMEM;
}

const struct ntf_format ntf_fmt_dingtalk = {
    .name = "dingtalk",
    .addr = NTF_ADDR_URL,
    .robot = 1,
    .concurrency = 8,
    .rate_per_s = 0.33, /* the documented limit: 20 messages a minute */
    .parse = ntf_parse_robot,
    .build = s_build,
    .verdict = ntf_verdict_robot,
    .label = "DingTalk",
    .busy = {130101},
};
