/* staffsec.c: the secretary's pages. /staff/disclosures: entry forms for
 * the three-affairs board (a ledger entry, a notice, a list, a roster
 * entry) with what was entered through this intake, and a link to the
 * board's statistics; /staff/extensions: the cases with a pending
 * extension request, each with approve and refuse forms.
 *
 * Design: nothing is decided here. A record goes through
 * intake_disclosure_start, the path of POST /v1/disclosures/<kind>, so its
 * validation is the API's and an error comes back on the API's field name,
 * which is the form field's name ("ledger.amount_fen"). The extension forms
 * post to /staff/cases/:id/act, the path of POST /v1/cases/:id/actions; the
 * router's guards decide. The ledger's running balance counts only the
 * entries intake stores (those entered here this quarter): intake keeps no
 * opening balance, the disclosure board's ledger is the books. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "qf_buf.h"
#include "qf_case.h"
#include "qf_err.h"
#include "web.h"

#define SHOW_MAX 20 /* notices and lists shown */

static const char *s_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* ------------------------------------------------------------ records */

struct recent {
	struct intake *in;
	char quarter[24]; /* "2026Q4" */
	json_t *ledger;	  /* this quarter's entries, oldest first */
	json_t *other;	  /* notices and lists, newest first */
};

static void s_quarter_of(const char *date, char *q, size_t n)
{
	int y = 0, m = 0;
	if (sscanf(date, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12)
		snprintf(q, n, "?");
	else
		snprintf(q, n, "%04dQ%d", y, (m - 1) / 3 + 1);
}

static void s_keep(struct recent *rc, json_t *rec)
{
	const char *kind = s_str(rec, "kind");
	if (!strcmp(kind, "DISCLOSURE_LEDGER_ENTRY")) {
		char q[16];
		s_quarter_of(s_str(json_object_get(rec, "ledger"), "date"), q, sizeof q);
		if (!strcmp(q, rc->quarter))
			json_array_append(rc->ledger, rec);
	} else if (!strcmp(kind, "DISCLOSURE_NOTICE") || !strcmp(kind, "DISCLOSURE_LIST") ||
		   !strcmp(kind, "DISCLOSURE_ROSTER")) {
		json_array_insert(rc->other, 0, rec);
	}
}

/* Every record's latest version (keys sort by id, then version). */
static int s_recent_read(struct qf_txn *t, void *arg)
{
	struct recent *rc = arg;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), rc->in->db.disc, &c))
		return QF_ERR_STORE;
	MDB_val key, val;
	json_t *last = NULL;
	char last_id[64] = "";
	int rc_ = mdb_cursor_get(c, &key, &val, MDB_FIRST);
	while (rc_ == 0) {
		if (key.mv_size > 4 && key.mv_size - 4 < sizeof last_id) {
			char id[64];
			memcpy(id, key.mv_data, key.mv_size - 4);
			id[key.mv_size - 4] = '\0';
			if (last && strcmp(id, last_id))
				s_keep(rc, last);
			json_decref(last);
			last = json_loadb(val.mv_data, val.mv_size, 0, NULL);
			snprintf(last_id, sizeof last_id, "%s", id);
		}
		rc_ = mdb_cursor_get(c, &key, &val, MDB_NEXT);
	}
	if (last)
		s_keep(rc, last);
	json_decref(last);
	mdb_cursor_close(c);
	return QF_OK;
}

static int s_by_date(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(s_str(json_object_get(x, "ledger"), "date"),
		      s_str(json_object_get(y, "ledger"), "date"));
}

static void s_yuan(struct qf_buf *b, long long fen)
{
	long long a = fen < 0 ? -fen : fen;
	qf_buf_printf(b, "%s%lld.%02lld", fen < 0 ? "-" : "", a / 100, a % 100);
}

