/* fuzz_norm: the normaliser (qf_norm) on arbitrary bytes; every masked or
 * spam-checked text goes through it. Invariants: output code points are
 * valid scalar values, never format characters (Cf), never a decimal digit
 * other than ASCII; every output character's input range lies inside the
 * input and ranges never go backwards; numbers found in the output are well
 * formed; normalising the output again (all passes) changes nothing. The
 * first byte chooses the passes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>

#include "qf_norm.h"

static void s_check_text(const struct qf_norm *nm, size_t nin)
{
	uint32_t last_from = 0;
	for (size_t i = 0; i < nm->n; i++) {
		const struct qf_norm_char *c = &nm->ch[i];
		if (c->c > 0x10FFFF || (c->c >= 0xD800 && c->c <= 0xDFFF))
			abort();
		if (c->c >= 0x80 && uc_is_general_category(c->c, UC_CATEGORY_Cf))
			abort();
		if (c->c >= 0x80 && uc_decimal_value(c->c) >= 0)
			abort();
		if (c->from >= c->to || c->to > nin || c->from < last_from)
			abort();
		last_from = c->from;
	}
}

static void s_check_numbers(const struct qf_norm *nm)
{
	struct qf_norm_num num;
	size_t at = 0, prev_end = 0;
	while (qf_norm_num_next(nm, &at, NULL, &num)) {
		if (num.n == 0 || num.n > QF_NORM_NUM_MAX || num.slot[num.n] != '\0')
			abort();
		if (num.slot[0] == '*' || num.slot[num.n - 1] == '*' ||
		    num.pos[0] < prev_end)
			abort();
		for (size_t k = 0; k < num.n; k++) {
			if (k && (num.pos[k] <= num.pos[k - 1] || num.gap[k] > 3))
				abort();
			if (num.slot[k] == 'X' && k != num.n - 1)
				abort();
			size_t len;
			if (qf_norm_num_at(&num, k, &len) && k + len > num.n)
				abort();
		}
		prev_end = at;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0] & 0x0F;
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	uint32_t *cp = malloc((len + 1) * sizeof *cp);
	if (!cp)
		return 0;
	size_t n = 0, i = 0;
	while (i < len)
		cp[n++] = qf_norm_decode((const unsigned char *)s, len, &i);
	struct qf_norm nm = {0};
	if (qf_norm_run(&nm, cp, n, flags) == 0) {
		s_check_text(&nm, n);
		s_check_numbers(&nm);
	}
	qf_norm_free(&nm);
	free(cp);
	/* the string form: normalising twice is normalising once */
	char *a = qf_norm_str(s, len, QF_NORM_ALL);
	if (a) {
		char *b = qf_norm_str(a, strlen(a), QF_NORM_ALL);
		if (b && strcmp(a, b))
			abort();
		free(b);
	}
	free(a);
	return 0;
}
