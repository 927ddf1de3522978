/* ntf_fmt_webhook.c: the generic webhook format (ntf_format.h).
 *
 * One JSON document per delivery, posted to the channel's (or a
 * follower's) URL and signed with HMAC-SHA256 over "timestamp.body" in
 * X-QF-Signature, so the receiver can check it came from us and is fresh.
 * A petitioner is named by pseudonym only: no contact ever goes out here. */
#include "ntf_format.h"
#include "qf_err.h"
#include "qf_id.h"

#include <stdio.h>
#include <string.h>

void ntf_webhook_signature(const char *secret, const char *ts, const char *body,
			   size_t len, char *out, size_t n)
{
	uint8_t mac[32];
	char hex[2 * sizeof mac + 1];
	ntf_hmac_sha256(secret, ts, strlen(ts), ".", 1, body, len, mac);
	snprintf(out, n, "sha256=%s", qf_hex(mac, sizeof mac, hex));
}

static void s_body(struct ntf_buf *b, const struct ntf_job *j, int64_t now_ms)
{
	ntf_buf_puts(b, "{");
	ntf_json_field(b, "delivery_id", j->id, 0);
	ntf_json_field(b, "event", j->event, 1);
	ntf_json_field(b, "event_id", j->event_id, 1);
	ntf_json_field(b, "rule", j->rule, 1);
	ntf_json_field(b, "case_id", j->case_id, 1);
	ntf_json_field(b, "tracking_code", j->tracking_code, 1);
	ntf_buf_puts(b, ",\"recipient\":{");
	ntf_json_field(b, "kind", j->rk, 0);
	if (j->to == NTF_TO_PETITIONER)
		ntf_json_field(b, "pseudonym", j->rid, 1);
	else if (j->to == NTF_TO_FOLLOWER)
		ntf_json_field(b, "follow_id", j->rid, 1);
	else
		ntf_json_field(b, "id", j->rid, 1);
	ntf_buf_puts(b, "}");
	ntf_json_field(b, "subject", j->subject, 1);
	ntf_json_field(b, "text", j->text, 1);
	if (j->unsubscribe)
		ntf_json_field(b, "unsubscribe", j->unsubscribe, 1);
	ntf_buf_printf(b, ",\"attempt\":%d,\"created_ms\":%lld,\"sent_ms\":%lld}",
		       j->attempt, (long long)j->created, (long long)now_ms);
}

static int s_build(const struct ntf_job *j, const struct ntf_dest *d, int64_t now_ms,
		   struct ntf_request *r, char *err, size_t n)
{
	(void)err;
	(void)n;
	struct ntf_buf b = {0};
	char ts[24];
	s_body(&b, j, now_ms);
	int rc = ntf_request_json(r, &b, d->url, j);
	ntf_buf_wipe(&b);
	snprintf(ts, sizeof ts, "%lld", (long long)(now_ms / 1000));
	if (rc || ntf_request_header(r, "X-QF-Event: %s", j->event ? j->event : "") ||
	    ntf_request_header(r, "X-QF-Attempt: %d", j->attempt) ||
	    ntf_request_header(r, "X-QF-Timestamp: %s", ts))
		return QF_ERR_NOMEM;
	if (d->secret && d->secret[0]) {
		char sig[96];
		ntf_webhook_signature(d->secret, ts, r->body, r->body_len, sig,
				      sizeof sig);
		if (ntf_request_header(r, "X-QF-Signature: %s", sig))
			return QF_ERR_NOMEM;
	}
	return NTF_OUT_OK;
}

static int s_parse(config_setting_t *g, struct ntf_channel_conf *ch,
		   struct qf_cfg_errors *errs)
{
	int rc = 0;
	config_setting_t *sf = config_setting_get_member(g, "secret_file");
	const char *sv = sf ? config_setting_get_string(sf) : NULL;
	if (ch->url[0] && !(sv && sv[0])) {
		qf_cfg_error(errs, g, NULL,
			     "a webhook channel needs secret_file (receivers verify the "
			     "HMAC-SHA256 signature)");
		rc = QF_ERR_CONFIG;
	}
	if (ntf_parse_http_url(g, ch, errs))
		rc = QF_ERR_CONFIG;
	return rc;
}

const struct ntf_format ntf_fmt_webhook = {
    .name = "webhook",
    .addr = NTF_ADDR_URL,
    .url_optional = 1, /* "": a channel for followers' own hooks only */
    .concurrency = 32,
    .parse = s_parse,
    .build = s_build,
    .verdict = ntf_verdict_http,
};