static void s_ledger_table(struct qf_buf *b, struct recent *rc)
{
	size_t n = json_array_size(rc->ledger);
	qf_buf_puts(b, "<h3>本季度经本系统录入的收支（");
	qf_buf_html(b, rc->quarter);
	qf_buf_puts(b, "）</h3><p class=\"hint\">累计余额只计本季度在这里录入的各笔，"
		       "不含期初余额；完整账目以公开栏的账目页为准。</p>");
	if (!n) {
		qf_buf_puts(b, "<p>本季度还没有录入收支。</p>");
		return;
	}
	json_t **v = malloc(n * sizeof *v);
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rc->ledger, i);
	qsort(v, n, sizeof *v, s_by_date);
	qf_buf_puts(b,
		    "<div class=\"scroll\"><table><caption>收支明细</caption><thead><tr>"
		    "<th scope=\"col\">日期</th><th scope=\"col\">事由</th>"
		    "<th scope=\"col\">收入（元）</th><th scope=\"col\">支出（元）</th>"
		    "<th scope=\"col\">累计（元）</th></tr></thead><tbody>");
	long long sum = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *l = json_object_get(v[i], "ledger");
		long long fen =
		    (long long)json_integer_value(json_object_get(l, "amount_fen"));
		int inc = json_is_true(json_object_get(l, "income"));
		sum += inc ? fen : -fen;
		qf_buf_puts(b, "<tr><td>");
		qf_buf_html(b, s_str(l, "date"));
		qf_buf_puts(b, "</td><td>");
		qf_buf_html(b, s_str(l, "reason"));
		qf_buf_puts(b, "（");
		qf_buf_html(b, s_str(l, "counterparty"));
		qf_buf_puts(b, "）</td><td>");
		if (inc)
			s_yuan(b, fen);
		qf_buf_puts(b, "</td><td>");
		if (!inc)
			s_yuan(b, fen);
		qf_buf_puts(b, "</td><td>");
		s_yuan(b, sum);
		qf_buf_puts(b, "</td></tr>");
	}
	qf_buf_puts(b, "</tbody></table></div>");
	free(v);
}

static void s_other_list(struct qf_buf *b, struct recent *rc)
{
	size_t n = json_array_size(rc->other);
	qf_buf_puts(b, "<h2>已录入的公告、名单和名册</h2>");
	if (!n) {
		qf_buf_puts(b, "<p>还没有经本系统录入的公告、名单或名册。</p>");
		return;
	}
	qf_buf_puts(b, "<ul>");
	for (size_t i = 0; i < n && i < SHOW_MAX; i++) {
		const json_t *r = json_array_get(rc->other, i);
		const char *kind = s_str(r, "kind");
		if (!strcmp(kind, "DISCLOSURE_ROSTER")) {
			const json_t *x = json_object_get(r, "roster");
			qf_buf_puts(b, "<li>名册：");
			qf_buf_html(b, s_str(x, "name"));
			qf_buf_puts(b, "（");
			qf_buf_html(b, s_str(x, "post"));
		} else {
			int notice = !strcmp(kind, "DISCLOSURE_NOTICE");
			const json_t *x = json_object_get(r, notice ? "notice" : "list");
			qf_buf_puts(b, notice ? "<li>公告：" : "<li>名单：");
			qf_buf_html(b, s_str(x, "title"));
			qf_buf_puts(b, "（");
			qf_buf_html(b, notice ? s_str(x, "date") : s_str(x, "period"));
			if (!notice)
				qf_buf_printf(b, "，%u 项",
					      (unsigned)json_array_size(
						  json_object_get(x, "items")));
		}
		qf_buf_puts(b, "）<br><span class=\"hint\">编号 ");
		qf_buf_html(b, s_str(r, "record_id"));
		qf_buf_puts(b, "</span></li>");
	}
	qf_buf_puts(b, "</ul>");
}

/* ------------------------------------------------------------ forms */

/* A field's frame: its label and error (the input follows). */
static void s_field_open(struct qf_buf *b, const struct intake_err *e, const char *field,
			 const char *label)
{
	qf_buf_printf(b, "<div class=\"field%s\"><label for=\"f-%s\">%s</label>",
		      web_err_is(e, field) ? " bad" : "", field, label);
	/* under its label the field's own name is not repeated
	   ("notice.date 必须是 ..." shows "必须是 ...") */
	const char *m = e ? e->message : NULL;
	size_t fl = strlen(field);
	if (m && !strncmp(m, field, fl) && m[fl] == ' ')
		m += fl + 1;
	web_field_err(b, field, e, m);
}

/* One input (its name the API's field) with attrs. */
static void s_input(struct qf_buf *b, const json_t *f, const struct intake_err *e,
		    const char *field, const char *label, const char *attrs)
{
	s_field_open(b, e, field, label);
	qf_buf_puts(b, "<input");
	web_field_attrs(b, field, 0, e);
	qf_buf_printf(b, " %s value=\"", attrs);
	web_field_value(b, f, field);
	qf_buf_puts(b, "\"></div>");
}

