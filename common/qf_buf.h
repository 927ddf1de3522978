/* qf_buf.h: a growable byte buffer for building replies (JSON, HTML, CSV,
 * Atom, XML), shared by every service that renders pages or feeds.
 *
 * Every page and feed is assembled in one struct qf_buf and
 * handed to qf_http_reply_take(). Writers never fail loudly: on allocation
 * failure the buffer remembers it (b->oom) and later appends do nothing, so
 * callers check once at the end (qf_buf_ok) instead of after every call.
 * Escaping lives here because every output format needs it: qf_buf_html for
 * HTML text and attributes, qf_buf_xml for Atom, qf_buf_csv for CSV fields,
 * qf_buf_url for URL query components, qf_buf_json_str for JSON strings.
 */
#ifndef QF_BUF_H
#define QF_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct qf_buf {
	char *p; /* NUL-terminated while not oom; owned by the buffer */
	size_t len, cap;
	int oom;
};

void qf_buf_init(struct qf_buf *b);
/* Free the memory; the buffer is empty and reusable after. */
void qf_buf_free(struct qf_buf *b);
/* Give the bytes to the caller (malloc'd, NUL-terminated) and reset b.
 * NULL when the buffer ran out of memory (then it is freed). */
char *qf_buf_take(struct qf_buf *b, size_t *len);
int qf_buf_ok(const struct qf_buf *b);
void qf_buf_reset(struct qf_buf *b);

void qf_buf_add(struct qf_buf *b, const void *data, size_t n);
void qf_buf_puts(struct qf_buf *b, const char *s);
void qf_buf_putc(struct qf_buf *b, char c);
void qf_buf_printf(struct qf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void qf_buf_vprintf(struct qf_buf *b, const char *fmt, va_list ap);

/* Escaped text. NULL is written as nothing. */
void qf_buf_html(struct qf_buf *b, const char *s); /* & < > " ' */
void qf_buf_htmln(struct qf_buf *b, const char *s, size_t n);
void qf_buf_xml(struct qf_buf *b, const char *s);	 /* & < > " ' */
void qf_buf_url(struct qf_buf *b, const char *s);	 /* RFC 3986 unreserved kept */
void qf_buf_csv(struct qf_buf *b, const char *s);	 /* quoted field, "" doubled;
						    formula prefixes neutralised */
void qf_buf_json_str(struct qf_buf *b, const char *s); /* "..." with escapes */

/* Amount in fen as yuan text: 123456 -> "1,234.56", -5 -> "-0.05". */
void qf_buf_yuan(struct qf_buf *b, int64_t fen);

#endif
