/* qf_norm.c: the one normaliser for matching (qf_norm.h).
 *
 * Each pass reads nm->ch and writes nm->tmp, then the two swap; every
 * character carries the input range it came from, which is what lets a
 * caller act on the original text. The first pass avoids libunistring for
 * the characters most text is made of (ASCII, CJK ideographs, full-width
 * forms): NFKC is the identity or a fixed offset there, and calling the
 * library for each of them would dominate the masker's cost on intake's hot
 * path. */
#include "qf_norm.h"

#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>

#include "qf_err.h"

#define SEG_MAX 32 /* a starter and at most 31 combining marks per segment */

/* ------------------------------------------------------------ UTF-8 */

uint32_t qf_norm_decode(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp;
	size_t need;
	if (c < 0x80) {
		(*i)++;
		return c;
	} else if (c >= 0xC2 && c <= 0xDF) {
		cp = c & 0x1F;
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		cp = c & 0x0F;
		need = 2;
	} else if (c >= 0xF0 && c <= 0xF4) {
		cp = c & 0x07;
		need = 3;
	} else {
		(*i)++;
		return 0xFFFD;
	}
	for (size_t k = 1; k <= need; k++) {
		if (*i + k >= n || (s[*i + k] & 0xC0) != 0x80) {
			(*i)++;
			return 0xFFFD;
		}
		cp = (cp << 6) | (s[*i + k] & 0x3F);
	}
	/* overlong, surrogates, beyond Unicode */
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF)) {
		(*i)++;
		return 0xFFFD;
	}
	*i += need + 1;
	return cp;
}

size_t qf_norm_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ------------------------------------------------------------ classes */

int qf_norm_is_han(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F);
}

static int s_ascii_digit(uint32_t c) { return c >= '0' && c <= '9'; }

static int s_ascii_alnum(uint32_t c)
{
	return s_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int s_line_break(uint32_t c)
{
	return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x85 ||
	       c == 0x2028 || c == 0x2029;
}

int qf_norm_is_sep(uint32_t c)
{
	if (c < 0x80)
		return !s_ascii_alnum(c) && c != '*' && !s_line_break(c) && c >= 0x09;
	if (qf_norm_is_han(c) || s_line_break(c))
		return 0;
	return !uc_is_general_category(c, UC_CATEGORY_L) &&
	       !uc_is_general_category(c, UC_CATEGORY_N);
}

/* ------------------------------------------------------------ buffers */

static int s_reserve(struct qf_norm_char **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	struct qf_norm_char *q = realloc(*p, c * sizeof *q);
	if (!q)
		return QF_ERR_NOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The output of a pass: nm->tmp, swapped in by s_pass_end. */
struct out {
	struct qf_norm *nm;
	size_t n;
	int changed; /* a character was replaced */
};

static int s_push(struct out *o, uint32_t c, uint32_t from, uint32_t to)
{
	struct qf_norm *nm = o->nm;
	if (o->n >= nm->tmpcap && s_reserve(&nm->tmp, &nm->tmpcap, o->n + 1))
		return QF_ERR_NOMEM;
	nm->tmp[o->n++] = (struct qf_norm_char){c, from, to};
	return 0;
}

/* Swap the pass's output in; 1 if it differs from its input. */
static int s_pass_end(struct out *o)
{
	struct qf_norm *nm = o->nm;
	int changed = o->changed || o->n != nm->n;
	struct qf_norm_char *t = nm->ch;
	size_t tc = nm->cap;
	nm->ch = nm->tmp;
	nm->cap = nm->tmpcap;
	nm->n = o->n;
	nm->tmp = t;
	nm->tmpcap = tc;
	return changed;
}

/* ------------------------------------------------------------ pass 1: NFKC */

/* Any decimal digit (or a digit-valued number such as ❶) as ASCII. */
static uint32_t s_fold_digit(uint32_t c)
{
	if (c < 0x80)
		return c;
	int v = uc_decimal_value(c);
	if (v < 0)
		v = uc_digit_value(c);
	return v >= 0 && v <= 9 ? (uint32_t)('0' + v) : c;
}

/* Push one normalised code point unless it is a format character. */
static int s_push_mapped(struct out *o, uint32_t c, uint32_t from, uint32_t to)
{
	if (c >= 0x80 && uc_is_general_category(c, UC_CATEGORY_Cf))
		return 0;
	return s_push(o, s_fold_digit(c), from, to);
}

/* Characters whose NFKC form is known without the library: ASCII and the
 * CJK ideographs are stable, full-width ASCII shifts to ASCII, U+3000 is a
 * space. Returns the form, or 0 when the library must decide. */
static uint32_t s_quick(uint32_t c)
{
	if (c < 0x80 || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF))
		return c;
	if (c >= 0xFF01 && c <= 0xFF5E)
		return c - 0xFEE0;
	if (c == 0x3000)
		return ' ';
	return 0;
}

/* A character that certainly starts a segment (combining class 0). */
static int s_starter(uint32_t c)
{
	return c < 0x300 || s_quick(c) || uc_combining_class(c) == 0;
}

static int s_nfkc_segment(struct out *o, const uint32_t *in, size_t i, size_t j)
{
	uint32_t buf[4 * SEG_MAX + 64];
	size_t len = sizeof buf / sizeof buf[0];
	if (j == i + 1) {
		/* no decomposition: NFKC leaves a lone starter as it is */
		uint32_t d[UC_DECOMPOSITION_MAX_LENGTH];
		int tag;
		if (uc_decomposition(in[i], &tag, d) < 0)
			return s_push_mapped(o, in[i], (uint32_t)i, (uint32_t)j);
	}
	uint32_t *r = u32_normalize(UNINORM_NFKC, in + i, j - i, buf, &len);
	if (!r)
		return QF_ERR_NOMEM;
	int rc = 0;
	for (size_t k = 0; k < len && !rc; k++)
		rc = s_push_mapped(o, r[k], (uint32_t)i, (uint32_t)j);
	if (r != buf)
		free(r);
	return rc;
}

static int s_pass_nfkc(struct qf_norm *nm, const uint32_t *in, size_t n)
{
	struct out o = {nm, 0, 0};
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && j - i < SEG_MAX && !s_starter(in[j]))
			j++;
		uint32_t q = j == i + 1 ? s_quick(in[i]) : 0;
		int rc = q ? s_push(&o, q, (uint32_t)i, (uint32_t)j)
			   : s_nfkc_segment(&o, in, i, j);
		if (rc)
			return rc;
		i = j;
	}
	s_pass_end(&o);
	return 0;
}

