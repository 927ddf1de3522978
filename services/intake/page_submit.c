/* page_submit.c: the residents' start page (GET /): the petition form, and
 * its POST, which goes through the very code path of POST /v1/petitions
 * (intake_petition_read + intake_petition_submit in submit.c): the same
 * validation, rate limits, spam check and group commit.
 *
 * Design: the answer comes back through the submission's reply hook: a
 * refusal re-renders the form with the resident's input kept and the error
 * beside its field (the API's status); an acceptance renders the receipt
 * (page_receipt.c) in the answer itself, never a redirect carrying the
 * secret. Photos are the form's files (multipart), taken by the camera on a
 * phone. */
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "form.h"
#include "intake.h"
#include "page.h"
#include "web.h"

/* Chinese names of the form's fields, for error messages. */
static const struct {
	const char *field, *label;
} s_labels[] = {
    {"category", "诉求类别"}, {"building", "楼栋"},
    {"address", "具体位置"},  {"description", "问题描述"},
    {"name", "姓名"},	      {"phone", "电话"},
    {"photos", "照片"},	      {"consent_public", "公开选择"},
    {"anonymous", "匿名"},
};

/* The form field an API error names ("media[1]" is the photos input). */
static const char *s_form_field(const char *api_field)
{
	if (!strncmp(api_field, "media", 5))
		return "photos";
	return api_field;
}

/* The API's message with the field's key replaced by its Chinese name
 * ("description 不能为空" -> "问题描述 不能为空"). */
static void s_message(const struct intake_err *e, char *out, size_t n)
{
	snprintf(out, n, "%s", e->message);
	const char *f = e->field;
	const char *label = NULL;
	for (size_t i = 0; i < sizeof s_labels / sizeof s_labels[0]; i++)
		if (!strcmp(s_labels[i].field, s_form_field(f)))
			label = s_labels[i].label;
	char *at = *f && label ? strstr(out, f) : NULL;
	if (!at)
		return;
	char tail[256];
	snprintf(tail, sizeof tail, "%s", at + strlen(f));
	snprintf(at, n - (size_t)(at - out), "%s%s", label, tail);
}

/* One error, its field renamed to the form's. */
struct form_err {
	struct intake_err e;
	char text[300];
};

static const struct intake_err *s_err(struct form_err *fe, const struct intake_err *e)
{
	if (!e)
		return NULL;
	fe->e = *e;
	snprintf(fe->e.field, sizeof fe->e.field, "%s", s_form_field(e->field));
	s_message(e, fe->text, sizeof fe->text);
	return &fe->e;
}

static void s_label(struct qf_buf *b, const char *field, const char *label)
{
	qf_buf_puts(b, "<label for=\"f-");
	qf_buf_html(b, field);
	qf_buf_puts(b, "\">");
	qf_buf_puts(b, label);
	qf_buf_puts(b, "</label>");
}

static void s_hint(struct qf_buf *b, const char *field, const char *hint)
{
	qf_buf_puts(b, "<span class=\"hint\" id=\"h-");
	qf_buf_html(b, field);
	qf_buf_puts(b, "\">");
	qf_buf_puts(b, hint);
	qf_buf_puts(b, "</span>");
}

static void s_field_open(struct qf_buf *b, const char *field, const struct intake_err *e)
{
	qf_buf_puts(b, web_err_is(e, field) ? "<div class=\"field bad\">"
					    : "<div class=\"field\">");
}

/* A one-line text input with its label, hint and error. */
static void s_text(struct qf_buf *b, const char *field, const char *label,
		   const char *hint, const char *attrs, const json_t *fields,
		   const struct intake_err *e, const char *msg)
{
	s_field_open(b, field, e);
	s_label(b, field, label);
	if (hint)
		s_hint(b, field, hint);
	qf_buf_puts(b, "<input ");
	qf_buf_puts(b, attrs);
	web_field_attrs(b, field, hint != NULL, e);
	qf_buf_puts(b, " value=\"");
	web_field_value(b, fields, field);
	qf_buf_puts(b, "\">");
	web_field_err(b, field, e, msg);
	qf_buf_puts(b, "</div>");
}

