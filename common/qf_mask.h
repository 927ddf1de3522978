/* qf_mask.h: masking of personal data (脱敏), shared by the services that
 * let text out.
 *
 * Residents and staff write phone numbers, ID-card numbers, e-mail
 * addresses and names into descriptions and notes. Intake masks free text
 * before it goes into any event (events are public through the audit log's
 * entries); disclosure-publisher masks again before anything is stored for
 * publication: qf_mask_text() for free text (petitions, case notes, list
 * details), qf_mask_clean() for official text published on purpose (roster,
 * titles), so no store holds anything a page must not show.
 *
 * Detection runs on the shared normaliser's output (qf_norm), and every
 * match replaces the ORIGINAL characters it came from: the text stays as
 * written except for the personal parts. Rules (docs/MASKING.md has every
 * rule with examples, and what free-text masking cannot catch):
 *  - numbers: digits of any script (full-width, circled, mathematical,
 *    Arabic-Indic...) and Chinese numerals in number-like runs, groups
 *    joined by one to three separators of any kind (spaces, tabs, dots,
 *    slashes, underscores, commas, dashes, brackets; invisible ones are
 *    dropped first):
 *    - any 11 digits 1[3-9]... starting and ending on group boundaries (or
 *      after +86/0086) are a mobile, written 138****5678 whatever its
 *      script and grouping;
 *    - 17 digits + digit/X from a valid region are an ID card, written
 *      510**************X;
 *    - other runs split where the separator is not a space or dash:
 *      7-10 digits keep 2 + 2 (21***09), 11 or more keep 3 + 4, 15 not
 *      starting with 1 or 18 keep 3 + 1; a YYYY-MM-DD date is kept;
 *      numbers on the allow-list (staff office phones) are kept;
 *    a masked number is ASCII with no separators, so none of its other
 *    digits survives in any script;
 *  - e-mail addresses, also with ＠, (at), [at], 艾特 and (dot), 点:
 *    x***@e***.com;
 *  - names (qf_names): after a strong cue (我叫, 本人, 姓名, 联系人...) any
 *    listed surname plus its given name becomes 张**; the petitioner's
 *    surname after a weak cue (联系, 致电...) or at a word start before a
 *    boundary; any listed surname (common, traditional, compound, rare)
 *    with one or two given-name characters in a name context (before
 *    反映, 说, 老人, 先生, 来电...; after 联系, 通知, 告诉, 找, 帮, 给...),
 *    never when an ordinary word starts there (王府井, 周末); a space inside
 *    a name does not hide it;
 *  - the petitioner's own full names (opts.known_names) wherever they are;
 *  - a name masked by a rule is remembered (qf_mask_names) and masked
 *    wherever it appears again, in this text or later ones of the same case;
 *  - invalid UTF-8 becomes U+FFFD; control and format characters (bidi
 *    overrides, zero-width, soft hyphens) are dropped, so the result is
 *    always safe valid UTF-8 of at most max_chars code points.
 * Masking is idempotent: qf_mask_text(qf_mask_text(x)) == qf_mask_text(x).
 */
#ifndef QF_MASK_H
#define QF_MASK_H

#include <stddef.h>

/* Names learned from a case's own texts, kept only as keyed hashes
 * (BLAKE2b-128 with a key of the store): a name found after a cue ("我叫
 * 卞小川") is masked wherever it appears later without a cue ("已联系卞小川"),
 * and the store never holds the name itself. */
#define QF_MASK_HASH 16
struct qf_mask_names {
	const unsigned char *key; /* 32 bytes */
	unsigned char (*hash)[QF_MASK_HASH];
	unsigned n, cap;  /* known hashes; learned ones are appended */
	unsigned learned; /* appended by the calls so far */
};

struct qf_mask_opts {
	const char *surname;	  /* petitioner's surname (UTF-8), or NULL */
	const char *const *allow; /* numbers kept as published (digits only) */
	unsigned nallow;
	size_t max_chars;	     /* truncate after this many characters (0: 8000) */
	struct qf_mask_names *names; /* learned names (may be NULL) */
	const char *const *known_names; /* full names masked wherever they
					   appear (the petitioner's own) */
	unsigned nknown_names;
};

/* Mask free text. Returns a malloc'd NUL-terminated valid UTF-8 string the
 * caller frees, or NULL when out of memory. s may be NULL (gives ""). */
char *qf_mask_text(const char *s, size_t len, const struct qf_mask_opts *o);
/* Clean official text (no masking): valid UTF-8, no control characters.
 * malloc'd; NULL when out of memory. */
char *qf_mask_clean(const char *s, size_t len, size_t max_chars);

/* A petitioner's name as published: "张**", or "匿名" when anonymous, empty
 * or not a name. out gets at most n bytes (n >= 16). */
void qf_mask_name(const char *name, int anonymous, char *out, size_t n);
/* A phone number as published: 138****5678 (7-10 digits: 2 + 2 kept; fewer:
 * all stars; already masked input keeps its shape). out: n >= 32 bytes. */
void qf_mask_phone(const char *phone, char *out, size_t n);
/* The surname of a masked or full name (UTF-8 of its first character, or of
 * a compound surname such as 欧阳) into out (n >= 16); "" for 匿名. */
void qf_mask_surname(const char *name, char *out, size_t n);

#endif
