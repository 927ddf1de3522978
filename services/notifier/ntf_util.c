/* ntf_util.c: text helpers shared by the notifier's modules (ntf_util.h).
 * Nothing here knows about events or channels; it exists so that escaping,
 * masking and time formatting are written once and unit-tested once. */
#include "ntf_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

static int s_grow(struct ntf_buf *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t nc = b->cap ? b->cap : 256;
	while (nc < b->len + more + 1)
		nc *= 2;
	char *nd = malloc(nc);
	if (!nd) {
		b->oom = 1;
		return -1;
	}
	if (b->d) {
		memcpy(nd, b->d, b->len);
		/* buffers may hold contact details: never leave a copy behind */
		sodium_memzero(b->d, b->cap);
		free(b->d);
	}
	b->d = nd;
	b->cap = nc;
	return 0;
}

void ntf_buf_put(struct ntf_buf *b, const char *s, size_t n)
{
	if (s_grow(b, n))
		return;
	if (n)
		memcpy(b->d + b->len, s, n);
	b->len += n;
	b->d[b->len] = '\0';
}

void ntf_buf_puts(struct ntf_buf *b, const char *s)
{
	if (s)
		ntf_buf_put(b, s, strlen(s));
}

void ntf_buf_printf(struct ntf_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || s_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->d + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *ntf_buf_take(struct ntf_buf *b, size_t *len)
{
	char *d = NULL;
	if (!b->oom) {
		if (!b->d)
			ntf_buf_put(b, "", 0);
		d = b->d;
		if (len)
			*len = b->len;
		b->d = NULL;
	} else {
		ntf_buf_free(b);
	}
	b->len = b->cap = 0;
	b->oom = 0;
	return d;
}

void ntf_buf_free(struct ntf_buf *b)
{
	free(b->d);
	b->d = NULL;
	b->len = b->cap = 0;
}

void ntf_buf_wipe(struct ntf_buf *b)
{
	if (b->d)
		sodium_memzero(b->d, b->cap);
	ntf_buf_free(b);
}

void ntf_buf_urlenc(struct ntf_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			ntf_buf_put(b, (const char *)p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			ntf_buf_put(b, e, 3);
		}
	}
}

void ntf_buf_jsonesc(struct ntf_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			ntf_buf_put(b, "\\\"", 2);
			break;
		case '\\':
			ntf_buf_put(b, "\\\\", 2);
			break;
		case '\n':
			ntf_buf_put(b, "\\n", 2);
			break;
		case '\r':
			ntf_buf_put(b, "\\r", 2);
			break;
		case '\t':
			ntf_buf_put(b, "\\t", 2);
			break;
		default:
			if (*p < 0x20)
				ntf_buf_printf(b, "\\u%04x", *p);
			else
				ntf_buf_put(b, (const char *)p, 1);
		}
	}
}

void ntf_buf_base64(struct ntf_buf *b, const void *data, size_t n)
{
	size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	if (s_grow(b, need))
		return;
	sodium_bin2base64(b->d + b->len, need, data, n, sodium_base64_VARIANT_ORIGINAL);
	b->len += strlen(b->d + b->len);
}

char *ntf_mask_email(const char *email, char *out, size_t n)
{
	const char *at = email ? strrchr(email, '@') : NULL;
	if (!at || at == email) {
		snprintf(out, n, "***");
		return out;
	}
	snprintf(out, n, "%c***%s", email[0], at);
	return out;
}

char *ntf_mask_phone(const char *phone, char *out, size_t n)
{
	char digits[32];
	size_t nd = 0;
	for (const char *p = phone ? phone : ""; *p && nd < sizeof digits - 1; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	digits[nd] = '\0';
	if (nd < 8) {
		snprintf(out, n, "****");
		return out;
	}
	snprintf(out, n, "%.3s****%s", digits, digits + nd - 4);
	return out;
}

char *ntf_mask_url(const char *url, char *out, size_t n)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p) {
		snprintf(out, n, "***");
		return out;
	}
	p += 3;
	size_t hl = strcspn(p, "/?#");
	snprintf(out, n, "%.*s%.*s/***", (int)(p - url), url, (int)hl, p);
	return out;
}

char *ntf_local_time(int64_t ms, int tz_offset_min, char *buf, size_t n)
{
	if (ms <= 0) {
		if (n)
			buf[0] = '\0';
		return buf;
	}
	time_t t = (time_t)(ms / 1000) + (time_t)tz_offset_min * 60;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, n, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min);
	return buf;
}

int ntf_local_minute(int64_t ms, int tz_offset_min)
{
	int64_t m = ms / 60000 + tz_offset_min;
	int64_t r = m % 1440;
	return (int)(r < 0 ? r + 1440 : r);
}

int ntf_parse_hhmm(const char *s)
{
	if (!s || strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

int ntf_email_valid(const char *s)
{
	if (!s)
		return 0;
	size_t l = strlen(s);
	if (l < 3 || l > 254)
		return 0;
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return 0;
	const char *dot = strchr(at + 1, '.');
	if (!dot || dot == at + 1 || dot[1] == '\0' || s[l - 1] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';' ||
		    *p == '"' || *p == '\\' || *p == 0x7f)
			return 0;
	return 1;
}

int ntf_text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	while (p < e) {
		unsigned c = *p;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') ||
			    c == 0x7f)
				return 0;
			p++;
			continue;
		}
		int n;
		unsigned cp;
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (e - p <= n)
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t s_utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	size_t l;
	unsigned cp;
	if ((c & 0xe0) == 0xc0) {
		l = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		l = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		l = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < l)
		return 0;
	for (size_t i = 1; i < l; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((l == 2 && cp < 0x80) || (l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return l;
}

void ntf_utf8_clean(char *s)
{
	if (!s)
		return;
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t l = s_utf8_len(p, n);
		if (!l) {
			*p = '?';
			l = 1;
		}
		p += l;
		n -= l;
	}
}

char *ntf_strdup0(const char *s) { return strdup(s ? s : ""); }
