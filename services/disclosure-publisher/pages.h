/* pages.h: what the disclosure service's HTML pages share (pages.c); the
 * renderers and handlers themselves are declared in web.h. Every function
 * here borrows what it is given; pages_finish takes the buffer b (sent,
 * or freed on error). */
#ifndef DP_PAGES_H
#define DP_PAGES_H

#include "web.h"

typedef int (*render_txn_fn)(struct qf_txn *t, void *arg);

/* Run fn in one read transaction of the service's store. */
int pages_read(const struct render *r, render_txn_fn fn, void *arg);
/* A render context for a live request: dp, now. */
void pages_render_init(struct render *rc, struct dp *dp);
/* Handler tail: the page, a 404 page (what: the thing not found), or a
 * 500. */
void pages_finish(struct qf_http_req *r, struct render *rc, int rc_render,
		  struct qf_buf *b, const char *what);
/* <option value=...>label</option>, selected when value is sel. */
void pages_option(struct qf_buf *b, const char *value, const char *label, const char *sel);
/* A labelled line of text; nothing when text is NULL or empty. */
void pages_field(struct qf_buf *b, const char *label, const char *text);
/* fn(dp, t, id) in one read transaction: its new reference, or NULL. */
json_t *pages_one(const struct render *r,
		  json_t *(*fn)(struct dp *, struct qf_txn *, const char *),
		  const char *id);

#endif