static void s_textarea(struct qf_buf *b, const json_t *f, const struct intake_err *e,
		       const char *field, const char *label, const char *attrs)
{
	s_field_open(b, e, field, label);
	qf_buf_puts(b, "<textarea");
	web_field_attrs(b, field, 0, e);
	qf_buf_printf(b, " %s>", attrs);
	web_field_value(b, f, field);
	qf_buf_puts(b, "</textarea></div>");
}

/* A choice: options are value, label pairs ending in NULL. */
static void s_select(struct qf_buf *b, const json_t *f, const struct intake_err *e,
		     const char *field, const char *label, const char *const *opt)
{
	s_field_open(b, e, field, label);
	qf_buf_puts(b, "<select");
	web_field_attrs(b, field, 0, e);
	qf_buf_puts(b, ">");
	const char *cur = s_str(f, field);
	for (size_t i = 0; opt[i]; i += 2)
		qf_buf_printf(b, "<option value=\"%s\"%s>%s</option>", opt[i],
			      strcmp(cur, opt[i]) ? "" : " selected", opt[i + 1]);
	qf_buf_puts(b, "</select></div>");
}

/* The entry forms: one table each; a field is an input, a textarea or a
 * choice (opt: value, label pairs ending in NULL). */
enum fkind { IN, TA, SEL };
struct ffield {
	enum fkind k;
	const char *name, *label, *attrs;
	const char *const *opt;
};
struct fform {
	const char *kind, *title, *button;
	const struct ffield *f;
	size_t n;
};

#define TXT "type=\"text\" "
static const char *const s_dir[] = {"income", "收入", "expense", "支出", NULL};
static const char *const s_aff[] = {"party",	 "党务", "residential", "居务",
				    "financial", "财务", NULL};
static const struct ffield s_ledger_f[] = {
    {SEL, "ledger.direction", "收入还是支出", NULL, s_dir},
    {IN, "ledger.date", "日期（如 2026-12-08）",
     "type=\"date\" required maxlength=\"10\"", NULL},
    {IN, "ledger.amount_fen", "金额（元，可带两位小数）",
     TXT "inputmode=\"decimal\" required maxlength=\"20\"", NULL},
    {IN, "ledger.reason", "事由", TXT "required maxlength=\"200\"", NULL},
    {IN, "ledger.counterparty", "收付对象", TXT "required maxlength=\"100\"", NULL},
    {IN, "ledger.voucher", "凭证号（可选）", TXT "maxlength=\"64\"", NULL},
};
static const struct ffield s_notice_f[] = {
    {SEL, "notice.affair", "类别", NULL, s_aff},
    {IN, "notice.title", "标题", TXT "required maxlength=\"100\"", NULL},
    {TA, "notice.body", "正文", "required maxlength=\"10000\" rows=\"6\"", NULL},
    {IN, "notice.date", "日期", "type=\"date\" required maxlength=\"10\"", NULL},
};
static const struct ffield s_list_f[] = {
    {IN, "list.title", "标题（如 医疗救助名单）", TXT "required maxlength=\"100\"", NULL},
    {IN, "list.list_kind", "名单类别（小写英文，如 medical_aid）",
     TXT "required maxlength=\"32\" autocapitalize=\"none\"", NULL},
    {IN, "list.period", "期间（如 2026年第四季度）", TXT "required maxlength=\"32\"",
     NULL},
    {TA, "list.items",
     "名单条目：每行一项，用逗号分开 姓名,楼栋编号,说明,金额（元）；后三项可空",
     "rows=\"6\"", NULL},
};
static const struct ffield s_roster_f[] = {
    {IN, "roster.staff_id", "工号（如 s04）",
     TXT "required maxlength=\"32\" autocapitalize=\"none\"", NULL},
    {IN, "roster.name", "姓名", TXT "required maxlength=\"32\"", NULL},
    {IN, "roster.post", "职务", TXT "required maxlength=\"64\"", NULL},
    {TA, "roster.responsibilities", "分工职责（可选）", "maxlength=\"500\" rows=\"3\"",
     NULL},
    {IN, "roster.duty", "值班时间（可选，如 周一至周五 8:30-17:30）",
     TXT "maxlength=\"100\"", NULL},
    {IN, "roster.office_phone", "办公电话（可选）",
     "type=\"tel\" maxlength=\"32\" autocomplete=\"off\"", NULL},
};
#undef TXT
#define FORM(kind, title, button, f)                                                     \
	{                                                                                \
		kind, title, button, f, sizeof f / sizeof f[0]                           \
	}
