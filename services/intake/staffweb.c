/* staffweb.c: the staff workbench pages (Chinese, phone first, plain
 * forms that work without JavaScript): sign-in and sign-out, my queue by
 * deadline, a case with its timeline and the actions the policy lets this
 * person take, and the secretary's accounts page.
 *
 * Design: the pages decide nothing. The gate (qf_access) has already
 * authenticated the person (session cookie or bearer token) and applied the
 * route's action; a page shows an action only when qf_policy allows it for
 * this person and case, and an action goes through intake_action_start,
 * the code path of POST /v1/cases/:id/actions, whose refusals (policy,
 * state machine) are shown as they come. Every state-changing form carries
 * the session's CSRF token, checked here before anything happens. Pages are
 * written with qf_buf's escaping; no inline script or style, so the strict
 * Content-Security-Policy below holds. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "qf_buf.h"
#include "qf_case.h"
#include "qf_err.h"
#include "qf_log.h"
#include "web.h"

#define FORM_MAX (64u << 10)

/* ------------------------------------------------------------ frame */

/* The workbench's links, each shown to who holds its action (the same
 * policy the routes name). */
static const struct {
	struct web_link link;
	enum qf_action action;
} s_nav[] = {
    {{"queue", "/staff/", "我的待办"}, QF_ACT_QUEUE_READ},
    {{"new", "/staff/new", "代居民登记"}, QF_ACT_CASE_ENTER},
    {{"spam", "/staff/spam", "垃圾信息审核"}, QF_ACT_SPAM_REVIEW},
    {{"accounts", "/staff/accounts", "账号管理"}, QF_ACT_ACCOUNT_MANAGE},
    {{"visits", "/staff/visits", "走访记录"}, QF_ACT_VISIT_READ},
    {{"integrity", "/staff/integrity", "作风举报"}, QF_ACT_OVERSIGHT_READ},
    {{"alerts", "/staff/alerts", "审计提示"}, QF_ACT_OVERSIGHT_READ},
    {{"disclosures", "/staff/disclosures", "三务公开录入"}, QF_ACT_NOTICE_WRITE},
    {{"extensions", "/staff/extensions", "延期审批"}, QF_ACT_OVERSIGHT_READ},
};
#define NNAV (sizeof s_nav / sizeof s_nav[0])

/* Open a page in the shell (web.h): the staff nav when someone is signed
 * in (the links their role may follow), and the sign-out form when the
 * person came with a session (csrf). */
void intake_staff_page_begin(struct qf_buf *b, struct web_page *p, struct qf_http_req *r,
			     const char *title, const struct qf_staff *who,
			     const char *csrf)
{
	const struct qf_community *c = qf_access_community(r);
	const char *path = qf_http_path(r);
	struct web_link nav[NNAV];
	unsigned n = 0;
	const char *active = NULL;
	for (size_t i = 0; who && i < NNAV; i++) {
		if (qf_policy_role_allows(c, who, s_nav[i].action) != QF_ALLOW)
			continue;
		nav[n++] = s_nav[i].link;
		if (!strcmp(path, s_nav[i].link.href))
			active = s_nav[i].link.key;
	}
	*p = (struct web_page){.title = title,
			       .area = WEB_AREA_STAFF,
			       .site = c ? c->name : NULL,
			       .active = active,
			       .nav = n ? nav : NULL,
			       .nnav = n,
			       .large = web_large(r),
			       .secret = 1,
			       .here = path};
	qf_buf_init(b);
	web_begin(b, p);
	p->nav = NULL; /* nav is this function's; only web_begin reads it */
	p->nnav = 0;
	if (who) {
		qf_buf_puts(b, "<p class=\"note\">");
		qf_buf_html(b, who->name);
		qf_buf_puts(b, "（");
		qf_buf_html(b, who->post);
		qf_buf_puts(b, "）");
		if (csrf) {
			qf_buf_puts(b,
				    "</p><form method=\"post\" action=\"/staff/logout\">"
				    "<input type=\"hidden\" name=\"csrf\" value=\"");
			qf_buf_html(b, csrf);
			qf_buf_puts(
			    b,
			    "\"><button type=\"submit\" class=\"plain\">退出登录</button>"
			    "</form>");
		} else {
			qf_buf_puts(b, "</p>");
		}
	}
	qf_buf_puts(b, "<h1>");
	qf_buf_html(b, title);
	qf_buf_puts(b, "</h1>");
}

