/* staffsup.c: the integrity supervisor's pages: the visit log with the
 * month's household count against the quota and a form to record a visit
 * (/staff/visits), and the integrity reports the person may read
 * (/staff/integrity).
 *
 * Design: nothing is decided here. The log is intake_visits_list (GET
 * /v1/visits' answer), a visit goes through intake_visit_start (POST
 * /v1/visits' path and validation), and which integrity reports are listed
 * is qf_policy's answer for each case (intake_cases_each), the page keeping
 * only the sensitive ones. The pace warning mirrors the router's duty check
 * (duty.c): the quota times the share of the month's days fully elapsed. */
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

/* The local date of now: "YYYY-MM-DD" in out (11 bytes). */
static void s_today(struct intake *in, char out[11])
{
	char iso[40];
	qf_time_fmt(qf_now_ms(in->clock), intake_world_get(in)->community->utc_offset_min,
		    iso, sizeof iso);
	snprintf(out, 11, "%.10s", iso);
}

static int s_month_days(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
	return m == 2 ? 28 + leap : d[m - 1];
}

/* Is s a month "YYYY-MM"? */
static int s_month_ok(const char *s)
{
	if (strlen(s) != 7 || s[4] != '-')
		return 0;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int m = atoi(s + 5);
	return m >= 1 && m <= 12;
}

/* The count expected by today in month: the quota times the share of its
 * days fully elapsed (all of them for a past month, none for a future). */
static int s_expected(int quota, const char *month, const char *today)
{
	int y = atoi(month), m = atoi(month + 5), days = s_month_days(y, m);
	int cmp = strncmp(month, today, 7);
	int elapsed = cmp < 0 ? days : cmp > 0 ? 0 : atoi(today + 8) - 1;
	return (int)((long long)quota * elapsed / days);
}

/* The month's households against the quota, in words. */
static void s_quota(struct qf_buf *b, int quota, const char *month, const char *today,
		    int done)
{
	qf_buf_printf(b, "<section class=\"card\"><h2>%.7s 入户走访</h2>", month);
	qf_buf_printf(b, "<p>已走访 <strong>%d</strong> 户（按楼栋和单元门牌去重）", done);
	if (quota > 0)
		qf_buf_printf(b, "，每月任务 %d 户", quota);
	qf_buf_puts(b, "。</p>");
	int expected = quota > 0 ? s_expected(quota, month, today) : 0;
	if (quota > 0 && done < expected) {
		if (strncmp(month, today, 7) < 0)
			qf_buf_printf(b,
				      "<p class=\"alert\" role=\"alert\">【未完成】这个月已结束，"
				      "走访 %d 户，少于每月任务 %d 户。</p>",
				      done, quota);
		else
			qf_buf_printf(b,
				      "<p class=\"alert\" role=\"alert\">【进度落后】按本月已过"
				      "天数，到今天应走访 %d 户，目前 %d 户，还差 %d 户。</p>",
				      expected, done, expected - done);
	} else if (quota > 0 && done >= quota) {
		qf_buf_puts(b, "<p class=\"notice\">本月走访任务已完成。</p>");
	}
	qf_buf_puts(b, "</section>");
}

/* The API's verdict in the form's words: its fields by their labels. */
static void s_form_err(const struct intake_err *e, struct intake_err *out)
{
	static const struct {
		const char *field, *name;
	} names[] = {{"date", "走访日期"}, {"place", "走访地点"}, {"building", "楼栋"},
		     {"unit", "单元门牌"},  {"findings", "走访情况"}};
	*out = *e;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(e->field, names[i].field))
			continue;
		if (!strcmp(e->code, "missing_field"))
			snprintf(out->message, sizeof out->message, "请填写%s", names[i].name);
		else if (!strcmp(e->code, "invalid_date"))
			snprintf(out->message, sizeof out->message,
				 "请填写有效的日期（年-月-日）");
		else if (!strcmp(e->code, "too_long"))
			snprintf(out->message, sizeof out->message, "%s太长了，请缩短",
				 names[i].name);
	}
}

