/* page_follow.c: the resident's follow page (/t/<code>): where the case
 * stands, its timeline, deadlines and who handles it, and the rating form
 * once it is resolved.
 *
 * Design: the secret never travels in a URL. With JavaScript the page's
 * script (resident.js) reads it from the link's fragment (#k=...) and asks
 * GET /v1/track/<code> with it in X-Tracking-Secret; without, a form POSTs
 * it and this module renders the same follow view (intake_track_view, the
 * API's own reader) on the server. Feedback goes through the API's path
 * (intake_feedback_queue). Every answer is no-store and rate-limited like
 * the API's follow lookups. */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "intake.h"
#include "page.h"
#include "ratelimit.h"
#include "web.h"

static void s_page(struct web_page *p, struct qf_http_req *r, struct intake *in,
		   const char *title)
{
	memset(p, 0, sizeof *p);
	p->title = title;
	p->site = intake_world_get(in)->community->name;
	p->area = WEB_AREA_RESIDENT;
	p->active = "follow";
	p->large = web_large(r);
	p->secret = 1;
	p->script = "resident.js";
	p->here = "/t";
}

/* The secret form: code typed (no code known) or fixed in the action. */
static void s_secret_form(struct qf_buf *b, const char *code, const struct intake_err *e)
{
	qf_buf_puts(b,
		    "<form method=\"post\" class=\"card\" id=\"secret-form\" action=\"");
	if (code) {
		qf_buf_puts(b, "/t/");
		qf_buf_url(b, code);
	} else {
		qf_buf_puts(b, "/t");
	}
	qf_buf_puts(b, "\">");
	if (!code) {
		qf_buf_puts(b,
			    "<div class=\"field\"><label for=\"f-tracking_code\">查询码"
			    "</label><input type=\"text\" autocomplete=\"off\" "
			    "autocapitalize=\"characters\"");
		web_field_attrs(b, "tracking_code", 0, e);
		qf_buf_puts(b, "></div>");
	}
	qf_buf_puts(b, web_err_is(e, "secret") ? "<div class=\"field bad\">"
					       : "<div class=\"field\">");
	qf_buf_puts(b,
		    "<label for=\"f-secret\">密钥</label><span class=\"hint\" "
		    "id=\"h-secret\">提交时回执上显示的那串字母和数字。</span>"
		    "<input type=\"password\" autocomplete=\"off\" spellcheck=\"false\"");
	web_field_attrs(b, "secret", 1, e);
	qf_buf_puts(b, ">");
	web_field_err(b, "secret", e, NULL);
	qf_buf_puts(b, "</div><button type=\"submit\">查看进度</button></form>");
}

static void s_str(struct qf_buf *b, const json_t *o, const char *k)
{
	qf_buf_html(b, json_string_value(json_object_get(o, k)));
}

/* One fact of the view (times shown as residents read them). */
static void s_fact(struct qf_buf *b, const char *label, const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	if (!v || !*v)
		return;
	qf_buf_puts(b, "<dt>");
	qf_buf_puts(b, label);
	qf_buf_puts(b, "</dt><dd>");
	web_time(b, v);
	qf_buf_puts(b, "</dd>");
}

static void s_feedback_form(struct qf_buf *b, const char *code, const char *secret,
			    const struct intake_err *e)
{
	qf_buf_puts(b, "<h2>评价办理结果</h2><form method=\"post\" class=\"card\" "
		       "id=\"feedback-form\" action=\"/t/");
	qf_buf_url(b, code);
	qf_buf_puts(b, "/feedback\"><input type=\"hidden\" name=\"secret\" value=\"");
	qf_buf_html(b, secret);
	qf_buf_puts(b, "\"><fieldset");
	if (web_err_is(e, "rating"))
		qf_buf_puts(b, " aria-describedby=\"e-rating\"");
	qf_buf_puts(b, "><legend>满意程度</legend>");
	static const char *const labels[] = {"很不满意", "不满意", "一般", "满意",
					     "很满意"};
	for (int i = 5; i >= 1; i--)
		qf_buf_printf(
		    b,
		    "<label class=\"choice\"><input type=\"radio\" name=\"rating\" "
		    "value=\"%d\">%d 分 · %s</label>",
		    i, i, labels[i - 1]);
	web_field_err(b, "rating", e, NULL);
	qf_buf_puts(b, "</fieldset>");
	qf_buf_puts(b, web_err_is(e, "comment") ? "<div class=\"field bad\">"
						: "<div class=\"field\">");
	qf_buf_puts(b,
		    "<label for=\"f-comment\">意见（可选）</label><textarea rows=\"3\" "
		    "maxlength=\"500\"");
	web_field_attrs(b, "comment", 0, e);
	qf_buf_puts(b, "></textarea>");
	web_field_err(b, "comment", e, NULL);
	qf_buf_puts(b, "</div><button type=\"submit\">提交评价</button></form>");
}

