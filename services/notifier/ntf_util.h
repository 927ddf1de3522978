/* ntf_util.h: small text helpers the notifier's modules share: a growable
 * byte buffer, URL/JSON escaping, base64, masking of contact details and
 * local-time formatting.
 */
#ifndef NTF_UTIL_H
#define NTF_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable, always NUL-terminated buffer. A failed allocation sets oom
 * and further appends do nothing, so callers check once at the end. */
struct ntf_buf {
	char *d;
	size_t len, cap;
	int oom;
};

void ntf_buf_put(struct ntf_buf *b, const char *s, size_t n);
void ntf_buf_puts(struct ntf_buf *b, const char *s);
void ntf_buf_printf(struct ntf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Take the contents (malloc'd, caller frees; NULL after oom) and reset. */
char *ntf_buf_take(struct ntf_buf *b, size_t *len);
/* Free (and wipe, for buffers that held contact details). */
void ntf_buf_free(struct ntf_buf *b);
void ntf_buf_wipe(struct ntf_buf *b);

/* Append s percent-encoded (RFC 3986 unreserved kept). */
void ntf_buf_urlenc(struct ntf_buf *b, const char *s);
/* Append s as the inside of a JSON string (no quotes). */
void ntf_buf_jsonesc(struct ntf_buf *b, const char *s);
/* Append standard base64 (with padding) of n bytes. */
void ntf_buf_base64(struct ntf_buf *b, const void *data, size_t n);

/* Mask an e-mail ("z***@example.cn") or phone ("138****1234") into out (n
 * bytes). Never returns more than the first character / first 3 and last 4
 * digits. Returns out. */
char *ntf_mask_email(const char *email, char *out, size_t n);
char *ntf_mask_phone(const char *phone, char *out, size_t n);
/* Mask a URL to its scheme and host ("https://qyapi.weixin.qq.com/…"). */
char *ntf_mask_url(const char *url, char *out, size_t n);

/* "2026-11-25 18:01" in the given offset from UTC (minutes). Returns buf
 * (>= 17 bytes); 0 ms gives "". */
char *ntf_local_time(int64_t ms, int tz_offset_min, char *buf, size_t n);
/* Minutes after local midnight of ms in the given offset. */
int ntf_local_minute(int64_t ms, int tz_offset_min);
/* Parse "HH:MM" into minutes after midnight; -1 if malformed. */
int ntf_parse_hhmm(const char *s);

/* A plausible e-mail address (one @, a dot in the domain, no spaces or
 * control characters, <= 254 bytes). */
int ntf_email_valid(const char *s);
/* Valid UTF-8 without control characters other than \n and \t. */
int ntf_text_valid(const char *s, size_t len);

/* Replace every byte that is not part of a valid UTF-8 sequence with '?',
 * in place (events come from other processes: never trust their text). */
void ntf_utf8_clean(char *s);

/* Duplicate or NULL ("" for NULL input). Returns NULL only when out of
 * memory. */
char *ntf_strdup0(const char *s);

#endif