/* ------------------------------------------------------------ runs */

/* End (one past the last slot) of the run of slots starting at ch[i]:
 * slots joined by one to three separators (sep). *count gets the slots. */
static size_t s_run_end(const struct qf_norm_char *ch, size_t n, size_t i,
			int (*slot)(uint32_t), int (*sep)(uint32_t), size_t *count)
{
	size_t end = i, k = i;
	*count = 0;
	while (k < n) {
		if (slot(ch[k].c)) {
			(*count)++;
			end = ++k;
			continue;
		}
		size_t g = 0;
		while (k + g < n && g < 4 && sep(ch[k + g].c))
			g++;
		if (g == 0 || g > 3 || k + g >= n || !slot(ch[k + g].c))
			break;
		k += g;
	}
	return end;
}

/* ------------------------------------------------------------ pass 2: numerals */

/* Value of a Chinese numeral (10 for 十 and 拾), or -1. */
static int s_numeral(uint32_t c)
{
	static const struct {
		uint32_t c;
		int v;
	} tab[] = {
	    {0x3007, 0},  {0x96F6, 0},	{0x25CB, 0}, /* 〇 零 ○ */
	    {0x4E00, 1},  {0x5E7A, 1},	{0x58F9, 1}, /* 一 幺 壹 */
	    {0x4E8C, 2},  {0x4E24, 2},	{0x5169, 2}, /* 二 两 兩 */
	    {0x8D30, 2},  {0x8CB3, 2},		     /* 贰 貳 */
	    {0x4E09, 3},  {0x53C1, 3},	{0x53C3, 3}, /* 三 叁 參 */
	    {0x56DB, 4},  {0x8086, 4},		     /* 四 肆 */
	    {0x4E94, 5},  {0x4F0D, 5},		     /* 五 伍 */
	    {0x516D, 6},  {0x9646, 6},	{0x9678, 6}, /* 六 陆 陸 */
	    {0x4E03, 7},  {0x67D2, 7},		     /* 七 柒 */
	    {0x516B, 8},  {0x634C, 8},		     /* 八 捌 */
	    {0x4E5D, 9},  {0x7396, 9},		     /* 九 玖 */
	    {0x5341, 10}, {0x62FE, 10},		     /* 十 拾 */
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].c == c)
			return tab[i].v;
	return -1;
}

