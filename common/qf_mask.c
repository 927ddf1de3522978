/* qf_mask.c: personal data masking on Unicode code points (qf_mask.h).
 *
 * Text is decoded once into code points, each rule marks what it masks in
 * a parallel array, and the result is encoded again. Working on code points
 * (not bytes) is what makes full-width digits, Chinese numerals and names
 * inside Chinese text tractable, and the final encode guarantees valid
 * UTF-8 whatever came in. */
#include "qf_mask.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHARS_DEFAULT 8000

/* ------------------------------------------------------------ UTF-8 */

/* Decode one code point at s[*i] (n bytes); invalid sequences give U+FFFD
 * and advance one byte. */
static uint32_t s_decode(const unsigned char *s, size_t n, size_t *i)
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

static size_t s_encode(uint32_t cp, char *out)
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

/* Characters never published: C0/C1 controls except tab and newline,
 * bidirectional overrides and isolates (they reorder what readers see),
 * zero-width characters used to split numbers past a filter. */
static int s_dropped(uint32_t cp)
{
	if (cp == '\n' || cp == '\t')
		return 0;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return 1;
	if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200E || cp == 0x200F || cp == 0x061C)
		return 1;
	if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF)
		return 1;
	return 0;
}

struct text {
	uint32_t *cp;
	uint32_t *out; /* replacement per position: 0 keep, else the char */
	size_t n;
};

static int s_text_load(struct text *t, const char *s, size_t len, size_t max)
{
	t->n = 0;
	t->cp = malloc((len + 1) * sizeof *t->cp);
	t->out = calloc(len + 1, sizeof *t->out);
	if (!t->cp || !t->out) {
		free(t->cp);
		free(t->out);
		return -1;
	}
	size_t i = 0;
	while (i < len && t->n < max) {
		uint32_t c = s_decode((const unsigned char *)s, len, &i);
		if (c == 0)
			continue;
		if (c == '\r') /* CRLF and lone CR become LF */
			c = '\n';
		if (c == '\n' && t->n && t->cp[t->n - 1] == '\n' && i >= 2 &&
		    s[i - 2] == '\r')
			continue;
		if (s_dropped(c))
			continue;
		t->cp[t->n++] = c;
	}
	return 0;
}

static char *s_text_emit(struct text *t)
{
	char *o = malloc(t->n * 4 + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		uint32_t c = t->out[i] ? t->out[i] : t->cp[i];
		if (c == 0xFFFFFFFFu) /* deleted */
			continue;
		k += s_encode(c, o + k);
	}
	o[k] = '\0';
	return o;
}

/* ------------------------------------------------------------ classes */

/* Digit value of a code point, or -1: ASCII, full-width, Chinese numerals
 * (〇零一二三四五六七八九 and 幺, the spoken "one" of phone numbers). */
static int s_digit(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 0xFF10 && c <= 0xFF19)
		return (int)(c - 0xFF10);
	switch (c) {
	case 0x3007:
	case 0x96F6:
		return 0; /* 〇 零 */
	case 0x4E00:
	case 0x5E7A:
		return 1; /* 一 幺 */
	case 0x4E8C:
		return 2; /* 二 */
	case 0x4E09:
		return 3; /* 三 */
	case 0x56DB:
		return 4; /* 四 */
	case 0x4E94:
		return 5; /* 五 */
	case 0x516D:
		return 6; /* 六 */
	case 0x4E03:
		return 7; /* 七 */
	case 0x516B:
		return 8; /* 八 */
	case 0x4E5D:
		return 9; /* 九 */
	default:
		return -1;
	}
}

static int s_ascii_digit(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19);
}

static int s_chinese_numeral(uint32_t c) { return s_digit(c) >= 0 && !s_ascii_digit(c); }

/* Separators allowed between digit groups of one number. */
static int s_num_sep(uint32_t c)
{
	return c == ' ' || c == '-' || c == 0x3000 || c == 0xFF0D || c == 0x00A0 ||
	       c == 0x2010 || c == 0x2011 || c == 0x2012 || c == 0x2013;
}

static int s_han(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}

static uint32_t s_fold(uint32_t c)
{
	/* full-width ASCII variants to ASCII */
	if (c >= 0xFF01 && c <= 0xFF5E)
		return c - 0xFF01 + 0x21;
	return c;
}

static int s_email_local(uint32_t c)
{
	c = s_fold(c);
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '%' || c == '+' ||
	       c == '-';
}

