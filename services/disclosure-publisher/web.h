/* web.h: everything the service serves: the route table, the JSON API
 * (api.c), the HTML pages (pages.c, with html.c and svg.c), feeds and CSV
 * (feeds.c), and the static assets. Renderers write into a struct qf_buf and
 * take a struct render, so the static export (export.c) produces the very
 * same pages with file links instead of server links.
 */
#ifndef DP_WEB_H
#define DP_WEB_H

#include <jansson.h>

#include "qf_buf.h"
#include "cases.h"
#include "dp.h"
#include "qf_http.h"

extern const struct qf_http_route dp_routes[];
extern const size_t dp_nroutes;

/* How a page is rendered. */
struct render {
	struct dp *dp;
	int64_t now;
	int static_site; /* links to files of an export, no forms or live */
	int depth;	 /* static: directory depth of the page (for ../) */
};

/* A link to a site path ("/cases/C1"): as is on the server, relative to
 * the page and ending in index.html in a static export. Escaped for an
 * attribute. */
void web_link(struct qf_buf *b, const struct render *r, const char *path);

/* Case list filters from query arguments (category, building, state, from,
 * to, overdue, handler, page, page_size). Returns 0, or -1 with an error
 * code, a Chinese message and the field at fault. */
struct case_filter {
	struct case_query q;
	unsigned page, page_size;
	char category[80], building[80], handler[80], state[32], from[32], to[32];
	int overdue;
};
struct web_err {
	const char *code, *message, *field;
};
int web_case_filter(struct qf_http_req *r, struct dp *dp, struct case_filter *f,
		    struct web_err *e);
/* The same filters as a query string ("category=..&state=..", no page). */
void web_filter_query(struct qf_buf *b, const struct case_filter *f);

/* Reply with a rendered buffer (takes the buffer). */
void web_reply_buf(struct qf_http_req *r, unsigned status, const char *ctype,
		   struct qf_buf *b);
/* Reply with an HTML page: security headers added (CSP etc.). */
void web_reply_html(struct qf_http_req *r, struct dp *dp, unsigned status, struct qf_buf *b);

/* ------------------------------------------------------------ api.c */
void api_cases(struct qf_http_req *r, void *ctx);
void api_case(struct qf_http_req *r, void *ctx);
void api_stats(struct qf_http_req *r, void *ctx);
void api_ledger(struct qf_http_req *r, void *ctx);
void api_ledger_quarter(struct qf_http_req *r, void *ctx);
void api_notices(struct qf_http_req *r, void *ctx);
void api_lists(struct qf_http_req *r, void *ctx);
void api_list(struct qf_http_req *r, void *ctx);
void api_roster(struct qf_http_req *r, void *ctx);
void api_record(struct qf_http_req *r, void *ctx);
void api_snapshots(struct qf_http_req *r, void *ctx);
void api_snapshot(struct qf_http_req *r, void *ctx);
void api_snapshot_canonical(struct qf_http_req *r, void *ctx);
void api_dashboard(struct qf_http_req *r, void *ctx);
void api_checkpoints(struct qf_http_req *r, void *ctx);
/* The JSON case list body (shared with the export): {"total","page",...} */
int api_cases_json(struct dp *dp, const struct case_filter *f, int64_t now,
		   struct qf_buf *out);

/* ------------------------------------------------------------ feeds.c */
void feed_cases_atom(struct qf_http_req *r, void *ctx);
void feed_disclosures_atom(struct qf_http_req *r, void *ctx);
void csv_cases(struct qf_http_req *r, void *ctx);
void csv_ledger(struct qf_http_req *r, void *ctx);
int feed_cases_render(struct dp *dp, struct qf_buf *b);
int feed_disclosures_render(struct dp *dp, struct qf_buf *b);
int csv_cases_render(struct dp *dp, const struct case_query *q, int64_t now,
		     struct qf_buf *b);
/* 0, or QF_ERR_NOTFOUND for an unknown quarter */
int csv_ledger_render(struct dp *dp, const char *quarter, struct qf_buf *b);

/* ------------------------------------------------------------ pages.c */
void page_board(struct qf_http_req *r, void *ctx);
void page_case(struct qf_http_req *r, void *ctx);
void page_affairs(struct qf_http_req *r, void *ctx);
void page_ledger(struct qf_http_req *r, void *ctx);
void page_list(struct qf_http_req *r, void *ctx);
void page_record(struct qf_http_req *r, void *ctx);
void page_roster(struct qf_http_req *r, void *ctx);
void page_stats(struct qf_http_req *r, void *ctx);
void page_live(struct qf_http_req *r, void *ctx);
void page_question(struct qf_http_req *r, void *ctx);
void page_verify(struct qf_http_req *r, void *ctx);
void asset_css(struct qf_http_req *r, void *ctx);
void asset_js(struct qf_http_req *r, void *ctx);
extern const char dp_css[];
extern const char dp_live_js[];

/* Renderers: 0, or QF_ERR_NOTFOUND (then the caller shows a 404 page). */
int render_board(const struct render *r, const struct case_filter *f, struct qf_buf *b);
int render_case(const struct render *r, const char *id, struct qf_buf *b);
int render_affairs(const struct render *r, struct qf_buf *b);
int render_ledger(const struct render *r, const char *quarter, struct qf_buf *b);
int render_list(const struct render *r, const char *id, struct qf_buf *b);
int render_record(const struct render *r, const char *id, struct qf_buf *b);
int render_roster(const struct render *r, struct qf_buf *b);
int render_stats(const struct render *r, int64_t from, int64_t to, const char *label,
		 struct qf_buf *b);
int render_live(const struct render *r, struct qf_buf *b);
int render_verify(const struct render *r, struct qf_buf *b);
int render_not_found(const struct render *r, const char *what, struct qf_buf *b);

#endif
