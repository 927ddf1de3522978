/* format_test: the pure pieces of the notifier: templates (placeholders,
 * escapes, strict and lenient parsing), text helpers (masking, escaping,
 * UTF-8 cleaning), and the channels' wire formats checked against vectors
 * computed independently (Python's hmac/base64): the webhook signature,
 * DingTalk's signed URL, RFC 2047 subjects, each channel's request and the
 * verdicts on answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntf_channel.h"
#include "ntf_format.h"
#include "ntf_tmpl.h"
#include "ntf_util.h"
#include "qf_err.h"

/* ------------------------------------------------------------ templates */

static void t_tmpl_render(void **state)
{
	(void)state;
	struct ntf_tmpl *t;
	char err[128];
	assert_int_equal(
	    ntf_tmpl_parse("查询码 {tracking_code}，{{不是占位符}}，{handler}", &t, err,
			   sizeof err),
	    0);
	const char *vals[NTF_PH_COUNT] = {0};
	vals[NTF_PH_TRACKING_CODE] = "LSJ-7QK2M9";
	char *s = ntf_tmpl_render(t, vals);
	assert_string_equal(s, "查询码 LSJ-7QK2M9，{不是占位符}，");
	free(s);
	assert_true(ntf_tmpl_uses(t) & (1ull << NTF_PH_TRACKING_CODE));
	assert_true(ntf_tmpl_uses(t) & (1ull << NTF_PH_HANDLER));
	assert_false(ntf_tmpl_uses(t) & (1ull << NTF_PH_RATING));
	/* values are never parsed again */
	vals[NTF_PH_HANDLER] = "{tracking_code}";
	s = ntf_tmpl_render(t, vals);
	assert_string_equal(s, "查询码 LSJ-7QK2M9，{不是占位符}，{tracking_code}");
	free(s);
	ntf_tmpl_free(&t);
	assert_null(t);
	ntf_tmpl_free(&t); /* safe twice */
}

static void t_tmpl_errors(void **state)
{
	(void)state;
	struct ntf_tmpl *t = NULL;
	char err[128];
	assert_int_equal(ntf_tmpl_parse("x {trackingcode} y", &t, err, sizeof err),
			 QF_ERR_CONFIG);
	assert_string_equal(err, "unknown placeholder {trackingcode}");
	assert_null(t);
	assert_int_equal(ntf_tmpl_parse("x {tracking_code", &t, err, sizeof err),
			 QF_ERR_CONFIG);
	assert_non_null(strstr(err, "unclosed"));
	assert_int_equal(ntf_tmpl_parse("x } y", &t, err, sizeof err), QF_ERR_CONFIG);
	assert_non_null(strstr(err, "unmatched"));
	assert_int_equal(ntf_tmpl_parse("", &t, err, sizeof err), 0);
	char *s = ntf_tmpl_render(t, (const char *[NTF_PH_COUNT]){0});
	assert_string_equal(s, "");
	free(s);
	ntf_tmpl_free(&t);
}

static void t_tmpl_names_lenient(void **state)
{
	(void)state;
	static const char *const names[] = {"to", "text"};
	struct ntf_tmpl *t;
	char err[128];
	assert_int_equal(ntf_tmpl_parse_names("{\"to\":\"{to}\",\"m\":\"{text}\"}", names,
					      2, &t, err, sizeof err),
			 0);
	const char *vals[2] = {"138", "a\"b"};
	char *s = ntf_tmpl_render(t, vals);
	assert_string_equal(s, "{\"to\":\"138\",\"m\":\"a\"b\"}");
	free(s);
	ntf_tmpl_free(&t);
	assert_int_equal(ntf_tmpl_parse_names("{msg}", names, 2, &t, err, sizeof err),
			 QF_ERR_CONFIG);
	assert_string_equal(err, "unknown placeholder {msg}");
}