static int s_digit_or_numeral(uint32_t c)
{
	return s_ascii_digit(c) || (c >= 0x2000 && s_numeral(c) >= 0);
}

static int s_pass_numerals(struct qf_norm *nm)
{
	struct out o = {nm, 0, 0};
	const struct qf_norm_char *ch = nm->ch;
	size_t i = 0, n = nm->n;
	while (i < n) {
		size_t count, end = i + 1;
		int numbers = 0;
		if (s_digit_or_numeral(ch[i].c)) {
			end = s_run_end(ch, n, i, s_digit_or_numeral, qf_norm_is_sep,
					&count);
			numbers = count >= QF_NORM_NUMERAL_RUN;
		}
		for (size_t k = i; k < end; k++) {
			int v =
			    numbers && !s_ascii_digit(ch[k].c) ? s_numeral(ch[k].c) : -1;
			int rc;
			o.changed |= v >= 0;
			if (v == 10)
				rc = s_push(&o, '1', ch[k].from, ch[k].to) ||
				     s_push(&o, '0', ch[k].from, ch[k].to);
			else if (v >= 0)
				rc =
				    s_push(&o, (uint32_t)('0' + v), ch[k].from, ch[k].to);
			else
				rc = s_push(&o, ch[k].c, ch[k].from, ch[k].to);
			if (rc)
				return QF_ERR_NOMEM;
		}
		i = end;
	}
	return s_pass_end(&o);
}

/* ------------------------------------------------------------ pass 4: e-mail */

static int s_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? (int)(c + 32) : (int)c; }

static int s_local_char(uint32_t c)
{
	return s_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
	       c == '-';
}

/* Length of the ASCII word w (lower case) at ch[i], case-insensitively. */
static size_t s_ascii_at(const struct qf_norm_char *ch, size_t n, size_t i, const char *w)
{
	size_t k = 0;
	for (; w[k]; k++)
		if (i + k >= n || s_lower(ch[i + k].c) != w[k])
			return 0;
	return k;
}

/* An at-word ('@', (at), 艾特...) or a dot-word ('.', (dot), 点, 。) at
 * ch[i]: its length, or 0. */
static size_t s_word_at(const struct qf_norm_char *ch, size_t n, size_t i, int dot)
{
	static const char *const brackets[] = {"()", "[]", "{}", "<>"};
	uint32_t lit = dot ? '.' : '@';
	if (ch[i].c == lit)
		return 1;
	if (dot && ch[i].c == 0x3002) /* 。 */
		return 1;
	if (!dot && i + 1 < n && ch[i].c == 0x827E && ch[i + 1].c == 0x7279) /* 艾特 */
		return 2;
	if (dot && ch[i].c == 0x70B9) /* 点 */
		return 1;
	for (size_t b = 0; b < sizeof brackets / sizeof brackets[0]; b++) {
		if (ch[i].c != (uint32_t)brackets[b][0])
			continue;
		size_t l = s_ascii_at(ch, n, i + 1, dot ? "dot" : "at");
		if (l && i + 1 + l < n && ch[i + 1 + l].c == (uint32_t)brackets[b][1])
			return l + 2;
	}
	return 0;
}

/* A word of kind `dot` at ch[i] in an address, with an optional space
 * before (when prev_space) and after a bracketed word. Sets *end one past
 * what it covers. The word must be followed by an ASCII letter or digit. */
static int s_word_in_address(const struct qf_norm_char *ch, size_t n, size_t i, int dot,
			     size_t *end)
{
	size_t s = i;
	if (ch[s].c == ' ' && s + 1 < n)
		s++;
	size_t l = s_word_at(ch, n, s, dot);
	if (!l || (s > i && l < 3))
		return 0;
	size_t e = s + l;
	if (l >= 3 && e + 1 < n && ch[e].c == ' ')
		e++;
	if (e >= n || !s_ascii_alnum(ch[e].c))
		return 0;
	*end = e;
	return 1;
}

/* Does a local part continue from ch[i] to an at-word followed by a
 * domain? (for dot-words in the local part: xu(dot)zhiyuan(at)...) */
static int s_local_reaches_at(const struct qf_norm_char *ch, size_t n, size_t i)
{
	for (size_t k = i; k < n && k < i + 64;) {
		size_t e;
		if (s_word_in_address(ch, n, k, 0, &e))
			return 1;
		if (s_word_in_address(ch, n, k, 1, &e)) {
			k = e;
			continue;
		}
		if (!s_local_char(ch[k].c))
			return 0;
		k++;
	}
	return 0;
}

