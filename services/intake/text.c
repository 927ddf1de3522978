/* text.c: UTF-8, Crockford codes, phone numbers, names and masking
 * (text.h).
 *
 * Design: every rule that decides whether a person's input is acceptable,
 * and how personal data is masked before it leaves intake, lives in this one
 * pure file, so the rules are tested once and the fuzzers reach them. */
#include "text.h"
#include "qf_mask.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char intake_crockford[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int intake_err_set(struct intake_err *e, unsigned status, const char *code,
		   const char *field, const char *fmt, ...)
{
	e->status = status;
	e->code = code;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return -1;
}

int intake_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			if (c == 0)
				return 0;
			i++;
			continue;
		}
		unsigned need, min;
		uint32_t cp;
		if ((c & 0xE0) == 0xC0) {
			need = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (i + need >= n)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

size_t intake_utf8_len(const char *str)
{
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)str; *s; s++)
		if ((*s & 0xC0) != 0x80)
			n++;
	return n;
}

int intake_has_control(const char *str, int allow_newlines)
{
	for (const unsigned char *s = (const unsigned char *)str; *s; s++) {
		if (*s >= 0x20 && *s != 0x7F)
			continue;
		if (allow_newlines && (*s == '\n' || *s == '\r' || *s == '\t'))
			continue;
		return 1;
	}
	return 0;
}

int intake_crockford_norm(char *s)
{
	for (; *s; s++) {
		char c = (char)toupper((unsigned char)*s);
		if (c == 'I' || c == 'L')
			c = '1';
		else if (c == 'O')
			c = '0';
		if (!strchr(intake_crockford, c) || c == '\0')
			return -1;
		*s = c;
	}
	return 0;
}

/* Copy the digits of `in` (skipping spaces and hyphens) into d; hyphen
 * positions are recorded so a landline's area code and extension can be
 * told apart. Returns the digit count or -1 for any other character. */
static int s_digits(const char *in, char *d, size_t dn, int *hyph, int *nh)
{
	size_t k = 0;
	*nh = 0;
	for (const char *p = in; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (k + 1 >= dn)
				return -1;
			d[k++] = *p;
		} else if (*p == '-') {
			if (*nh >= 4)
				return -1;
			hyph[(*nh)++] = (int)k;
		} else if (*p == ' ') {
			continue;
		} else {
			return -1;
		}
	}
	d[k] = '\0';
	return (int)k;
}

int intake_phone_norm(const char *in, char *out, size_t n)
{
	char d[32];
	int hyph[4], nh;
	if (!in || strlen(in) > 32)
		return -1;
	const char *p = in;
	while (*p == ' ')
		p++;
	int plus = 0;
	if (*p == '+') {
		plus = 1;
		p++;
	}
	int k = s_digits(p, d, sizeof d, hyph, &nh);
	if (k < 0)
		return -1;
	const char *m = d;
	int mk = k;
	/* country prefix for mobiles */
	if (plus) {
		if (strncmp(d, "86", 2))
			return -1;
		m = d + 2;
		mk = k - 2;
	} else if (k == 15 && !strncmp(d, "0086", 4)) {
		m = d + 4;
		mk = 11;
	} else if (k == 13 && !strncmp(d, "86", 2)) {
		m = d + 2;
		mk = 11;
	}
	if (mk == 11 && m[0] == '1' && m[1] >= '3' && m[1] <= '9') {
		if ((size_t)snprintf(out, n, "%s", m) >= n)
			return -1;
		return 0;
	}
	if (plus || d[0] != '0')
		return -1;
	/* landline: area code 0 + 2..3 digits (010, 020-029 have 3 digits in
	 * all; others 4), then 7-8 digits, optional extension */
	int area;
	if (d[1] == '1' || d[1] == '2')
		area = 3;
	else
		area = 4;
	if (nh >= 1 && hyph[0] >= 3 && hyph[0] <= 4)
		area = hyph[0];
	if (k < area + 7)
		return -1;
	int num = k - area, ext = 0;
	if (nh >= 2) {
		/* area-number-ext */
		num = hyph[1] - area;
		ext = k - hyph[1];
	} else if (nh == 1 && hyph[0] != area) {
		/* number-ext without a separated area code */
		num = hyph[0] - area;
		ext = k - hyph[0];
	}
	if (num < 7 || num > 8 || ext < 0 || ext > 6 || (nh >= 2 && ext == 0))
		return -1;
	if (d[area] == '0' || d[area] == '1')
		return -1; /* local numbers never start with 0 or 1 */
	int w;
	if (ext)
		w = snprintf(out, n, "%.*s-%.*s-%.*s", area, d, num, d + area, ext,
			     d + area + num);
	else
		w = snprintf(out, n, "%.*s-%.*s", area, d, num, d + area);
	return w > 0 && (size_t)w < n ? 0 : -1;
}