/* The supplement form (words and photos) while the case is open. */
static void s_supplement_form(struct qf_buf *b, const char *code, const char *secret,
			      const struct intake_err *e)
{
	qf_buf_puts(b, "<h2>补充情况或照片</h2><form method=\"post\" class=\"card\" "
		       "id=\"supplement-form\" enctype=\"multipart/form-data\" action=\"/t/");
	qf_buf_url(b, code);
	qf_buf_puts(b, "/supplements\"><input type=\"hidden\" name=\"secret\" value=\"");
	qf_buf_html(b, secret);
	qf_buf_puts(b, "\">");
	qf_buf_puts(b, web_err_is(e, "text") ? "<div class=\"field bad\">"
					     : "<div class=\"field\">");
	qf_buf_puts(b, "<label for=\"f-text\">补充说明</label><textarea rows=\"3\" "
		       "maxlength=\"4000\"");
	web_field_attrs(b, "text", 0, e);
	qf_buf_puts(b, "></textarea>");
	web_field_err(b, "text", e, NULL);
	qf_buf_puts(b, web_err_is(e, "photos") ? "</div><div class=\"field bad\">"
					       : "</div><div class=\"field\">");
	qf_buf_puts(b, "<label for=\"f-photos\">照片（可选）</label><input type=\"file\" "
		       "accept=\"image/*\" multiple");
	web_field_attrs(b, "photos", 0, e);
	qf_buf_puts(b, ">");
	web_field_err(b, "photos", e, NULL);
	qf_buf_puts(b, "</div><p class=\"when\">补充内容只给工作人员看，除非您提交时同意公开。"
		       "</p><button type=\"submit\">提交补充</button></form>");
}

/* The follow view as the API gives it, rendered. */
/* The way to follow by SMS (page_sms.c), when the community offers it. */
static void s_sms_link(struct qf_buf *b, const char *code)
{
	qf_buf_puts(b, "<p><a id=\"sms-link\" href=\"/t/");
	qf_buf_url(b, code);
	qf_buf_puts(b, "/sms\">用短信关注进展（适合没有电子邮箱的居民）</a></p>");
}