static int s_pass_email(struct qf_norm *nm)
{
	struct out o = {nm, 0, 0};
	const struct qf_norm_char *ch = nm->ch;
	size_t n = nm->n;
	int in_domain = 0;
	for (size_t i = 0; i < n;) {
		uint32_t prev = o.n ? nm->tmp[o.n - 1].c : 0;
		size_t e;
		uint32_t put = 0;
		if (s_local_char(prev) && s_word_in_address(ch, n, i, 0, &e)) {
			put = '@';
			in_domain = 1;
		} else if (s_ascii_alnum(prev) && s_word_in_address(ch, n, i, 1, &e) &&
			   (in_domain || s_local_reaches_at(ch, n, e))) {
			put = '.';
		} else if (!(in_domain && (s_ascii_alnum(ch[i].c) || ch[i].c == '-'))) {
			in_domain = 0;
		}
		if (put && (e > i + 1 || ch[i].c != put)) {
			if (s_push(&o, put, ch[i].from, ch[e - 1].to))
				return QF_ERR_NOMEM;
			o.changed = 1;
			i = e;
			continue;
		}
		if (s_push(&o, ch[i].c, ch[i].from, ch[i].to))
			return QF_ERR_NOMEM;
		i++;
	}
	return s_pass_end(&o);
}

/* ------------------------------------------------------------ pass 3: Han */

static int s_pass_join_han(struct qf_norm *nm)
{
	struct out o = {nm, 0, 0};
	const struct qf_norm_char *ch = nm->ch;
	size_t n = nm->n;
	for (size_t i = 0; i < n; i++) {
		if (ch[i].c == ' ' && o.n && qf_norm_is_han(nm->tmp[o.n - 1].c) &&
		    i + 1 < n && qf_norm_is_han(ch[i + 1].c))
			continue;
		if (s_push(&o, ch[i].c, ch[i].from, ch[i].to))
			return QF_ERR_NOMEM;
	}
	return s_pass_end(&o);
}

/* ------------------------------------------------------------ pass 5: numbers */

static int s_pass_join_numbers(struct qf_norm *nm)
{
	if (!nm->n)
		return 0;
	if (nm->n > nm->markcap) {
		uint8_t *m = realloc(nm->mark, nm->n);
		if (!m)
			return QF_ERR_NOMEM;
		nm->mark = m;
		nm->markcap = nm->n;
	}
	memset(nm->mark, 0, nm->n);
	struct qf_norm_num num;
	size_t at = 0;
	int any = 0;
	while (qf_norm_num_next(nm, &at, NULL, &num)) {
		size_t safe = qf_norm_num_safe(&num), k = 0;
		while (k < safe) {
			size_t len;
			if (!qf_norm_num_at(&num, k, &len)) {
				k++;
				continue;
			}
			/* drop what lies between the number's slots */
			for (size_t p = num.pos[k]; p < num.pos[k + len - 1]; p++)
				nm->mark[p] = 1;
			for (size_t s = k; s < k + len; s++)
				nm->mark[num.pos[s]] = 0;
			any |= num.pos[k + len - 1] - num.pos[k] + 1 > len;
			k += len;
		}
		if (safe < num.n)
			at = num.pos[qf_norm_num_resume(&num, k, 0)];
	}
	if (!any)
		return 0;
	struct out o = {nm, 0, 0};
	for (size_t i = 0; i < nm->n; i++)
		if (!nm->mark[i] && s_push(&o, nm->ch[i].c, nm->ch[i].from, nm->ch[i].to))
			return QF_ERR_NOMEM;
	return s_pass_end(&o);
}

/* ------------------------------------------------------------ public */

/* Which passes can change this text at all? Most texts have no numeral,
 * no space between Han characters and no address: one look at each
 * character spares copying the text three times. */