static void s_visit_form(struct intake *in, struct qf_buf *b, const char *csrf,
			 const json_t *f, const struct intake_err *err, const char *today)
{
	struct intake_err mine, *e = NULL;
	if (err && err->code) {
		s_form_err(err, &mine);
		e = &mine;
	}
	const struct qf_community *c = intake_world_get(in)->community;
	qf_buf_puts(b, "<form method=\"post\" action=\"/staff/visits\" class=\"card\" "
		       "novalidate><h2>记录一次走访</h2>");
	if (csrf)
		intake_staff_csrf_field(b, csrf);
	json_t *vals = f ? json_incref((json_t *)f) : json_pack("{s:s}", "date", today);
	intake_staff_input(b, "date", "走访日期", "date", vals, e);
	intake_staff_input(b, "place", "走访地点（住户或单位）", "text", vals, e);
	const char *codes[257] = {""}, *names[257] = {"（不指定楼栋）"};
	unsigned n = 1;
	for (unsigned i = 0; i < c->nbuildings && n < 257; i++, n++) {
		codes[n] = c->buildings[i].id;
		names[n] = c->buildings[i].name;
	}
	intake_staff_select(b, "building", "楼栋", codes, names, n, vals, e);
	intake_staff_input(b, "unit", "单元门牌（如 2单元301，同一户只计一次）", "text",
			   vals, e);
	intake_staff_input(b, "findings", "走访情况", "textarea", vals, e);
	int home = !f || *s_str(f, "household");
	qf_buf_printf(b,
		      "<div class=\"field\"><input type=\"checkbox\" id=\"f-household\" "
		      "name=\"household\" value=\"1\"%s> <label for=\"f-household\">"
		      "入户走访（计入每月走访任务）</label></div>",
		      home ? " checked" : "");
	json_decref(vals);
	qf_buf_puts(b, "<button type=\"submit\" class=\"wide\">保存走访记录</button></form>");
}

static void s_visits_page(struct intake *in, struct qf_http_req *r, unsigned status,
			  const char *done, const json_t *f, const struct intake_err *e)
{
	const struct qf_staff *me = qf_access_staff(r);
	struct intake_session s;
	intake_session_get(in, r, &s);
	const char *csrf = s.csrf[0] ? s.csrf : NULL;
	char today[11];
	s_today(in, today);
	const char *q = f ? NULL : qf_http_query(r, "month");
	char month[8];
	snprintf(month, sizeof month, "%.7s", q && s_month_ok(q) ? q : today);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "走访记录", me, csrf);
	if (q && !s_month_ok(q))
		qf_buf_puts(&b, "<p class=\"alert\" role=\"alert\">月份格式应为 "
				"YYYY-MM，已显示本月。</p>");
	if (done) {
		qf_buf_puts(&b, "<p class=\"notice\" role=\"status\">");
		qf_buf_html(&b, done);
		qf_buf_puts(&b, "</p>");
	}
	if (e)
		qf_buf_puts(&b, "<p class=\"alert\" role=\"alert\">走访记录没有保存，"
				"请按标出的提示修改后再提交。</p>");
	json_t *log = intake_visits_list(in, me->id, month);
	s_quota(&b, in->conf->visit_quota, month, today,
		(int)json_integer_value(json_object_get(log, "distinct_households")));
	s_visit_form(in, &b, csrf, f, e, today);
	qf_buf_printf(&b, "<section class=\"card\"><h2>%s 的走访</h2>", month);
	const json_t *items = json_object_get(log, "visits");
	if (!json_array_size(items))
		qf_buf_puts(&b, "<p>这个月还没有走访记录。</p>");
	qf_buf_puts(&b, "<ul class=\"q\">");
	for (size_t i = json_array_size(items); i-- > 0;) {
		const json_t *v = json_array_get(items, i);
		const struct qf_building *bl =
		    qf_community_building(intake_world_get(in)->community, s_str(v, "building"));
		qf_buf_puts(&b, "<li>");
		qf_buf_html(&b, s_str(v, "date"));
		qf_buf_puts(&b, " · ");
		qf_buf_html(&b, s_str(v, "place"));
		if (bl) {
			qf_buf_puts(&b, " · ");
			qf_buf_html(&b, bl->name);
		}
		if (*s_str(v, "unit")) {
			qf_buf_puts(&b, " ");
			qf_buf_html(&b, s_str(v, "unit"));
		}
		qf_buf_puts(&b, json_is_true(json_object_get(v, "household")) ? "（入户）"
									  : "");
		if (*s_str(v, "findings")) {
			qf_buf_puts(&b, "<br>");
			qf_buf_html(&b, s_str(v, "findings"));
		}
		qf_buf_puts(&b, "</li>");
	}
	qf_buf_puts(&b, "</ul></section>");
	json_decref(log);
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_visits(struct qf_http_req *r, void *ctx)
{
	s_visits_page(ctx, r, 200, NULL, NULL, NULL);
}

