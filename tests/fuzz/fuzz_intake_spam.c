/* fuzz_intake_spam: the spam scorer (spam.c) and the recent-texts table
 * (spamdup.c) on arbitrary bytes: petition texts come from the public. The
 * first byte chooses the signals switched on and max_repeat; the rest is
 * the text. Invariants: the score is the sum of the hits' weights while
 * every hit is kept; no hit is listed twice; terms are NUL-terminated;
 * decide holds exactly when the score reaches the threshold and then names
 * a rule; the fingerprint text is valid UTF-8 of letters, digits and Han
 * characters only; the table counts the same text again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qf_norm.h"
#include "spam.h"
#include "spamdup.h"

static struct intake_spamdup *s_dup;

static void s_check_fingerprint(const char *text)
{
	char *fp = intake_spam_fingerprint_text(text, 500);
	if (!fp)
		return;
	size_t len = strlen(fp), i = 0, n = 0;
	while (i < len) {
		uint32_t c = qf_norm_decode((const unsigned char *)fp, len, &i);
		int ok = (c < 0x80 && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				       (c >= 'A' && c <= 'Z'))) ||
			 qf_norm_is_han(c);
		if (!ok || ++n > 500)
			abort();
	}
	free(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 20000)
		return 0;
	if (!s_dup && intake_spamdup_new(&s_dup, 60000))
		abort();
	uint8_t f = data[0];
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0'; /* texts reach the scorer NUL-terminated */
	char *kw[] = {"团购", "vx"};
	struct intake_spam_conf c = {.enabled = 1,
				     .keywords = kw,
				     .nkeywords = (f & 1) ? 2 : 0,
				     .keyword_weight = 6,
				     .links = (f >> 1) & 1,
				     .wechat = (f >> 2) & 1,
				     .phone_numbers = (f >> 3) & 1,
				     .max_repeat = (f >> 4) & 0xF,
				     .threshold = 10};
	struct intake_spam_verdict v = {0};
	intake_spam_eval(&c, text, &v);
	if (v.n > INTAKE_SPAM_MAX_HITS)
		abort();
	int sum = 0;
	for (unsigned i = 0; i < v.n; i++) {
		if (memchr(v.hit[i].term, '\0', sizeof v.hit[i].term) == NULL)
			abort();
		if (v.hit[i].signal >= INTAKE_SPAM_NSIGNALS)
			abort();
		sum += v.hit[i].weight;
		for (unsigned j = 0; j < i; j++)
			if (v.hit[j].signal == v.hit[i].signal &&
			    !strcmp(v.hit[j].term, v.hit[i].term))
				abort();
	}
	if (v.n < INTAKE_SPAM_MAX_HITS && sum != v.score)
		abort();
	char rule[32], detail[80];
	int held = intake_spam_decide(&c, &v, rule, sizeof rule, detail, sizeof detail);
	if (held != (v.score >= c.threshold) || (held && !rule[0]))
		abort();
	s_check_fingerprint(text);
	unsigned a = intake_spamdup_seen(s_dup, text, 1000);
	unsigned b = intake_spamdup_seen(s_dup, text, 1001);
	if (a && b != a + 1 && b != 1) /* 1: evicted in between (never here) */
		abort();
	if (!a && b)
		abort();
	free(text);
	return 0;
}