static void t_placeholder_catalogue(void **state)
{
	(void)state;
	assert_true(NTF_PH_COUNT <= 64);
	for (int i = 0; i < NTF_PH_COUNT; i++) {
		const char *n = ntf_ph_name((enum ntf_ph)i);
		assert_int_equal(ntf_ph_parse(n, strlen(n)), i);
		assert_true(ntf_ph_families((enum ntf_ph)i) != 0);
	}
	assert_int_equal(ntf_ph_parse("nope", 4), -1);
	assert_true(ntf_ph_families(NTF_PH_RATING) & NTF_FAM_FEEDBACK);
	assert_false(ntf_ph_families(NTF_PH_RATING) & NTF_FAM_PETITION);
}

/* ------------------------------------------------------------ helpers */

static void t_masking(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(ntf_mask_phone("138 1234 5678", b, sizeof b), "138****5678");
	assert_string_equal(ntf_mask_phone("12345", b, sizeof b), "****");
	assert_string_equal(ntf_mask_email("zhang.san@example.cn", b, sizeof b),
			    "z***@example.cn");
	assert_string_equal(ntf_mask_email("nobody", b, sizeof b), "***");
	assert_string_equal(
	    ntf_mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=s", b,
			 sizeof b),
	    "https://qyapi.weixin.qq.com/***");
}

static void t_escaping(void **state)
{
	(void)state;
	struct ntf_buf b = {0};
	ntf_buf_urlenc(&b, "a b/+=中");
	char *s = ntf_buf_take(&b, NULL);
	assert_string_equal(s, "a%20b%2F%2B%3D%E4%B8%AD");
	free(s);
	ntf_buf_jsonesc(&b, "q\"\\\n\x01");
	s = ntf_buf_take(&b, NULL);
	assert_string_equal(s, "q\\\"\\\\\\n\\u0001");
	free(s);
	char bad[] = "ok\xff\xc3(中\xe4\xb8";
	ntf_utf8_clean(bad);
	assert_string_equal(bad, "ok?"
				 "?(中?"
				 "?");
	assert_true(ntf_email_valid("a.b@example.cn"));
	assert_false(ntf_email_valid("a@b"));
	assert_false(ntf_email_valid("a b@example.cn"));
	assert_false(ntf_email_valid("a@b@example.cn"));
	assert_true(ntf_text_valid("中文\n", 7));
	assert_false(ntf_text_valid("\x01", 1));
	assert_false(ntf_text_valid("\xe4\xb8", 2));
}

static void t_local_time(void **state)
{
	(void)state;
	char b[32];
	/* 2026-11-25T10:00:00Z is 18:00 in China */
	assert_string_equal(ntf_local_time(1795600800000LL, 480, b, sizeof b),
			    "2026-11-25 18:00");
	assert_string_equal(ntf_local_time(0, 480, b, sizeof b), "");
	assert_int_equal(ntf_local_minute(1795600800000LL, 480), 18 * 60);
	assert_int_equal(ntf_parse_hhmm("07:30"), 450);
	assert_int_equal(ntf_parse_hhmm("24:00"), -1);
	assert_int_equal(ntf_parse_hhmm("7:30"), -1);
}

/* ------------------------------------------------------------ channels */

static void t_vectors(void **state)
{
	(void)state;
	char sig[96];
	ntf_webhook_signature("whsec-test", "1700000000", "{\"a\":1}", 7, sig,
			      sizeof sig);
	assert_string_equal(
	    sig,
	    "sha256=fed7a1a6c799a6367d73724d76bc70c16678908a32a879cd1ded6565ac05cece");
	char *d = ntf_dingtalk_sign("SECtest", "1700000000123");
	assert_string_equal(d, "lrMq5E54T40t3FfGVjxdvoqIbXlWY6mzkZYiVoI6emk%3D");
	free(d);
	char *h = ntf_rfc2047("您的诉求已受理");
	assert_string_equal(h, "=?UTF-8?B?5oKo55qE6K+J5rGC5bey5Y+X55CG?=");
	free(h);
	h = ntf_rfc2047("plain subject");
	assert_string_equal(h, "plain subject");
	free(h);
}

