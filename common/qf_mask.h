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
 * Rules (docs/services/disclosure.md has the full list):
 *  - digit runs (ASCII, full-width ０-９, Chinese numerals 〇一..九幺) with
 *    single separators (space, -, full-width space/hyphen) between groups:
 *    11+ digits are masked (mobile 138****5678; others keep 3 + 4), an
 *    18-character ID card (17 digits + X) keeps its first 3 and last 1,
 *    7-10 digits keep 2 + 2; a YYYY-MM-DD date is not a number to mask;
 *    numbers on the allow-list (staff office phones) are kept;
 *  - e-mail addresses (also with full-width ＠): x***@e***.com;
 *  - names: after a strong cue (我叫, 本人, 姓名, 联系人...) any common
 *    surname plus its given name becomes 张**; when the petitioner's
 *    surname is known (from the masked name), that surname followed by one
 *    or two Han characters and a boundary, or after a weak cue (联系, 致电,
 *    回访...), is masked the same way;
 *  - a name masked by a cue is remembered (qf_mask_names) and masked wherever
 *    it appears again, in this text or later ones of the same case;
 *  - invalid UTF-8 becomes U+FFFD; control and bidirectional-override
 *    characters are dropped, so the result is always safe valid UTF-8.
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
	size_t max_chars;	  /* truncate after this many characters (0: 8000) */
	struct qf_mask_names *names; /* learned names (may be NULL) */
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
