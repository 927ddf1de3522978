/* staffspam.c: the spam review page (/staff/spam) for who holds
 * spam.review (the supervisor, the secretary): the held submissions, each
 * with release and dismiss forms.
 *
 * Design: nothing is decided here. The list is intake_holds_list and the
 * decisions go through intake_hold_release_start and
 * intake_hold_dismiss_start, the paths of POST /v1/spam/:id/release and
 * /dismiss; the answer is the list again with what happened. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "qf_buf.h"
#include "web.h"

static const char *s_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static void s_hold_forms(struct qf_buf *b, const char *id, const char *csrf)
{
	static const struct {
		const char *path, *label, *note;
	} acts[] = {{"release", "放行（转为正式诉求）", "放行说明（可选）"},
		    {"dismiss", "确认为垃圾信息", "驳回说明（可选）"}};
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		qf_buf_puts(b, "<form method=\"post\" action=\"/staff/spam/");
		qf_buf_url(b, id);
		qf_buf_printf(b, "/%s\">", acts[i].path);
		if (csrf)
			intake_staff_csrf_field(b, csrf);
		qf_buf_printf(b, "<label for=\"n-%s-", acts[i].path);
		qf_buf_html(b, id);
		qf_buf_printf(b, "\">%s</label><input id=\"n-%s-", acts[i].note,
			      acts[i].path);
		qf_buf_html(b, id);
		qf_buf_printf(b,
			      "\" name=\"note\" maxlength=\"500\">"
			      "<button type=\"submit\">%s</button></form>",
			      acts[i].label);
	}
}

static void s_page(struct intake *in, struct qf_http_req *r, unsigned status,
		   const char *done, const struct intake_err *e)
{
	struct intake_session s;
	intake_session_get(in, r, &s);
	const char *csrf = s.csrf[0] ? s.csrf : NULL;
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "疑似垃圾信息审核", qf_access_staff(r), csrf);
	if (done) {
		qf_buf_puts(&b, "<p class=\"notice\" role=\"status\">");
		qf_buf_html(&b, done);
		qf_buf_puts(&b, "</p>");
	}
	if (e) {
		qf_buf_puts(&b, "<p class=\"alert\" role=\"alert\">操作未成功：");
		qf_buf_html(&b, e->message);
		qf_buf_puts(&b, "</p>");
	}
	json_t *items = intake_holds_list(in, "held");
	if (!json_array_size(items))
		qf_buf_puts(&b, "<p>目前没有待审核的内容。</p>");
	size_t i;
	json_t *h;
	json_array_foreach(items, i, h)
	{
		const json_t *pet = json_object_get(h, "petition");
		qf_buf_puts(&b, "<section class=\"card\"><h2>");
		qf_buf_html(&b, s_str(h, "held_at"));
		qf_buf_puts(&b, "</h2><p>");
		qf_buf_html(&b, s_str(pet, "description"));
		qf_buf_puts(&b, "</p><p class=\"hint\">拦截原因：");
		qf_buf_html(&b, s_str(h, "rule"));
		qf_buf_puts(&b, " ");
		qf_buf_html(&b, s_str(h, "rule_detail"));
		qf_buf_printf(&b, "（得分 %lld）</p>",
			      (long long)json_integer_value(json_object_get(h, "score")));
		s_hold_forms(&b, s_str(h, "hold_id"), csrf);
		qf_buf_puts(&b, "</section>");
	}
	json_decref(items);
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_spam(struct qf_http_req *r, void *ctx)
{
	s_page(ctx, r, 200, NULL, NULL);
}

/* The form of a decision, its CSRF token checked; NULL after answering. */
static json_t *s_decision_form(struct intake *in, struct qf_http_req *r)
{
	struct intake_form form;
	struct intake_err e = {0};
	intake_form_init(&form);
	if (intake_form_read_raw(r, &form, 0, 0, &e)) {
		intake_form_free(&form);
		s_page(in, r, e.status ? e.status : 400, NULL, &e);
		return NULL;
	}
	json_t *f = json_incref(form.fields);
	intake_form_free(&form);
	struct intake_session s;
	if (intake_staff_csrf_check(in, r, f, &s)) {
		json_decref(f);
		return NULL;
	}
	json_object_del(f, "csrf");
	if (!*s_str(f, "note"))
		json_object_del(f, "note");
	return f;
}

static void s_released(struct qf_http_req *r, unsigned status, const char *answer,
		       const struct intake_err *e, void *arg)
{
	(void)answer;
	if (e || status >= 300)
		s_page(arg, r, e && e->status ? e->status : 500, NULL, e);
	else
		s_page(arg, r, 200, "已放行，已转为正式诉求。", NULL);
}

void intake_h_staff_spam_release(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	json_t *f = s_decision_form(in, r);
	if (!f)
		return;
	struct intake_err e = {0};
	struct intake_sub_opts page = {.reply = s_released, .reply_arg = in};
	if (intake_hold_release_start(in, r, qf_http_param(r, "id"), f, &page, &e))
		s_page(in, r, e.status ? e.status : 400, NULL, &e);
	json_decref(f);
}

static void s_dismissed(struct intake *in, struct qf_http_req *r, const char *id,
			const struct intake_err *e)
{
	(void)id;
	if (e)
		s_page(in, r, e->status ? e->status : 500, NULL, e);
	else
		s_page(in, r, 200, "已确认为垃圾信息，内容已删除。", NULL);
}

void intake_h_staff_spam_dismiss(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	json_t *f = s_decision_form(in, r);
	if (!f)
		return;
	struct intake_err e = {0};
	if (intake_hold_dismiss_start(in, r, qf_http_param(r, "id"), f, s_dismissed, &e))
		s_page(in, r, e.status ? e.status : 400, NULL, &e);
	json_decref(f);
}
