/* qf_mask.c: personal data masking on Unicode code points (qf_mask.h).
 *
 * The text is decoded and cleaned once: that is the basis of the output.
 * It is then normalised with qf_norm for detection (one normaliser for the
 * masker, the spam filter and the privacy scanner), and every rule finds
 * what to mask in the normalised text and records a replacement for the
 * ORIGINAL code points it came from (qf_norm keeps that map). The output is
 * the cleaned original with those ranges replaced: the text as the resident
 * wrote it, only the personal parts changed. A masked number is written in
 * one canonical ASCII form (138****5678) whatever script, grouping and
 * invisible characters it had, so none of its digits other than the kept
 * ones survives in any script. */
#include "qf_mask.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>

#include "qf_names.h"
#include "qf_norm.h"

#define MAX_CHARS_DEFAULT 8000
/* code points read past max_chars, so that a number or an address cut by
 * the limit is still recognised (and masked) whole before the cut */
#define LOOKAHEAD 128
/* what the masker normalises (JOIN_NUMBERS would hide the groups) */
#define MASK_NORM (QF_NORM_NUMERALS | QF_NORM_EMAIL | QF_NORM_JOIN_HAN)

/* ------------------------------------------------------------ text */

/* Characters never published: C0/C1 controls except tab and newline, and
 * format characters (Cf): bidirectional overrides and isolates reorder what
 * readers see, zero-width and soft hyphens split numbers past a filter. */
static int s_dropped(uint32_t cp)
{
	if (cp == '\n' || cp == '\t')
		return 0;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return 1;
	return cp >= 0xAD && uc_is_general_category(cp, UC_CATEGORY_Cf);
}

struct text {
	uint32_t *cp; /* cleaned input code points */
	size_t n;
};