void intake_staff_list_begin(struct intake *in, struct qf_buf *b, struct web_page *p,
			     struct qf_http_req *r, const char *title,
			     const struct qf_staff *who, const char *hint,
			     const char *empty, size_t n)
{
	struct intake_session s;
	intake_session_get(in, r, &s);
	intake_staff_page_begin(b, p, r, title, who, s.csrf[0] ? s.csrf : NULL);
	qf_buf_puts(b, "<p class=\"hint\">");
	qf_buf_puts(b, hint);
	qf_buf_puts(b, "</p>");
	if (!n) {
		qf_buf_puts(b, "<p>");
		qf_buf_puts(b, empty);
		qf_buf_puts(b, "</p>");
	}
	qf_buf_puts(b, "<ul class=\"q\">");
}

void intake_staff_page_send(struct qf_http_req *r, unsigned status,
			    const struct web_page *p, struct qf_buf *b)
{
	web_end(b, p);
	web_reply(r, status, p, b);
}

static void s_redirect(struct qf_http_req *r, const char *to, const char *cookie)
{
	if (cookie)
		qf_http_add_header(r, "Set-Cookie", cookie);
	qf_http_add_header(r, "Location", to);
	qf_http_add_header(r, "Cache-Control", "no-store");
	qf_http_reply(r, 303, "text/plain; charset=utf-8", "", 0);
}

void intake_staff_csrf_field(struct qf_buf *b, const char *csrf)
{
	qf_buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	qf_buf_html(b, csrf);
	qf_buf_puts(b, "\">");
}

/* A simple message page (403, 404, 400). */
void intake_staff_message(struct qf_http_req *r, unsigned status, const char *title,
			  const char *msg)
{
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, title, NULL, NULL);
	qf_buf_puts(&b, "<p class=\"err\" role=\"alert\">");
	qf_buf_html(&b, msg);
	qf_buf_puts(&b, "</p><p><a href=\"/staff/\">回到我的待办</a></p>");
	intake_staff_page_send(r, status, &pg, &b);
}

/* ------------------------------------------------------------ forms */

struct form {
	json_t *f;
	int bad;
};

static int s_field(void *arg, const char *key, const char *filename, const char *ctype,
		   const char *data, uint64_t off, size_t size)
{
	struct form *fm = arg;
	(void)ctype;
	if (filename || !key || strlen(key) > 32)
		return 0;
	const char *old = off ? json_string_value(json_object_get(fm->f, key)) : "";
	size_t ol = old ? strlen(old) : 0;
	char *v = malloc(ol + size + 1);
	if (!v) {
		fm->bad = 1;
		return 1;
	}
	memcpy(v, old ? old : "", ol);
	memcpy(v + ol, data, size);
	v[ol + size] = '\0';
	json_t *s = json_string(v); /* NULL for invalid UTF-8 */
	free(v);
	if (!s) {
		fm->bad = 1;
		return 1;
	}
	json_object_set_new(fm->f, key, s);
	return 0;
}

/* The form's fields as strings (a new object), or NULL after answering 400. */
static json_t *s_form(struct qf_http_req *r)
{
	struct form fm = {json_object(), 0};
	if (!fm.f || qf_http_form_each(r, s_field, &fm) || fm.bad) {
		json_decref(fm.f);
		intake_staff_message(r, 400, "无法读取表单",
				     "表单内容无效，请返回重新填写");
		return NULL;
	}
	return fm.f;
}

static const char *s_str(const json_t *f, const char *key)
{
	const char *v = json_string_value(json_object_get(f, key));
	return v ? v : "";
}

int intake_staff_csrf_check(struct intake *in, struct qf_http_req *r, const json_t *f,
			    struct intake_session *s)
{
	memset(s, 0, sizeof *s);
	if (qf_http_header(r, "Authorization"))
		return 0;
	if (intake_session_get(in, r, s) || !intake_csrf_ok(s, s_str(f, "csrf"))) {
		qf_info("csrf_refused", "path_kind=staff");
		intake_staff_message(r, 403, "请求被拒绝",
				     "表单已失效，请刷新页面后重试");
		return -1;
	}
	return 0;
}

/* The form of a state-changing page request, its CSRF token checked (s:
 * the session), or NULL after answering. */
static json_t *s_checked_form(struct intake *in, struct qf_http_req *r,
			      struct intake_session *s)
{
	json_t *f = s_form(r);
	if (f && intake_staff_csrf_check(in, r, f, s)) {
		json_decref(f);
		return NULL;
	}
	return f;
}

/* ------------------------------------------------------------ sign-in */

