/* qf-test-maskbench: time qf_mask_text per corpus text (masking is on
 * intake's hot path: every free text of every petition and staff note).
 *
 *   qf-test-maskbench [FILE.jsonl] [ROUNDS]
 *
 * The corpus is the description and address of every line of FILE
 * (default tests/data/petitions.jsonl; the petitioner's surname is passed
 * as intake does) plus a fixed set of staff notes with phones, ID cards,
 * e-mail addresses and names. Prints the mean time per text over ROUNDS
 * passes (default 2000) after one warm-up pass. Uses only qf_mask_text and
 * qf_mask_surname, so the same source measures an older build too. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qf_mask.h"

struct item {
	char *text;
	char sur[16];
};

static const char *const s_notes[] = {
    "已电话联系徐志远（13812345678），约定明天上门维修",
    "我叫王秀兰，电话138 1234 5678，3栋2单元楼道灯坏了",
    "联系人：欧阳明月，18677778888，邮箱gxl2026@example.com",
    "身份证51010119850312002X，申请人卞小川代办，座机0818-2109876",
    "居民反映楼道堆物严重，物业已于2026-11-25 14:30清理完毕",
    "王秀兰反映楼道灯坏了，已通知电工，预计周末修好",
    "回访：住户对处理结果满意，无其他诉求。",
    "一三八一二三四五六七八，请回电",
};

static double s_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t s_load(const char *path, struct item *it, size_t cap)
{
	size_t n = 0;
	FILE *f = fopen(path, "r");
	char line[8192];
	while (f && fgets(line, sizeof line, f) && n + 2 < cap) {
		json_t *j = json_loads(line, 0, NULL);
		if (!j)
			continue;
		const char *name = json_string_value(json_object_get(j, "name"));
		const char *fields[] = {"description", "address"};
		for (int k = 0; k < 2; k++) {
			const char *v = json_string_value(json_object_get(j, fields[k]));
			if (!v)
				continue;
			it[n].text = strdup(v);
			qf_mask_surname(name ? name : "", it[n].sur, sizeof it[n].sur);
			n++;
		}
		json_decref(j);
	}
	if (f)
		fclose(f);
	for (size_t k = 0; k < sizeof s_notes / sizeof s_notes[0] && n < cap; k++) {
		it[n].text = strdup(s_notes[k]);
		it[n].sur[0] = '\0';
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/data/petitions.jsonl";
	long rounds = argc > 2 ? atol(argv[2]) : 2000;
	static struct item it[1024];
	size_t n = s_load(path, it, 1024);
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += strlen(it[i].text);
	double t0 = 0;
	for (long r = -1; r < rounds; r++) {
		if (r == 0)
			t0 = s_now();
		for (size_t i = 0; i < n; i++) {
			struct qf_mask_opts o = {.surname =
						     it[i].sur[0] ? it[i].sur : NULL};
			free(qf_mask_text(it[i].text, strlen(it[i].text), &o));
		}
	}
	double dt = s_now() - t0;
	printf("texts=%zu mean_bytes=%.0f rounds=%ld ns_per_text=%.0f\n", n,
	       n ? (double)bytes / (double)n : 0.0, rounds,
	       dt * 1e9 / ((double)rounds * (double)n));
	for (size_t i = 0; i < n; i++)
		free(it[i].text);
	return 0;
}