static int s_checked(const json_t *fields, const char *key)
{
	json_t *v = json_object_get(fields, key);
	return json_is_true(v) ||
	       (json_is_string(v) && !strcmp(json_string_value(v), "true"));
}

static void s_select(struct qf_buf *b, const char *field, const char *hint,
		     const char *none, const char *const *codes, const char *const *names,
		     unsigned n, const json_t *fields, const struct intake_err *e,
		     const char *msg)
{
	const char *cur = json_string_value(json_object_get(fields, field));
	qf_buf_puts(b, "<select");
	web_field_attrs(b, field, hint != NULL, e);
	qf_buf_puts(b, ">");
	if (none) {
		qf_buf_puts(b, "<option value=\"\">");
		qf_buf_puts(b, none);
		qf_buf_puts(b, "</option>");
	}
	for (unsigned i = 0; i < n; i++) {
		qf_buf_puts(b, "<option value=\"");
		qf_buf_html(b, codes[i]);
		qf_buf_puts(b, cur && !strcmp(cur, codes[i]) ? "\" selected>" : "\">");
		qf_buf_html(b, names[i]);
		qf_buf_puts(b, "</option>");
	}
	qf_buf_puts(b, "</select>");
	web_field_err(b, field, e, msg);
}

static void s_render_form(struct qf_buf *b, const struct qf_community *c,
			  const json_t *fields, const struct intake_err *e,
			  const char *msg, int sms)
{
	qf_buf_puts(b,
		    "<h1>我要反映</h1><p>遇到小区里的问题，在这里告诉社区。提交后您会得到"
		    "一个查询码和一个密钥，凭它们随时查看办理进度。</p>");
	if (e) {
		/* the summary links to the field at fault (a long form on a phone) */
		qf_buf_puts(b, "<p class=\"alert\" id=\"form-error\">提交没有成功，"
			       "请按标红的提示修改后再提交：");
		if (e->field[0]) {
			qf_buf_puts(b, "<a href=\"#f-");
			qf_buf_html(b, e->field);
			qf_buf_puts(b, "\">");
			qf_buf_html(b, msg);
			qf_buf_puts(b, "</a>");
		} else {
			qf_buf_html(b, msg);
		}
		qf_buf_puts(b, "</p>");
	}
	qf_buf_puts(b,
		    "<form method=\"post\" action=\"/\" enctype=\"multipart/form-data\" "
		    "class=\"card\" novalidate><input type=\"hidden\" name=\"channel\" "
		    "value=\"web\">");
	web_form_key_field(b);
	/* category */
	const char *codes[256], *names[256];
	unsigned n = 0;
	for (unsigned i = 0; i < c->ncategories && n < 256; i++, n++) {
		codes[n] = c->categories[i].code;
		names[n] = c->categories[i].name;
	}
	s_field_open(b, "category", e);
	s_label(b, "category", "诉求类别（必填）");
	s_select(b, "category", NULL, "请选择", codes, names, n, fields, e, msg);
	qf_buf_puts(b, "</div>");
	/* building */
	n = 0;
	for (unsigned i = 0; i < c->nbuildings && n < 256; i++, n++) {
		codes[n] = c->buildings[i].id;
		names[n] = c->buildings[i].name;
	}
	s_field_open(b, "building", e);
	s_label(b, "building", "楼栋");
	s_hint(b, "building", "不确定可以不选，社区会根据位置确认。");
	s_select(b, "building", "h", "不确定", codes, names, n, fields, e, msg);
	qf_buf_puts(b, "</div>");
	/* address */
	s_text(b, "address", "具体位置（必填）", "例如：3号楼2单元门口、东门停车场。",
	       "type=\"text\" maxlength=\"200\" autocomplete=\"off\"", fields, e, msg);
	/* description */
	s_field_open(b, "description", e);
	s_label(b, "description", "问题描述（必填）");
	s_hint(b, "description", "说清楚是什么问题、从什么时候开始、影响了谁。");
	qf_buf_puts(b, "<textarea rows=\"6\" maxlength=\"4000\"");
	web_field_attrs(b, "description", 1, e);
	qf_buf_puts(b, ">");
	web_field_value(b, fields, "description");
	qf_buf_puts(b, "</textarea>");
	web_field_err(b, "description", e, msg);
	qf_buf_puts(b, "</div>");
	/* who */
	int anon = s_checked(fields, "anonymous");
	qf_buf_puts(b, "<fieldset><legend>您的联系方式</legend>");
	s_field_open(b, "anonymous", e);
	qf_buf_puts(
	    b, "<label class=\"choice\" for=\"f-anonymous\"><input type=\"checkbox\" "
	       "value=\"true\"");
	web_field_attrs(b, "anonymous", 1, e);
	qf_buf_puts(b, anon ? " checked>" : ">");
	qf_buf_puts(b, "匿名反映</label>");
	s_hint(b, "anonymous",
	       "匿名时不用填姓名和电话，但工作人员无法联系您，"
	       "只能凭查询码和密钥查看进度。");
	web_field_err(b, "anonymous", e, msg);
	qf_buf_puts(b, "</div>");
	s_text(b, "name", "姓名（不匿名时必填）", NULL,
	       "type=\"text\" maxlength=\"32\" autocomplete=\"name\"", fields, e, msg);
	s_text(b, "phone", "电话（不匿名时必填）",
	       "手机 11 位，或带区号的固定电话。只给处理的工作人员看。",
	       "type=\"tel\" maxlength=\"32\" autocomplete=\"tel\" inputmode=\"tel\"",
	       fields, e, msg);
	qf_buf_puts(b, "</fieldset>");
	/* consent */
	int pub = s_checked(fields, "consent_public");
	qf_buf_puts(b, "<fieldset");
	if (web_err_is(e, "consent_public"))
		qf_buf_puts(b, " aria-describedby=\"e-consent_public\"");
	qf_buf_puts(
	    b, "><legend>是否在公开栏展示</legend><p class=\"hint\" id=\"h-consent\">"
	       "社区公开栏会公布每件诉求的类别、楼栋、办理进度和结果，让大家监督办理。"
	       "<strong>您的姓名、电话、住址永远不会公开</strong>（公开时姓名只留姓氏，"
	       "电话隐去）。举报工作人员的诉求不论怎么选都不公开任何内容。</p>"
	       "<label class=\"choice\"><input type=\"radio\" name=\"consent_public\" "
	       "value=\"false\" aria-describedby=\"h-consent\"");
	qf_buf_puts(b, pub ? ">" : " checked>");
	qf_buf_puts(
	    b, "不公开我写的描述和照片（只公开类别、楼栋和进度）</label>"
	       "<label class=\"choice\"><input type=\"radio\" name=\"consent_public\" "
	       "value=\"true\" aria-describedby=\"h-consent\"");
	qf_buf_puts(b, pub ? " checked>" : ">");
	qf_buf_puts(b, "同意公开我写的描述和照片（已隐去姓名、电话等个人信息）</label>");
	web_field_err(b, "consent_public", e, msg);
	qf_buf_puts(b, "</fieldset>");
	/* photos: last, so a photo refused keeps every field above it */
	s_field_open(b, "photos", e);
	s_label(b, "photos", "照片（可选，最多 4 张）");
	s_hint(b, "photos", "可以直接用手机拍照。照片只给工作人员看，除非您同意公开。");
	qf_buf_puts(b, "<input type=\"file\" accept=\"image/*\" capture=\"environment\" "
		       "multiple");
	web_field_attrs(b, "photos", 1, e);
	qf_buf_puts(b, ">");
	web_field_err(b, "photos", e, msg);
	qf_buf_puts(
	    b, "</div><button type=\"submit\" class=\"wide\">提交诉求</button></form>"
	       "<p>已经提交过？<a href=\"/t\">查询办理进度</a>。社区工作人员请"
	       "<a href=\"/staff/login\">登录工作台</a>。</p>");
	if (sms)
		qf_buf_puts(
		    b, "<p>没有电子邮箱？可以<a href=\"/buildings/sms\">用短信关注您住的"
		       "楼栋</a>。</p>");
}