static void s_view(struct qf_buf *b, const json_t *v, const char *secret,
		   const struct intake_err *fe, int sms)
{
	const char *code = json_string_value(json_object_get(v, "tracking_code"));
	qf_buf_puts(b,
		    "<section id=\"view\" aria-labelledby=\"view-h\"><h2 id=\"view-h\">"
		    "当前状态：");
	s_str(b, v, "status_text");
	qf_buf_puts(b, "</h2><div class=\"card\"><dl class=\"facts\">");
	s_fact(b, "查询码", v, "tracking_code");
	s_fact(b, "类别", v, "category_name");
	s_fact(b, "楼栋", v, "building_name");
	s_fact(b, "位置", v, "address");
	s_fact(b, "提交时间", v, "submitted_at");
	s_fact(b, "最近更新", v, "updated_at");
	const json_t *dl = json_object_get(v, "deadlines");
	s_fact(b, "应受理时限", dl, "respond_due_at");
	s_fact(b, "应办结时限", dl, "resolve_due_at");
	const json_t *h = json_object_get(v, "handler");
	if (h) {
		qf_buf_puts(b, "<dt>经办人</dt><dd>");
		s_str(b, h, "name");
		const char *post = json_string_value(json_object_get(h, "post"));
		if (post && *post) {
			qf_buf_puts(b, "（");
			qf_buf_html(b, post);
			qf_buf_puts(b, "）");
		}
		qf_buf_puts(b, "</dd>");
	}
	qf_buf_puts(b, "</dl>");
	const char *notes = json_string_value(json_object_get(v, "status_notes"));
	if (notes && *notes) {
		qf_buf_puts(b, "<p class=\"note\">");
		qf_buf_html(b, notes);
		qf_buf_puts(b, "</p>");
	}
	qf_buf_puts(b, "</div><h2>办理过程</h2><ol class=\"timeline\" id=\"timeline\">");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(v, "timeline"), i, e)
	{
		const char *what = json_string_value(json_object_get(e, "status_text"));
		if (!what)
			what = "";
		const json_t *actor = json_object_get(e, "actor");
		qf_buf_puts(b, "<li><span class=\"when\">");
		web_time(b, json_string_value(json_object_get(e, "at")));
		qf_buf_puts(b, "</span> <span class=\"what\">");
		qf_buf_html(b,
			    *what ? what : json_string_value(json_object_get(e, "note")));
		qf_buf_puts(b, "</span>");
		const char *note = json_string_value(json_object_get(e, "note"));
		if (note && *what) {
			qf_buf_puts(b, "<div class=\"note\">");
			qf_buf_html(b, note);
			qf_buf_puts(b, "</div>");
		}
		const char *an = json_string_value(json_object_get(actor, "name"));
		if (an) {
			qf_buf_puts(b, "<div class=\"when\">经办：");
			qf_buf_html(b, an);
			qf_buf_puts(b, "</div>");
		}
		qf_buf_puts(b, "</li>");
	}
	qf_buf_puts(b, "</ol>");
	const char *st = json_string_value(json_object_get(v, "status"));
	if (sms && code && st && strcmp(st, "closed") && strcmp(st, "held_for_review") &&
	    strcmp(st, "dismissed"))
		s_sms_link(b, code);
	int sup = code && json_is_true(json_object_get(v, "can_supplement"));
	if (sup)
		s_supplement_form(b, code, secret, fe);
	int fb = code && json_is_true(json_object_get(v, "can_give_feedback"));
	if (fb)
		s_feedback_form(b, code, secret, fe);
	/* a refusal no form shows: rated already, not resolved (any more),
	   or no longer open */
	if (fe && !(sup && (web_err_is(fe, "text") || web_err_is(fe, "photos"))) &&
	    !(fb && (web_err_is(fe, "rating") || web_err_is(fe, "comment")))) { /* rated already, or not resolved (any more) */
		qf_buf_puts(b, "<p class=\"alert\" role=\"alert\">");
		qf_buf_html(b, fe->message);
		qf_buf_puts(b, "</p>");
	}
	qf_buf_puts(b, "</section>");
}

static void s_reply(struct qf_http_req *r, struct intake *in, unsigned status,
		    const char *code, const json_t *view, const char *secret,
		    const struct intake_err *e, const char *notice)
{
	struct web_page p;
	s_page(&p, r, in, "查询办理进度");
	struct qf_buf b;
	qf_buf_init(&b);
	web_begin(&b, &p);
	qf_buf_puts(&b, "<h1>查询办理进度</h1>");
	if (notice) {
		qf_buf_puts(&b, "<p class=\"good\" role=\"status\">");
		qf_buf_html(&b, notice);
		qf_buf_puts(&b, "</p>");
	}
	if (view) {
		s_view(&b, view, secret, e, in->conf->notifier_url[0] != '\0');
	} else {
		if (code) {
			qf_buf_puts(&b, "<p>查询码 <span class=\"code\">");
			qf_buf_html(&b, code);
			qf_buf_puts(&b, "</span></p>");
			/* the script fills this from the link's fragment */
			qf_buf_puts(&b, "<div id=\"js-view\" data-code=\"");
			qf_buf_html(&b, code);
			qf_buf_puts(&b,
				    in->conf->notifier_url[0] ? "\" data-sms=\"1" : "");
			qf_buf_puts(&b, "\" aria-live=\"polite\"></div>");
		}
		qf_buf_puts(
		    &b, "<p id=\"secret-intro\">请输入提交时拿到的密钥查看进度。</p>");
		s_secret_form(&b, code, e);
	}
	web_end(&b, &p);
	web_reply(r, status, &p, &b);
}