static unsigned s_needed(const struct qf_norm *nm, unsigned flags)
{
	unsigned need = flags & QF_NORM_JOIN_NUMBERS;
	const struct qf_norm_char *ch = nm->ch;
	for (size_t i = 0; i < nm->n && need != flags; i++) {
		uint32_t c = ch[i].c;
		if (c >= 0x2000 && s_numeral(c) >= 0)
			need |= QF_NORM_NUMERALS;
		else if (c == ' ' && i && i + 1 < nm->n && qf_norm_is_han(ch[i - 1].c) &&
			 qf_norm_is_han(ch[i + 1].c))
			need |= QF_NORM_JOIN_HAN;
		else if (c == '@' || c == 0x827E /* 艾 */ ||
			 (i + 1 < nm->n && strchr("([{<", (int)(c < 0x80 ? c : 1)) &&
			  (ch[i + 1].c | 32) == 'a'))
			need |= QF_NORM_EMAIL;
	}
	return need & flags;
}

/* One round of the optional passes: < 0 on error, else whether anything
 * changed. */
static int s_round(struct qf_norm *nm, unsigned flags)
{
	int rc, changed = 0;
	flags = s_needed(nm, flags);
	if ((flags & QF_NORM_NUMERALS) && (rc = s_pass_numerals(nm)) != 0) {
		if (rc < 0)
			return rc;
		changed = 1;
	}
	if ((flags & QF_NORM_JOIN_HAN) && (rc = s_pass_join_han(nm)) != 0) {
		if (rc < 0)
			return rc;
		changed = 1;
	}
	if ((flags & QF_NORM_JOIN_NUMBERS) && (rc = s_pass_join_numbers(nm)) != 0) {
		if (rc < 0)
			return rc;
		changed = 1;
	}
	if ((flags & QF_NORM_EMAIL) && (rc = s_pass_email(nm)) != 0) {
		if (rc < 0)
			return rc;
		changed = 1;
	}
	return changed;
}

int qf_norm_run(struct qf_norm *nm, const uint32_t *in, size_t n, unsigned flags)
{
	nm->n = 0;
	if (n > 0x7FFFFFFFu)
		return QF_ERR_TOOBIG;
	int rc = s_reserve(&nm->tmp, &nm->tmpcap, n + n / 4 + 16);
	if (!rc)
		rc = s_pass_nfkc(nm, in, n);
	/* a pass can enable another ("1艾特2一二三四五": the '@' joins a
	 * numeral run; joined digits complete an address): rounds until
	 * nothing changes, so normalising twice is normalising once. Each
	 * round only replaces or drops characters, so few are needed. */
	for (int round = 0; !rc && round < 8; round++) {
		rc = s_round(nm, flags);
		if (rc == 1 && round + 1 < 8) {
			rc = 0;
			continue;
		}
		break;
	}
	if (rc < 0) {
		nm->n = 0;
		return rc;
	}
	return 0;
}

void qf_norm_free(struct qf_norm *nm)
{
	free(nm->ch);
	free(nm->tmp);
	free(nm->mark);
	memset(nm, 0, sizeof *nm);
}

char *qf_norm_str(const char *s, size_t len, unsigned flags)
{
	uint32_t *cp = malloc((len + 1) * sizeof *cp);
	if (!cp)
		return NULL;
	size_t n = 0, i = 0;
	while (i < len) {
		uint32_t c = qf_norm_decode((const unsigned char *)s, len, &i);
		if (c)
			cp[n++] = c;
	}
	struct qf_norm nm = {0};
	char *out = NULL;
	if (qf_norm_run(&nm, cp, n, flags) == 0 && (out = malloc(nm.n * 4 + 1))) {
		size_t k = 0;
		for (size_t j = 0; j < nm.n; j++)
			if (nm.ch[j].c)
				k += qf_norm_encode(nm.ch[j].c, out + k);
		out[k] = '\0';
	}
	qf_norm_free(&nm);
	free(cp);
	return out;
}

/* ------------------------------------------------------------ numbers */

static int s_slot(uint32_t c) { return s_ascii_digit(c) || c == '*'; }

/* May an 'X' at ch[k] end an ID card after `slots` slots? */
static int s_check_x(const struct qf_norm_char *ch, size_t n, size_t k, size_t slots)
{
	return slots >= 17 && (ch[k].c == 'X' || ch[k].c == 'x') &&
	       !(k + 1 < n && s_ascii_alnum(ch[k + 1].c));
}

