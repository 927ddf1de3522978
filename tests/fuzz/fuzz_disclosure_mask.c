/* fuzz_disclosure_mask: the masker on arbitrary bytes (petition texts come
 * from the public). Invariants: the result is valid UTF-8 with no control
 * or bidi-override characters, masking again changes nothing, learned
 * names stay hashes, and the HTML escaper leaves no markup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qf_buf.h"
#include "dp.h"
#include "qf_mask.h"

static void s_check_clean(const char *m)
{
	size_t n = strlen(m);
	if (!dp_utf8_ok(m, n))
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)m[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			abort();
		/* U+202A..U+202E, U+2066..U+2069 */
		if (c == 0xE2 && i + 2 < n && (unsigned char)m[i + 1] == 0x80 &&
		    (unsigned char)m[i + 2] >= 0xAA && (unsigned char)m[i + 2] <= 0xAE)
			abort();
		if (c == 0xE2 && i + 2 < n && (unsigned char)m[i + 1] == 0x81 &&
		    (unsigned char)m[i + 2] >= 0xA6 && (unsigned char)m[i + 2] <= 0xA9)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char *const surnames[] = {NULL, "徐", "欧阳", "张"};
	static const char *const allow[] = {"08182100001", "13900000004"};
	unsigned char key[32] = {7};
	unsigned char hashes[8][QF_MASK_HASH];
	struct qf_mask_names nm = {key, hashes, 0, 8, 0};
	struct qf_mask_opts o = {.surname = surnames[data[0] & 3],
			      .allow = allow,
			      .nallow = 2,
			      .max_chars = 2000,
			      .names = (data[0] & 4) ? &nm : NULL};
	const char *text = (const char *)data + 1;
	char *m = qf_mask_text(text, size - 1, &o);
	if (!m)
		return 0;
	s_check_clean(m);
	char *m2 = qf_mask_text(m, strlen(m), &o);
	if (!m2 || strcmp(m, m2))
		abort();
	struct qf_buf b;
	qf_buf_init(&b);
	qf_buf_html(&b, m);
	if (b.p && (strchr(b.p, '<') || strchr(b.p, '>') || strchr(b.p, '"')))
		abort();
	qf_buf_free(&b);
	/* the name and phone maskers take strings */
	char *z = malloc(size);
	memcpy(z, data + 1, size - 1);
	z[size - 1] = '\0';
	char name[64], phone[64];
	qf_mask_name(z, data[0] & 8, name, sizeof name);
	s_check_clean(name);
	qf_mask_phone(z, phone, sizeof phone);
	free(z);
	if (strspn(phone, "0123456789*") != strlen(phone))
		abort();
	free(m2);
	free(m);
	return 0;
}