static const struct fform s_ledger_form =
    FORM("ledger", "录入收支", "保存收支", s_ledger_f);
static const struct fform s_notice_form =
    FORM("notice", "发布公告", "发布公告", s_notice_f);
static const struct fform s_list_form = FORM("list", "发布名单", "发布名单", s_list_f);
static const struct fform s_roster_form =
    FORM("roster", "登记工作人员名册", "保存名册", s_roster_f);
#undef FORM

static void s_form(struct qf_buf *b, const struct fform *fm, const json_t *f,
		   const struct intake_err *e, const char *csrf)
{
	qf_buf_printf(b,
		      "<h2>%s</h2><form class=\"card\" method=\"post\" "
		      "action=\"/staff/disclosures/%s\">",
		      fm->title, fm->kind);
	if (csrf)
		intake_staff_csrf_field(b, csrf);
	for (size_t i = 0; i < fm->n; i++) {
		const struct ffield *x = &fm->f[i];
		if (x->k == SEL)
			s_select(b, f, e, x->name, x->label, x->opt);
		else if (x->k == TA)
			s_textarea(b, f, e, x->name, x->label, x->attrs);
		else
			s_input(b, f, e, x->name, x->label, x->attrs);
	}
	qf_buf_printf(b, "<button type=\"submit\">%s</button></form>", fm->button);
}

static void s_page(struct intake *in, struct qf_http_req *r, unsigned status,
		   const char *done, const json_t *f, const struct intake_err *e)
{
	const struct qf_staff *me = qf_access_staff(r);
	const struct qf_community *c = qf_access_community(r);
	struct intake_session s;
	intake_session_get(in, r, &s);
	const char *csrf = s.csrf[0] ? s.csrf : NULL;
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "三务公开录入", me, csrf);
	if (done) {
		qf_buf_puts(&b, "<p class=\"ok\" role=\"status\">");
		qf_buf_html(&b, done);
		qf_buf_puts(&b, "</p>");
	}
	if (e) {
		qf_buf_puts(&b, "<p class=\"err\" role=\"alert\">未能保存：");
		qf_buf_html(&b, e->message);
		qf_buf_puts(&b, "</p>");
	}
	struct recent rc = {in, "", json_array(), json_array()};
	time_t now = (time_t)(qf_now_ms(in->clock) / 1000) + 8 * 3600; /* 北京时间 */
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(rc.quarter, sizeof rc.quarter, "%04dQ%d", (tm.tm_year + 1900) % 10000,
		 tm.tm_mon / 3 + 1);
	intake_read(in, s_recent_read, &rc);
	/* the forms the person's role may use (the same policy as the routes) */
	if (qf_policy_role_allows(c, me, QF_ACT_LEDGER_WRITE) == QF_ALLOW) {
		s_form(&b, &s_ledger_form, f, e, csrf);
		s_ledger_table(&b, &rc);
	}
	if (qf_policy_role_allows(c, me, QF_ACT_NOTICE_WRITE) == QF_ALLOW)
		s_form(&b, &s_notice_form, f, e, csrf);
	if (qf_policy_role_allows(c, me, QF_ACT_LIST_WRITE) == QF_ALLOW)
		s_form(&b, &s_list_form, f, e, csrf);
	if (qf_policy_role_allows(c, me, QF_ACT_ROSTER_WRITE) == QF_ALLOW)
		s_form(&b, &s_roster_form, f, e, csrf);
	if (in->conf->board_url[0]) {
		qf_buf_puts(&b, "<p><a href=\"");
		qf_buf_html(&b, in->conf->board_url);
		qf_buf_puts(&b, "/stats\">公开栏的统计数据</a>（办理情况、满意度，"
				"居民看到的就是这些）</p>");
	}
	s_other_list(&b, &rc);
	json_decref(rc.ledger);
	json_decref(rc.other);
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_disclosures(struct qf_http_req *r, void *ctx)
{
	s_page(ctx, r, 200, NULL, NULL, NULL);
}

/* ------------------------------------------------------------ posting */

struct post {
	struct intake *in;
	json_t *fields; /* the form as typed, for the page again */
};