struct visit_page {
	struct intake *in;
	json_t *fields;
};

static void s_recorded(void *arg, struct qf_http_req *r, const char *visit_id,
		       const struct intake_err *e)
{
	struct visit_page *vp = arg;
	if (visit_id)
		s_visits_page(vp->in, r, 201, "走访记录已保存。", NULL, NULL);
	else
		s_visits_page(vp->in, r, e && e->status ? e->status : 500, NULL, vp->fields,
			      e);
	json_decref(vp->fields);
	free(vp);
}

/* The form's fields as POST /v1/visits' body (empty fields left out). */
static json_t *s_visit_body(const json_t *f)
{
	static const char *const keys[] = {"date", "place", "building", "unit", "findings"};
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (*s_str(f, keys[i]))
			json_object_set_new(o, keys[i], json_string(s_str(f, keys[i])));
	json_object_set_new(o, "household", json_boolean(*s_str(f, "household")));
	return o;
}

void intake_h_staff_visits_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct intake_form form;
	struct intake_err e = {0};
	intake_form_init(&form);
	if (intake_form_read_raw(r, &form, 0, 0, &e)) {
		intake_form_free(&form);
		s_visits_page(in, r, e.status ? e.status : 400, NULL, NULL, &e);
		return;
	}
	json_t *f = json_incref(form.fields);
	intake_form_free(&form);
	struct intake_session s;
	if (intake_staff_csrf_check(in, r, f, &s)) {
		json_decref(f);
		return;
	}
	struct visit_page *vp = calloc(1, sizeof *vp);
	if (!vp) {
		json_decref(f);
		intake_staff_message(r, 500, "出错了", "内存不足");
		return;
	}
	vp->in = in;
	vp->fields = f;
	json_t *body = s_visit_body(f);
	int rc = intake_visit_start(in, r, body, s_recorded, vp, &e);
	if (rc < 0)
		s_visits_page(in, r, e.status ? e.status : 400, NULL, f, &e);
	if (rc) {
		json_decref(f);
		free(vp);
	}
	json_decref(body);
}

/* ------------------------------------------------------------ integrity */

struct integrity_list {
	struct intake *in;
	const struct qf_staff *me;
	json_t *items;
};

/* Keep the sensitive cases among those the policy lets the person read. */
static int s_integrity_one(void *arg, struct qf_txn *t, const json_t *rec)
{
	struct integrity_list *l = arg;
	struct qf_case_facts f;
	intake_case_facts(l->in, rec, &f);
	if (f.sensitive)
		json_array_append_new(l->items, intake_case_view(l->in, t, rec, 0));
	return json_array_size(l->items) >= 500;
}

static int s_integrity_read(struct qf_txn *t, void *arg)
{
	struct integrity_list *l = arg;
	return intake_cases_each(l->in, t, l->me, s_integrity_one, l);
}

void intake_h_staff_integrity(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct integrity_list l = {in, qf_access_staff(r), json_array()};
	intake_read(in, s_integrity_read, &l);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_list_begin(in, &b, &pg, r, "作风问题举报", l.me,
				"只列出您有权查看的举报；被举报人及其上级看不到涉及自己的举报。",
				"目前没有您可查看的作风问题举报。", json_array_size(l.items));
	size_t i;
	json_t *v;
	json_array_foreach(l.items, i, v)
	{
		qf_buf_puts(&b, "<li><a href=\"/staff/cases/");
		qf_buf_url(&b, s_str(v, "case_id"));
		qf_buf_puts(&b, "\">");
		qf_buf_html(&b, s_str(v, "category_name"));
		if (*s_str(v, "building_name")) {
			qf_buf_puts(&b, " · ");
			qf_buf_html(&b, s_str(v, "building_name"));
		}
		qf_buf_puts(&b, "</a><br>");
		qf_buf_html(&b, s_str(v, "status_text"));
		if (*s_str(v, "submitted_at")) {
			qf_buf_puts(&b, " · 提交于 ");
			web_time(&b, s_str(v, "submitted_at"));
		}
		qf_buf_puts(&b, "</li>");
	}
	qf_buf_puts(&b, "</ul>");
	json_decref(l.items);
	intake_staff_page_send(r, 200, &pg, &b);
}