int qf_norm_num_next(const struct qf_norm *nm, size_t *at, const uint8_t *skip,
		     struct qf_norm_num *r)
{
	const struct qf_norm_char *ch = nm->ch;
	size_t n = nm->n;
#define FREE(k) (!skip || !skip[k])
	for (size_t i = *at; i < n; i++) {
		if (!s_ascii_digit(ch[i].c) || !FREE(i))
			continue;
		size_t k = i, last = 0;
		uint8_t gap = 0;
		r->n = 0;
		while (k < n && r->n < QF_NORM_NUM_MAX) {
			uint32_t c = ch[k].c;
			int x = FREE(k) && s_check_x(ch, n, k, r->n);
			if (FREE(k) && (s_slot(c) || x)) {
				r->slot[r->n] = x ? 'X' : (char)c;
				r->pos[r->n] = k;
				r->gap[r->n] = gap;
				if (c != '*')
					last = r->n;
				r->n++;
				gap = 0;
				k++;
				if (x)
					break;
				continue;
			}
			size_t g = 0;
			while (k + g < n && g < 4 && FREE(k + g) &&
			       qf_norm_is_sep(ch[k + g].c))
				g++;
			if (g == 0 || g > 3 || k + g >= n || !FREE(k + g) ||
			    !(s_slot(ch[k + g].c) || s_check_x(ch, n, k + g, r->n)))
				break;
			gap = (uint8_t)g;
			k += g;
		}
		r->cut = r->n == QF_NORM_NUM_MAX && k < n && FREE(k);
		r->n = last + 1; /* a run ends with a digit or X, never a star */
		r->slot[r->n] = '\0';
		r->gap[r->n] = 0;
		*at = r->pos[last] + 1;
		return 1;
	}
#undef FREE
	*at = n;
	return 0;
}

size_t qf_norm_num_safe(const struct qf_norm_num *r)
{
	return r->cut && r->n > QF_NORM_NUM_LONGEST ? r->n - QF_NORM_NUM_LONGEST : r->n;
}

size_t qf_norm_num_resume(const struct qf_norm_num *r, size_t k, size_t done)
{
	size_t g = k;
	while (g > done && !r->gap[g])
		g--;
	return r->gap[g] || (g > 0 && g == done) ? g : k;
}

static int s_group_start(const struct qf_norm_num *r, size_t k)
{
	return k == 0 || r->gap[k] > 0;
}

static int s_group_end(const struct qf_norm_num *r, size_t e)
{
	return e == r->n || r->gap[e] > 0;
}

/* Slots [k, k+len) are digits or stars (no gap check). */
static int s_hidden_digits(const struct qf_norm_num *r, size_t k, size_t len)
{
	for (size_t i = k; i < k + len; i++)
		if (!s_slot((unsigned char)r->slot[i]))
			return 0;
	return 1;
}

/* Slots [k, k+len) are the literal prefix p inside one group that starts
 * at k. */
static int s_prefix(const struct qf_norm_num *r, size_t k, const char *p)
{
	size_t len = strlen(p);
	if (!s_group_start(r, k) || k + len > r->n || memcmp(r->slot + k, p, len))
		return 0;
	for (size_t i = k + 1; i <= k + len; i++)
		if (r->gap[i])
			return 0;
	return 1;
}

/* The first two digits of an ID card: a province-level region (stars, a
 * masked region, pass). "86" never is, so +86 is not read as an ID. */
static int s_id_region(const char *s)
{
	static const char *const regions[] = {
	    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
	    "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
	    "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"};
	if (s[0] < '1' || s[0] > '9')
		return 0;
	if (s[1] == '*')
		return 1;
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
		if (s[0] == regions[i][0] && s[1] == regions[i][1])
			return 1;
	return 0;
}

enum qf_norm_kind qf_norm_num_at(const struct qf_norm_num *r, size_t k, size_t *len)
{
	const char *s = r->slot;
	int start = s_group_start(r, k);
	if (start && k + 18 <= r->n && s_id_region(s + k) &&
	    s_hidden_digits(r, k + 1, 16) &&
	    (s_slot((unsigned char)s[k + 17]) || s[k + 17] == 'X') &&
	    s_group_end(r, k + 18)) {
		*len = 18;
		return QF_NORM_IDCARD;
	}
	int prefixed = (k >= 2 && s_prefix(r, k - 2, "86")) ||
		       (k >= 4 && s_prefix(r, k - 4, "0086"));
	if ((start || prefixed) && k + 11 <= r->n && s[k] == '1' && s[k + 1] >= '3' &&
	    s[k + 1] <= '9' && s_hidden_digits(r, k + 2, 9) && s_group_end(r, k + 11)) {
		*len = 11;
		return QF_NORM_MOBILE;
	}
	return QF_NORM_NONE;
}
