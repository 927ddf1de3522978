/* buf.h: a growable byte buffer for building replies (JSON, HTML, CSV, Atom).
 *
 * Every page and feed of the service is assembled in one struct buf and
 * handed to qf_http_reply_take(). Writers never fail loudly: on allocation
 * failure the buffer remembers it (b->oom) and later appends do nothing, so
 * callers check once at the end (buf_ok) instead of after every call.
 * Escaping lives here because every output format needs it: buf_html for
 * HTML text and attributes, buf_xml for Atom, buf_csv for CSV fields,
 * buf_url for URL query components, buf_json_str for JSON strings.
 */
#ifndef DP_BUF_H
#define DP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *p; /* NUL-terminated while not oom; owned by the buffer */
	size_t len, cap;
	int oom;
};

void buf_init(struct buf *b);
/* Free the memory; the buffer is empty and reusable after. */
void buf_free(struct buf *b);
/* Give the bytes to the caller (malloc'd, NUL-terminated) and reset b.
 * NULL when the buffer ran out of memory (then it is freed). */
char *buf_take(struct buf *b, size_t *len);
int buf_ok(const struct buf *b);
void buf_reset(struct buf *b);

void buf_add(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Escaped text. NULL is written as nothing. */
void buf_html(struct buf *b, const char *s); /* & < > " ' */
void buf_htmln(struct buf *b, const char *s, size_t n);
void buf_xml(struct buf *b, const char *s);	 /* & < > " ' */
void buf_url(struct buf *b, const char *s);	 /* RFC 3986 unreserved kept */
void buf_csv(struct buf *b, const char *s);	 /* quoted field, "" doubled;
						    formula prefixes neutralised */
void buf_json_str(struct buf *b, const char *s); /* "..." with escapes */

/* Amount in fen as yuan text: 123456 -> "1,234.56", -5 -> "-0.05". */
void buf_yuan(struct buf *b, int64_t fen);

#endif
