/* qf_buf.c: growable buffer and the escaping rules of every output format
 * (qf_buf.h). One place decides how text is escaped, so a page cannot forget. */
#include "qf_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qf_buf_init(struct qf_buf *b) { memset(b, 0, sizeof *b); }

void qf_buf_free(struct qf_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void qf_buf_reset(struct qf_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

int qf_buf_ok(const struct qf_buf *b) { return !b->oom; }

char *qf_buf_take(struct qf_buf *b, size_t *len)
{
	if (b->oom) {
		qf_buf_free(b);
		return NULL;
	}
	if (!b->p)
		qf_buf_add(b, "", 0);
	char *p = b->p;
	if (len)
		*len = b->len;
	if (b->oom) {
		qf_buf_free(b);
		return NULL;
	}
	memset(b, 0, sizeof *b);
	return p;
}

static int s_grow(struct qf_buf *b, size_t extra)
{
	if (b->oom)
		return 0;
	if (b->len + extra + 1 <= b->cap)
		return 1;
	size_t nc = b->cap ? b->cap : 1024;
	while (nc < b->len + extra + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->oom = 1;
		return 0;
	}
	b->p = np;
	b->cap = nc;
	return 1;
}

void qf_buf_add(struct qf_buf *b, const void *data, size_t n)
{
	if (!s_grow(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void qf_buf_puts(struct qf_buf *b, const char *s)
{
	if (s)
		qf_buf_add(b, s, strlen(s));
}

void qf_buf_putc(struct qf_buf *b, char c) { qf_buf_add(b, &c, 1); }

void qf_buf_vprintf(struct qf_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n < sizeof small) {
		qf_buf_add(b, small, (size_t)n);
	} else if (s_grow(b, (size_t)n)) {
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
		b->len += (size_t)n;
	}
	va_end(ap2);
}

void qf_buf_printf(struct qf_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	qf_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void qf_buf_htmln(struct qf_buf *b, const char *s, size_t n)
{
	if (!s)
		return;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep) {
			qf_buf_add(b, s + start, i - start);
			qf_buf_puts(b, rep);
			start = i + 1;
		}
	}
	qf_buf_add(b, s + start, n - start);
}

void qf_buf_html(struct qf_buf *b, const char *s)
{
	if (s)
		qf_buf_htmln(b, s, strlen(s));
}

void qf_buf_xml(struct qf_buf *b, const char *s)
{
	/* the same five entities are valid XML 1.0; control characters other
	 * than tab/newline are not allowed in XML at all: drop them */
	if (!s)
		return;
	size_t start = 0, i = 0;
	for (; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			qf_buf_htmln(b, s + start, i - start);
			start = i + 1;
		}
	}
	qf_buf_htmln(b, s + start, i - start);
}

void qf_buf_url(struct qf_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == '~') {
			qf_buf_putc(b, (char)c);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			qf_buf_add(b, e, 3);
		}
	}
}

void qf_buf_csv(struct qf_buf *b, const char *s)
{
	qf_buf_putc(b, '"');
	if (s) {
		/* a cell starting with = + - @ (or tab/CR) is a formula in
		 * spreadsheets: prefix an apostrophe (OWASP CSV injection) */
		if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' ||
		    *s == '\r')
			qf_buf_putc(b, '\'');
		for (; *s; s++) {
			if (*s == '"')
				qf_buf_putc(b, '"');
			qf_buf_putc(b, *s);
		}
	}
	qf_buf_putc(b, '"');
}

void qf_buf_json_str(struct qf_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	qf_buf_putc(b, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"':
			qf_buf_puts(b, "\\\"");
			break;
		case '\\':
			qf_buf_puts(b, "\\\\");
			break;
		case '\n':
			qf_buf_puts(b, "\\n");
			break;
		case '\r':
			qf_buf_puts(b, "\\r");
			break;
		case '\t':
			qf_buf_puts(b, "\\t");
			break;
		case '<':
			qf_buf_puts(b, "\\u003c");
			break; /* safe inside <script> */
		case '>':
			qf_buf_puts(b, "\\u003e");
			break;
		case '&':
			qf_buf_puts(b, "\\u0026");
			break;
		default:
			if (c < 0x20) {
				char e[6] = {'\\', 'u',		'0',
					     '0',  hex[c >> 4], hex[c & 15]};
				qf_buf_add(b, e, 6);
			} else {
				qf_buf_putc(b, (char)c);
			}
		}
	}
	qf_buf_putc(b, '"');
}

void qf_buf_yuan(struct qf_buf *b, int64_t fen)
{
	uint64_t a = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(a / 100));
	if (fen < 0)
		qf_buf_putc(b, '-');
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			qf_buf_putc(b, ',');
		qf_buf_putc(b, digits[i]);
	}
	qf_buf_printf(b, ".%02u", (unsigned)(a % 100));
}
