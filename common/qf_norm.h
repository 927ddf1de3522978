/* qf_norm.h: the one text normaliser for matching (personal data, spam).
 *
 * Residents write the same phone number in many ways: full-width digits,
 * circled or mathematical digits, Arabic-Indic digits, Chinese numerals
 * (一三八, 壹叁捌), with dots, slashes, underscores, dashes, tabs or a soft
 * hyphen between the groups; e-mail addresses as name(at)example(dot)com or
 * name艾特example点com. Every rule that looks for such things (the masker,
 * the spam filter, the privacy scanner) matches on this module's output, so
 * a form handled here is handled everywhere, and no rule carries its own
 * list of look-alike characters.
 *
 * Design: the text is an array of (normalised code point, input range)
 * triples, rewritten by a few passes. Every output character remembers the
 * input code points it came from, so a caller that finds something in the
 * normalised text can act on the original text at that place (the masker
 * replaces the original characters and keeps everything else as written).
 *
 * The passes, in order (flags select the optional ones):
 *  1. compatibility normalisation (NFKC, GNU libunistring), applied per
 *     segment (a starter and its combining marks): full-width forms, circled
 *     and mathematical digits, compatibility ideographs, U+3000 and NBSP
 *     become their plain forms; format characters (general category Cf:
 *     soft hyphen, zero-width space and joiners, bidi marks, BOM...) are
 *     dropped; every other decimal digit (Arabic-Indic, Devanagari, ❶...)
 *     becomes its ASCII digit;
 *  2. QF_NORM_NUMERALS: Chinese numerals (〇零○一幺二两三四五六七八九十,
 *     壹贰貳叁參肆伍陆陸柒捌玖拾) become ASCII digits (十 and 拾 give "10")
 *     only inside a number-like run: at least QF_NORM_NUMERAL_RUN digits and
 *     numerals joined by at most three separator characters; 一楼, 两个,
 *     十分 stay as they are (two idioms in a row, 三三两两，一五一十, do
 *     read as digits: the masker then finds no number of a masked shape);
 *  3. QF_NORM_JOIN_HAN: a single space between two Han characters is
 *     dropped ("王 秀兰" is matched as 王秀兰);
 *  4. QF_NORM_JOIN_NUMBERS: the separators inside a mobile or ID-card
 *     number (see qf_norm_num_at) are dropped: "138 - 1234 - 5678" becomes
 *     13812345678;
 *  5. QF_NORM_EMAIL: (at) [at] {at} <at> 艾特 between an address's local
 *     part and domain become '@', and (dot) [dot] {dot} <dot> 点 。 between
 *     letters or digits of an address become '.' (a single space on either
 *     side of a bracketed word goes with it);
 *  passes 2 to 5 run again while one of them changes something (the
 *  '@' of "1艾特2一二三四五" joins a numeral run), so normalising twice
 *  is normalising once.
 *
 * Separators: inside a number, any run of one to three characters that are
 * neither letters, digits nor line breaks (spaces, tabs, punctuation in any
 * width, dashes, slashes, underscores, dots, brackets, symbols, combining
 * marks) separates groups; '*' is not a separator but a digit hidden by
 * earlier masking.
 *
 * Segments are normalised independently, so the rare compositions between
 * two starters (Hangul jamo sequences, a few Indic vowel signs) are left
 * decomposed; nothing this module is used for depends on them.
 */
#ifndef QF_NORM_H
#define QF_NORM_H

#include <stddef.h>
#include <stdint.h>

enum {
	QF_NORM_NUMERALS = 1 << 0,     /* Chinese numerals in number runs */
	QF_NORM_EMAIL = 1 << 1,	       /* (at), 艾特, (dot), 点 in addresses */
	QF_NORM_JOIN_HAN = 1 << 2,     /* single spaces between Han dropped */
	QF_NORM_JOIN_NUMBERS = 1 << 3, /* separators inside mobiles, ID cards */
};
/* Every pass: what the masker uses is this without JOIN_NUMBERS. */
#define QF_NORM_ALL                                                                      \
	(QF_NORM_NUMERALS | QF_NORM_EMAIL | QF_NORM_JOIN_HAN | QF_NORM_JOIN_NUMBERS)

/* Digits and numerals a run needs before its numerals count as digits. */
#define QF_NORM_NUMERAL_RUN 7

/* One normalised character and the input code points it came from. */
struct qf_norm_char {
	uint32_t c;    /* normalised code point */
	uint32_t from; /* first input code point (index) it came from */
	uint32_t to;   /* one past the last input code point it came from */
};

/* A normalised text. Zero-initialise before the first qf_norm_run; the
 * buffers are reused by later runs and released by qf_norm_free. */