static int s_email_domain(uint32_t c)
{
	c = s_fold(c);
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int s_alpha(uint32_t c)
{
	c = s_fold(c);
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ------------------------------------------------------------ numbers */

static int s_allowed(const struct qf_mask_opts *o, const char *digits)
{
	for (unsigned i = 0; o && i < o->nallow; i++)
		if (o->allow[i] && strcmp(o->allow[i], digits) == 0)
			return 1;
	return 0;
}

/* Mask the digits at positions pos[0..nd) keeping `head` first and `tail`
 * last digits. */
static void s_mask_digits(struct text *t, const size_t *pos, size_t nd, size_t head,
			  size_t tail)
{
	for (size_t k = 0; k < nd; k++)
		if (k >= head && k + tail < nd)
			t->out[pos[k]] = '*';
}

/* Find numbers; returns -1 on allocation failure. */
static int s_numbers(struct text *t, const struct qf_mask_opts *o)
{
	size_t *pos = malloc((t->n + 1) * sizeof *pos);
	char *digits = malloc(t->n + 2);
	if (!pos || !digits) {
		free(pos);
		free(digits);
		return -1;
	}
	size_t i = 0;
	while (i < t->n) {
		if (t->out[i] || s_digit(t->cp[i]) < 0) {
			i++;
			continue;
		}
		/* a Chinese numeral run counts only when it is all numerals
		 * (一二三... inside words is not a number) */
		int chinese = s_chinese_numeral(t->cp[i]);
		size_t nd = 0, groups = 1, glen[8] = {0}, j = i, end = i;
		int only_dash = 1;
		while (j < t->n) {
			uint32_t c = t->cp[j];
			if (s_digit(c) >= 0 && !t->out[j] &&
			    (s_chinese_numeral(c) == chinese)) {
				pos[nd] = j;
				digits[nd++] = (char)('0' + s_digit(c));
				if (groups <= 8)
					glen[groups - 1]++;
				end = ++j;
				continue;
			}
			if (s_num_sep(c) && j + 1 < t->n && s_digit(t->cp[j + 1]) >= 0 &&
			    s_chinese_numeral(t->cp[j + 1]) == chinese && nd) {
				if (c != '-' && c != 0xFF0D)
					only_dash = 0;
				groups++;
				j++;
				continue;
			}
			break;
		}
		digits[nd] = '\0';
		/* an ID card's check character X follows 17 digits */
		int id_x = 0;
		if (nd == 17 && end < t->n &&
		    (s_fold(t->cp[end]) == 'X' || s_fold(t->cp[end]) == 'x')) {
			id_x = 1;
			pos[nd] = end;
			end++;
		}
		int date = groups == 3 && only_dash && glen[0] == 4 && glen[1] >= 1 &&
			   glen[1] <= 2 && glen[2] >= 1 && glen[2] <= 2;
		size_t total = nd + (size_t)id_x;
		if (chinese && nd < 7) {
			i = end;
			continue;
		}
		if (total >= 7 && !date && !s_allowed(o, digits)) {
			if (id_x || total == 18 || (total == 15 && digits[0] != '1'))
				s_mask_digits(t, pos, total, 3, 1); /* ID card */
			else if (total >= 11)
				s_mask_digits(t, pos, total, 3, 4);
			else
				s_mask_digits(t, pos, total, 2, 2);
		}
		i = end;
	}
	free(pos);
	free(digits);
	return 0;
}

/* ------------------------------------------------------------ e-mail */

/* Output markers in text.out (beside plain replacement characters). */
#define M_DEL	 0xFFFFFFFFu /* drop this character */
#define M_STARS3 0xFFFFFFFEu /* keep this character, then "***" */
#define M_STARS2 0xFFFFFFFBu /* replace by "**" */
#define M_KEEP	 0xFFFFFFFCu /* keep, and no later rule may touch it */

static void s_emails(struct text *t)
{
	for (size_t at = 0; at < t->n; at++) {
		if (s_fold(t->cp[at]) != '@' || t->out[at])
			continue;
		size_t l = at;
		while (l > 0 && s_email_local(t->cp[l - 1]) && !t->out[l - 1])
			l--;
		size_t r = at + 1;
		while (r < t->n && s_email_domain(t->cp[r]))
			r++;
		while (r > at + 1 && s_fold(t->cp[r - 1]) == '.') /* sentence dot */
			r--;
		size_t lastdot = 0;
		for (size_t k = at + 1; k < r; k++)
			if (s_fold(t->cp[k]) == '.')
				lastdot = k;
		if (l == at || !lastdot || lastdot == at + 1 || r - lastdot < 3)
			continue;
		int tld_ok = 1;
		for (size_t k = lastdot + 1; k < r; k++)
			tld_ok &= s_alpha(t->cp[k]);
		if (!tld_ok)
			continue;
		/* x***@e***.com */
		t->out[l] = M_STARS3;
		for (size_t k = l + 1; k < at; k++)
			t->out[k] = M_DEL;
		t->out[at] = M_KEEP;
		t->out[at + 1] = M_STARS3;
		for (size_t k = at + 2; k < lastdot; k++)
			t->out[k] = M_DEL;
		for (size_t k = lastdot; k < r; k++)
			t->out[k] = M_KEEP;
		at = r - 1;
	}
}

/* ------------------------------------------------------------ names */

static const char s_surnames[] =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹"
    "薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易"
    "乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓"
    "古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬"
    "师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
static const char *const s_compound[] = {"欧阳", "司马", "诸葛", "上官", "东方",
					 "皇甫", "尉迟", "公孙", "慕容", "长孙",
					 "宇文", "司徒", "夏侯", "令狐", NULL};
/* strong cues: a name follows */
static const char *const s_strong[] = {"我叫",	 "本人",   "姓名",   "名叫",   "名字是",
				       "名字叫", "联系人", "报告人", "反映人", "举报人",
				       "诉求人", "当事人", "签名",   "署名",   "户主",
				       "申请人", NULL};
/* weak cues: a name may follow; only the petitioner's known surname */
static const char *const s_weak[] = {"我是", "联系", "致电", "回访", "通知", "告知",
				     "电话", "询问", "约见", "走访", "业主", "住户",
				     "居民", "租户", "老人", "是",   NULL};
/* characters that end a given name early ("张伟在3栋": 在 is not a name) */
static const char s_stop[] =
    "的在住是和与及等说家了先女同电手联打向给对把被从到也都就还要让请为称号栋楼单元"
    "室户反映表示称讲去来过已于将把这那您你我他她们不没很再又";
static const char s_name_seps[] = "：:，, 　是为";

static const char *const *s_fixed_sets(void)
{
	static const char *const sets[3] = {s_surnames, s_stop, s_name_seps};
	return sets;
}

static uint32_t s_first_cp(const char *s, size_t *bytes)
{
	size_t i = 0, n = strlen(s);
	uint32_t c = n ? s_decode((const unsigned char *)s, n, &i) : 0;
	if (bytes)
		*bytes = i;
	return c;
}

/* True if c occurs in the UTF-8 set string (slow path: decode the set). */
static int s_in_set_slow(const char *set, uint32_t c)
{
	size_t i = 0, n = strlen(set);
	while (i < n)
		if (s_decode((const unsigned char *)set, n, &i) == c)
			return 1;
	return 0;
}

/* The fixed sets as bitmaps over the Basic Multilingual Plane, built once:
 * membership is tested at every position of every text, so decoding the set
 * string each time dominated intake's profile. */
static const char *const *s_fixed_sets(void);
static uint8_t s_bits[3][0x10000 / 8];
static pthread_once_t s_bits_once = PTHREAD_ONCE_INIT;

static void s_bits_build(void)
{
	const char *const *sets = s_fixed_sets();
	for (int k = 0; k < 3; k++) {
		size_t i = 0, n = strlen(sets[k]);
		while (i < n) {
			uint32_t c = s_decode((const unsigned char *)sets[k], n, &i);
			if (c < 0x10000)
				s_bits[k][c >> 3] |= (uint8_t)(1u << (c & 7));
		}
	}
}

static int s_in_set(const char *set, uint32_t c)
{
	const char *const *sets = s_fixed_sets();
	for (int k = 0; k < 3; k++)
		if (set == sets[k]) {
			if (c >= 0x10000)
				return s_in_set_slow(set, c);
			pthread_once(&s_bits_once, s_bits_build);
			return (s_bits[k][c >> 3] >> (c & 7)) & 1;
		}
	return s_in_set_slow(set, c);
}

/* A word as code points. The cue and compound-surname tables are decoded
 * once (they are tested at every position of every text: decoding them each
 * time was most of intake's masking cost), the petitioner's surname once per
 * text. */
struct word {
	uint32_t cp[8];
	size_t n;
};

static void s_word_load(struct word *w, const char *s)
{
	size_t i = 0, n = s ? strlen(s) : 0;
	w->n = 0;
	while (i < n && w->n < sizeof w->cp / sizeof w->cp[0])
		w->cp[w->n++] = s_decode((const unsigned char *)s, n, &i);
	if (i < n)
		w->n = 0; /* longer than any name: never matches */
}

/* Does word w occur at code point position p? Returns its length in code
 * points, or 0. */
static size_t s_word_at(const struct text *t, size_t p, const struct word *w)
{
	if (!w->n || p + w->n > t->n || t->cp[p] != w->cp[0])
		return 0;
	for (size_t k = 1; k < w->n; k++)
		if (t->cp[p + k] != w->cp[k])
			return 0;
	return w->n;
}

#define NCOMPOUND (sizeof s_compound / sizeof s_compound[0] - 1)
#define NSTRONG	  (sizeof s_strong / sizeof s_strong[0] - 1)
#define NWEAK	  (sizeof s_weak / sizeof s_weak[0] - 1)
static struct word s_compound_w[NCOMPOUND], s_strong_w[NSTRONG], s_weak_w[NWEAK];
static uint8_t s_cue_first[0x10000 / 8]; /* first characters of every cue */
static pthread_once_t s_words_once = PTHREAD_ONCE_INIT;

static void s_cue_mark(uint32_t c)
{
	if (c < 0x10000)
		s_cue_first[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static void s_words_build(void)
{
	for (size_t i = 0; i < NCOMPOUND; i++)
		s_word_load(&s_compound_w[i], s_compound[i]);
	for (size_t i = 0; i < NSTRONG; i++) {
		s_word_load(&s_strong_w[i], s_strong[i]);
		s_cue_mark(s_strong_w[i].cp[0]);
	}
	for (size_t i = 0; i < NWEAK; i++) {
		s_word_load(&s_weak_w[i], s_weak[i]);
		s_cue_mark(s_weak_w[i].cp[0]);
	}
}

static int s_cue_may_start(uint32_t c)
{
	return c < 0x10000 && (s_cue_first[c >> 3] >> (c & 7)) & 1;
}

/* Length in code points of a surname at p (1 or 2), or 0. `known`: only
 * the petitioner's surname counts. */
static size_t s_surname_at(const struct text *t, size_t p, const struct word *known,
			   int any)
{
	size_t l = s_word_at(t, p, known);
	if (l)
		return l;
	if (!any || p >= t->n)
		return 0;
	for (size_t i = 0; i < NCOMPOUND; i++) {
		size_t l = s_word_at(t, p, &s_compound_w[i]);
		if (l)
			return l;
	}
	return s_in_set(s_surnames, t->cp[p]) ? 1 : 0;
}

static int s_free_at(const struct text *t, size_t p) { return p < t->n && !t->out[p]; }

/* Given name after a surname ending at p: 1 or 2 Han characters, stopping
 * at a stop character. Returns its length (0: no name). */
static size_t s_given(const struct text *t, size_t p)
{
	size_t k = 0;
	while (k < 2 && s_free_at(t, p + k) && s_han(t->cp[p + k]) &&
	       !s_in_set(s_stop, t->cp[p + k]))
		k++;
	return k;
}

static void s_name_hash(const struct text *t, size_t p, size_t len,
			const unsigned char *key, unsigned char out[QF_MASK_HASH])
{
	char u[64];
	size_t k = 0;
	for (size_t i = 0; i < len && k + 4 < sizeof u; i++)
		k += s_encode(t->cp[p + i], u + k);
	crypto_generichash(out, QF_MASK_HASH, (const unsigned char *)u, k, key, 32);
}

static int s_name_known(const struct qf_mask_names *nm, const unsigned char h[QF_MASK_HASH])
{
	for (unsigned i = 0; i < nm->n; i++)
		if (!memcmp(nm->hash[i], h, QF_MASK_HASH))
			return 1;
	return 0;
}

/* Remember the name at p (surname + given name) in nm. */
static void s_learn(const struct text *t, size_t p, size_t len, struct qf_mask_names *nm)
{
	if (!nm || !nm->key || len < 2 || len > 4)
		return;
	unsigned char h[QF_MASK_HASH];
	s_name_hash(t, p, len, nm->key, h);
	if (s_name_known(nm, h) || nm->n >= nm->cap)
		return;
	memcpy(nm->hash[nm->n++], h, QF_MASK_HASH);
	nm->learned++;
}

static void s_mask_name_at(struct text *t, size_t p, size_t sl, size_t gl)
{
	/* surname kept, given name replaced by exactly two stars */
	t->out[p + sl] = M_STARS2;
	for (size_t k = 1; k < gl; k++)
		t->out[p + sl + k] = M_DEL;
	for (size_t k = 0; k < sl; k++)
		t->out[p + k] = M_KEEP;
}

static int s_boundary(const struct text *t, size_t p)
{
	if (p >= t->n)
		return 1;
	uint32_t c = t->cp[p];
	return !s_han(c) || s_digit(c) >= 0 || s_in_set(s_stop, c) ||
	       c == 0x5148 /* 先(生) */;
}

static void s_names(struct text *t, const char *known_s, struct qf_mask_names *nm)
{
	struct word known;
	s_word_load(&known, known_s);
	for (size_t i = 0; i < t->n; i++) {
		if (t->out[i])
			continue;
		int strong = 0;
		size_t cl = 0;
		if (s_cue_may_start(t->cp[i])) {
			for (size_t k = 0; k < NSTRONG && !cl; k++)
				if ((cl = s_word_at(t, i, &s_strong_w[k])))
					strong = 1;
			for (size_t k = 0; k < NWEAK && !cl; k++)
				cl = s_word_at(t, i, &s_weak_w[k]);
		}
		if (cl) {
			size_t p = i + cl;
			while (p < t->n && s_in_set(s_name_seps, t->cp[p]) &&
			       p < i + cl + 2)
				p++;
			size_t sl = s_surname_at(t, p, &known, strong);
			size_t gl = sl ? s_given(t, p + sl) : 0;
			if (sl && gl) {
				s_learn(t, p, sl + gl, nm);
				s_mask_name_at(t, p, sl, gl);
				i = p + sl + gl - 1;
				continue;
			}
		}
		/* the petitioner's surname + given name + boundary, anywhere */
		if (known.n &&
		    (i == 0 || !s_han(t->cp[i - 1]) || s_in_set(s_stop, t->cp[i - 1]))) {
			size_t sl = s_word_at(t, i, &known);
			size_t gl = sl ? s_given(t, i + sl) : 0;
			if (sl && gl && s_boundary(t, i + sl + gl)) {
				s_learn(t, i, sl + gl, nm);
				s_mask_name_at(t, i, sl, gl);
				i += sl + gl - 1;
			}
		}
	}
}

/* Names learned earlier, wherever they stand (longest first). */
static void s_known_names(struct text *t, const struct qf_mask_names *nm)
{
	if (!nm || !nm->key || !nm->n)
		return;
	for (size_t i = 0; i < t->n; i++) {
		if (t->out[i] || !s_han(t->cp[i]))
			continue;
		for (size_t len = 4; len >= 2; len--) {
			if (i + len > t->n)
				continue;
			int ok = 1;
			for (size_t k = 0; k < len && ok; k++)
				ok = !t->out[i + k] && s_han(t->cp[i + k]);
			if (!ok)
				continue;
			unsigned char h[QF_MASK_HASH];
			s_name_hash(t, i, len, nm->key, h);
			if (!s_name_known(nm, h))
				continue;
			size_t sl = 1;
			for (size_t c = 0; c < NCOMPOUND; c++)
				if (s_word_at(t, i, &s_compound_w[c]) == 2 && len > 2)
					sl = 2;
			s_mask_name_at(t, i, sl, len - sl);
			i += len - 1;
			break;
		}
	}
}

/* ------------------------------------------------------------ public */

static char *s_emit_masked(struct text *t)
{
	char *o = malloc(t->n * 7 + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		uint32_t m = t->out[i];
		if (m == 0 || m == M_KEEP) {
			k += s_encode(t->cp[i], o + k);
		} else if (m == M_STARS3) {
			k += s_encode(t->cp[i], o + k);
			memcpy(o + k, "***", 3);
			k += 3;
		} else if (m == M_STARS2) {
			memcpy(o + k, "**", 2);
			k += 2;
		} else if (m != M_DEL) {
			k += s_encode(m, o + k);
		}
	}
	o[k] = '\0';
	return o;
}

/* One pass of every rule. */
static char *s_pass(const char *s, size_t len, const struct qf_mask_opts *o, size_t max)
{
	struct text t;
	pthread_once(&s_words_once, s_words_build);
	if (s_text_load(&t, s, len, max))
		return NULL;
	s_emails(&t);
	char *res = NULL;
	if (s_numbers(&t, o) == 0) {
		s_names(&t, o ? o->surname : NULL, o ? o->names : NULL);
		s_known_names(&t, o ? o->names : NULL);
		res = s_emit_masked(&t);
	}
	free(t.cp);
	free(t.out);
	return res;
}

char *qf_mask_text(const char *s, size_t len, const struct qf_mask_opts *o)
{
	size_t max = o && o->max_chars ? o->max_chars : MAX_CHARS_DEFAULT;
	if (!s) {
		s = "";
		len = 0;
	}
	/* repeat until nothing changes: a mask can uncover another match (two
	 * addresses sharing characters), and the result must be a fixpoint so
	 * that masking stored text again is harmless */
	char *cur = s_pass(s, len, o, max);
	/* a pass that changed nothing learned nothing (names are learned only
	   where they are masked): the next pass would give the same text */
	if (cur && strlen(cur) == len && !memcmp(cur, s, len))
		return cur;
	for (int i = 0; cur && i < 4; i++) {
		char *next = s_pass(cur, strlen(cur), o, max);
		if (!next || !strcmp(next, cur)) {
			free(next);
			break;
		}
		free(cur);
		cur = next;
	}
	return cur;
}

char *qf_mask_clean(const char *s, size_t len, size_t max_chars)
{
	struct text t;
	if (!s) {
		s = "";
		len = 0;
	}
	if (s_text_load(&t, s, len, max_chars ? max_chars : MAX_CHARS_DEFAULT))
		return NULL;
	char *res = s_text_emit(&t);
	free(t.cp);
	free(t.out);
	return res;
}

void qf_mask_surname(const char *name, char *out, size_t n)
{
	out[0] = '\0';
	if (!name || !*name || n < 16)
		return;
	for (int i = 0; s_compound[i]; i++) {
		size_t l = strlen(s_compound[i]);
		if (strncmp(name, s_compound[i], l) == 0) {
			memcpy(out, name, l);
			out[l] = '\0';
			return;
		}
	}
	size_t b;
	uint32_t c = s_first_cp(name, &b);
	if (!s_han(c) || c == 0x533F /* 匿(名) */)
		return;
	memcpy(out, name, b);
	out[b] = '\0';
}

void qf_mask_name(const char *name, int anonymous, char *out, size_t n)
{
	static const char anon[] = "匿名";
	if (n < 16) {
		if (n)
			out[0] = '\0';
		return;
	}
	size_t b = 0;
	uint32_t c = name ? s_first_cp(name, &b) : 0;
	if (anonymous || !c || !(s_han(c) || s_alpha(c)) ||
	    (strncmp(name, anon, sizeof anon - 1) == 0)) {
		memcpy(out, anon, sizeof anon);
		return;
	}
	char sur[16];
	qf_mask_surname(name, sur, sizeof sur);
	size_t l = sur[0] ? strlen(sur) : b;
	memcpy(out, name, l);
	memcpy(out + l, "**", 3);
}

void qf_mask_phone(const char *phone, char *out, size_t n)
{
	/* keep the digit and star positions of the input; other characters
	 * (spaces, dashes, +86) are dropped */
	char d[40];
	size_t nd = 0, i = 0, len = phone ? strlen(phone) : 0;
	while (i < len && nd < sizeof d - 1) {
		uint32_t c = s_decode((const unsigned char *)phone, len, &i);
		if (s_ascii_digit(c))
			d[nd++] = (char)('0' + s_digit(c));
		else if (c == '*' || c == 0xFF0A)
			d[nd++] = '*';
	}
	d[nd] = '\0';
	/* +86 / 86 prefix before a mobile number */
	if (nd == 13 && d[0] == '8' && d[1] == '6' && d[2] == '1') {
		memmove(d, d + 2, 12);
		nd = 11;
	}
	size_t head = 0, tail = 0;
	if (nd >= 11) {
		head = 3;
		tail = 4;
	} else if (nd >= 7) {
		head = 2;
		tail = 2;
	}
	for (size_t k = 0; k < nd; k++)
		if (k >= head && k + tail < nd)
			d[k] = '*';
	if (n) {
		size_t l = nd < n - 1 ? nd : n - 1;
		memcpy(out, d, l);
		out[l] = '\0';
	}
}
