/* text_test: intake's text rules: UTF-8, phone numbers and their masks,
 * names, e-mail, dates, URLs, Crockford codes, trimming; the spam rules;
 * the rate limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "spam.h"
#include "spam_conf.h"
#include "text.h"

static void t_utf8(void **st)
{
	(void)st;
	assert_true(intake_utf8_valid("", 0));
	assert_true(intake_utf8_valid("楼道灯坏了", strlen("楼道灯坏了")));
	assert_true(intake_utf8_valid("\xf0\x9f\x98\x80", 4)); /* emoji */
	assert_false(intake_utf8_valid("\xff", 1));
	assert_false(intake_utf8_valid("\xc0\xaf", 2));		/* overlong '/' */
	assert_false(intake_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	assert_false(intake_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(intake_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(intake_utf8_valid("\xe6\xa5", 2));		/* truncated */
	assert_false(intake_utf8_valid("a\0b", 3));		/* NUL */
	assert_int_equal(intake_utf8_len("楼道a"), 3);
	assert_true(intake_has_control("a\x01", 1));
	assert_false(intake_has_control("a\nb\tc", 1));
	assert_true(intake_has_control("a\nb", 0));
}

static void s_phone(const char *in, const char *want, const char *mask)
{
	char out[40], m[40];
	int rc = intake_phone_norm(in, out, sizeof out);
	if (!want) {
		if (rc == 0)
			fail_msg("'%s' accepted as '%s'", in, out);
		return;
	}
	if (rc)
		fail_msg("'%s' refused", in);
	assert_string_equal(out, want);
	intake_phone_mask(out, m, sizeof m);
	assert_string_equal(m, mask);
}

static void t_phones(void **st)
{
	(void)st;
	s_phone("13812345678", "13812345678", "138****5678");
	s_phone("138 1234 5678", "13812345678", "138****5678");
	s_phone("138-1234-5678", "13812345678", "138****5678");
	s_phone("+86 13812345678", "13812345678", "138****5678");
	s_phone("+8613812345678", "13812345678", "138****5678");
	s_phone("008613812345678", "13812345678", "138****5678");
	s_phone("8613812345678", "13812345678", "138****5678");
	s_phone("19912345678", "19912345678", "199****5678");
	s_phone("0818-2100002", "0818-2100002", "0818-***0002");
	s_phone("08182100002", "0818-2100002", "0818-***0002");
	s_phone("028-85551234", "028-85551234", "028-****1234");
	s_phone("010-62345678", "010-62345678", "010-****5678");
	s_phone("0818-2100002-12", "0818-2100002-12", "0818-***0002");
	s_phone("12345", NULL, NULL);
	s_phone("12812345678", NULL, NULL);
	s_phone("1381234567", NULL, NULL);
	s_phone("138123456789", NULL, NULL);
	s_phone("+1 4155550100", NULL, NULL);
	s_phone("0818-123", NULL, NULL);
	s_phone("0818-0100002", NULL, NULL);
	s_phone("abc", NULL, NULL);
	s_phone("", NULL, NULL);
	s_phone("0818--2100002", NULL, NULL);
	s_phone("138123456781234567890123456789012345", NULL, NULL);
}

static void t_names(void **st)
{
	(void)st;
	char m[32];
	intake_name_mask("张三丰", m, sizeof m);
	assert_string_equal(m, "张**");
	intake_name_mask("刘", m, sizeof m);
	assert_string_equal(m, "刘**");
	intake_name_mask("Alice Wang", m, sizeof m);
	assert_string_equal(m, "A**");
	intake_name_mask("", m, sizeof m);
	assert_string_equal(m, "**");
	char tiny[3];
	intake_name_mask("张三", tiny, sizeof tiny);
	assert_string_equal(tiny, "**");
}

static void t_misc(void **st)
{
	(void)st;
	assert_true(intake_email_valid("a.b@example.org"));
	assert_false(intake_email_valid("a@b"));
	assert_false(intake_email_valid("a b@example.org"));
	assert_false(intake_email_valid("@example.org"));
	assert_false(intake_email_valid("a@@example.org"));
	assert_true(intake_date_valid("2026-02-28"));
	assert_true(intake_date_valid("2028-02-29"));
	assert_false(intake_date_valid("2026-02-29"));
	assert_false(intake_date_valid("2026-13-01"));
	assert_false(intake_date_valid("2026-1-01"));
	assert_false(intake_date_valid("yesterday!"));
	assert_true(intake_url_valid("https://example.org/a.jpg"));
	assert_false(intake_url_valid("ftp://example.org/a.jpg"));
	assert_false(intake_url_valid("https://"));
	assert_false(intake_url_valid("https://u:p@example.org/"));
	assert_false(intake_url_valid("https://example.org/a b"));
	char c[16] = "lsj-o1il";
	assert_int_equal(intake_crockford_norm(c + 4), 0);
	assert_string_equal(c + 4, "0111");
	char bad[8] = "ab!";
	assert_int_equal(intake_crockford_norm(bad), -1);
	char *t = intake_trim_dup("\u3000 楼道 \t\u3000");
	assert_string_equal(t, "楼道");
	free(t);
	t = intake_trim_dup("   ");
	assert_string_equal(t, "");
	free(t);
}

/* A score, not a rule: one weak signal (a link, an id, a phone number)
 * does not hold; signals together do. */
static void t_spam(void **st)
{
	(void)st;
	char *kw[] = {"团购"};
	struct intake_spam_conf c = test_spam_conf(kw, 1);
	char rule[32], detail[80];
	static const char *const held[][3] = {
	    {"低息贷款", "keyword", "贷款"},
	    {"优惠活动看这里 https://x.example", "link", ""},
	    {"加微信：dk88888", "contact_id", ""},
	    {"啊啊啊啊啊啊啊啊啊啊啊", "repeat", ""},
	    /* issue 16: a full-width WeChat id with a loan offer, a QQ group
	       with a typing job, a two-character word sixteen times */
	    {"贷款找我，ＶＸ：ｄｋ６６６６６", "contact_id", ""},
	    {"QQ群 123456789 招兼职打字员", "group_invite", ""},
	    {"刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单刷单",
	     "repeat_phrase", ""},
	    {"好评 返现 好评 返现 好评 返现 好评 返现 好评 返现 好评 返现",
	     "repeat_phrase", ""},
	    {"扣扣：三八六七二九一五四，日结", "contact_id", ""},
	    {"企鹅 ⑨⑧⑦⑥⑤④③②① 打字员", "contact_id", ""},
	    {"有意者请联系13800138000", "keyword", "有意者"},
	    {"代_开_发_票，速来", "keyword", "代开发票"},
	};
	for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
		if (intake_spam_check(&c, held[i][0], rule, sizeof rule, detail,
				      sizeof detail) != 1)
			fail_msg("not held: %s", held[i][0]);
		assert_string_equal(rule, held[i][1]);
		assert_string_equal(detail, held[i][2]);
	}
	static const char *const clean[] = {
	    "我的电话13987654321，请联系", /* issue 16: a resident's own phone */
	    "电话13800138000",
	    "找 0818-0000002",
	    "我的微信 vx abcdef12",
	    "访问 abc.com 查看通知", /* a link alone */
	    "版本号 1.0 发布",
	    "业主微信群里说过",
	    "xwx abcdef12",
	    "订单号 138001380001234",
	    "啊啊啊啊啊啊啊啊啊啊",
	    "楼道灯坏了！！！",
	    "救命救命救命救命",
	    "想咨询一下公积金贷款的办理流程",
	    "楼道里贴满了贷款小广告，请物业清理",
	    "小区团购的菜有问题", /* a config keyword alone: 6 */
	};
	for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
		if (intake_spam_check(&c, clean[i], rule, 32, detail, 80))
			fail_msg("held (%s): %s", rule, clean[i]);
	/* a config keyword counts keyword_weight */
	c.keyword_weight = 10;
	assert_int_equal(
	    intake_spam_check(&c, "小区团购的菜有问题", rule, 32, detail, 80), 1);
	assert_string_equal(detail, "团购");
	c.enabled = 0;
	assert_int_equal(
	    intake_spam_check(&c, "贷款刷单加微信 dk88888", rule, 32, detail, 80), 0);
}

/* The verdict lists every signal once; set_weight keeps the sum. */
static void t_spam_verdict(void **st)
{
	(void)st;
	struct intake_spam_conf c = test_spam_conf(NULL, 0);
	struct intake_spam_verdict v = {0};
	intake_spam_eval(&c, "低息贷款，贷款秒批，电话13900001234", &v);
	intake_spam_eval(&c, "贷款", &v); /* the address: 贷款 counted once */
	assert_int_equal(v.score, 4 + 6 + 4 + 4);
	assert_int_equal(v.n, 4);
	char rule[32], detail[80];
	assert_int_equal(intake_spam_decide(&c, &v, rule, 32, detail, 80), 1);
	for (unsigned i = 0; i < v.n; i++)
		if (!strcmp(v.hit[i].term, "贷款"))
			intake_spam_set_weight(&v, i, 0);
	assert_int_equal(v.score, 12);
	intake_spam_add(&v, INTAKE_SPAM_COMPLAINT, NULL,
			intake_spam_weight(INTAKE_SPAM_COMPLAINT));
	assert_int_equal(v.score, 8);
	assert_int_equal(intake_spam_decide(&c, &v, rule, 32, detail, 80), 0);
	char *fp = intake_spam_fingerprint_text("Ａ－１ 楼道，灯坏了！", 100);
	assert_string_equal(fp, "a1楼道灯坏了");
	free(fp);
}

/* The signals are found on the shared normaliser's output: digits in any
 * script, Chinese numerals, separators inside a mobile number, full-width
 * forms, spaces between Han characters. */
static void t_spam_normalised(void **st)
{
	(void)st;
	struct intake_spam_conf c = test_spam_conf(NULL, 0);
	char rule[32], detail[80];
	static const char *const held[][2] = {
	    {"有意者请联系 138-0013-8000", "keyword"},
	    {"有意者请联系138.0013.8000", "keyword"},
	    {"有意者请联系 一三八 〇〇一三 八〇〇〇", "keyword"},
	    {"有意者请联系壹叁捌零零壹叁捌零零零", "keyword"},
	    {"有意者请联系١٣٨٠٠١٣٨٠٠٠", "keyword"},
	    {"有意者请联系①③⑧⓪⓪①③⑧⓪⓪⓪", "keyword"},
	    {"有意者请联系138\u00AD0013\u00AD8000", "keyword"},
	    {"低息贷 款", "keyword"},
	    {"低息贷\u200B款", "keyword"},
	    {"加ＶＸ：ｄｋ８８８８８", "contact_id"},
	    {"优惠请看 ｗｗｗ．example．com", "link"},
	};
	for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
		if (intake_spam_check(&c, held[i][0], rule, sizeof rule, detail,
				      sizeof detail) != 1)
			fail_msg("not held: %s", held[i][0]);
		assert_string_equal(rule, held[i][1]);
	}
	/* "有意者" (6) needs the phone number (4): without it, not held */
	assert_int_equal(intake_spam_check(&c, "有意者请联系", rule, 32, detail, 80), 0);
	static const char *const clean[] = {
	    "一楼两个人说电梯坏了", "3栋2单元301室，下午3点半", "订单号 138001380001234"};
	for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
		assert_int_equal(intake_spam_check(&c, clean[i], rule, 32, detail, 80),
				 0);
}