void intake_staff_login_page(struct intake *in, struct qf_http_req *r, unsigned status,
			     const char *notice, const char *staff_id, int failed)
{
	(void)in;
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "工作人员登录", NULL, NULL);
	if (notice) {
		qf_buf_puts(&b, "<p role=\"status\">");
		qf_buf_html(&b, notice);
		qf_buf_puts(&b, "</p>");
	}
	qf_buf_puts(&b, "<form method=\"post\" action=\"/staff/login\">");
	if (failed)
		qf_buf_puts(&b, "<p id=\"login-err\" class=\"err\" role=\"alert\">"
				"工号或密码不正确，或尝试次数过多已暂时锁定。</p>");
	const char *desc =
	    failed ? " aria-describedby=\"login-err\" aria-invalid=\"true\"" : "";
	qf_buf_printf(
	    &b,
	    "<label for=\"staff\">工号</label><input id=\"staff\" name=\"staff\" "
	    "autocomplete=\"username\" required maxlength=\"63\"%s value=\"",
	    desc);
	qf_buf_html(&b, staff_id);
	qf_buf_printf(
	    &b,
	    "\"><label for=\"password\">密码</label><input id=\"password\" "
	    "name=\"password\" type=\"password\" autocomplete=\"current-password\" "
	    "required maxlength=\"%d\"%s>"
	    "<button type=\"submit\">登录</button></form>"
	    "<p><a href=\"/\">返回居民首页</a></p>"
	    "<p>短信验证码登录暂未开放；忘记密码请联系社区书记重置。</p>",
	    INTAKE_PW_MAX, desc);
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_login_get(struct qf_http_req *r, void *ctx)
{
	intake_staff_login_page(ctx, r, 200, NULL, NULL, 0);
}

struct login_ctx {
	struct intake *in;
	char staff[64];
};

static void s_login_done(void *arg, struct qf_http_req *r, int ok, const char *cookie)
{
	struct login_ctx *lc = arg;
	if (ok > 0)
		s_redirect(r, "/staff/", cookie);
	else if (ok < 0)
		intake_staff_message(r, 503, "暂时无法登录", "暂时无法保存，请稍后重试");
	else
		intake_staff_login_page(lc->in, r, 401, NULL, lc->staff, 1);
	free(lc);
}

void intake_h_staff_login_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	if (!intake_same_origin(in, r)) {
		intake_staff_message(r, 403, "请求被拒绝", "拒绝来自其他网站的请求");
		return;
	}
	/* sign-in attempts per client address share the follow limit, so a
	   guess across many accounts is slowed as much as one account's lock */
	char addr[64];
	struct intake_err le = {0};
	if (intake_client_addr(in, r, addr, sizeof addr))
		return;
	if (intake_limit_err(in, r, in->lim_follow, addr, strlen(addr), "staff_login",
			     &le)) {
		intake_staff_login_page(in, r, 429, le.message, NULL, 0);
		return;
	}
	json_t *f = s_form(r);
	if (!f)
		return;
	const char *pw = s_str(f, "password");
	struct login_ctx *lc = calloc(1, sizeof *lc);
	if (!lc) {
		json_decref(f);
		intake_staff_message(r, 500, "出错了", "内存不足");
		return;
	}
	lc->in = in;
	snprintf(lc->staff, sizeof lc->staff, "%s", s_str(f, "staff"));
	if (strlen(pw) > INTAKE_PW_MAX || strlen(s_str(f, "staff")) >= sizeof lc->staff) {
		json_decref(f);
		s_login_done(lc, r, 0, NULL);
		return;
	}
	int rc = intake_login(in, r, lc->staff, pw, s_login_done, lc);
	json_decref(f);
	if (rc == QF_ERR_NOMEM) {
		free(lc);
		intake_staff_message(r, 500, "出错了", "内存不足");
	} else if (rc) {
		free(lc); /* answered 503 */
	}
}

static void s_logout_done(void *arg, struct qf_http_req *r, int ok, const char *cookie)
{
	(void)arg;
	if (ok < 0)
		intake_staff_message(r, 503, "暂时无法退出", "暂时无法保存，请稍后重试");
	else
		s_redirect(r, "/staff/login", cookie);
}

void intake_h_staff_logout(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct intake_session s;
	json_t *f = s_checked_form(in, r, &s);
	if (!f)
		return;
	json_decref(f);
	if (!s.staff[0]) { /* a bearer token: nothing to end */
		s_redirect(r, "/staff/login", NULL);
		return;
	}
	if (intake_logout(in, r, &s, s_logout_done, NULL) == QF_ERR_NOMEM)
		intake_staff_message(r, 500, "出错了", "内存不足");
}