/* The API's rate limit on follow lookups; 0, or -1 when answered. */
static int s_limited(struct intake *in, struct qf_http_req *r, const char *code)
{
	char addr[64];
	if (intake_client_addr(in, r, addr, sizeof addr))
		return -1;
	struct intake_err e = {0};
	if (!intake_limit_err(in, r, in->lim_follow, addr, strlen(addr), "follow", &e))
		return 0;
	s_reply(r, in, e.status, code, NULL, NULL, &e, NULL);
	return -1;
}

json_t *page_form_small(struct qf_http_req *r, struct intake_err *e)
{
	struct intake_form f;
	intake_form_init(&f);
	json_t *o = NULL;
	if (!intake_form_read_raw(r, &f, 0, 0, e))
		o = json_incref(f.fields);
	intake_form_free(&f);
	return o;
}

/* The form of a POST here, within the follow rate limit: the fields, or
 * NULL when answered (malformed, or limited). */
static json_t *s_form_limited(struct qf_http_req *r, struct intake *in, const char *code)
{
	struct intake_err e = {0};
	json_t *f = page_form_small(r, &e);
	if (!f) {
		s_reply(r, in, e.status, code, NULL, NULL, &e, NULL);
		return NULL;
	}
	if (s_limited(in, r, code)) {
		json_decref(f);
		return NULL;
	}
	return f;
}

/* Show the view of code with secret, or the secret form with why not. */
static void s_show(struct qf_http_req *r, struct intake *in, const char *code,
		   const char *secret, const char *notice)
{
	struct intake_err e = {0};
	json_t *view = NULL;
	if (!secret || !*secret) {
		intake_err_set(&e, 401, "missing_secret", "secret", "请输入密钥");
	} else if (intake_track_view(in, code, secret, &view) != 1) {
		intake_err_set(&e, 404, "not_found", "secret",
			       "查询码或密钥不正确，请核对回执后重新输入");
	}
	s_reply(r, in, view ? 200 : e.status, code, view, secret, e.code ? &e : NULL,
		notice);
	json_decref(view);
}

/* GET /t and GET /t/:code */
void page_h_follow(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *code = qf_http_param(r, "code");
	char norm[32];
	if (code && intake_track_code_norm(code, norm, sizeof norm)) {
		struct intake_err e = {0};
		intake_err_set(&e, 404, "not_found", "tracking_code", "查询码格式不正确");
		s_reply(r, in, 404, NULL, NULL, NULL, &e, NULL);
		return;
	}
	s_reply(r, in, 200, code ? norm : NULL, NULL, NULL, NULL, NULL);
}

/* POST /t and POST /t/:code (secret in the body, never the URL) */
void page_h_follow_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *code = qf_http_param(r, "code");
	json_t *f = s_form_limited(r, in, code);
	if (!f)
		return;
	if (!code)
		code = json_string_value(json_object_get(f, "tracking_code"));
	s_show(r, in, code, json_string_value(json_object_get(f, "secret")), NULL);
	json_decref(f);
}

struct fb_page {
	struct intake *in;
	char code[32];
	char secret[64];
	const char *field;  /* where a refusal without a field is shown */
	const char *thanks; /* the notice once done */
};

static void s_fb_done(struct qf_http_req *r, const struct intake_err *e, void *arg)
{
	struct fb_page *fp = arg;
	if (e && e->status == 404) {
		s_show(r, fp->in, fp->code, fp->secret, NULL);
	} else if (e) {
		json_t *view = NULL;
		intake_track_view(fp->in, fp->code, fp->secret, &view);
		struct intake_err fe = *e;
		if (!fe.field[0])
			snprintf(fe.field, sizeof fe.field, "%s", fp->field);
		s_reply(r, fp->in, e->status, fp->code, view, fp->secret, &fe, NULL);
		json_decref(view);
	} else {
		s_show(r, fp->in, fp->code, fp->secret, fp->thanks);
	}
	memset(fp->secret, 0, sizeof fp->secret);
	free(fp);
}

