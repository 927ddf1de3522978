/* page_sms.c: following a case by SMS from the follow page, for residents
 * without e-mail: the resident gives a mobile number, receives a 6-digit
 * code by SMS, types it here, and from then on the notifier texts them
 * each step of the case.
 *
 * Design: the notifier owns follows and the SMS gateway (an "sms" follow
 * whose confirmation is a code, not a link); these pages only forward the
 * two requests to its public follow API (web_ntf.c), so the browser talks
 * to intake alone. Code requests are rate-limited here per client address
 * and per phone (intake's petition limiters: ratelimit.per_ip,
 * ratelimit.per_phone) on top of the notifier's one code per follow per ten
 * minutes and five tries per code. Only the tracking code is needed: like
 * the notifier's API, following says nothing about the case, and only the
 * phone's owner can confirm. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "intake.h"
#include "page.h"
#include "ratelimit.h"
#include "web.h"

static void s_page(struct web_page *p, struct qf_http_req *r, struct intake *in)
{
	memset(p, 0, sizeof *p);
	p->title = "短信关注进展";
	p->site = intake_world_get(in)->community->name;
	p->area = WEB_AREA_RESIDENT;
	p->active = "follow";
	p->large = web_large(r);
	p->secret = 1;
	p->here = "/t";
}

/* One input with its label, hint and error (left open: the caller closes
 * the div after its button). */
static void s_field(struct qf_buf *b, const char *field, const char *label,
		    const char *hint, const char *attrs, const char *value,
		    const struct intake_err *e)
{
	qf_buf_puts(b, web_err_is(e, field) ? "<div class=\"field bad\">"
					    : "<div class=\"field\">");
	qf_buf_puts(b, "<label for=\"f-");
	qf_buf_html(b, field);
	qf_buf_puts(b, "\">");
	qf_buf_puts(b, label);
	qf_buf_puts(b, "</label><span class=\"hint\" id=\"h-");
	qf_buf_html(b, field);
	qf_buf_puts(b, "\">");
	qf_buf_puts(b, hint);
	qf_buf_puts(b, "</span><input ");
	qf_buf_puts(b, attrs);
	web_field_attrs(b, field, 1, e);
	if (value) {
		qf_buf_puts(b, " value=\"");
		qf_buf_html(b, value);
		qf_buf_putc(b, '"');
	}
	qf_buf_puts(b, ">");
	web_field_err(b, field, e, NULL);
}

/* What is followed: a case (/t/<code>/sms) or a building
 * (/buildings/<id>/sms). */
struct sms_target {
	char path[96];	 /* the pages' base, URL-escaped ("/t/LSJ-ABC123") */
	char target[64]; /* the notifier's ("case:LSJ-ABC123", "building:B03") */
	char what[160];	 /* shown ("查询码 LSJ-ABC123", "楼栋 3栋") */
	int building;
};

/* The page: the phone form (no follow id yet), or the code form. */
static void s_reply(struct qf_http_req *r, struct intake *in, unsigned status,
		    const struct sms_target *tg, const char *follow_id, const char *phone,
		    const struct intake_err *e, const char *notice, int done)
{
	struct web_page p;
	s_page(&p, r, in);
	struct qf_buf b;
	qf_buf_init(&b);
	web_begin(&b, &p);
	qf_buf_puts(&b, "<h1>短信关注进展</h1><p>");
	qf_buf_html(&b, tg->what);
	qf_buf_puts(&b, "</p>");
	if (notice) {
		qf_buf_puts(&b, "<p class=\"good\" role=\"status\">");
		qf_buf_html(&b, notice);
		qf_buf_puts(&b, "</p>");
	}
	if (done) {
		qf_buf_puts(&b, "<p><a href=\"");
		qf_buf_html(&b, tg->building ? "/" : tg->path);
		qf_buf_puts(&b, tg->building ? "\">返回首页</a></p>"
					     : "\">返回查询页</a></p>");
	} else if (!follow_id) {
		qf_buf_puts(
		    &b,
		    "<p>"
		    "留下手机号，每有进展（楼栋有紧急情况时也会），社区会发短信告诉您。"
		    "我们先发一个 6 位验证码，确认是您本人的手机。</p>"
		    "<form method=\"post\" class=\"card\" id=\"sms-form\" action=\"");
		qf_buf_html(&b, tg->path);
		qf_buf_puts(&b, "/sms\">");
		s_field(&b, "phone", "手机号码",
			"11 位手机号。只用于给您发这件事的进展。",
			"type=\"tel\" inputmode=\"numeric\" autocomplete=\"tel\" "
			"maxlength=\"11\"",
			phone, e);
		qf_buf_puts(&b,
			    "</div><button type=\"submit\">获取验证码</button></form>");
	} else {
		qf_buf_puts(&b, "<form method=\"post\" class=\"card\" id=\"code-form\" "
				"action=\"");
		qf_buf_html(&b, tg->path);
		qf_buf_puts(&b,
			    "/sms/confirm\"><input type=\"hidden\" name=\"id\" value=\"");
		qf_buf_html(&b, follow_id);
		qf_buf_puts(&b, "\">");
		s_field(
		    &b, "code", "短信验证码", "收到的短信里的 6 位数字。",
		    "type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\" "
		    "maxlength=\"6\"",
		    NULL, e);
		qf_buf_puts(&b, "</div><button type=\"submit\">确认关注</button></form>");
	}
	web_end(&b, &p);
	web_reply(r, status, &p, &b);
}