/* ------------------------------------------------------------ queue */

#define QUEUE_MAX 200

struct queue_item {
	int64_t due, start;
	json_t *view;
};

struct queue {
	struct intake *in;
	const struct qf_staff *me;
	struct queue_item it[QUEUE_MAX];
	unsigned n;
};

static int s_mine(const json_t *rec, const char *me)
{
	static const char *const keys[] = {"assignee", "owner", "escalated_to"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = json_string_value(json_object_get(rec, keys[i]));
		if (v && !strcmp(v, me))
			return 1;
	}
	return 0;
}

static int s_queue_one(void *arg, struct qf_txn *t, const json_t *rec)
{
	struct queue *q = arg;
	const char *st = json_string_value(json_object_get(rec, "state"));
	if (!s_mine(rec, q->me->id) ||
	    !qf_case_state_open(qf_case_state_parse(st ? st : "")))
		return 0;
	struct queue_item *x = &q->it[q->n++];
	int accepted = st && (!strcmp(st, "accepted") || !strcmp(st, "in_progress"));
	/* the deadline that runs now: to respond until accepted, then to resolve */
	x->due = json_integer_value(
	    json_object_get(rec, accepted ? "resolve_due_ms" : "respond_due_ms"));
	x->start = json_integer_value(json_object_get(rec, "submitted_ms"));
	x->view = intake_case_view(q->in, t, rec, 0);
	return q->n >= QUEUE_MAX;
}

static int s_queue_read(struct qf_txn *t, void *arg)
{
	struct queue *q = arg;
	return intake_cases_each(q->in, t, q->me, s_queue_one, q);
}

static int s_by_due(const void *a, const void *b)
{
	const struct queue_item *x = a, *y = b;
	int64_t dx = x->due ? x->due : INT64_MAX, dy = y->due ? y->due : INT64_MAX;
	return dx < dy ? -1 : dx > dy;
}

/* The deadline mark in words (never colour alone). */
static const char *s_mark(int64_t now, int64_t start, int64_t due)
{
	if (!due || due <= start)
		return "";
	if (now >= due)
		return "【已超期】";
	int64_t pm = (now - start) * 100 / (due - start);
	return pm >= 80 ? "【时限已过80%】" : pm >= 50 ? "【时限已过半】" : "";
}

void intake_h_staff_queue(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	const struct qf_staff *me = qf_access_staff(r);
	struct intake_session s;
	intake_session_get(in, r, &s);
	struct queue *q = calloc(1, sizeof *q);
	if (!q) {
		intake_staff_message(r, 500, "出错了", "内存不足");
		return;
	}
	q->in = in;
	q->me = me;
	intake_read(in, s_queue_read, q);
	qsort(q->it, q->n, sizeof q->it[0], s_by_due);
	int64_t now = qf_now_ms(in->clock);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "我的待办", me, s.csrf[0] ? s.csrf : NULL);
	if (!q->n)
		qf_buf_puts(&b, "<p>目前没有待办案件。</p>");
	qf_buf_puts(&b, "<ul class=\"q\">");
	for (unsigned i = 0; i < q->n; i++) {
		json_t *v = q->it[i].view;
		const json_t *dl = json_object_get(v, "deadlines");
		qf_buf_puts(&b, "<li><span class=\"mark\">");
		qf_buf_html(&b, s_mark(now, q->it[i].start, q->it[i].due));
		qf_buf_puts(&b, "</span><a href=\"/staff/cases/");
		qf_buf_url(&b, s_str(v, "case_id"));
		qf_buf_puts(&b, "\">");
		qf_buf_html(&b, s_str(v, "category_name"));
		qf_buf_puts(&b, " · ");
		qf_buf_html(&b, s_str(v, "building_name"));
		qf_buf_puts(&b, "</a><br>");
		qf_buf_html(&b, s_str(v, "status_text"));
		const char *due = s_str(dl, "resolve_due_at");
		if (*due) {
			qf_buf_puts(&b, " · 办结时限 ");
			web_time(&b, due);
		}
		qf_buf_puts(&b, "</li>");
		json_decref(v);
	}
	qf_buf_puts(&b, "</ul>");
	free(q);
	intake_staff_page_send(r, 200, &pg, &b);
}

/* ------------------------------------------------------------ case */

/* The action forms, in the order a handler meets them. */
struct act_form {
	int kind; /* ActionKind */
	const char *action, *label, *fields;
};
#define K(x) QINGFENG__V1__ACTION_KIND__ACTION_##x