static void s_reply_form(struct qf_http_req *r, struct intake *in, unsigned status,
			 const json_t *fields, const struct intake_err *e)
{
	const struct qf_community *c = intake_world_get(in)->community;
	struct form_err fe;
	const struct intake_err *ee = s_err(&fe, e);
	struct web_page p = {.title = e ? "提交未成功" : "我要反映",
			     .site = c->name,
			     .area = WEB_AREA_RESIDENT,
			     .active = "submit",
			     .large = web_large(r),
			     .secret = e != NULL, /* the resident's own input */
			     .here = "/"};
	struct qf_buf b;
	qf_buf_init(&b);
	web_begin(&b, &p);
	s_render_form(&b, c, fields, ee, ee ? fe.text : NULL,
		      in->conf->notifier_url[0] != '\0');
	web_end(&b, &p);
	web_reply(r, status, &p, &b);
}

/* GET / */
void page_h_start(struct qf_http_req *r, void *ctx)
{
	s_reply_form(r, ctx, 200, NULL, NULL);
}

struct page_sub {
	struct intake *in;
	json_t *fields; /* the resident's input, for a re-rendered form */
};

static void s_answered(struct qf_http_req *r, unsigned status, const char *answer,
		       const struct intake_err *e, void *arg)
{
	struct page_sub *ps = arg;
	json_t *a = answer ? json_loads(answer, 0, NULL) : NULL;
	if (a && json_string_value(json_object_get(a, "tracking_code")))
		page_receipt_reply(r, ps->in, status == 201 ? 201 : 202, a);
	else if (e && e->status >= 500)
		intake_reply_err(r, e);
	else if (e && e->code && !strcmp(e->code, "idempotency_key_reused")) {
		/* the same form sent again with other text: said for people */
		struct intake_err pe = *e;
		pe.field[0] = '\0';
		snprintf(pe.message, sizeof pe.message, "%s",
			 "这份表单已经提交过了。如需再反映一件事，请在下面重新填写后提交。");
		s_reply_form(r, ps->in, e->status, ps->fields, &pe);
	} else if (e)
		s_reply_form(r, ps->in, e->status, ps->fields, e);
	else
		qf_http_reply_error(r, 500, "internal", "服务器内部错误", NULL);
	json_decref(a);
	json_decref(ps->fields);
	free(ps);
}

/* POST / */
void page_h_submit(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct page_sub *ps = calloc(1, sizeof *ps);
	if (!ps) {
		qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		return;
	}
	ps->in = in;
	json_t *obj;
	struct intake_form form;
	struct intake_err e = {0};
	int rc = intake_petition_read(in, r, &obj, &form, &e);
	if (rc == -1) {
		ps->fields = json_deep_copy(form.fields);
		intake_form_free(&form);
		s_answered(r, 0, NULL, &e, ps);
		return;
	}
	if (rc) {
		free(ps);
		return;
	}
	/* the kept input never holds photos: the form's files are not fields */
	ps->fields = json_deep_copy(obj);
	json_object_del(ps->fields, "form_key"); /* a re-rendered form gets a new one */
	struct intake_idem idem;
	int have_key = web_form_key_idem(obj, "page:/", &idem);
	json_object_del(obj, "form_key");
	struct intake_sub_opts so = {
	    .fmt = INTAKE_FMT_NATIVE, .reply = s_answered, .reply_arg = ps};
	intake_petition_submit(in, r, obj, &form, have_key ? &idem : NULL, &so);
	json_decref(obj);
}