/* The notifier's refusal as the page shows it, at field. */
static void s_refused(struct intake_err *e, long status, const json_t *a,
		      const char *field)
{
	const char *detail = json_string_value(json_object_get(a, "detail"));
	if (status >= 400 && status < 500 && detail)
		intake_err_set(e, (unsigned)status, "refused", field, "%s", detail);
	else
		intake_err_set(e, 503, "unavailable", field,
			       "短信服务暂时不可用，请稍后再试");
}

/* The route's case (:code) or building (:building) into tg: 0, or -1
 * when answered (404: malformed code, unknown building, not offered). */
static int s_target(struct qf_http_req *r, struct intake *in, struct sms_target *tg)
{
	const char *code = qf_http_param(r, "code");
	const char *bid = qf_http_param(r, "building");
	if (!bid && !code)
		bid = qf_http_query(r, "building"); /* the chooser's GET form */
	char norm[32];
	memset(tg, 0, sizeof *tg);
	if (!in->conf->notifier_url[0]) {
		qf_http_reply_error(r, 404, "sms_follow_off", "本社区未开放短信关注",
				    NULL);
		return -1;
	}
	struct qf_buf u;
	qf_buf_init(&u);
	if (code && !intake_track_code_norm(code, norm, sizeof norm)) {
		qf_buf_puts(&u, "/t/");
		qf_buf_url(&u, norm);
		snprintf(tg->target, sizeof tg->target, "case:%s", norm);
		snprintf(tg->what, sizeof tg->what, "查询码 %s", norm);
	} else {
		const struct qf_building *b =
		    bid ? qf_community_building(intake_world_get(in)->community, bid)
			: NULL;
		if (!b || strlen(b->id) > 40) {
			qf_buf_free(&u);
			qf_http_reply_error(r, 404, "not_found",
					    code ? "查询码格式不正确" : "没有这个楼栋",
					    NULL);
			return -1;
		}
		qf_buf_puts(&u, "/buildings/");
		qf_buf_url(&u, b->id);
		snprintf(tg->target, sizeof tg->target, "building:%s", b->id);
		snprintf(tg->what, sizeof tg->what, "楼栋 %s", b->name);
		tg->building = 1;
	}
	snprintf(tg->path, sizeof tg->path, "%s", qf_buf_ok(&u) ? u.p : "/");
	qf_buf_free(&u);
	return 0;
}

/* A POST's form with the route's target (into tg), or NULL when
 * answered. */
static json_t *s_post_form(struct qf_http_req *r, struct intake *in,
			   struct sms_target *tg)
{
	if (s_target(r, in, tg))
		return NULL;
	struct intake_err e = {0};
	json_t *f = page_form_small(r, &e);
	if (!f)
		s_reply(r, in, e.status, tg, NULL, NULL, &e, NULL, 0);
	return f;
}

/* A notifier follow id ("F" and 24 hex digits): safe in a path. */
static int s_follow_id_ok(const char *id)
{
	return id && strlen(id) == 25 && id[0] == 'F' &&
	       strspn(id + 1, "0123456789abcdef") == 24;
}

/* GET /t/:code/sms, GET /buildings/:building/sms */
void page_h_sms(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct sms_target tg;
	if (!s_target(r, in, &tg))
		s_reply(r, in, 200, &tg, NULL, NULL, NULL, NULL, 0);
}