static const struct act_form s_acts[] = {
    {K(ACCEPT), "accept", "受理", ""},
    {K(PROGRESS), "progress", "记录进度",
     "<label for=\"f-progress\">进度说明</label>"
     "<textarea id=\"f-progress\" name=\"progress\" required "
     "maxlength=\"2000\"></textarea>"
     "<label for=\"f-photo\">现场照片（可选，可多张）</label>"
     "<input id=\"f-photo\" name=\"photo\" type=\"file\" accept=\"image/*\" "
     "capture=\"environment\" multiple>"},
    {K(RESOLVE), "resolve", "办结",
     "<label for=\"f-result\">处理结果</label>"
     "<textarea id=\"f-result\" name=\"result\" required maxlength=\"2000\"></textarea>"},
    {K(TRANSFER), "transfer", "转办",
     "<label for=\"f-target\">接手人工号</label>"
     "<input id=\"f-target\" name=\"target_staff\" required maxlength=\"32\">"
     "<label for=\"f-treason\">转办理由</label>"
     "<textarea id=\"f-treason\" name=\"reason\" required "
     "maxlength=\"1000\"></textarea>"},
    {K(EXTEND_REQUEST), "extend_request", "申请延期",
     "<label for=\"f-hours\">延长小时数</label>"
     "<input id=\"f-hours\" name=\"extension_hours\" type=\"number\" min=\"1\" "
     "max=\"720\" "
     "required>"
     "<label for=\"f-ereason\">延期理由</label>"
     "<textarea id=\"f-ereason\" name=\"reason\" required "
     "maxlength=\"1000\"></textarea>"},
    {K(REJECT), "reject", "不予受理",
     "<label for=\"f-rr\">原因</label><select id=\"f-rr\" name=\"reject_reason\">"
     "<option value=\"not_our_responsibility\">不属于本社区职责</option>"
     "<option value=\"duplicate\">重复诉求</option>"
     "<option value=\"spam\">无效信息</option></select>"
     "<label for=\"f-rrel\">重复的案件编号（重复诉求时填写）</label>"
     "<input id=\"f-rrel\" name=\"related_case\" maxlength=\"40\">"
     "<label for=\"f-rreason\">说明</label>"
     "<textarea id=\"f-rreason\" name=\"reason\" required "
     "maxlength=\"1000\"></textarea>"},
    {K(MERGE), "merge", "合并到其他案件",
     "<label for=\"f-mrel\">并入的案件编号</label>"
     "<input id=\"f-mrel\" name=\"related_case\" required maxlength=\"40\">"},
    {K(REOPEN), "reopen", "重新办理",
     "<label for=\"f-oreason\">重新办理的理由</label>"
     "<textarea id=\"f-oreason\" name=\"reason\" required "
     "maxlength=\"1000\"></textarea>"},
    {K(CLOSE), "close", "结案", ""},
};
#undef K

struct cmd_read {
	struct intake *in;
	const char *cmd;
	json_t *rec;
};

static int s_cmd_read(struct qf_txn *t, void *arg)
{
	struct cmd_read *c = arg;
	c->rec = intake_rec_get(c->in, t, c->in->db.cmds, c->cmd, strlen(c->cmd),
				&intake_rec_cmd);
	return QF_OK;
}

/* The verdict of the command the page just sent (?cmd=), when it is the
 * viewer's own. */
static void s_verdict(struct intake *in, struct qf_http_req *r, struct qf_buf *b,
		      const struct qf_staff *me)
{
	const char *cmd = qf_http_query(r, "cmd");
	if (!cmd || strlen(cmd) > 40)
		return;
	struct cmd_read c = {in, cmd, NULL};
	intake_read(in, s_cmd_read, &c);
	const char *by = s_str(json_object_get(c.rec, "actor"), "staff_id");
	if (c.rec && !strcmp(by, me->id)) {
		const json_t *res = json_object_get(c.rec, "result");
		json_int_t st = json_integer_value(json_object_get(res, "status"));
		if (!res)
			qf_buf_puts(b, "<p "
				       "role=\"status\">"
				       "操作已提交，正在等待处理结果，请稍后刷新。</p>");
		else if (st == 200)
			qf_buf_puts(b, "<p class=\"ok\" role=\"status\">操作成功。</p>");
		else {
			qf_buf_puts(b, "<p class=\"err\" role=\"alert\">操作未成功：");
			qf_buf_html(b, s_str(res, "message"));
			qf_buf_puts(b, "</p>");
		}
	}
	json_decref(c.rec);
}

