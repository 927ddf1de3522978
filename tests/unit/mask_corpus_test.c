/* mask_corpus_test.c: properties of the masker over a generated corpus.
 *
 * From a fixed seed, every run generates MASK_CASES texts: petition-like
 * sentences with planted mobile numbers, ID-card numbers, e-mail addresses
 * and full names, each written in a random script (ASCII, full-width,
 * circled, mathematical, Arabic-Indic, Devanagari, Chinese numerals in both
 * registers, dingbats, mixed digit by digit), with random grouping, random
 * separators (spaces, tabs, dashes, dots, slashes, underscores, full-width
 * punctuation, brackets, soft hyphens, zero-width spaces) and random
 * surroundings. For every text:
 *  - no hidden digit of a planted number survives: the output, normalised
 *    again, holds no run with the digits the mask must hide, and the masked
 *    form (138****5678, 510**************X, n***@e***.com) is there;
 *  - no planted e-mail local part or full name survives;
 *  - masking is idempotent, the output is valid UTF-8 and its length is
 *    bounded by max_chars.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_mask.h"
#include "qf_norm.h"

#define MASK_CASES 10000
#ifndef SEED
#define SEED 0x9E3779B97F4A7C15ull /* fixed: every run explores the same cases */
#endif

static uint64_t s_rng = SEED;

