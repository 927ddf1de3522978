/* ntf_fmt_wecom.c: the WeCom (企业微信) group robot format (ntf_format.h).
 *
 * Text (with mentioned_mobile_list) or markdown (subject in bold) posted to
 * the robot's webhook URL. WeCom answers 200 with an errcode: 0 delivered,
 * -1 / 45009 / 45033 busy or too fast (retry), anything else refused. */
#include "ntf_format.h"
#include "qf_err.h"

static void s_body(struct ntf_buf *b, const struct ntf_job *j, int markdown)
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
		ntf_json_mentions(b, j);
		ntf_buf_puts(b, "]");
	}
	ntf_buf_puts(b, "}}");
}

static int s_build(const struct ntf_job *j, const struct ntf_dest *d, int64_t now_ms,
		   struct ntf_request *r, char *err, size_t n)
{
	(void)now_ms;
	(void)err;
	(void)n;
	struct ntf_buf b = {0};
	s_body(&b, j, j->ch->markdown);
	int rc = ntf_request_json(r, &b, d->url, j);
	ntf_buf_wipe(&b);
	return rc;
}

const struct ntf_format ntf_fmt_wecom = {
    .name = "wecom",
    .addr = NTF_ADDR_URL,
    .robot = 1,
    .concurrency = 8,
    .rate_per_s = 0.33, /* the documented limit: 20 messages a minute */
    .parse = ntf_parse_robot,
    .build = s_build,
    .verdict = ntf_verdict_robot,
    .label = "WeCom",
    .busy = {45009, 45033},
};