static void s_posted(struct qf_http_req *r, unsigned status, const char *answer,
		     const struct intake_err *e, void *arg)
{
	struct post *p = arg;
	if (e) {
		/* a list item's error belongs to the items field */
		struct intake_err fe = *e;
		if (!strncmp(fe.field, "list.items", 10))
			snprintf(fe.field, sizeof fe.field, "list.items");
		s_page(p->in, r, e->status ? e->status : 400, NULL, p->fields, &fe);
	} else {
		json_t *a = json_loads(answer ? answer : "", 0, NULL);
		char msg[128];
		snprintf(msg, sizeof msg, "已保存，记录编号 %s。公开栏将很快显示。",
			 s_str(a, "record_id"));
		json_decref(a);
		(void)status;
		s_page(p->in, r, 201, msg, NULL, NULL);
	}
	json_decref(p->fields);
	free(p);
}

/* "12.5" yuan as fen (1250): digits, at most two decimals, at most 13
 * digits before the point; else the text as given (the API refuses it,
 * naming the field). */
static json_t *s_fen(const char *t)
{
	long long fen = 0;
	int whole = 0, dec = -1;
	for (const char *p = t; *p; p++) {
		if (*p == '.' && dec < 0 && whole) {
			dec = 0;
		} else if (*p >= '0' && *p <= '9' && (dec < 0 ? whole < 13 : dec < 2)) {
			fen = fen * 10 + (*p - '0');
			if (dec < 0)
				whole++;
			else
				dec++;
		} else {
			return json_string(t);
		}
	}
	if (!whole)
		return json_string(t);
	for (int i = dec < 0 ? 0 : dec; i < 2; i++)
		fen *= 10;
	return json_integer((json_int_t)fen);
}

/* One line "姓名,楼栋,说明,金额" as a list item. */
static json_t *s_item(char *line)
{
	static const char *const keys[] = {"name", "building", "detail", "amount_fen"};
	json_t *o = json_object();
	size_t k = 0;
	char *p = line;
	while (p && k < 4) {
		char *a = strchr(p, ','), *z = strstr(p, "，");
		char *cut = a && (!z || a < z) ? a : z;
		size_t skip = cut == a ? 1 : 3;
		if (cut)
			*cut = '\0';
		if (*p)
			json_object_set_new(o, keys[k],
					    k == 3 ? s_fen(p) : json_string(p));
		k++;
		p = cut ? cut + skip : NULL;
	}
	return o;
}

static json_t *s_items(const char *text)
{
	json_t *a = json_array();
	char *copy = strdup(text), *save = NULL;
	for (char *l = copy ? strtok_r(copy, "\r\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\r\n", &save))
		if (*l)
			json_array_append_new(a, s_item(l));
	free(copy);
	return a;
}

/* The API's body from the form: fields "<kind>.<member>" as strings. */
static json_t *s_body(const char *kind, const json_t *f)
{
	json_t *inner = json_object();
	size_t kl = strlen(kind);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)f, k, v)
	{
		if (strncmp(k, kind, kl) || k[kl] != '.')
			continue;
		const char *m = k + kl + 1, *t = json_string_value(v);
		if (!strcmp(m, "amount_fen"))
			json_object_set_new(inner, m, s_fen(t));
		else if (!strcmp(m, "items"))
			json_object_set_new(inner, m, s_items(t));
		else if (*t || strcmp(m, "voucher"))
			json_object_set_new(inner, m, json_string(t));
	}
	return json_pack("{s:o}", kind, inner);
}

void intake_h_staff_disclosure_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const char *kind = strrchr(qf_http_path(r), '/') + 1; /* the route's */
	struct intake_form form;
	struct intake_err e = {0};
	intake_form_init(&form);
	if (intake_form_read_raw(r, &form, 0, 0, &e)) {
		intake_form_free(&form);
		s_page(in, r, e.status ? e.status : 400, NULL, NULL, &e);
		return;
	}
	json_t *f = json_incref(form.fields);
	intake_form_free(&form);
	struct intake_session s;
	if (intake_staff_csrf_check(in, r, f, &s)) {
		json_decref(f);
		return;
	}
	json_object_del(f, "csrf");
	struct post *p = calloc(1, sizeof *p);
	if (!p) {
		json_decref(f);
		intake_staff_message(r, 500, "出错了", "内存不足");
		return;
	}
	p->in = in;
	p->fields = f;
	json_t *body = s_body(kind, f);
	intake_disclosure_start(in, r, kind, body, s_posted, p);
	json_decref(body);
}

/* ------------------------------------------------------------ extensions */

#define EXT_MAX 100

struct ext {
	struct intake *in;
	const struct qf_staff *me;
	json_t *rows; /* {view, request (the timeline entry), may (case.act)} */
};

/* The pending request of a case: its last extension event when that is a
 * request (the router's answer, extension_decided, ends it). */
