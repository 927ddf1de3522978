/* qf_page.h: one pagination convention for every list API.
 *
 * Why: the services paged five ways (page/page_size/total, cursor/
 * next_cursor, after/next, from/limit/next). Now a list takes `cursor` (the
 * opaque string a previous answer gave) and `limit`; its answer carries
 * `next_cursor` (null on the last page) and, when there is a next page, an
 * RFC 8288 header `Link: <path?...&cursor=...>; rel="next"` that repeats the
 * request's other query arguments. Bad input gets 400 bad_parameter with
 * the field named, like every other parameter.
 *
 * A cursor is at most QF_PAGE_CURSOR_MAX characters of the URL-safe set
 * [A-Za-z0-9_.~-], so it needs no escaping anywhere. What it encodes is the
 * service's business: qf_page_cursor_u64 and qf_page_u64_cursor cover the
 * common case of a numeric position (a leaf index, an offset), as base64url
 * of 8 big-endian bytes, so clients do not mistake it for a number to
 * compute with.
 */
#ifndef QF_PAGE_H
#define QF_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "qf_http.h"

#define QF_PAGE_CURSOR_MAX 192 /* characters of a cursor */
#define QF_PAGE_U64_LEN	   12  /* a u64 cursor with its NUL */

/* A list's page rules: the default and the largest limit. */
struct qf_page_rule {
	unsigned def, max;
};

struct qf_page {
	unsigned limit;	    /* 1..rule.max */
	const char *cursor; /* the request's cursor, NULL when none was given;
			       owned by the request, valid until the reply */
};

/* Read `cursor` and `limit` of r into pg. 0, or -1 after replying 400
 * bad_parameter naming the field (limit not an integer 1..max, cursor too
 * long or outside the URL-safe set). An empty cursor counts as none. */
int qf_page_parse(struct qf_http_req *r, const struct qf_page_rule *rule,
		  struct qf_page *pg);
/* Reply 400 bad_parameter for field "cursor" (a cursor the service could
 * not place). Returns -1. */
int qf_page_bad_cursor(struct qf_http_req *r);

/* Encode pos as a cursor into out (QF_PAGE_U64_LEN bytes). */
void qf_page_u64_cursor(uint64_t pos, char out[QF_PAGE_U64_LEN]);
/* Decode a cursor made by qf_page_u64_cursor. 0, or QF_ERR_INVAL. */
int qf_page_cursor_u64(const char *cursor, uint64_t *pos);

/* Finish a page: set "next_cursor" on out (the string next, or null when
 * next is NULL or empty) and, with a next page, add the Link header to r:
 * the request's path and query with cursor replaced by next (the deprecated
 * position parameters named in drop, a NULL-terminated list, left out).
 * 0, or QF_ERR_NOMEM. */
int qf_page_finish(struct qf_http_req *r, json_t *out, const char *next,
		   const char *const *drop);
/* Only the Link header of qf_page_finish (for answers that are not a
 * json_t); nothing when next is NULL or empty. 0, or QF_ERR_NOMEM. */
int qf_page_link(struct qf_http_req *r, const char *next, const char *const *drop);

#endif