static void s_case_page(struct intake *in, struct qf_http_req *r, const char *case_id,
			unsigned status, const struct intake_err *err)
{
	const struct qf_staff *me = qf_access_staff(r);
	int st;
	json_t *v = intake_case_staff_view(in, me, case_id, &st);
	if (!v) {
		intake_staff_message(r, 404, "没有这个案件", "没有这个案件");
		return;
	}
	struct intake_session s;
	intake_session_get(in, r, &s);
	struct qf_buf b;
	struct web_page pg;
	char title[160];
	snprintf(title, sizeof title, "%s · %s", s_str(v, "category_name"),
		 s_str(v, "building_name"));
	intake_staff_page_begin(&b, &pg, r, title, me, s.csrf[0] ? s.csrf : NULL);
	s_verdict(in, r, &b, me);
	if (err) {
		qf_buf_puts(&b, "<p class=\"err\" role=\"alert\">操作未成功：");
		qf_buf_html(&b, err->message);
		qf_buf_puts(&b, "</p>");
	}
	qf_buf_puts(&b, "<p>状态：<strong>");
	qf_buf_html(&b, s_str(v, "status_text"));
	qf_buf_puts(&b, "</strong><br>查询码：");
	qf_buf_html(&b, s_str(v, "tracking_code"));
	qf_buf_puts(&b, "<br>地址：");
	qf_buf_html(&b, s_str(v, "address"));
	const json_t *dl = json_object_get(v, "deadlines");
	qf_buf_puts(&b, "<br>响应时限：");
	web_time(&b, s_str(dl, "respond_due_at"));
	qf_buf_puts(&b, "<br>办结时限：");
	web_time(&b, s_str(dl, "resolve_due_at"));
	qf_buf_puts(&b, "</p><h2>诉求内容</h2><p>");
	qf_buf_html(&b, s_str(v, "description"));
	qf_buf_puts(&b, "</p><h2>办理经过</h2><ol>");
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(v, "timeline"), i, e)
	{
		qf_buf_puts(&b, "<li>");
		web_time(&b, s_str(e, "at"));
		qf_buf_puts(&b, " ");
		qf_buf_html(&b, s_str(e, "note"));
		const json_t *n = json_object_get(e, "staff_notes");
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)n, k, x)
		{
			qf_buf_puts(&b, "<br>");
			qf_buf_html(&b, json_string_value(x));
		}
		qf_buf_puts(&b, "</li>");
	}
	qf_buf_puts(&b, "</ol>");
	/* the actions: the same policy as POST /v1/cases/:id/actions, and
	   the forms the case's state admits (qf_case_admits: the router's
	   table); the router's guards have the last word (its refusal shows
	   above) */
	json_t *rec = intake_case_load(in, case_id);
	int state = qf_case_state_parse(s_str(v, "status"));
	if (rec && intake_may(in, me, QF_ACT_CASE_ACT, rec)) {
		int first = 1;
		for (size_t a = 0; a < sizeof s_acts / sizeof s_acts[0]; a++) {
			if (!qf_case_admits(state, s_acts[a].kind))
				continue;
			if (first)
				qf_buf_puts(&b, "<h2>办理</h2>");
			qf_buf_printf(&b, "<details%s><summary>%s</summary>",
				      first ? " open" : "", s_acts[a].label);
			first = 0;
			qf_buf_puts(&b, "<form method=\"post\" action=\"/staff/cases/");
			qf_buf_url(&b, case_id);
			qf_buf_printf(&b,
				      "/act\" enctype=\"multipart/form-data\">"
				      "<input type=\"hidden\" name=\"action\" "
				      "value=\"%s\">",
				      s_acts[a].action);
			if (s.csrf[0])
				intake_staff_csrf_field(&b, s.csrf);
			qf_buf_printf(
			    &b, "%s<button type=\"submit\">%s</button></form></details>",
			    s_acts[a].fields, s_acts[a].label);
		}
	}
	if (rec && intake_may(in, me, QF_ACT_CASE_CONTACT, rec) &&
	    json_is_true(json_object_get(v, "has_contact"))) {
		qf_buf_puts(
		    &b,
		    "<h2>联系诉求人</h2><form method=\"post\" action=\"/staff/cases/");
		qf_buf_url(&b, case_id);
		qf_buf_puts(&b, "/contact\">");
		if (s.csrf[0])
			intake_staff_csrf_field(&b, s.csrf);
		qf_buf_puts(
		    &b,
		    "<label for=\"f-creason\">查看事由（将记录并告知诉求人）</label>"
		    "<input id=\"f-creason\" name=\"reason\" required maxlength=\"200\">"
		    "<button type=\"submit\">查看联系方式</button></form>");
	}
	json_decref(rec);
	json_decref(v);
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_case(struct qf_http_req *r, void *ctx)
{
	s_case_page(ctx, r, qf_http_param(r, "id"), 200, NULL);
}

