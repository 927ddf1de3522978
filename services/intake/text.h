/* text.h: the small text rules intake applies to everything people type:
 * UTF-8 validity and length in characters, Crockford base32 codes, phone
 * numbers (mainland mobile and landline) and their masked forms, names and
 * their masked forms, e-mail, dates, and the verdict (status, code, field,
 * Chinese message) that every validator fills on failure.
 *
 * Everything here is pure (no I/O, no globals), so unit tests and fuzz
 * targets call it directly.
 */
#ifndef INTAKE_TEXT_H
#define INTAKE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* A validation verdict: what the HTTP layer answers when input is refused. */
struct intake_err {
	unsigned status;   /* 400, 413, 415, 422, ... */
	const char *code;  /* machine code (English): "missing_field" */
	char field[64];	   /* the offending field ("phone", "media[2]") or "" */
	char message[256]; /* Chinese, for people */
};

/* Fill e and return -1 (so validators can `return intake_err_set(...)`). */
int intake_err_set(struct intake_err *e, unsigned status, const char *code,
		   const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Is s[0..n) valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
int intake_utf8_valid(const char *s, size_t n);
/* Number of code points of valid UTF-8 text. */
size_t intake_utf8_len(const char *s);
/* True if the text holds a control character other than \n, \r, \t
 * (or any control character when allow_newlines is 0). */
int intake_has_control(const char *s, int allow_newlines);

/* Crockford base32 alphabet (no I, L, O, U). */
extern const char intake_crockford[33];
/* Normalise a user-typed Crockford string in place: upper case, I/L -> 1,
 * O -> 0; returns 0, or -1 if a character is outside the alphabet. */
int intake_crockford_norm(char *s);

/* Phone numbers. Accepts mainland mobiles (1[3-9] + 9 digits, optional
 * +86/0086/86 prefix, spaces or hyphens between groups) and landlines (area
 * code 0 + 2-3 digits, 7-8 digit number, optional "-ext" of 1-6 digits).
 * On success writes the normal form into out ("13812345678",
 * "0818-2100002", "0818-2100002-12") and returns 0; -1 if not a phone. */
int intake_phone_norm(const char *in, char *out, size_t n);
/* Masked form of a normalised phone: "138****5678", "0818-***0002". */
void intake_phone_mask(const char *norm, char *out, size_t n);
/* Masked name: the first character and "**" whatever the length ("张**"),
 * so the mask does not reveal how long the name is. Valid UTF-8 expected. */
void intake_name_mask(const char *name, char *out, size_t n);
/* A plausible e-mail address (local@domain.tld, no spaces, <= 254). */
int intake_email_valid(const char *s);
/* "YYYY-MM-DD" naming a real calendar date. */
int intake_date_valid(const char *s);
/* An http(s) URL with a host, no spaces or control characters, <= 2048. */
int intake_url_valid(const char *s);
/* Strip leading/trailing ASCII and ideographic spaces; returns a malloc'd
 * copy (NULL when out of memory). */
char *intake_trim_dup(const char *s);
/* Free text as it may leave intake inside an event: phone numbers, ID-card
 * numbers, e-mail addresses and cued names masked (qf_mask_text; events are
 * public through the audit log's entries, so nothing personal goes in).
 * surname: the petitioner's, if known (may be NULL). malloc'd; never NULL
 * unless out of memory; s NULL gives "". */
char *intake_event_text(const char *s, const char *surname);

#endif
