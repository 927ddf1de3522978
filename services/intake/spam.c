/* spam.c: keyword, link, WeChat-id, phone-number and repetition rules
 * (spam.h).
 *
 * Design: plain scanners over UTF-8, no regular expressions: each rule is a
 * few lines a reviewer can check, and none can blow up on hostile input
 * (every scan is linear in the text). Keywords, links, WeChat ids and phone
 * numbers are matched on the shared normaliser's output (qf_norm: full-width
 * forms, digits in any script, Chinese numerals in numbers, separators
 * inside mobile numbers, spaces between Han characters), and keywords are
 * normalised the same way when the configuration is read, so "ＶＸ",
 * "贷 款" and "壹叁捌 壹贰叁肆 伍陆柒捌" match like "VX", "贷款" and
 * 13812345678. */
#include "spam.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qf_err.h"
#include "qf_norm.h"

int intake_spam_parse_keywords(const struct qf_cfg_setting *def, config_setting_t *s,
			       void *conf, struct qf_cfg_errors *errs)
{
	struct intake_spam_conf *c =
	    (struct intake_spam_conf *)((char *)conf + def->offset);
	c->keywords = NULL;
	c->nkeywords = 0;
	if (!s)
		return QF_OK;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, NULL, "must be a list of strings [ \"...\", ... ]");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s);
	if (n > INTAKE_SPAM_MAX_KEYWORDS) {
		qf_cfg_error(errs, s, NULL, "at most %d keywords",
			     INTAKE_SPAM_MAX_KEYWORDS);
		return QF_ERR_CONFIG;
	}
	c->keywords = calloc((size_t)n + 1, sizeof *c->keywords);
	if (!c->keywords)
		return QF_ERR_NOMEM;
	int rc = QF_OK;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (!v || !*v || strlen(v) > 64) {
			qf_cfg_error(errs, e, NULL,
				     "each keyword must be a string of 1..64 bytes");
			rc = QF_ERR_CONFIG;
			continue;
		}
		char *k = qf_norm_str(v, strlen(v), QF_NORM_ALL);
		if (!k)
			return QF_ERR_NOMEM;
		if (!*k) {
			free(k);
			qf_cfg_error(errs, e, NULL, "keyword \"%s\" has no visible characters",
				     v);
			rc = QF_ERR_CONFIG;
			continue;
		}
		c->keywords[c->nkeywords++] = k;
	}
	return rc;
}

void intake_spam_conf_free(struct intake_spam_conf *c)
{
	for (unsigned i = 0; i < c->nkeywords; i++)
		free(c->keywords[i]);
	free(c->keywords);
	c->keywords = NULL;
	c->nkeywords = 0;
}

/* ASCII case-insensitive substring search (UTF-8 bytes compared as is).
 * Needles without ASCII letters (most keywords are Chinese) need no case
 * folding: memmem; others compare the folded first byte before the rest. */
static const char *s_find(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (!nl)
		return hay;
	int letters = 0;
	for (size_t i = 0; i < nl; i++)
		letters |= isalpha((unsigned char)needle[i]) != 0;
	if (!letters)
		return memmem(hay, strlen(hay), needle, nl);
	int f = tolower((unsigned char)needle[0]);
	for (const char *p = hay; *p; p++)
		if (tolower((unsigned char)*p) == f && !strncasecmp(p, needle, nl))
			return p;
	return NULL;
}

static int s_alnum(char c) { return isalnum((unsigned char)c); }

/* http://, https://, www., or a bare domain name with a common TLD. */
static int s_has_link(const char *t)
{
	if (s_find(t, "http://") || s_find(t, "https://") || s_find(t, "www."))
		return 1;
	static const char *const tlds[] = {"com",  "cn",   "net",  "org", "top", "xyz",
					   "cc",   "vip",  "info", "io",  "me",	 "shop",
					   "club", "site", "link", "ltd"};
	for (const char *p = t; *p; p++) {
		if (*p != '.' || p == t || !s_alnum(p[-1]))
			continue;
		for (size_t i = 0; i < sizeof tlds / sizeof tlds[0]; i++) {
			size_t l = strlen(tlds[i]);
			if (!strncasecmp(p + 1, tlds[i], l) && !s_alnum(p[1 + l]))
				return 1;
		}
	}
	return 0;
}