static void t_rfc2047_folding(void **state)
{
	(void)state;
	char subj[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(subj, "诉");
	char *h = ntf_rfc2047(subj);
	/* every encoded word within 75 characters, cut at character edges */
	size_t total = 0;
	for (char *w = strtok(h, "\r\n "); w; w = strtok(NULL, "\r\n ")) {
		assert_true(strlen(w) <= 75);
		assert_memory_equal(w, "=?UTF-8?B?", 10);
		char b64[80];
		size_t l = strlen(w) - 12;
		memcpy(b64, w + 10, l);
		b64[l] = 0;
		unsigned char raw[64];
		size_t rl;
		assert_int_equal(sodium_base642bin(raw, sizeof raw, b64, l, NULL, &rl,
						   NULL, sodium_base64_VARIANT_ORIGINAL),
				 0);
		assert_int_equal(rl % 3, 0); /* whole 3-byte characters */
		total += rl;
	}
	assert_int_equal(total, 120);
	free(h);
}

static struct ntf_channel_conf s_ch(enum ntf_fmt type, const char *url,
				    const char *secret)
{
	struct ntf_channel_conf c;
	memset(&c, 0, sizeof c);
	c.name = "c";
	c.type = type;
	c.url = (char *)url;
	c.secret = (char *)secret;
	c.from = "notify@lsj.example.cn";
	c.from_name = "凉水井社区";
	c.username = "";
	c.method = "POST";
	c.content_type = "application/json";
	c.ok_contains = "";
	return c;
}

static void s_job(struct ntf_job *j, const struct ntf_channel_conf *ch, int to)
{
	memset(j, 0, sizeof *j);
	memcpy(j->id, "0123456789abcdef0123456789abcdef", 33);
	j->fmt = ch->type;
	j->to = to;
	j->ch = ch;
	j->subject = "新派单 LSJ-1";
	j->text = "李建国：新派单\n请处理";
	j->event = "CASE_ASSIGNED";
	j->event_id = "00ff";
	j->case_id = "C1";
	j->tracking_code = "LSJ-1";
	j->rule = "r";
	j->rk = "assignee";
	j->rid = "s04";
	j->attempt = 2;
}

static const char *s_hdr(const struct ntf_request *r, const char *name)
{
	size_t l = strlen(name);
	for (unsigned i = 0; i < r->nheaders; i++)
		if (!strncmp(r->headers[i], name, l) && r->headers[i][l] == ':')
			return r->headers[i] + l + 2;
	return NULL;
}

static void t_webhook_request(void **state)
{
	(void)state;
	struct ntf_channel_conf ch = s_ch(NTF_FMT_WEBHOOK, "http://127.0.0.1:1/h", "k");
	struct ntf_job j;
	s_job(&j, &ch, NTF_TO_STAFF);
	struct ntf_keys keys = {0};
	struct ntf_request r;
	char err[128];
	assert_int_equal(
	    ntf_request_build(&j, &keys, 1700000000123LL, &r, err, sizeof err), 0);
	assert_string_equal(r.url, "http://127.0.0.1:1/h");
	assert_string_equal(s_hdr(&r, "X-QF-Delivery"), j.id);
	assert_string_equal(s_hdr(&r, "X-QF-Timestamp"), "1700000000");
	assert_string_equal(s_hdr(&r, "X-QF-Attempt"), "2");
	char want[96];
	ntf_webhook_signature("k", "1700000000", r.body, r.body_len, want, sizeof want);
	assert_string_equal(s_hdr(&r, "X-QF-Signature"), want);
	json_t *o = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "delivery_id")), j.id);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "recipient"), "id")),
	    "s04");
	assert_string_equal(json_string_value(json_object_get(o, "text")), j.text);
	assert_int_equal(json_integer_value(json_object_get(o, "sent_ms")),
			 1700000000123LL);
	json_decref(o);
	assert_string_equal(r.masked, "s04");
	ntf_request_wipe(&r);
}

