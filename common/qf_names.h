/* qf_names.h: Chinese personal names in normalised free text.
 *
 * The masker (qf_mask) needs to find "王秀兰" in "王秀兰反映楼道灯坏了" or
 * "已电话联系王秀兰" without masking 王府井, 周末 or 黄色. This module holds
 * the word tables (surnames in simplified and traditional script, compound
 * and rare surnames, characters common in given names, cue and context
 * words, and ordinary words that begin with a surname character) and the
 * rules that use them; it only finds names, the caller decides what to do
 * with them. docs/MASKING.md describes every rule and what it cannot catch.
 *
 * Input is qf_norm output (QF_NORM_JOIN_HAN, so "王 秀兰" reads 王秀兰).
 */
#ifndef QF_NAMES_H
#define QF_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "qf_norm.h"

/* Why a name was found (for tests and statistics). */
enum qf_names_rule {
	QF_NAMES_CUE = 1,	/* after a strong cue: 我叫, 姓名, 联系人... */
	QF_NAMES_KNOWN_SURNAME, /* the petitioner's surname, cued or standing alone */
	QF_NAMES_CONTEXT, /* a listed surname in a name context: 反映, 联系... */
};

/* Called for each name: the surname is ch[at, at+sl), the given name the gl
 * characters after it. The caller may mark them in `used` (the scan
 * continues after the name). */
typedef void (*qf_names_fn)(void *arg, size_t at, size_t sl, size_t gl,
			    enum qf_names_rule rule);

/* Find names in normalised text ch[0..n). Positions with used[k] non-zero
 * are never part of a name (used may be NULL). surname: the petitioner's
 * surname (UTF-8) or NULL. */
void qf_names_scan(const struct qf_norm_char *ch, size_t n, const uint8_t *used,
		   const char *surname, qf_names_fn fn, void *arg);

/* Length (1 or 2 code points) of the surname that begins cp[0..n): a
 * compound surname (欧阳, 歐陽) gives 2, anything else 1; 0 when n is 0. */
size_t qf_names_surname_len(const uint32_t *cp, size_t n);

/* Is c a listed single surname (common, traditional or rare)? */
int qf_names_is_surname(uint32_t c);

#endif