struct qf_norm {
	struct qf_norm_char *ch; /* n characters (owned) */
	size_t n;
	size_t cap;
	struct qf_norm_char *tmp; /* scratch of the passes (owned) */
	size_t tmpcap;
	uint8_t *mark; /* scratch marks (owned) */
	size_t markcap;
};

/* Normalise n code points (in may be NULL when n is 0) with the passes in
 * flags. Output ranges (from, to) index `in`; they never decrease along the
 * output, and input code points between two outputs' ranges were dropped.
 * Returns 0, QF_ERR_NOMEM, or QF_ERR_TOOBIG (more than 2^31 code points).
 * On error nm holds no text (n = 0) and must still be freed. */
int qf_norm_run(struct qf_norm *nm, const uint32_t *in, size_t n, unsigned flags);
/* Release nm's buffers; nm may then be reused (it is zeroed). */
void qf_norm_free(struct qf_norm *nm);

/* Normalise UTF-8 (invalid sequences become U+FFFD) into a malloc'd
 * NUL-terminated UTF-8 string the caller frees (NUL input characters are
 * dropped); s may be NULL when len is 0. NULL when out of memory. */
char *qf_norm_str(const char *s, size_t len, unsigned flags);

/* Decode one code point at s[*i] of n bytes and advance *i; an invalid,
 * overlong or surrogate sequence gives U+FFFD and advances one byte. */
uint32_t qf_norm_decode(const unsigned char *s, size_t n, size_t *i);
/* Encode c (at most U+10FFFF) as UTF-8 into out; returns 1 to 4 bytes. */
size_t qf_norm_encode(uint32_t c, char out[4]);

/* A CJK ideograph (unified, extensions, compatibility). */
int qf_norm_is_han(uint32_t c);
/* May c stand between the digit groups of one number (see above)? */
int qf_norm_is_sep(uint32_t c);

/* ------------------------------------------------------------ numbers */

/* Longest number qf_norm_num_next returns; a longer run continues in the
 * next call. */
#define QF_NORM_NUM_MAX 64

/* A run of digits in normalised text: groups of digits joined by one to
 * three separators. Slots are ASCII digits, '*' (a digit hidden by earlier
 * masking; never first or last) and a final 'X' (an ID card's check
 * character, only after at least 17 slots). */
struct qf_norm_num {
	size_t n;			  /* slots */
	char slot[QF_NORM_NUM_MAX + 1];	  /* NUL-terminated */
	size_t pos[QF_NORM_NUM_MAX];	  /* normalised position of each slot */
	uint8_t gap[QF_NORM_NUM_MAX + 1]; /* separators before slot k (0 inside
					     a group; gap[0] and gap[n] are 0) */
	int cut;			  /* the run goes on past slot n */
};

/* Longest number qf_norm_num_at recognises (an ID card). */
#define QF_NORM_NUM_LONGEST 18

/* A run cut at QF_NORM_NUM_MAX slots (a list of phone numbers joined by
 * "；") may cut a number in two. Callers look for numbers starting before
 * qf_norm_num_safe(r) only (those are whole), and call qf_norm_num_next
 * again from qf_norm_num_resume(r, k, done): the start of the group holding
 * slot k (their first slot not handled), if that lies after slot `done`
 * (the first slot they have not consumed), else k itself, as a position to
 * put in *at. Uncut runs: safe is r->n. */
size_t qf_norm_num_safe(const struct qf_norm_num *r);
size_t qf_norm_num_resume(const struct qf_norm_num *r, size_t k, size_t done);

/* Find the first run starting at or after normalised position *at, skipping
 * positions whose skip[] byte is non-zero (skip may be NULL; skipped
 * positions end a run). Returns 1 and sets *at past the run, or 0 (no more
 * runs; *at = nm->n). */
int qf_norm_num_next(const struct qf_norm *nm, size_t *at, const uint8_t *skip,
		     struct qf_norm_num *num);

enum qf_norm_kind {
	QF_NORM_NONE = 0,
	QF_NORM_MOBILE, /* 11 slots 1[3-9]d{9}, whatever the grouping */
	QF_NORM_IDCARD, /* 17 digits and a digit or X, from a valid region */
};

/* The mobile or ID-card number beginning at slot k of num, if any: it must
 * start at a group's start (a mobile also right after an 86 or 0086 prefix
 * of its group) and end at a group's end, so two numbers written side by
 * side are never read as one. Returns its kind and sets *len (slots), or
 * QF_NORM_NONE. */
enum qf_norm_kind qf_norm_num_at(const struct qf_norm_num *num, size_t k, size_t *len);

#endif