static void t_robot_requests(void **state)
{
	(void)state;
	struct ntf_channel_conf wc =
	    s_ch(NTF_FMT_WECOM, "https://qyapi.example/send?key=K", NULL);
	struct ntf_channel_conf dt =
	    s_ch(NTF_FMT_DINGTALK, "https://oapi.example/send?access_token=T", "SECtest");
	dt.markdown = 1;
	struct ntf_job j;
	char *m[] = {"13900000004", "13900000005"};
	s_job(&j, &wc, NTF_TO_GROUP);
	j.mentions = m;
	j.nmentions = 2;
	struct ntf_keys keys = {0};
	struct ntf_request r;
	char err[128];
	assert_int_equal(
	    ntf_request_build(&j, &keys, 1700000000123LL, &r, err, sizeof err), 0);
	json_t *o = json_loadb(r.body, r.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "msgtype")), "text");
	json_t *text = json_object_get(o, "text");
	assert_string_equal(json_string_value(json_object_get(text, "content")), j.text);
	assert_int_equal(json_array_size(json_object_get(text, "mentioned_mobile_list")),
			 2);
	json_decref(o);
	assert_string_equal(r.masked, "group:c");
	ntf_request_wipe(&r);

	j.ch = &dt;
	j.fmt = NTF_FMT_DINGTALK;
	assert_int_equal(
	    ntf_request_build(&j, &keys, 1700000000123LL, &r, err, sizeof err), 0);
	assert_string_equal(
	    r.url, "https://oapi.example/send?access_token=T&timestamp=1700000000123"
		   "&sign=lrMq5E54T40t3FfGVjxdvoqIbXlWY6mzkZYiVoI6emk%3D");
	o = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "msgtype")), "markdown");
	const char *md =
	    json_string_value(json_object_get(json_object_get(o, "markdown"), "text"));
	assert_non_null(strstr(md, "@13900000004"));
	assert_non_null(strstr(md, "@13900000005"));
	json_t *at = json_object_get(o, "at");
	assert_int_equal(json_array_size(json_object_get(at, "atMobiles")), 2);
	assert_true(json_is_false(json_object_get(at, "isAtAll")));
	json_decref(o);
	ntf_request_wipe(&r);
}