static int s_text_load(struct text *t, const char *s, size_t len, size_t max)
{
	t->n = 0;
	t->cp = malloc((len + 1) * sizeof *t->cp);
	if (!t->cp)
		return -1;
	size_t i = 0;
	while (i < len && t->n < max) {
		uint32_t c = qf_norm_decode((const unsigned char *)s, len, &i);
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

static char *s_encode_all(const uint32_t *cp, size_t n)
{
	char *o = malloc(n * 4 + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += qf_norm_encode(cp[i], o + k);
	o[k] = '\0';
	return o;
}

/* ------------------------------------------------------------ replacements */

/* Original code points [from, to) are replaced by pool[off, off+len). */
struct rep {
	size_t from, to, off, len;
};

/* One masking pass over one text. */
struct mask {
	struct text t;
	struct qf_norm nm; /* normalised t, for detection */
	uint8_t *used;	   /* per normalised position: taken by a rule */
	struct rep *rep;   /* replacements, in no particular order */
	size_t nrep, repcap;
	uint32_t *pool; /* their text */
	size_t npool, poolcap;
	const struct qf_mask_opts *o;
	int nomem;
};

static int s_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Replace original code points [from, to) by r[0..len). */
static void s_replace_orig(struct mask *m, size_t from, size_t to, const uint32_t *r,
			   size_t len)
{
	if (s_grow((void **)&m->rep, &m->repcap, m->nrep + 1, sizeof *m->rep) ||
	    s_grow((void **)&m->pool, &m->poolcap, m->npool + len, sizeof *m->pool)) {
		m->nomem = 1;
		return;
	}
	if (len)
		memcpy(m->pool + m->npool, r, len * sizeof *r);
	m->rep[m->nrep++] = (struct rep){from, to, m->npool, len};
	m->npool += len;
}

/* Replace what normalised positions [a, b] (inclusive) came from by
 * r[0..len), and mark them used. */
static void s_replace(struct mask *m, size_t a, size_t b, const uint32_t *r, size_t len)
{
	for (size_t k = a; k <= b; k++)
		m->used[k] = 1;
	s_replace_orig(m, m->nm.ch[a].from, m->nm.ch[b].to, r, len);
}

static int s_rep_cmp(const void *x, const void *y)
{
	const struct rep *a = x, *b = y;
	return a->from < b->from ? -1 : a->from > b->from;
}

/* The cleaned original with every replacement applied, cut after max
 * code points. Overlapping replacements are clipped (each original code
 * point is replaced at most once, and never shown). */
static char *s_emit(struct mask *m, size_t max)
{
	if (m->nrep)
		qsort(m->rep, m->nrep, sizeof *m->rep, s_rep_cmp);
	uint32_t *out = malloc((m->t.n + m->npool + 1) * sizeof *out);
	if (!out)
		return NULL;
	size_t k = 0, r = 0, i = 0;
	while (i < m->t.n && k < max) {
		while (r < m->nrep && m->rep[r].to <= i)
			r++;
		if (r < m->nrep && m->rep[r].from <= i) {
			const struct rep *p = &m->rep[r];
			for (size_t j = 0; j < p->len && k < max; j++)
				out[k++] = m->pool[p->off + j];
			i = p->to;
			r++;
			continue;
		}
		out[k++] = m->t.cp[i++];
	}
	char *s = s_encode_all(out, k);
	free(out);
	return s;
}

/* ------------------------------------------------------------ e-mail */

static int s_ascii_alpha(uint32_t c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }

static int s_ascii_alnum(uint32_t c)
{
	return s_ascii_alpha(c) || (c >= '0' && c <= '9');
}

static int s_email_local(uint32_t c)
{
	return s_ascii_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' ||
	       c == '-';
}

static int s_email_domain(uint32_t c) { return s_ascii_alnum(c) || c == '.' || c == '-'; }

/* x***@e***.com: the first character of the local part and of the domain,
 * and the top-level domain, are kept. */
static void s_email_mask(struct mask *m, size_t l, size_t at, size_t lastdot, size_t r)
{
	const struct qf_norm_char *ch = m->nm.ch;
	uint32_t rep[64];
	size_t n = 0;
	rep[n++] = ch[l].c;
	for (int k = 0; k < 3; k++)
		rep[n++] = '*';
	rep[n++] = '@';
	rep[n++] = ch[at + 1].c;
	for (int k = 0; k < 3; k++)
		rep[n++] = '*';
	for (size_t k = lastdot; k < r && n < sizeof rep / sizeof rep[0]; k++)
		rep[n++] = ch[k].c;
	s_replace(m, l, r - 1, rep, n);
}

static void s_emails(struct mask *m)
{
	const struct qf_norm_char *ch = m->nm.ch;
	size_t n = m->nm.n;
	for (size_t at = 0; at < n; at++) {
		if (ch[at].c != '@' || m->used[at])
			continue;
		size_t l = at;
		while (l > 0 && s_email_local(ch[l - 1].c) && !m->used[l - 1])
			l--;
		size_t r = at + 1;
		while (r < n && s_email_domain(ch[r].c) && !m->used[r])
			r++;
		while (r > at + 1 && ch[r - 1].c == '.') /* sentence dot */
			r--;
		size_t lastdot = 0;
		for (size_t k = at + 1; k < r; k++)
			if (ch[k].c == '.')
				lastdot = k;
		if (l == at || !lastdot || lastdot == at + 1 || r - lastdot < 3 ||
		    r - lastdot > 24)
			continue;
		int tld_ok = 1;
		for (size_t k = lastdot + 1; k < r; k++)
			tld_ok &= s_ascii_alpha(ch[k].c);
		if (!tld_ok)
			continue;
		s_email_mask(m, l, at, lastdot, r);
		at = r - 1;
	}
}

/* ------------------------------------------------------------ numbers */

static int s_allowed(const struct qf_mask_opts *o, const char *digits, size_t len)
{
	for (unsigned i = 0; o && i < o->nallow; i++)
		if (o->allow[i] && strlen(o->allow[i]) == len &&
		    !memcmp(o->allow[i], digits, len))
			return 1;
	return 0;
}

/* Opening bracket matching a closing one, or 0. */
static uint32_t s_opener(uint32_t c)
{
	static const uint32_t pairs[][2] = {
	    {'(', ')'}, {'[', ']'}, {0x3010, 0x3011}, {0x3014, 0x3015}, {0x3008, 0x3009}};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (pairs[i][1] == c)
			return pairs[i][0];
	return 0;
}

/* Normalised start of a number at a: one earlier when the number holds a
 * closing bracket whose opener stands right before it ("(138)1234 5678"
 * masks as one piece). */
static size_t s_bracket_start(const struct mask *m, size_t a, size_t b)
{
	const struct qf_norm_char *ch = m->nm.ch;
	for (size_t k = a; k <= b; k++) {
		uint32_t op = s_opener(ch[k].c);
		if (!op)
			continue;
		if (a > 0 && ch[a - 1].c == op && !m->used[a - 1])
			return a - 1;
		break;
	}
	return a;
}

/* Mask slots [a, b) of num, keeping `head` first and `tail` last slots:
 * written as ASCII without separators over the whole original range. */
static void s_mask_slots(struct mask *m, const struct qf_norm_num *num, size_t a,
			 size_t b, size_t head, size_t tail)
{
	uint32_t rep[QF_NORM_NUM_MAX];
	for (size_t k = a; k < b; k++)
		rep[k - a] =
		    (k - a < head || b - k <= tail) ? (uint32_t)num->slot[k] : '*';
	size_t s = s_bracket_start(m, num->pos[a], num->pos[b - 1]);
	s_replace(m, s, num->pos[b - 1], rep, b - a);
}

static int s_dash(uint32_t c)
{
	return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

/* Separators that join the groups of landlines, QQ and card numbers:
 * spaces, tabs and dashes (not the dots, commas and colons of amounts,
 * decimals and times). */
static int s_strict_gap(const struct mask *m, const struct qf_norm_num *num, size_t k)
{
	if (!num->gap[k])
		return 1;
	for (size_t p = num->pos[k - 1] + 1; p < num->pos[k]; p++) {
		uint32_t c = m->nm.ch[p].c;
		if (c != ' ' && c != '\t' && !s_dash(c))
			return 0;
	}
	return 1;
}

/* Slots of the group starting at k (up to the next gap). */
static size_t s_group_len(const struct qf_norm_num *num, size_t k, size_t end)
{
	size_t e = k + 1;
	while (e < end && !num->gap[e])
		e++;
	return e - k;
}

/* Are the separators before slot k dashes (and is there one)? */
static int s_dash_gap(const struct mask *m, const struct qf_norm_num *num, size_t k)
{
	if (!num->gap[k])
		return 0;
	for (size_t p = num->pos[k - 1] + 1; p < num->pos[k]; p++)
		if (!s_dash(m->nm.ch[p].c))
			return 0;
	return 1;
}

/* A date YYYY-MM-DD (dashes only) at slot a: its slots, or 0. */
static size_t s_date_at(const struct mask *m, const struct qf_norm_num *num, size_t a,
			size_t b)
{
	const char *s = num->slot + a;
	if (s_group_len(num, a, b) != 4 || (strncmp(s, "19", 2) && strncmp(s, "20", 2)))
		return 0;
	size_t p1 = a + 4;
	if (p1 >= b || !s_dash_gap(m, num, p1))
		return 0;
	size_t g1 = s_group_len(num, p1, b), p2 = p1 + g1;
	if (g1 > 2 || p2 >= b || !s_dash_gap(m, num, p2))
		return 0;
	size_t g2 = s_group_len(num, p2, b);
	return g2 > 2 ? 0 : 4 + g1 + g2;
}

/* Any other number: slots [a, b) split where the separator is not a
 * space or dash; dates skipped; 7-10 slots keep 2 + 2, 11 or more 3 + 4,
 * an ID card (18, or 15 not starting with 1, or ending in X) 3 + 1. */
static void s_other(struct mask *m, const struct qf_norm_num *num, size_t a, size_t b)
{
	while (a < b) {
		size_t e = a + 1;
		while (e < b && s_strict_gap(m, num, e))
			e++;
		size_t d = s_date_at(m, num, a, e);
		if (d) {
			a += d;
			continue;
		}
		size_t len = e - a;
		if (len >= 7 && !s_allowed(m->o, num->slot + a, len)) {
			if (num->slot[e - 1] == 'X' || len == 18 ||
			    (len == 15 && num->slot[a] != '1'))
				s_mask_slots(m, num, a, e, 3, 1);
			else if (len >= 11)
				s_mask_slots(m, num, a, e, 3, 4);
			else
				s_mask_slots(m, num, a, e, 2, 2);
		}
		a = e;
	}
}

/* Mobiles and ID cards wherever they stand in a run, whatever the grouping;
 * what lies between them by the stricter rules of s_other. */
static void s_numbers(struct mask *m)
{
	struct qf_norm_num num;
	size_t at = 0;
	while (qf_norm_num_next(&m->nm, &at, m->used, &num)) {
		size_t rest = 0, k = 0, safe = qf_norm_num_safe(&num);
		while (k < safe) {
			size_t len;
			enum qf_norm_kind kind = qf_norm_num_at(&num, k, &len);
			if (!kind) {
				k++;
				continue;
			}
			s_other(m, &num, rest, k);
			if (!s_allowed(m->o, num.slot + k, len)) {
				if (kind == QF_NORM_MOBILE)
					s_mask_slots(m, &num, k, k + len, 3, 4);
				else
					s_mask_slots(m, &num, k, k + len, 3, 1);
			}
			k += len;
			rest = k;
		}
		if (safe < num.n) { /* cut: the rest is read again as a run */
			size_t g = qf_norm_num_resume(&num, k, rest);
			s_other(m, &num, rest, g);
			at = num.pos[g];
			continue;
		}
		s_other(m, &num, rest, num.n);
	}
}

/* ------------------------------------------------------------ names */

/* The given name of the name at normalised [at, at+sl+gl) becomes "**"
 * (spaces inside the name go with it); the surname stays as written. */
static void s_mask_name(struct mask *m, size_t at, size_t sl, size_t gl)
{
	static const uint32_t stars[2] = {'*', '*'};
	for (size_t k = at; k < at + sl + gl; k++)
		m->used[k] = 1;
	s_replace_orig(m, m->nm.ch[at + sl - 1].to, m->nm.ch[at + sl + gl - 1].to, stars,
		       2);
}

static void s_name_hash(const struct mask *m, size_t p, size_t len,
			const unsigned char *key, unsigned char out[QF_MASK_HASH])
{
	char u[64];
	size_t k = 0;
	for (size_t i = 0; i < len && k + 4 < sizeof u; i++)
		k += qf_norm_encode(m->nm.ch[p + i].c, u + k);
	crypto_generichash(out, QF_MASK_HASH, (const unsigned char *)u, k, key, 32);
}

static int s_name_known(const struct qf_mask_names *nm,
			const unsigned char h[QF_MASK_HASH])
{
	for (unsigned i = 0; i < nm->n; i++)
		if (!memcmp(nm->hash[i], h, QF_MASK_HASH))
			return 1;
	return 0;
}

/* Remember the name at p (surname + given name) in the case's names. */
static void s_learn(struct mask *m, size_t p, size_t len)
{
	struct qf_mask_names *nm = m->o ? m->o->names : NULL;
	if (!nm || !nm->key || len < 2 || len > 4)
		return;
	unsigned char h[QF_MASK_HASH];
	s_name_hash(m, p, len, nm->key, h);
	if (s_name_known(nm, h) || nm->n >= nm->cap)
		return;
	memcpy(nm->hash[nm->n++], h, QF_MASK_HASH);
	nm->learned++;
}

static void s_name_found(void *arg, size_t at, size_t sl, size_t gl,
			 enum qf_names_rule rule)
{
	struct mask *m = arg;
	(void)rule;
	s_learn(m, at, sl + gl);
	s_mask_name(m, at, sl, gl);
}

static size_t s_surname_len_at(const struct mask *m, size_t i, size_t len)
{
	uint32_t two[2] = {m->nm.ch[i].c, len > 2 ? m->nm.ch[i + 1].c : 0};
	return qf_names_surname_len(two, len > 2 ? 2 : 1);
}

/* Names learned earlier, wherever they stand (longest first). */
static void s_learned_names(struct mask *m)
{
	const struct qf_mask_names *nm = m->o ? m->o->names : NULL;
	if (!nm || !nm->key || !nm->n)
		return;
	for (size_t i = 0; i < m->nm.n; i++) {
		if (m->used[i] || !qf_norm_is_han(m->nm.ch[i].c))
			continue;
		for (size_t len = 4; len >= 2; len--) {
			if (i + len > m->nm.n)
				continue;
			int ok = 1;
			for (size_t k = 0; k < len && ok; k++)
				ok = !m->used[i + k] && qf_norm_is_han(m->nm.ch[i + k].c);
			if (!ok)
				continue;
			unsigned char h[QF_MASK_HASH];
			s_name_hash(m, i, len, nm->key, h);
			if (!s_name_known(nm, h))
				continue;
			size_t sl = s_surname_len_at(m, i, len);
			s_mask_name(m, i, sl, len - sl);
			i += len - 1;
			break;
		}
	}
}

/* A full name from opts.known_names as normalised code points without
 * spaces: its length, or 0 when it is too short or too long to be one. */
static size_t s_known_load(const char *name, uint32_t out[16])
{
	size_t len = strlen(name), i = 0, n = 0;
	uint32_t in[16];
	while (i < len && n < 16) {
		uint32_t c = qf_norm_decode((const unsigned char *)name, len, &i);
		if (c != ' ' && c != 0x3000 && c != '\t' && c != 0x00B7 && c != 0x30FB)
			in[n++] = c;
	}
	if (i < len || n < 2)
		return 0;
	struct qf_norm nm = {0};
	size_t k = 0;
	if (qf_norm_run(&nm, in, n, 0) == 0 && nm.n >= 2 && nm.n <= 16)
		for (k = 0; k < nm.n; k++)
			out[k] = nm.ch[k].c;
	qf_norm_free(&nm);
	return k;
}

/* Is the name at [i, i+len) cut out of a longer Latin word? */
static int s_inside_word(const struct mask *m, size_t i, size_t len)
{
	const struct qf_norm_char *ch = m->nm.ch;
	if (!s_ascii_alpha(ch[i].c))
		return 0;
	return (i > 0 && s_ascii_alnum(ch[i - 1].c)) ||
	       (i + len < m->nm.n && s_ascii_alnum(ch[i + len].c));
}

/* The petitioner's own full names (opts.known_names), wherever they are. */
static void s_known_names(struct mask *m)
{
	const struct qf_mask_opts *o = m->o;
	for (unsigned k = 0; o && k < o->nknown_names; k++) {
		uint32_t w[16];
		size_t len = o->known_names[k] ? s_known_load(o->known_names[k], w) : 0;
		for (size_t i = 0; len && i + len <= m->nm.n; i++) {
			size_t j = 0;
			while (j < len && !m->used[i + j] && m->nm.ch[i + j].c == w[j])
				j++;
			if (j < len || s_inside_word(m, i, len))
				continue;
			size_t sl = qf_names_surname_len(w, len);
			s_mask_name(m, i, sl, len - sl);
			i += len - 1;
		}
	}
}

/* ------------------------------------------------------------ public */

static void s_mask_free(struct mask *m)
{
	free(m->t.cp);
	free(m->used);
	free(m->rep);
	free(m->pool);
	qf_norm_free(&m->nm);
}

/* One pass of every rule. */
static char *s_pass(const char *s, size_t len, const struct qf_mask_opts *o, size_t max)
{
	struct mask m = {.o = o};
	char *res = NULL;
	size_t load = max < SIZE_MAX - LOOKAHEAD ? max + LOOKAHEAD : max;
	if (s_text_load(&m.t, s, len, load) ||
	    qf_norm_run(&m.nm, m.t.cp, m.t.n, MASK_NORM) ||
	    !(m.used = calloc(m.nm.n + 1, 1)))
		goto out;
	s_emails(&m);
	s_numbers(&m);
	s_known_names(&m);
	qf_names_scan(m.nm.ch, m.nm.n, m.used, o ? o->surname : NULL, s_name_found, &m);
	s_learned_names(&m);
	if (!m.nomem)
		res = s_emit(&m, max);
out:
	s_mask_free(&m);
	return res;
}

char *qf_mask_text(const char *s, size_t len, const struct qf_mask_opts *o)
{
	size_t max = o && o->max_chars ? o->max_chars : MAX_CHARS_DEFAULT;
	if (!s) {
		s = "";
		len = 0;
	}
	/* repeat until nothing changes: a mask can uncover another match, and
	 * the result must be a fixpoint so that masking stored text again is
	 * harmless */
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
	char *res = s_encode_all(t.cp, t.n);
	free(t.cp);
	return res;
}

static uint32_t s_first_cp(const char *s, size_t *bytes)
{
	size_t i = 0, n = strlen(s);
	uint32_t c = n ? qf_norm_decode((const unsigned char *)s, n, &i) : 0;
	if (bytes)
		*bytes = i;
	return c;
}

void qf_mask_surname(const char *name, char *out, size_t n)
{
	out[0] = '\0';
	if (!name || !*name || n < 16)
		return;
	size_t i = 0, len = strlen(name), b[2] = {0, 0};
	uint32_t cp[2];
	size_t k = 0;
	for (; k < 2 && i < len; k++) {
		cp[k] = qf_norm_decode((const unsigned char *)name, len, &i);
		b[k] = i;
	}
	if (!qf_norm_is_han(cp[0]) || cp[0] == 0x533F /* 匿(名) */)
		return;
	size_t l = b[qf_names_surname_len(cp, k) - 1];
	memcpy(out, name, l);
	out[l] = '\0';
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
	if (c >= 0xFF21 && c <= 0xFF5A)
		c -= 0xFEE0; /* full-width letters */
	if (anonymous || !c || !(qf_norm_is_han(c) || s_ascii_alpha(c)) ||
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

static int s_phone_digit(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 0xFF10 && c <= 0xFF19)
		return (int)(c - 0xFF10);
	return -1;
}

void qf_mask_phone(const char *phone, char *out, size_t n)
{
	/* keep the digit and star positions of the input; other characters
	 * (spaces, dashes, +86) are dropped */
	char d[40];
	size_t nd = 0, i = 0, len = phone ? strlen(phone) : 0;
	while (i < len && nd < sizeof d - 1) {
		uint32_t c = qf_norm_decode((const unsigned char *)phone, len, &i);
		if (s_phone_digit(c) >= 0)
			d[nd++] = (char)('0' + s_phone_digit(c));
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