/* POST /t/:code/sms (phone): ask the notifier for an sms follow */
void page_h_sms_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	char addr[64], phone[40];
	struct sms_target tg;
	struct intake_err e = {0};
	json_t *f = s_post_form(r, in, &tg);
	if (!f)
		return;
	const char *typed = json_string_value(json_object_get(f, "phone"));
	snprintf(phone, sizeof phone, "%s", typed ? typed : "");
	json_decref(f);
	uint8_t pseudonym[32];
	if (intake_phone_norm(phone, addr, sizeof addr) || strlen(addr) != 11 ||
	    addr[0] != '1') {
		intake_err_set(&e, 400, "invalid_phone", "phone", "请输入 11 位手机号码");
		s_reply(r, in, 400, &tg, NULL, phone, &e, NULL, 0);
		sodium_memzero(phone, sizeof phone);
		return;
	}
	snprintf(phone, sizeof phone, "%s", addr);
	intake_keys_pseudonym(&in->keys, phone, pseudonym);
	if (intake_client_addr(in, r, addr, sizeof addr))
		goto out;
	if (intake_limit_err(in, r, in->lim_ip, addr, strlen(addr), "sms_follow", &e) ||
	    intake_limit_err(in, r, in->lim_phone, pseudonym, 32, "sms_follow", &e)) {
		snprintf(e.field, sizeof e.field, "phone");
		s_reply(r, in, e.status, &tg, NULL, phone, &e, NULL, 0);
		goto out;
	}
	json_t *body = json_pack("{s:s, s:s, s:s}", "target", tg.target, "channel", "sms",
				 "address", phone);
	long st;
	json_t *a = NULL;
	int rc = body ? web_ntf_post(in->conf->notifier_url, "/v1/follows", body, &st, &a)
		      : -1;
	json_decref(body);
	const char *id = json_string_value(json_object_get(a, "id"));
	const char *state = json_string_value(json_object_get(a, "state"));
	if (!rc && st == 200 && state && !strcmp(state, "active")) {
		s_reply(r, in, 200, &tg, NULL, NULL, NULL,
			"这个手机号已在关注这件事，有进展会发短信告诉您。", 1);
	} else if (!rc && st == 202 && s_follow_id_ok(id)) {
		s_reply(r, in, 200, &tg, id, NULL, NULL,
			"验证码已发到您的手机，请在下面输入。", 0);
	} else {
		s_refused(&e, rc ? 0 : st, a, "phone");
		s_reply(r, in, e.status, &tg, NULL, phone, &e, NULL, 0);
	}
	json_decref(a);
out:
	sodium_memzero(phone, sizeof phone);
}

/* POST /t/:code/sms/confirm (id, code): confirm it with the SMS's code */
void page_h_sms_confirm(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct sms_target tg;
	struct intake_err e = {0};
	json_t *f = s_post_form(r, in, &tg);
	if (!f)
		return;
	const char *id = json_string_value(json_object_get(f, "id"));
	const char *typed = json_string_value(json_object_get(f, "code"));
	if (!s_follow_id_ok(id)) {
		json_decref(f);
		s_reply(r, in, 400, &tg, NULL, NULL, NULL, NULL, 0);
		return;
	}
	if (!typed || strlen(typed) != 6 || strspn(typed, "0123456789") != 6) {
		intake_err_set(&e, 400, "invalid_code", "code",
			       "请输入短信中的 6 位数字验证码");
		s_reply(r, in, 400, &tg, id, NULL, &e, NULL, 0);
		json_decref(f);
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "/v1/follows/%s/confirm", id);
	json_t *body = json_pack("{s:s}", "code", typed);
	long st;
	json_t *a = NULL;
	int rc = body ? web_ntf_post(in->conf->notifier_url, path, body, &st, &a) : -1;
	json_decref(body);
	if (!rc && st == 200)
		s_reply(r, in, 200, &tg, NULL, NULL, NULL,
			"已开通短信关注，案件每有进展都会发短信告诉您。", 1);
	else {
		s_refused(&e, rc ? 0 : st, a, "code");
		s_reply(r, in, e.status, &tg, id, NULL, &e, NULL, 0);
	}
	json_decref(a);
	json_decref(f);
}

/* GET /buildings/sms[?building=B03]: choose a building, then its page */
void page_h_sms_buildings(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	if (qf_http_query(r, "building")) {
		page_h_sms(r, ctx);
		return;
	}
	if (!in->conf->notifier_url[0]) {
		qf_http_reply_error(r, 404, "sms_follow_off", "本社区未开放短信关注",
				    NULL);
		return;
	}
	const struct qf_community *c = intake_world_get(in)->community;
	struct web_page p;
	s_page(&p, r, in);
	struct qf_buf b;
	qf_buf_init(&b);
	web_begin(&b, &p);
	qf_buf_puts(&b,
		    "<h1>短信关注楼栋</h1><p>选择您住的楼栋，留下手机号，楼栋有紧急情况"
		    "或诉求进展时，社区会发短信告诉您。</p><form method=\"get\" "
		    "class=\"card\" action=\"/buildings/sms\"><div class=\"field\">"
		    "<label for=\"f-building\">楼栋</label><select id=\"f-building\" "
		    "name=\"building\">");
	for (unsigned i = 0; i < c->nbuildings; i++) {
		qf_buf_puts(&b, "<option value=\"");
		qf_buf_html(&b, c->buildings[i].id);
		qf_buf_puts(&b, "\">");
		qf_buf_html(&b, c->buildings[i].name);
		qf_buf_puts(&b, "</option>");
	}
	qf_buf_puts(&b, "</select></div><button type=\"submit\">下一步</button></form>");
	web_end(&b, &p);
	web_reply(r, 200, &p, &b);
}