void intake_staff_act_refused(struct intake *in, struct qf_http_req *r,
			      const char *case_id, const struct intake_err *e)
{
	s_case_page(in, r, case_id, e->status ? e->status : 400, e);
}

void intake_h_staff_act(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct intake_form form;
	struct intake_err e = {0};
	const char *id = qf_http_param(r, "id");
	intake_form_init(&form);
	if (intake_form_read_raw(r, &form, (uint64_t)in->conf->max_media_bytes,
				 (unsigned)in->conf->max_media, &e)) {
		intake_form_free(&form);
		s_case_page(in, r, id, e.status ? e.status : 400, &e);
		return;
	}
	json_t *f = form.fields;
	struct intake_session s;
	if (intake_staff_csrf_check(in, r, f, &s)) {
		intake_form_free(&form);
		return;
	}
	json_object_del(f, "csrf");
	/* numbers come as text from a form */
	const char *h = s_str(f, "extension_hours");
	if (*h)
		json_object_set_new(f, "extension_hours",
				    json_integer(strtol(h, NULL, 10)));
	else
		json_object_del(f, "extension_hours");
	static const char *const opt[] = {"related_case", "reason", "target_staff"};
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (!*s_str(f, opt[i]))
			json_object_del(f, opt[i]);
	if (strcmp(s_str(f, "action"), "reject"))
		json_object_del(f, "reject_reason");
	if (intake_action_start(in, r, id, f, form.uploads, form.nuploads, 1, &e) < 0)
		s_case_page(in, r, id, e.status ? e.status : 400, &e);
	intake_form_free(&form);
}

/* ------------------------------------------------------------ contact */

static void s_contact_page(struct intake *in, struct qf_http_req *r, const char *case_id,
			   const json_t *c, const struct intake_err *e)
{
	if (!c) {
		s_case_page(in, r, case_id, e && e->status ? e->status : 500, e);
		return;
	}
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "诉求人联系方式", qf_access_staff(r), NULL);
	static const char *const rows[][2] = {
	    {"name", "姓名"}, {"phone", "电话"}, {"email", "电子邮箱"}};
	qf_buf_puts(&b, "<dl class=\"facts\">");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *x = s_str(c, rows[i][0]);
		if (!*x)
			continue;
		qf_buf_printf(&b, "<dt>%s</dt><dd>", rows[i][1]);
		qf_buf_html(&b, x);
		qf_buf_puts(&b, "</dd>");
	}
	qf_buf_puts(&b, "</dl><p class=\"note\">");
	qf_buf_html(&b, s_str(c, "notice"));
	qf_buf_puts(&b, "</p><p><a href=\"/staff/cases/");
	qf_buf_url(&b, case_id);
	qf_buf_puts(&b, "\">返回案件</a></p>");
	intake_staff_page_send(r, 200, &pg, &b);
}

void intake_h_staff_contact(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct intake_session s;
	json_t *f = s_checked_form(in, r, &s);
	if (!f)
		return;
	const char *id = qf_http_param(r, "id");
	struct intake_err e = {0};
	char *reason = NULL;
	if (intake_json_str(f, "reason", 1, 200, 0, &reason, &e)) {
		s_case_page(in, r, id, e.status ? e.status : 400, &e);
	} else {
		int rc = intake_contact_start(in, r, id, reason, s_contact_page);
		if (rc)
			intake_staff_message(r, rc == QF_ERR_NOMEM ? 500 : 404, "出错了",
					     rc == QF_ERR_NOMEM ? "内存不足"
								: "没有这个案件");
	}
	json_decref(f);
}

/* ------------------------------------------------------------ accounts */