static json_t *s_pending(struct intake *in, struct qf_txn *t, const char *case_id)
{
	json_t *tl = intake_timeline_get(in, t, case_id), *req = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(tl, i, e)
	{
		const char *ev = s_str(e, "event");
		if (!strcmp(ev, "extension_requested"))
			req = e;
		else if (!strcmp(ev, "extension_decided"))
			req = NULL;
	}
	json_incref(req);
	json_decref(tl);
	return req;
}

static int s_ext_one(void *arg, struct qf_txn *t, const json_t *rec)
{
	struct ext *x = arg;
	const char *st = s_str(rec, "state");
	if (!qf_case_state_open(qf_case_state_parse(st)))
		return 0;
	json_t *req = s_pending(x->in, t, s_str(rec, "id"));
	if (!req)
		return 0;
	json_array_append_new(
	    x->rows, json_pack("{s:o, s:o, s:b}", "view",
			       intake_case_view(x->in, t, rec, 0), "request", req, "may",
			       intake_may(x->in, x->me, QF_ACT_CASE_ACT, rec)));
	return json_array_size(x->rows) >= EXT_MAX;
}

static int s_ext_read(struct qf_txn *t, void *arg)
{
	struct ext *x = arg;
	return intake_cases_each(x->in, t, x->me, s_ext_one, x);
}

static void s_ext_forms(struct qf_buf *b, const char *id, const char *csrf)
{
	static const struct {
		const char *action, *label;
	} acts[] = {{"extend_approve", "批准延期"}, {"extend_deny", "不批准"}};
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		qf_buf_puts(b, "<form method=\"post\" action=\"/staff/cases/");
		qf_buf_url(b, id);
		qf_buf_printf(b,
			      "/act\" enctype=\"multipart/form-data\">"
			      "<input type=\"hidden\" name=\"action\" value=\"%s\">",
			      acts[i].action);
		if (csrf)
			intake_staff_csrf_field(b, csrf);
		qf_buf_printf(b, "<label for=\"r-%s-", acts[i].action);
		qf_buf_html(b, id);
		qf_buf_printf(b, "\">%s的说明（可选）</label><input id=\"r-%s-",
			      acts[i].label, acts[i].action);
		qf_buf_html(b, id);
		qf_buf_printf(b,
			      "\" name=\"reason\" maxlength=\"1000\">"
			      "<button type=\"submit\">%s</button></form>",
			      acts[i].label);
	}
}

void intake_h_staff_extensions(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *me = qf_access_staff(r);
	struct intake_session s;
	intake_session_get(in, r, &s);
	const char *csrf = s.csrf[0] ? s.csrf : NULL;
	struct ext x = {in, me, json_array()};
	intake_read(in, s_ext_read, &x);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "延期审批", me, csrf);
	qf_buf_puts(&b, "<p class=\"hint\">以下是提出了延期申请、尚待审批的案件"
			"（申请人不能审批自己的申请）。</p>");
	if (!json_array_size(x.rows))
		qf_buf_puts(&b, "<p>目前没有待审批的延期申请。</p>");
	size_t i;
	json_t *row;
	json_array_foreach(x.rows, i, row)
	{
		const json_t *v = json_object_get(row, "view"),
			     *q = json_object_get(row, "request");
		const char *id = s_str(v, "case_id");
		qf_buf_puts(&b, "<section class=\"card\"><h2><a href=\"/staff/cases/");
		qf_buf_url(&b, id);
		qf_buf_puts(&b, "\">");
		qf_buf_html(&b, s_str(v, "category_name"));
		qf_buf_puts(&b, " · ");
		qf_buf_html(&b, s_str(v, "building_name"));
		qf_buf_puts(&b, "</a></h2><p>申请人：");
		qf_buf_html(&b, s_str(json_object_get(q, "actor"), "name"));
		qf_buf_printf(
		    &b, "<br>申请延长：%lld 小时<br>理由：",
		    (long long)json_integer_value(json_object_get(q, "extension_hours")));
		qf_buf_html(&b, s_str(q, "reason"));
		qf_buf_puts(&b, "<br>当前办结时限：");
		web_time(&b, s_str(json_object_get(v, "deadlines"), "resolve_due_at"));
		qf_buf_puts(&b, "</p>");
		if (json_is_true(json_object_get(row, "may")))
			s_ext_forms(&b, id, csrf);
		qf_buf_puts(&b, "</section>");
	}
	json_decref(x.rows);
	intake_staff_page_send(r, 200, &pg, &b);
}