/* A WeChat marker followed (after spaces, colons, 号) by an id of 6..20
 * letters, digits, '_' or '-' that starts with a letter or digit. */
static int s_has_wechat(const char *t)
{
	static const char *const marks[] = {"微信", "威信", "薇信", "v信",   "vx",
					    "wx",   "加v",  "加V",  "wechat"};
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		for (const char *p = s_find(t, marks[i]); p;
		     p = s_find(p + 1, marks[i])) {
			/* ASCII markers must stand alone ("wx" inside a word does not
			 * count) */
			if (s_alnum(marks[i][0]) && p > t && s_alnum(p[-1]))
				continue;
			const char *q = p + strlen(marks[i]);
			for (;;) {
				if (*q == ' ' || *q == ':' || *q == '-')
					q++;
				else if (!strncmp(q, "：", 3) || !strncmp(q, "号", 3))
					q += 3;
				else
					break;
			}
			size_t n = 0;
			while (s_alnum(q[n]) || q[n] == '_' || q[n] == '-')
				n++;
			if (n >= 6 && n <= 20)
				return 1;
		}
	}
	return 0;
}

/* A mainland mobile number (11 digits from 1[3-9], not inside a longer run
 * of digits; the normaliser has removed separators inside it) or a
 * landline written area-number. */
static int s_has_phone(const char *t)
{
	for (const char *p = t; *p; p++) {
		if (!isdigit((unsigned char)*p) ||
		    (p > t && isdigit((unsigned char)p[-1])))
			continue;
		size_t n = 0;
		while (isdigit((unsigned char)p[n]))
			n++;
		if (n == 11 && p[0] == '1' && p[1] >= '3' && p[1] <= '9')
			return 1;
		if (p[0] == '0' && (n == 3 || n == 4) && p[n] == '-') {
			size_t m = 0;
			while (isdigit((unsigned char)p[n + 1 + m]))
				m++;
			if (m >= 7 && m <= 8)
				return 1;
		}
	}
	return 0;
}

/* Longest run of one code point. */
static int s_longest_run(const char *t)
{
	int best = 0, run = 0;
	const char *prev = NULL;
	size_t plen = 0;
	for (const char *p = t; *p;) {
		size_t l = 1;
		while (p[l] && ((unsigned char)p[l] & 0xC0) == 0x80)
			l++;
		if (prev && l == plen && !memcmp(p, prev, l))
			run++;
		else
			run = 1;
		if (run > best)
			best = run;
		prev = p;
		plen = l;
		p += l;
	}
	return best;
}

/* The rules that match on normalised text t. */
static int s_check_norm(const struct intake_spam_conf *c, const char *t, char *rule,
			size_t rn, char *detail, size_t dn)
{
	for (unsigned i = 0; i < c->nkeywords; i++)
		if (s_find(t, c->keywords[i])) {
			snprintf(rule, rn, "keyword");
			snprintf(detail, dn, "%s", c->keywords[i]);
			return 1;
		}
	if (c->links && s_has_link(t)) {
		snprintf(rule, rn, "link");
		return 1;
	}
	if (c->wechat && s_has_wechat(t)) {
		snprintf(rule, rn, "wechat");
		return 1;
	}
	if (c->phone_numbers && s_has_phone(t)) {
		snprintf(rule, rn, "phone_number");
		return 1;
	}
	return 0;
}

int intake_spam_check(const struct intake_spam_conf *c, const char *text, char *rule,
		      size_t rn, char *detail, size_t dn)
{
	if (dn)
		detail[0] = '\0';
	if (!c->enabled || !text)
		return 0;
	/* out of memory: the rules still run, on the text as written */
	char *norm = qf_norm_str(text, strlen(text), QF_NORM_ALL);
	int hit = s_check_norm(c, norm ? norm : text, rule, rn, detail, dn);
	free(norm);
	if (hit)
		return 1;
	if (c->max_repeat > 0 && s_longest_run(text) > c->max_repeat) {
		snprintf(rule, rn, "repeat");
		return 1;
	}
	return 0;
}