static void t_limiter(void **st)
{
	(void)st;
	struct intake_limiter *l;
	assert_int_equal(intake_limiter_new(&l, 64, 3, 3000), 0);
	assert_int_equal(intake_limiter_take(l, "a", 1, 1000), 0);
	assert_int_equal(intake_limiter_take(l, "a", 1, 1000), 0);
	assert_int_equal(intake_limiter_take(l, "a", 1, 1000), 0);
	int64_t w = intake_limiter_take(l, "a", 1, 1000);
	assert_true(w > 0 && w <= 1000);
	assert_int_equal(intake_limiter_take(l, "b", 1, 1000), 0); /* other key */
	assert_true(intake_limiter_take(l, "a", 1, 1500) > 0);
	assert_int_equal(intake_limiter_take(l, "a", 1, 2000), 0); /* one token back */
	assert_true(intake_limiter_take(l, "a", 1, 2000) > 0);
	/* a flood of keys evicts, never locks anyone out */
	char k[16];
	for (int i = 0; i < 10000; i++) {
		snprintf(k, sizeof k, "k%d", i);
		intake_limiter_take(l, k, strlen(k), 3000);
	}
	intake_limiter_destroy(&l);
	assert_null(l);
	intake_limiter_destroy(&l);
	assert_int_equal(intake_limiter_new(&l, 64, 0, 1000), 0); /* disabled */
	for (int i = 0; i < 100; i++)
		assert_int_equal(intake_limiter_take(l, "a", 1, 0), 0);
	intake_limiter_destroy(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_utf8),	      cmocka_unit_test(t_phones),
	    cmocka_unit_test(t_names),	      cmocka_unit_test(t_misc),
	    cmocka_unit_test(t_spam),	      cmocka_unit_test(t_spam_normalised),
	    cmocka_unit_test(t_spam_verdict), cmocka_unit_test(t_limiter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