/* POST /t/:code/feedback (secret, rating 1-5, comment) */
void page_h_feedback(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *code = qf_http_param(r, "code");
	struct intake_err e = {0};
	json_t *f = s_form_limited(r, in, code);
	if (!f)
		return;
	const char *secret = json_string_value(json_object_get(f, "secret"));
	const char *rs = json_string_value(json_object_get(f, "rating"));
	char *comment = NULL;
	struct fb_page *fp = calloc(1, sizeof *fp);
	int rc = -1;
	if (fp) {
		fp->in = in;
		fp->field = "rating";
		fp->thanks = "感谢您的评价，已转给社区。";
		snprintf(fp->code, sizeof fp->code, "%s", code);
		snprintf(fp->secret, sizeof fp->secret, "%s", secret ? secret : "");
	}
	if (!fp) {
		intake_err_set(&e, 500, "internal", NULL, "内存不足");
	} else if (!rs || strlen(rs) != 1 || rs[0] < '1' || rs[0] > '5') {
		intake_err_set(&e, 400, "out_of_range", "rating", "请选择 1 到 5 分");
	} else if (!intake_json_str(f, "comment", 0, 500, 1, &comment, &e)) {
		rc = intake_feedback_queue(in, r, code, secret, (unsigned)(rs[0] - '0'),
					   comment, s_fb_done, fp, &e);
		if (rc == -2)
			free(fp);
	}
	if (rc == -1) {
		if (!strcmp(e.field, "comment") || !strcmp(e.field, "rating"))
			s_fb_done(r, &e, fp); /* the view again, error at its field */
		else {
			free(fp);
			s_show(r, in, code, secret, NULL);
		}
	}
	json_decref(f);
}

/* POST /t/:code/supplements (secret, text, photos: multipart) */
void page_h_supplement(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *code = qf_http_param(r, "code");
	struct intake_err e = {0};
	struct intake_form form;
	json_t *obj = NULL;
	int rc = intake_petition_read(in, r, &obj, &form, &e);
	if (rc == -2)
		return; /* answered */
	if (rc == -1 || s_limited(in, r, code)) {
		const char *secret = json_string_value(json_object_get(form.fields, "secret"));
		if (rc == -1 && secret) {
			struct fb_page fp = {.in = in, .field = "photos"};
			snprintf(fp.code, sizeof fp.code, "%s", code);
			snprintf(fp.secret, sizeof fp.secret, "%s", secret);
			json_t *view = NULL;
			intake_track_view(in, fp.code, fp.secret, &view);
			snprintf(e.field, sizeof e.field, "photos");
			s_reply(r, in, e.status, fp.code, view, fp.secret, &e, NULL);
			json_decref(view);
			memset(fp.secret, 0, sizeof fp.secret);
		} else if (rc == -1) {
			s_reply(r, in, e.status, code, NULL, NULL, &e, NULL);
		}
		intake_form_free(&form);
		json_decref(obj);
		return;
	}
	const char *secret = json_string_value(json_object_get(obj, "secret"));
	struct fb_page *fp = calloc(1, sizeof *fp);
	if (!fp) {
		intake_form_free(&form);
		json_decref(obj);
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		return;
	}
	fp->in = in;
	fp->field = "text";
	fp->thanks = "已收到您的补充，已转给经办人。";
	snprintf(fp->code, sizeof fp->code, "%s", code);
	snprintf(fp->secret, sizeof fp->secret, "%s", secret ? secret : "");
	rc = intake_supplement_queue(in, r, code, secret, obj, &form, s_fb_done, fp, &e);
	if (rc == -2)
		free(fp);
	else if (rc == -1 && (e.status == 404 || e.status == 401)) {
		s_show(r, in, code, secret, NULL);
		free(fp);
	} else if (rc == -1) {
		if (!strncmp(e.field, "media", 5))
			snprintf(e.field, sizeof e.field, "photos");
		s_fb_done(r, &e, fp); /* the view again, error at its field */
	}
	json_decref(obj);
}