static void t_petitioner_contact(void **state)
{
	(void)state;
	uint8_t sk[32];
	randombytes_buf(sk, sizeof sk);
	struct ntf_keys keys;
	memset(&keys, 0, sizeof keys);
	ntf_keys_from_secret(&keys, sk);
	const char *contact =
	    "{\"name\":\"张三\",\"phone\":\"13812345678\",\"email\":\"z@example.cn\"}";
	uint8_t box[256];
	crypto_box_seal(box, (const uint8_t *)contact, strlen(contact), keys.pk);
	struct ntf_channel_conf mail = s_ch(NTF_FMT_EMAIL, "smtp://127.0.0.1:1", NULL);
	struct ntf_job j;
	s_job(&j, &mail, NTF_TO_PETITIONER);
	j.sealed = box;
	j.sealed_len = strlen(contact) + crypto_box_SEALBYTES;
	struct ntf_request r;
	char err[128];
	assert_int_equal(
	    ntf_request_build(&j, &keys, 1700000000000LL, &r, err, sizeof err), 0);
	assert_true(r.smtp);
	assert_string_equal(r.rcpt, "z@example.cn");
	assert_string_equal(r.masked, "z***@example.cn");
	assert_non_null(strstr(
	    r.body, "Message-ID: <0123456789abcdef0123456789abcdef@lsj.example.cn>\r\n"));
	assert_non_null(strstr(r.body, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(r.body, "Content-Transfer-Encoding: base64\r\n"));
	assert_null(strstr(r.body, "13812345678")); /* only the address it goes to */
	ntf_request_wipe(&r);
	/* sms: the phone goes into the gateway request, JSON-escaped */
	struct ntf_channel_conf sms = s_ch(NTF_FMT_SMS, "http://gw/send", "tok");
	char err2[128];
	static const char *const names[] = {"to", "text", "id", "secret", "timestamp"};
	assert_int_equal(ntf_tmpl_parse_names("http://gw/send?sig={secret}", names, 5,
					      &sms.sms_url, err2, sizeof err2),
			 0);
	assert_int_equal(ntf_tmpl_parse_names("{\"to\":\"{to}\",\"text\":\"{text}\"}",
					      names, 5, &sms.sms_body, err2, sizeof err2),
			 0);
	j.ch = &sms;
	j.fmt = NTF_FMT_SMS;
	assert_int_equal(
	    ntf_request_build(&j, &keys, 1700000000000LL, &r, err, sizeof err), 0);
	assert_string_equal(r.url, "http://gw/send?sig=tok");
	assert_string_equal(
	    r.body, "{\"to\":\"13812345678\",\"text\":\"李建国：新派单\\n请处理\"}");
	assert_string_equal(r.masked, "138****5678");
	ntf_request_wipe(&r);
	/* a box sealed to someone else is refused for good */
	uint8_t other[32];
	crypto_box_keypair(other, sk);
	crypto_box_seal(box, (const uint8_t *)contact, strlen(contact), other);
	assert_int_equal(ntf_request_build(&j, &keys, 1, &r, err, sizeof err),
			 NTF_OUT_PERMANENT);
	assert_non_null(strstr(err, "contact_unreadable"));
	/* no box yet: wait for the petition */
	j.sealed = NULL;
	assert_int_equal(ntf_request_build(&j, &keys, 1, &r, err, sizeof err),
			 NTF_OUT_TRANSIENT);
	assert_non_null(strstr(err, "contact_pending"));
	/* keys not loaded: wait */
	struct ntf_keys none;
	memset(&none, 0, sizeof none);
	j.sealed = box;
	assert_int_equal(ntf_request_build(&j, &none, 1, &r, err, sizeof err),
			 NTF_OUT_TRANSIENT);
	ntf_tmpl_free(&sms.sms_url);
	ntf_tmpl_free(&sms.sms_body);
}

static void t_verdicts(void **state)
{
	(void)state;
	char err[160];
	static const struct {
		int fmt, terr;
		long status;
		const char *body, *ok;
		int want;
	} cases[] = {
	    {NTF_FMT_WEBHOOK, 0, 200, "", "", NTF_OUT_OK},
	    {NTF_FMT_WEBHOOK, 0, 204, "", "", NTF_OUT_OK},
	    {NTF_FMT_WEBHOOK, 0, 500, "", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_WEBHOOK, 0, 429, "", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_WEBHOOK, 0, 408, "", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_WEBHOOK, 0, 404, "", "", NTF_OUT_PERMANENT},
	    {NTF_FMT_WEBHOOK, 0, 301, "", "", NTF_OUT_PERMANENT},
	    {NTF_FMT_WEBHOOK, NTF_OUT_TRANSIENT, 0, "", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_WECOM, 0, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", "", NTF_OUT_OK},
	    {NTF_FMT_WECOM, 0, 200, "{\"errcode\":45009}", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_WECOM, 0, 200, "{\"errcode\":93000}", "", NTF_OUT_PERMANENT},
	    {NTF_FMT_WECOM, 0, 200, "<html>", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_DINGTALK, 0, 200, "{\"errcode\":130101}", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_DINGTALK, 0, 200, "{\"errcode\":310000}", "", NTF_OUT_PERMANENT},
	    {NTF_FMT_SMS, 0, 200, "{\"code\":\"OK\"}", "\"OK\"", NTF_OUT_OK},
	    {NTF_FMT_SMS, 0, 200, "{\"code\":\"LIMIT\"}", "\"OK\"", NTF_OUT_TRANSIENT},
	    {NTF_FMT_EMAIL, 0, 250, "", "", NTF_OUT_OK},
	    {NTF_FMT_EMAIL, NTF_OUT_TRANSIENT, 550, "", "", NTF_OUT_PERMANENT},
	    {NTF_FMT_EMAIL, NTF_OUT_TRANSIENT, 451, "", "", NTF_OUT_TRANSIENT},
	    {NTF_FMT_EMAIL, NTF_OUT_PERMANENT, 0, "", "", NTF_OUT_PERMANENT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int v = ntf_response_classify(
		    cases[i].fmt, cases[i].terr, "x", cases[i].status, cases[i].body,
		    strlen(cases[i].body), cases[i].ok, err, sizeof err);
		if (v != cases[i].want)
			fail_msg("case %zu: got %d want %d (%s)", i, v, cases[i].want,
				 err);
	}
}

/* The table of formats: one complete module per enum value, its name
 * round-trips, and a number outside the table is refused, not followed. */
static void t_format_table(void **state)
{
	(void)state;
	static const enum ntf_addr want[NTF_FMT_COUNT] = {
	    [NTF_FMT_WEBHOOK] = NTF_ADDR_URL,
	    [NTF_FMT_WECOM] = NTF_ADDR_URL,
	    [NTF_FMT_DINGTALK] = NTF_ADDR_URL,
	    [NTF_FMT_EMAIL] = NTF_ADDR_EMAIL,
	    [NTF_FMT_SMS] = NTF_ADDR_PHONE};
	for (int f = 0; f < NTF_FMT_COUNT; f++) {
		const struct ntf_format *m = ntf_format_of(f);
		assert_non_null(m);
		assert_non_null(m->name);
		assert_non_null(m->parse);
		assert_non_null(m->build);
		assert_non_null(m->verdict);
		assert_true(m->concurrency > 0);
		assert_int_equal(ntf_fmt_parse(m->name), f);
		assert_string_equal(ntf_fmt_name((enum ntf_fmt)f), m->name);
		assert_int_equal(m->addr, want[f]);
		assert_int_equal(ntf_fmt_robot(f),
				 f == NTF_FMT_WECOM || f == NTF_FMT_DINGTALK);
	}
	assert_null(ntf_format_of(-1));
	assert_null(ntf_format_of(NTF_FMT_COUNT));
	assert_int_equal(ntf_fmt_parse("pigeon"), -1);
	assert_int_equal(ntf_fmt_parse(NULL), -1);
	assert_string_equal(ntf_fmt_name((enum ntf_fmt)NTF_FMT_COUNT), "?");
	char err[64];
	assert_int_equal(ntf_response_classify(NTF_FMT_COUNT, 0, NULL, 200, "", 0, NULL,
					       err, sizeof err),
			 NTF_OUT_PERMANENT);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_tmpl_render),
	    cmocka_unit_test(t_tmpl_errors),
	    cmocka_unit_test(t_tmpl_names_lenient),
	    cmocka_unit_test(t_placeholder_catalogue),
	    cmocka_unit_test(t_masking),
	    cmocka_unit_test(t_escaping),
	    cmocka_unit_test(t_local_time),
	    cmocka_unit_test(t_vectors),
	    cmocka_unit_test(t_rfc2047_folding),
	    cmocka_unit_test(t_webhook_request),
	    cmocka_unit_test(t_robot_requests),
	    cmocka_unit_test(t_petitioner_contact),
	    cmocka_unit_test(t_verdicts),
	    cmocka_unit_test(t_format_table),
	};
	return cmocka_run_group_tests_name("notifier formats", tests, NULL, NULL);
}