void intake_phone_mask(const char *norm, char *out, size_t n)
{
	size_t l = strlen(norm);
	if (n == 0)
		return;
	if (l == 11 && norm[0] == '1') {
		snprintf(out, n, "%.3s****%.4s", norm, norm + 7);
		return;
	}
	const char *dash = strchr(norm, '-');
	if (!dash) {
		snprintf(out, n, "****");
		return;
	}
	/* landline: keep the area code and the last 4 digits of the number */
	const char *num = dash + 1;
	const char *ext = strchr(num, '-');
	size_t nl = ext ? (size_t)(ext - num) : strlen(num);
	if (nl < 4) {
		snprintf(out, n, "%.*s-****", (int)(dash - norm), norm);
		return;
	}
	char stars[9] = "********";
	size_t ns = nl - 4 > 8 ? 8 : nl - 4;
	stars[ns] = '\0';
	snprintf(out, n, "%.*s-%s%.4s", (int)(dash - norm), norm, stars, num + nl - 4);
}

void intake_name_mask(const char *name, char *out, size_t n)
{
	/* always two stars: the masked form must not reveal the name's length */
	if (n == 0)
		return;
	const unsigned char *s = (const unsigned char *)name;
	if (!*s) {
		snprintf(out, n, "**");
		return;
	}
	size_t first = 1;
	while (s[first] && (s[first] & 0xC0) == 0x80)
		first++;
	if (first + 3 > n) {
		snprintf(out, n, "**");
		return;
	}
	memcpy(out, name, first);
	memcpy(out + first, "**", 3);
}

int intake_email_valid(const char *s)
{
	size_t l = strlen(s);
	if (l < 3 || l > 254)
		return 0;
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return 0;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || !dot[1])
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7F || *p == '<' || *p == '>' || *p == '"' ||
		    *p == ',' || *p == ';' || *p == '\\')
			return 0;
	return 1;
}

int intake_date_valid(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1)
		return 0;
	int md = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0))
		md = 29;
	return d <= md;
}

int intake_url_valid(const char *s)
{
	size_t l = strlen(s);
	if (l > 2048)
		return 0;
	const char *h;
	if (!strncmp(s, "https://", 8))
		h = s + 8;
	else if (!strncmp(s, "http://", 7))
		h = s + 7;
	else
		return 0;
	if (!*h || *h == '/' || *h == ':')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7F || *p == '"' || *p == '<' || *p == '>' ||
		    *p == '\\')
			return 0;
	/* no user:password@ in the authority */
	size_t al = strcspn(h, "/?#");
	if (memchr(h, '@', al))
		return 0;
	return 1;
}

static size_t s_space_at(const unsigned char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		return 1;
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 */
		return 3;
	return 0;
}

char *intake_trim_dup(const char *s)
{
	const unsigned char *b = (const unsigned char *)s;
	size_t k;
	while ((k = s_space_at(b)))
		b += k;
	size_t l = strlen((const char *)b);
	while (l > 0) {
		if (b[l - 1] == ' ' || b[l - 1] == '\t' || b[l - 1] == '\n' ||
		    b[l - 1] == '\r')
			l--;
		else if (l >= 3 && b[l - 3] == 0xE3 && b[l - 2] == 0x80 &&
			 b[l - 1] == 0x80)
			l -= 3;
		else
			break;
	}
	return strndup((const char *)b, l);
}

char *intake_event_text(const char *s, const char *surname)
{
	struct qf_mask_opts o = {.surname = surname && *surname ? surname : NULL};
	return qf_mask_text(s ? s : "", s ? strlen(s) : 0, &o);
}
