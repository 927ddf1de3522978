/* pages.c: what the Chinese HTML pages share (pages.h): one read
 * transaction per renderer, the render context, the handler's tail (the
 * page, a 404 page, or a 500) and the not-found page.
 *
 * The pages, by family: pages_board.c (case board and case page),
 * pages_affairs.c (three-affairs board, ledger quarter, list, record
 * history, roster), pages_stats.c (statistics and the live dashboard),
 * pages_help.c (the question form and the verification guide).
 *
 * Each page is a renderer (struct render -> struct qf_buf) wrapped by a thin
 * HTTP handler; the static export calls the same renderers. A renderer
 * reads everything it needs in one read transaction and escapes every
 * string it did not write itself. */
#include "pages.h"
#include "affairs.h"
#include "html.h"
#include "dash.h"
#include "live.h"
#include "signals.h"
#include "snapshot.h"
#include "stats.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pages_read(const struct render *r, render_txn_fn fn, void *arg)
{
	return qf_store_read(r->dp->store, fn, arg);
}

void pages_render_init(struct render *rc, struct dp *dp)
{
	memset(rc, 0, sizeof *rc);
	rc->dp = dp;
	rc->now = qf_now_ms(dp->clock);
}

void pages_finish(struct qf_http_req *r, struct render *rc, int rc_render,
		  struct qf_buf *b, const char *what)
{
	if (rc_render == QF_ERR_NOTFOUND) {
		qf_buf_reset(b);
		render_not_found(rc, what, b);
		web_reply_html(r, rc->dp, 404, b);
		return;
	}
	if (rc_render || !qf_buf_ok(b)) {
		qf_buf_free(b);
		qf_http_reply_error(r, 500, "internal", "页面生成失败", NULL);
		return;
	}
	web_reply_html(r, rc->dp, 200, b);
}

void pages_option(struct qf_buf *b, const char *value, const char *label, const char *sel)
{
	qf_buf_puts(b, "<option value=\"");
	qf_buf_html(b, value);
	qf_buf_puts(b, strcmp(value, sel) ? "\">" : "\" selected>");
	qf_buf_html(b, label);
	qf_buf_puts(b, "</option>");
}

void pages_field(struct qf_buf *b, const char *label, const char *text)
{
	if (!text || !*text)
		return;
	qf_buf_puts(b, "<div><span class=\"meta\">");
	qf_buf_html(b, label);
	qf_buf_puts(b, "：</span><span class=\"note\">");
	qf_buf_html(b, text);
	qf_buf_puts(b, "</span></div>");
}

struct one_read {
	struct dp *dp;
	const char *id;
	json_t *(*fn)(struct dp *, struct qf_txn *, const char *);
	json_t *out;
};

static int s_one_txn(struct qf_txn *t, void *arg)
{
	struct one_read *o = arg;
	o->out = o->fn(o->dp, t, o->id);
	return QF_OK;
}

json_t *pages_one(const struct render *r,
		  json_t *(*fn)(struct dp *, struct qf_txn *, const char *),
		  const char *id)
{
	struct one_read o = {r->dp, id, fn, NULL};
	if (pages_read(r, s_one_txn, &o)) {
		json_decref(o.out);
		return NULL;
	}
	return o.out;
}

int render_not_found(const struct render *r, const char *what, struct qf_buf *b)
{
	html_begin(b, r, "未找到", "");
	qf_buf_puts(b, "<h1>没有找到");
	qf_buf_html(b, what);
	qf_buf_puts(b, "</h1><p>可能编号有误，或事项尚未公开。<a href=\"");
	web_link(b, r, "/");
	qf_buf_puts(b, "\">返回首页</a></p>");
	html_end(b, r);
	return QF_OK;
}
