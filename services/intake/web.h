/* web.h: the page shell of intake's own web pages (residents' form, receipt
 * and follow pages; the staff workbench): the document frame, the
 * compiled-in assets under /assets/, and the security headers every page
 * carries.
 *
 * Design: a page is rendered into one struct qf_buf between web_begin() and
 * web_end() and answered with web_reply(); every dynamic text goes through
 * qf_buf_html (common/qf_buf.h). Pages load only /assets/ from intake itself
 * (Content-Security-Policy default-src 'self', no inline script or style),
 * so they work on one origin without cross-origin calls; JavaScript only
 * enhances what a plain form already does.
 */
#ifndef INTAKE_WEB_H
#define INTAKE_WEB_H

#include <jansson.h>

#include "qf_buf.h"
#include "qf_http.h"
#include "text.h"

/* Which part of the site a page belongs to (its navigation). */
enum web_area {
	WEB_AREA_RESIDENT, /* 我要反映 / 查询进度 / 工作人员登录 */
	WEB_AREA_STAFF,	   /* the staff workbench: nav given by the page */
};

/* One navigation link (label Chinese, href a site path). */
struct web_link {
	const char *key, *href, *label;
};

struct web_page {
	const char *title; /* page title (plain text; escaped) */
	const char *site;  /* site name (the community's), NULL: "清风" */
	enum web_area area;
	const char *active; /* key of the nav link shown as current, or NULL */
	/* nav for WEB_AREA_STAFF (resident pages use the built-in one);
	   NULL/0: none */
	const struct web_link *nav;
	unsigned nnav;
	int large;  /* large-type mode (web_large()) */
	int secret; /* carries a secret or personal data: Cache-Control no-store */
	const char *script; /* an /assets/ script to load ("follow.js"), or NULL */
	const char *here;   /* this page's path, for the large-type toggle's
			       way back; NULL: "/" */
};

/* Open the document: doctype, <html lang="zh-CN">, head (title, viewport,
 * stylesheet, script with defer), header with brand and nav, skip link,
 * <main id="main">. */
void web_begin(struct qf_buf *b, const struct web_page *p);
/* Close <main>, add the footer (large-type toggle, privacy note), close the
 * document. */
void web_end(struct qf_buf *b, const struct web_page *p);

/* Add the page security headers (CSP default-src 'self', nosniff is added by
 * qf_http, Referrer-Policy no-referrer, X-Frame-Options DENY) and
 * Cache-Control: no-store when secret, else private, no-cache. */
void web_headers(struct qf_http_req *r, int secret);
/* web_headers, then answer the buffer as text/html (takes the buffer; 500
 * when it ran out of memory). */
void web_reply(struct qf_http_req *r, unsigned status, const struct web_page *p,
	       struct qf_buf *b);

/* 1 when the request asks for large type (cookie qf_large=1). */
int web_large(struct qf_http_req *r);
/* A local path safe to send a browser back to ("/t/ABC"): starts with one
 * '/', no "//" or '\\' or control characters, at most 200 bytes. */
int web_local_path(const char *p);

/* Form fields with their errors (WCAG: each error is tied to its field).
 * e may be NULL; an error belongs to field when e->field equals it. */
int web_err_is(const struct intake_err *e, const char *field);
/* For a field's input: ` id="f-<field>" name="<field>"` plus, when it has
 * a hint (hint != 0) or an error, aria-describedby naming them and
 * aria-invalid="true". */
void web_field_attrs(struct qf_buf *b, const char *field, int hint,
		     const struct intake_err *e);
/* The error text of field (id "e-<field>", class err, role alert), or
 * nothing; message is the text shown (escaped). */
void web_field_err(struct qf_buf *b, const char *field, const struct intake_err *e,
		   const char *message);
/* A text field's value kept from the resident's input (escaped), or
 * nothing. */
void web_field_value(struct qf_buf *b, const json_t *fields, const char *field);

/* An ISO 8601 time of the API ("2026-12-08T12:24:18+08:00") as residents
 * read it ("2026-12-08 12:24"), escaped; other text as is (escaped). */
void web_time(struct qf_buf *b, const char *iso);

/* The origin the browser used ("http://host:port"), for links that leave
 * the screen (a QR code): Host checked to be a plain host[:port], the
 * scheme https when X-Forwarded-Proto says so. Returns 0, or -1 (no usable
 * Host: out is ""). */
int web_origin(struct qf_http_req *r, char *out, size_t n);

/* ------------------------------------------------------------ web_qr.c */
/* Write text as a QR code in inline SVG (class "qr", role img, aria-label
 * label). Returns 0, or -1 when it cannot be encoded (nothing written). */
int web_qr_svg(struct qf_buf *b, const char *text, const char *label);

/* ------------------------------------------------------------ web_ntf.c */
/* POST body (JSON) to base + path (the notifier's follow API): 0 with the
 * HTTP status and the answer (new reference, NULL when not JSON), or -1
 * when the notifier could not be reached (base "" included). */
int web_ntf_post(const char *base, const char *path, json_t *body, long *status,
		 json_t **answer);

/* Handlers (routes in api.c). */
/* GET /assets/:name: a compiled-in asset (table in web_assets.c). */
void web_h_asset(struct qf_http_req *r, void *ctx);
/* GET /large?on=1|0&back=/path: set or clear the large-type cookie and go
 * back (303): the toggle works without JavaScript. */
void web_h_large(struct qf_http_req *r, void *ctx);

/* ------------------------------------------------------------ web_assets.c */
struct web_asset {
	const char *name;  /* "intake.css" */
	const char *ctype; /* "text/css; charset=utf-8" */
	const char *body;  /* NUL-terminated */
};
/* The asset named name, or NULL. The table is static. */
const struct web_asset *web_asset_find(const char *name);

/* Forms that create something carry a fresh key per rendering
 * (form_key, hidden): sent twice (a reload, a double tap), the second
 * answer is the first one's, not a second record. web_form_key_field
 * writes the field; web_form_key_idem makes the idempotency key (scope:
 * the form, e.g. "page:/") from the posted fields, the key and the other
 * fields sorted (not the multipart bytes, whose boundary a browser may
 * choose anew): 1 when obj has a well-formed key, else 0. */
struct intake_idem;
void web_form_key_field(struct qf_buf *b);
int web_form_key_idem(const json_t *obj, const char *scope, struct intake_idem *id);

#endif