static void s_accounts_page(struct intake *in, struct qf_http_req *r, unsigned status,
			    const char *ok, const char *err, const char *field)
{
	const struct qf_staff *me = qf_access_staff(r);
	const struct qf_community *c = qf_access_community(r);
	struct intake_session s;
	intake_session_get(in, r, &s);
	struct qf_buf b;
	struct web_page pg;
	intake_staff_page_begin(&b, &pg, r, "工作人员账号", me,
				s.csrf[0] ? s.csrf : NULL);
	if (ok) {
		qf_buf_puts(&b, "<p class=\"ok\" role=\"status\">");
		qf_buf_html(&b, ok);
		qf_buf_puts(&b, "</p>");
	}
	qf_buf_puts(&b, "<ul class=\"q\">");
	for (unsigned i = 0; i < c->nstaff; i++) {
		int st = intake_account_state(in, c->staff[i].id);
		qf_buf_puts(&b, "<li>");
		qf_buf_html(&b, c->staff[i].id);
		qf_buf_puts(&b, " ");
		qf_buf_html(&b, c->staff[i].name);
		qf_buf_puts(&b, "（");
		qf_buf_html(&b, c->staff[i].post);
		qf_buf_puts(&b, "）：");
		qf_buf_puts(&b, st == 2 ? "已锁定" : st == 1 ? "已开通" : "未开通");
		qf_buf_puts(&b, "</li>");
	}
	qf_buf_puts(&b, "</ul><h2>开通账号或重置密码</h2>"
			"<form method=\"post\" action=\"/staff/accounts\">");
	if (s.csrf[0])
		intake_staff_csrf_field(&b, s.csrf);
	if (err) {
		qf_buf_printf(&b, "<p id=\"acc-err\" class=\"err\" role=\"alert\">");
		qf_buf_html(&b, err);
		qf_buf_puts(&b, "</p>");
	}
	const char *d = " aria-describedby=\"acc-err\" aria-invalid=\"true\"";
	qf_buf_printf(&b,
		      "<label for=\"a-staff\">工号</label><input id=\"a-staff\" "
		      "name=\"staff\" required maxlength=\"63\"%s>"
		      "<label for=\"a-pw\">新密码（%d 至 %d 个字符）</label>"
		      "<input id=\"a-pw\" name=\"password\" type=\"password\" "
		      "autocomplete=\"new-password\" required minlength=\"%d\" "
		      "maxlength=\"%d\"%s>"
		      "<button type=\"submit\">保存</button></form>"
		      "<p>重置密码后，此人已登录的会话全部失效，锁定同时解除。</p>",
		      field && !strcmp(field, "staff") ? d : "", INTAKE_PW_MIN,
		      INTAKE_PW_MAX, INTAKE_PW_MIN, INTAKE_PW_MAX,
		      field && !strcmp(field, "password") ? d : "");
	intake_staff_page_send(r, status, &pg, &b);
}

void intake_h_staff_accounts_get(struct qf_http_req *r, void *ctx)
{
	s_accounts_page(ctx, r, 200, NULL, NULL, NULL);
}

struct acc_ctx {
	struct intake *in;
	char staff[64];
};

static void s_account_done(void *arg, struct qf_http_req *r, int ok, const char *cookie)
{
	struct acc_ctx *ac = arg;
	(void)cookie;
	char msg[128];
	snprintf(msg, sizeof msg, "已为 %s 设置新密码", ac->staff);
	if (ok > 0)
		s_accounts_page(ac->in, r, 200, msg, NULL, NULL);
	else
		intake_staff_message(r, 503, "暂时无法保存", "暂时无法保存，请稍后重试");
	free(ac);
}

void intake_h_staff_accounts_post(struct qf_http_req *r, void *ctx)
{
	struct intake *in = ctx;
	struct intake_session s;
	json_t *f = s_checked_form(in, r, &s);
	if (!f)
		return;
	const char *id = s_str(f, "staff"), *pw = s_str(f, "password");
	size_t pl = strlen(pw);
	if (!qf_community_staff(qf_access_community(r), id)) {
		s_accounts_page(in, r, 422, NULL, "社区名册中没有这个工号", "staff");
	} else if (pl < INTAKE_PW_MIN || pl > INTAKE_PW_MAX) {
		s_accounts_page(in, r, 422, NULL, "密码长度须为 10 至 128 个字符",
				"password");
	} else {
		struct acc_ctx *ac = calloc(1, sizeof *ac);
		int rc = QF_ERR_NOMEM;
		if (ac) {
			ac->in = in;
			snprintf(ac->staff, sizeof ac->staff, "%s", id);
			rc = intake_account_set(in, r, id, pw, qf_access_staff(r)->id,
						s_account_done, ac);
		}
		if (rc == QF_ERR_NOMEM)
			intake_staff_message(r, 500, "出错了", "内存不足");
		if (rc)
			free(ac);
	}
	json_decref(f);
}