static uint32_t s_rand(uint32_t n)
{
	s_rng ^= s_rng >> 12;
	s_rng ^= s_rng << 25;
	s_rng ^= s_rng >> 27;
	return (uint32_t)((s_rng * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

/* ------------------------------------------------------------ text */

struct gen {
	char s[4096];
	size_t n;
};

static void s_put(struct gen *g, const char *s)
{
	size_t l = strlen(s);
	if (g->n + l < sizeof g->s) {
		memcpy(g->s + g->n, s, l);
		g->n += l;
		g->s[g->n] = '\0';
	}
}

static void s_put_cp(struct gen *g, uint32_t c)
{
	char b[5];
	size_t l = qf_norm_encode(c, b);
	b[l] = '\0';
	s_put(g, b);
}

/* Sentences start and end with a Han character or punctuation, so that no
 * digit of theirs joins a planted number. */
static const char *const s_sentences[] = {
    "楼道灯坏了很久，晚上出入很不方便。",
    "那栋楼2单元的电梯又停了，老人上下楼很困难。",
    "小区门口的垃圾桶已经满了三天没人清运！",
    "楼上漏水，卫生间天花板一直在滴水。",
    "物业说下周来修，但是一直没有人来。",
    "晚上十点以后还有人在广场跳舞，噪音很大。",
    "希望尽快处理，谢谢。",
    "停车位被人长期占用，车辆乱停乱放。",
    "下水道堵塞，污水流到了路面上。",
    "请帮忙协调一下，麻烦了。",
    "周末的时候施工噪音很大，影响休息。",
    "消防通道被杂物堵住了，存在安全隐患。",
    "路灯不亮，",
    "详情如下：",
    "另外，",
    "—— 住户",
};

static const char *const s_prefixes[] = {
    "电话",	  "手机：", "请拨打",	"（",	"，", " ",
    "联系电话 ",  "号码是", "",		"tel:", "【", "电话:+86 ",
    "身份证号：", "邮箱",   "e-mail: ", "\t",	"“",
};
static const char *const s_suffixes[] = {"",   "）", "。", "，", " ",
					 "】", "”",  "！", "\n"};

/* ------------------------------------------------------------ digits */

/* Write digit d in script k. */
static void s_put_digit(struct gen *g, int d, unsigned k)
{
	static const char *const lower[] = {"〇", "一", "二", "三", "四",
					    "五", "六", "七", "八", "九"};
	static const char *const lower2[] = {"零", "幺", "两", "三", "四",
					     "五", "六", "七", "八", "九"};
	static const char *const upper[] = {"零", "壹", "贰", "叁", "肆",
					    "伍", "陆", "柒", "捌", "玖"};
	static const char *const trad[] = {"〇", "壹", "貳", "參", "肆",
					   "伍", "陸", "柒", "捌", "玖"};
	switch (k) {
	case 0:
		s_put_cp(g, (uint32_t)('0' + d));
		break;
	case 1:
		s_put_cp(g, 0xFF10u + (uint32_t)d); /* full-width */
		break;
	case 2:
		s_put_cp(g, d ? 0x2460u + (uint32_t)d - 1 : 0x24EA); /* circled */
		break;
	case 3:
		s_put_cp(g, 0x1D7CEu + 10 * s_rand(5) + (uint32_t)d); /* mathematical */
		break;
	case 4:
		s_put_cp(g, 0x0660u + (uint32_t)d); /* Arabic-Indic */
		break;
	case 5:
		s_put_cp(g, 0x06F0u + (uint32_t)d); /* extended Arabic-Indic */
		break;
	case 6:
		s_put_cp(g, 0x0966u + (uint32_t)d); /* Devanagari */
		break;
	case 7:
		s_put(g, lower[d]);
		break;
	case 8:
		s_put(g, lower2[d]);
		break;
	case 9:
		s_put(g, upper[d]);
		break;
	case 10:
		s_put(g, trad[d]);
		break;
	case 11:
		s_put_cp(g, d ? 0x2776u + (uint32_t)d - 1 : 0x24FF); /* dingbats */
		break;
	default:
		s_put_cp(g, 0x0E50u + (uint32_t)d); /* Thai */
		break;
	}
}

#define NSCRIPTS 13

static void s_put_sep(struct gen *g)
{
	static const char *const seps[] = {
	    " ", "\t", "-",  ".",      "/",	 "_",	   "，",
	    "—", "–",  "·",  "、",     "~",	 "\u3000", "(",
	    ")", "－", "．", "／",     "\u00A0", "#",	   ":",
	    "|", "+",  "＿", "\u00AD", "\u200B", "\u2060", "\uFEFF",
	};
	unsigned visible = 0, n = 1 + s_rand(3);
	for (unsigned i = 0; i < n; i++) {
		const char *s = seps[s_rand(sizeof seps / sizeof seps[0])];
		visible += (unsigned char)s[0] != 0xC2 || s[1] != (char)0xAD;
		s_put(g, s);
	}
	/* invisible ones (Cf) are dropped, so the gap is never longer */
	(void)visible;
}

/* Plant the digits d[0..n) (an 'X' is written as X or x) in groups. */
static void s_put_number(struct gen *g, const char *d, size_t n)
{
	unsigned script = s_rand(NSCRIPTS);
	int mixed = s_rand(6) == 0;
	size_t k = 0;
	while (k < n) {
		size_t glen = s_rand(3) == 0 ? n - k : 1 + s_rand(6);
		if (glen > n - k)
			glen = n - k;
		for (size_t i = 0; i < glen; i++, k++) {
			if (d[k] == 'X')
				s_put(g, s_rand(2) ? "X" : "x");
			else
				s_put_digit(g, d[k] - '0',
					    mixed ? s_rand(NSCRIPTS) : script);
		}
		if (k < n && s_rand(4))
			s_put_sep(g);
	}
}

/* ------------------------------------------------------------ plants */

enum kind { MOBILE, IDCARD, EMAIL, NAME };

struct plant {
	enum kind kind;
	char digits[24]; /* MOBILE, IDCARD */
	char hidden[24]; /* digits the mask must hide */
	char masked[64]; /* the expected masked form (ASCII) */
	char secret[64]; /* EMAIL: local part; NAME: the name */
};

static void s_gen_mobile(struct plant *p)
{
	p->kind = MOBILE;
	p->digits[0] = '1';
	p->digits[1] = (char)('3' + s_rand(7));
	for (int i = 2; i < 11; i++)
		p->digits[i] = (char)('0' + s_rand(10));
	p->digits[11] = '\0';
	memcpy(p->hidden, p->digits + 3, 4);
	p->hidden[4] = '\0';
	snprintf(p->masked, sizeof p->masked, "%.3s****%.4s", p->digits, p->digits + 7);
}

static void s_gen_id(struct plant *p)
{
	static const char *const regions[] = {"11", "31", "44", "51", "65", "82"};
	p->kind = IDCARD;
	memcpy(p->digits, regions[s_rand(6)], 2);
	for (int i = 2; i < 17; i++)
		p->digits[i] = (char)('0' + s_rand(10));
	p->digits[17] = s_rand(11) ? (char)('0' + s_rand(10)) : 'X';
	p->digits[18] = '\0';
	memcpy(p->hidden, p->digits + 3, 14);
	p->hidden[14] = '\0';
	snprintf(p->masked, sizeof p->masked, "%.3s**************%c", p->digits,
		 p->digits[17]);
}

static void s_gen_email(struct plant *p, struct gen *g)
{
	static const char *const ats[] = {"@",	    "＠",   "(at)", "[at]",
					  " (at) ", "艾特", "{at}"};
	static const char *const dots[] = {".", "(dot)", "[dot]", "点", "．", " [dot] "};
	static const char *const tlds[] = {"com", "cn", "net", "org"};
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	p->kind = EMAIL;
	size_t ll = 5 + s_rand(6), dl = 3 + s_rand(6);
	p->secret[0] = (char)('a' + s_rand(26));
	for (size_t i = 1; i < ll; i++)
		p->secret[i] = alnum[s_rand(sizeof alnum - 1)];
	p->secret[ll] = '\0';
	char dom[16];
	dom[0] = (char)('a' + s_rand(26));
	for (size_t i = 1; i < dl; i++)
		dom[i] = (char)('a' + s_rand(26));
	dom[dl] = '\0';
	const char *tld = tlds[s_rand(4)];
	snprintf(p->masked, sizeof p->masked, "%c***@%c***.%s", p->secret[0], dom[0],
		 tld);
	s_put(g, p->secret);
	s_put(g, ats[s_rand(sizeof ats / sizeof ats[0])]);
	s_put(g, dom);
	s_put(g, dots[s_rand(sizeof dots / sizeof dots[0])]);
	s_put(g, tld);
}

/* Invented names (surname + two given characters none of the sentences
 * hold), given to the masker as the petitioner's known names. */
static void s_gen_name(struct plant *p, struct gen *g)
{
	static const char *const sur[] = {"王", "陳", "欧阳", "亓", "张", "黃", "卞"};
	static const char *const given[] = {"秀", "蘭", "晓", "川",
					    "淑", "芬", "志", "远"};
	p->kind = NAME;
	snprintf(p->secret, sizeof p->secret, "%s%s%s", sur[s_rand(7)], given[s_rand(8)],
		 given[s_rand(8)]);
	snprintf(p->masked, sizeof p->masked, "**");
	s_put(g, p->secret);
}

/* ------------------------------------------------------------ checks */

static int s_utf8_valid(const char *s)
{
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t j = i;
		uint32_t c = qf_norm_decode((const unsigned char *)s, n, &j);
		if (c == 0xFFFD && (j - i != 3 || memcmp(s + i, "\xef\xbf\xbd", 3)))
			return 0;
		i = j;
	}
	return 1;
}

static size_t s_cps(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Does the normalised output hold `digits` inside one run of digits
 * (groups joined by separators count; a star ends a piece)? */
static int s_run_holds(const char *out, const char *digits)
{
	size_t len = strlen(out), i = 0, n = 0;
	uint32_t *cp = malloc((len + 1) * sizeof *cp);
	while (i < len)
		cp[n++] = qf_norm_decode((const unsigned char *)out, len, &i);
	struct qf_norm nm = {0};
	assert_int_equal(qf_norm_run(&nm, cp, n, QF_NORM_NUMERALS | QF_NORM_EMAIL), 0);
	struct qf_norm_num num;
	size_t at = 0;
	int found = 0;
	while (!found && qf_norm_num_next(&nm, &at, NULL, &num)) {
		char *save = NULL;
		for (char *t = strtok_r(num.slot, "*", &save); t && !found;
		     t = strtok_r(NULL, "*", &save))
			found = strstr(t, digits) != NULL;
	}
	qf_norm_free(&nm);
	free(cp);
	return found;
}

/* s with every occurrence of w replaced by " # " (malloc'd). */
static char *s_without(const char *s, const char *w)
{
	size_t wl = strlen(w);
	char *o = malloc(strlen(s) * 3 + 1), *q = o;
	while (*s) {
		if (!strncmp(s, w, wl)) {
			memcpy(q, " # ", 3);
			q += 3;
			s += wl;
		} else {
			*q++ = *s++;
		}
	}
	*q = '\0';
	return o;
}

static void s_check(const char *in, const struct plant *pl, size_t np, size_t max,
		    const struct qf_mask_opts *o, size_t caseno)
{
	char *m = qf_mask_text(in, strlen(in), o);
	assert_non_null(m);
	if (!s_utf8_valid(m))
		fail_msg("case %zu: invalid UTF-8", caseno);
	if (s_cps(m) > max)
		fail_msg("case %zu: %zu code points > %zu", caseno, s_cps(m), max);
	char *m2 = qf_mask_text(m, strlen(m), o);
	if (strcmp(m, m2))
		fail_msg("case %zu: not idempotent:\n%s\n%s\n%s", caseno, in, m, m2);
	char *norm = qf_norm_str(m, strlen(m), QF_NORM_ALL);
	int whole = s_cps(in) <= max; /* nothing cut off */
	for (size_t k = 0; k < np; k++) {
		const struct plant *p = &pl[k];
		int leak = 0, missing = 0;
		if (p->kind == MOBILE || p->kind == IDCARD) {
			/* the kept digits may repeat hidden ones by chance: look
			 * outside the masked form */
			char *rest = s_without(m, p->masked);
			leak =
			    s_run_holds(rest, p->hidden) || s_run_holds(rest, p->digits);
			free(rest);
			missing = whole && !strstr(m, p->masked);
		} else if (p->kind == EMAIL) {
			leak = strstr(norm, p->secret) != NULL;
			missing = whole && !strstr(m, p->masked);
		} else {
			char *nn = qf_norm_str(p->secret, strlen(p->secret), QF_NORM_ALL);
			leak = strstr(norm, nn) != NULL;
			free(nn);
		}
		if (leak || missing)
			fail_msg("case %zu: %s %s\n in: %s\nout: %s", caseno,
				 leak ? "leaks" : "lacks", leak ? p->digits : p->masked,
				 in, m);
	}
	free(norm);
	free(m2);
	free(m);
}

static size_t s_gen_case(struct gen *g, struct plant *pl, const char **names,
			 size_t *nnames)
{
	size_t np = 0;
	*nnames = 0;
	g->n = 0;
	g->s[0] = '\0';
	s_put(g, s_sentences[s_rand(sizeof s_sentences / sizeof s_sentences[0])]);
	unsigned items = 1 + s_rand(3);
	for (unsigned i = 0; i < items; i++) {
		struct plant *p = &pl[np++];
		memset(p, 0, sizeof *p);
		s_put(g, s_prefixes[s_rand(sizeof s_prefixes / sizeof s_prefixes[0])]);
		switch (s_rand(4)) {
		case 0:
			s_gen_mobile(p);
			s_put_number(g, p->digits, 11);
			break;
		case 1:
			s_gen_id(p);
			s_put_number(g, p->digits, 18);
			break;
		case 2:
			s_gen_email(p, g);
			break;
		default:
			s_gen_name(p, g);
			names[(*nnames)++] = p->secret;
			break;
		}
		s_put(g, s_suffixes[s_rand(sizeof s_suffixes / sizeof s_suffixes[0])]);
		s_put(g, s_sentences[s_rand(sizeof s_sentences / sizeof s_sentences[0])]);
	}
	return np;
}

static void test_corpus(void **state)
{
	(void)state;
	s_rng = SEED;
	struct gen g;
	struct plant pl[4];
	const char *names[4];
	for (size_t c = 0; c < MASK_CASES; c++) {
		size_t nnames;
		size_t np = s_gen_case(&g, pl, names, &nnames);
		/* one case in ten is cut short: the cut never leaks either */
		size_t max = c % 10 == 9 ? 20 + s_rand(60) : 8000;
		struct qf_mask_opts o = {.known_names = names,
					 .nknown_names = (unsigned)nnames,
					 .max_chars = max};
		s_check(g.s, pl, np, max, &o, c);
	}
}

/* Random bytes and random code points: valid, bounded, idempotent. */
static void test_noise(void **state)
{
	(void)state;
	s_rng = SEED ^ 1;
	for (size_t c = 0; c < 2000; c++) {
		struct gen g = {.n = 0};
		g.s[0] = '\0';
		size_t n = s_rand(200);
		for (size_t i = 0; i < n; i++) {
			uint32_t r = s_rand(8);
			uint32_t cp = r < 3   ? 0x20 + s_rand(0x5F)
				      : r < 5 ? 0x4E00 + s_rand(0x5200)
				      : r < 6 ? 0x2000 + s_rand(0x100)
					      : 1 + s_rand(0x10FFFF);
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = '?';
			s_put_cp(&g, cp);
		}
		struct qf_mask_opts o = {.max_chars = 150, .surname = "王"};
		s_check(g.s, NULL, 0, 150, &o, c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_noise),
	};
	return cmocka_run_group_tests_name("mask corpus", tests, NULL, NULL);
}
