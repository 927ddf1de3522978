/* staffentry.c: the counter, phone and patrol entry page (/staff/new): a
 * staff member enters a resident's petition taken offline, and the answer
 * is the paper receipt (回执) with the tracking code and the secret for the
 * resident, printed from the page (the shell's print style).
 *
 * Design: the petition goes through intake_petition_read and
 * intake_petition_submit, the path of POST /v1/petitions, with the signed-in
 * person as entered_by (the route's action is case.enter); the receipt is
 * web15's resident receipt page, so residents get one receipt whichever way
 * they came. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "page.h"
#include "qf_buf.h"
#include "web.h"

static const char *s_val(const json_t *f, const char *k)
{
	const char *v = json_string_value(json_object_get(f, k));
	return v ? v : "";
}

/* One labelled field; the error, when it is this field's, tied to it. */
static void s_input(struct qf_buf *b, const char *field, const char *label,
		    const char *type, const json_t *f, const struct intake_err *e)
{
	qf_buf_printf(b, "<div class=\"field\"><label for=\"f-%s\">%s</label>", field,
		      label);
	web_field_err(b, field, e, e ? e->message : NULL);
	if (!strcmp(type, "textarea")) {
		qf_buf_puts(b, "<textarea");
		web_field_attrs(b, field, 0, e);
		qf_buf_puts(b, " rows=\"4\">");
		qf_buf_html(b, s_val(f, field));
		qf_buf_puts(b, "</textarea></div>");
		return;
	}
	qf_buf_printf(b, "<input type=\"%s\"", type);
	web_field_attrs(b, field, 0, e);
	qf_buf_puts(b, " value=\"");
	qf_buf_html(b, s_val(f, field));
	qf_buf_puts(b, "\"></div>");
}

static void s_select(struct qf_buf *b, const char *field, const char *label,
		     const char *const *codes, const char *const *names, unsigned n,
		     const json_t *f, const struct intake_err *e)
{
	qf_buf_printf(b, "<div class=\"field\"><label for=\"f-%s\">%s</label>", field,
		      label);
	web_field_err(b, field, e, e ? e->message : NULL);
	qf_buf_puts(b, "<select");
	web_field_attrs(b, field, 0, e);
	qf_buf_puts(b, ">");
	for (unsigned i = 0; i < n; i++) {
		qf_buf_puts(b, "<option value=\"");
		qf_buf_html(b, codes[i]);
		qf_buf_puts(b,
			    strcmp(s_val(f, field), codes[i]) ? "\">" : "\" selected>");
		qf_buf_html(b, names[i]);
		qf_buf_puts(b, "</option>");
	}
	qf_buf_puts(b, "</select></div>");
}

#define LIST_MAX 256

static void s_form_page(struct intake *in, struct qf_http_req *r, unsigned status,
			const json_t *f, const struct intake_err *e)
{
	const struct qf_community *c = intake_world_get(in)->community;
	struct intake_session s;
	intake_session_get(in, r, &s);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "代居民登记诉求", qf_access_staff(r),
				s.csrf[0] ? s.csrf : NULL);
	if (e)
		qf_buf_puts(&b, "<p class=\"alert\" role=\"alert\">登记没有成功，"
				"请按标出的提示修改后再提交。</p>");
	qf_buf_puts(&b, "<form method=\"post\" action=\"/staff/new\" "
			"enctype=\"multipart/form-data\" class=\"card\" novalidate>");
	if (s.csrf[0])
		intake_staff_csrf_field(&b, s.csrf);
	web_form_key_field(&b);
	static const char *const ch[] = {"counter", "phone", "patrol"};
	static const char *const chn[] = {"窗口接待", "电话", "巡查"};
	s_select(&b, "channel", "受理方式", ch, chn, 3, f, e);
	const char *codes[LIST_MAX], *names[LIST_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < c->ncategories && n < LIST_MAX; i++, n++) {
		codes[n] = c->categories[i].code;
		names[n] = c->categories[i].name;
	}
	s_select(&b, "category", "诉求类别", codes, names, n, f, e);
	n = 0;
	for (unsigned i = 0; i < c->nbuildings && n < LIST_MAX; i++, n++) {
		codes[n] = c->buildings[i].id;
		names[n] = c->buildings[i].name;
	}
	s_select(&b, "building", "楼栋", codes, names, n, f, e);
	s_input(&b, "address", "具体位置", "text", f, e);
	s_input(&b, "description", "诉求内容", "textarea", f, e);
	s_input(&b, "name", "居民姓名", "text", f, e);
	s_input(&b, "phone", "居民电话", "tel", f, e);
	qf_buf_puts(
	    &b, "<button type=\"submit\" class=\"wide\">登记并打印回执</button></form>");
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_new_get(struct qf_http_req *r, void *ctx)
{
	s_form_page(ctx, r, 200, NULL, NULL);
}

struct entry {
	struct intake *in;
	json_t *fields;
};

static void s_answered(struct qf_http_req *r, unsigned status, const char *answer,
		       const struct intake_err *e, void *arg)
{
	struct entry *en = arg;
	json_t *a = answer ? json_loads(answer, 0, NULL) : NULL;
	if (a && json_string_value(json_object_get(a, "tracking_code")))
		page_receipt_reply(r, en->in, status == 201 ? 201 : 202, a);
	else if (e && e->status < 500)
		s_form_page(en->in, r, e->status, en->fields, e);
	else if (e)
		intake_reply_err(r, e);
	else
		qf_http_reply_error(r, 500, "internal", "服务器内部错误", NULL);
	json_decref(a);
	json_decref(en->fields);
	free(en);
}

void intake_h_staff_new_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	json_t *obj;
	struct intake_form form;
	struct intake_err e = {0};
	int rc = intake_petition_read(in, r, &obj, &form, &e);
	if (rc == -2)
		return;
	const json_t *fields = rc ? form.fields : obj;
	struct intake_session s;
	if (intake_staff_csrf_check(in, r, fields, &s)) {
		if (!rc)
			json_decref(obj);
		intake_form_free(&form);
		return;
	}
	struct entry *en = calloc(1, sizeof *en);
	if (!en || rc) {
		if (en) {
			en->in = in;
			en->fields = json_deep_copy(form.fields);
		}
		intake_form_free(&form);
		if (en)
			s_answered(r, 0, NULL, &e, en);
		else
			qf_http_reply_error(r, 500, "internal", "内存不足", NULL);
		if (!rc)
			json_decref(obj);
		return;
	}
	json_object_del(obj, "csrf");
	/* the key is the person's: one colleague's form is not another's */
	char scope[96];
	snprintf(scope, sizeof scope, "staff:/staff/new:%s", qf_access_staff(r)->id);
	struct intake_idem idem;
	int have_key = web_form_key_idem(obj, scope, &idem);
	json_object_del(obj, "form_key");
	en->in = in;
	en->fields = json_deep_copy(obj);
	struct intake_sub_opts so = {
	    .fmt = INTAKE_FMT_NATIVE, .reply = s_answered, .reply_arg = en};
	intake_petition_submit(in, r, obj, &form, have_key ? &idem : NULL, &so);
	json_decref(obj);
}

/* The labelled fields for other staff forms (staff.h). */
void intake_staff_input(struct qf_buf *b, const char *field, const char *label,
			const char *type, const json_t *f, const struct intake_err *e)
{
	s_input(b, field, label, type, f, e);
}

void intake_staff_select(struct qf_buf *b, const char *field, const char *label,
			 const char *const *codes, const char *const *names, unsigned n,
			 const json_t *f, const struct intake_err *e)
{
	s_select(b, field, label, codes, names, n, f, e);
}
