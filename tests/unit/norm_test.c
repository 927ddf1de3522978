/* norm_test.c: the one normaliser (qf_norm): every way of writing a phone
 * number or an e-mail address residents use comes out in one form; words
 * that merely contain numerals stay; the map back to input positions is
 * exact; numbers are found and classified whatever their grouping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qf_norm.h"

struct row {
	const char *in;
	unsigned flags;
	const char *out;
};

#define ALL    QF_NORM_ALL
#define MASKER (QF_NORM_NUMERALS | QF_NORM_EMAIL | QF_NORM_JOIN_HAN)

static const struct row s_rows[] = {
    /* separators inside a mobile number, joined */
    {"138.1234.5678", ALL, "13812345678"},
    {"138 - 1234 - 5678", ALL, "13812345678"},
    {"138/1234/5678", ALL, "13812345678"},
    {"138_1234_5678", ALL, "13812345678"},
    {"138，1234，5678", ALL, "13812345678"},
    {"138\t1234\t5678", ALL, "13812345678"},
    {"138  1234  5678", ALL, "13812345678"},
    {"138—1234—5678", ALL, "13812345678"},
    {"138\u00AD1234\u00AD5678", ALL, "13812345678"}, /* soft hyphen */
    {"138\u200B1234\u2060"
     "5678",
     ALL, "13812345678"},
    {"(138)1234 5678", ALL, "(13812345678"},
    {"+86 138 1234 5678", ALL, "+86 13812345678"},
    /* four separators are too many: two numbers' worth of groups */
    {"138    1234", ALL, "138    1234"},
    /* ... and the masker keeps the groups (no JOIN_NUMBERS) */
    {"138 - 1234 - 5678", MASKER, "138 - 1234 - 5678"},
    /* digits in every script */
    {"１３８１２３４５６７８", 0, "13812345678"},
    {"①③⑧①②③④⑤⑥⑦⑧", 0, "13812345678"},
    {"⓪⑨", 0, "09"},
    {"\U0001D7CF\U0001D7D1\U0001D7D6\U0001D7FF", 0, "1389"}, /* mathematical */
    {"١٣٨١٢٣٤٥٦٧٨", 0, "13812345678"},			     /* Arabic-Indic */
    {"۱۳۸۱۲۳۴۵۶۷۸", 0, "13812345678"},			     /* extended */
    {"१३८", 0, "138"},					     /* Devanagari */
    {"❶❸❽", 0, "138"},
    /* Chinese numerals inside a number-like run */
    {"壹叁捌壹贰叁肆伍陆柒捌", QF_NORM_NUMERALS, "13812345678"},
    {"138一二三四5678", QF_NORM_NUMERALS, "13812345678"},
    {"幺三八 一二三四 五六七八", QF_NORM_NUMERALS, "138 1234 5678"},
    {"貳參陸两〇零○", QF_NORM_NUMERALS, "2362000"},
    {"一二三四五六十", QF_NORM_NUMERALS, "12345610"},
    /* ... but not in ordinary words */
    {"一楼两个十分", QF_NORM_NUMERALS, "一楼两个十分"},
    {"三三两两，一五", QF_NORM_NUMERALS, "三三两两,一五"},
    /* two idioms are eight numerals: digits here, masked by no rule */
    {"三三两两，一五一十", QF_NORM_NUMERALS, "3322,15110"},
    {"二〇二六年", QF_NORM_NUMERALS, "二〇二六年"},
    {"3栋一单元", QF_NORM_NUMERALS, "3栋一单元"},
    /* e-mail written around filters */
    {"name(at)example(dot)com", QF_NORM_EMAIL, "name@example.com"},
    {"name [at] example [dot] com", QF_NORM_EMAIL, "name@example.com"},
    {"name艾特example点com", QF_NORM_EMAIL, "name@example.com"},
    {"xu(dot)zhiyuan{at}example。cn", QF_NORM_EMAIL, "xu.zhiyuan@example.cn"},
    {"ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ", 0, "abc@example.com"},
    /* ... and ordinary text with 点 and at */
    {"下午3点半", QF_NORM_EMAIL, "下午3点半"},
    {"abc点com", QF_NORM_EMAIL, "abc点com"},
    {"meet at 5", QF_NORM_EMAIL, "meet at 5"},
    {"艾特我一下", QF_NORM_EMAIL, "艾特我一下"},
    /* single spaces between Han characters */
    {"王 秀兰", QF_NORM_JOIN_HAN, "王秀兰"},
    {"王　秀　兰", QF_NORM_JOIN_HAN, "王秀兰"},
    {"王  秀兰", QF_NORM_JOIN_HAN, "王  秀兰"},
    {"3栋 2单元", QF_NORM_JOIN_HAN, "3栋 2单元"},
    /* compatibility forms */
    {"\uF9B2\u2F00", 0, "零一"}, /* compatibility ideograph, Kangxi radical */
    {"ｅ\u0301", 0, "é"},	 /* a segment composes */
    {"\u202Eabc\u202C", 0, "abc"},
    {"", ALL, ""},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
		const struct row *r = &s_rows[i];
		char *o = qf_norm_str(r->in, strlen(r->in), r->flags);
		assert_non_null(o);
		if (strcmp(o, r->out))
			fail_msg("row %zu: '%s' -> '%s', want '%s'", i, r->in, o, r->out);
		/* normalising twice changes nothing */
		char *o2 = qf_norm_str(o, strlen(o), r->flags);
		if (strcmp(o2, o))
			fail_msg("row %zu: not idempotent: '%s' -> '%s'", i, o, o2);
		free(o2);
		free(o);
	}
}

/* Every normalised character knows the input characters it came from. */
static void test_positions(void **state)
{
	(void)state;
	/* 王, space, 秀, ①, ⑩, soft hyphen, 5 */
	const uint32_t in[] = {0x738B, ' ', 0x79C0, 0x2460, 0x2469, 0x00AD, '5'};
	struct qf_norm nm = {0};
	assert_int_equal(qf_norm_run(&nm, in, 7, QF_NORM_JOIN_HAN), 0);
	assert_int_equal(nm.n, 6); /* 王 秀 1 1 0 5 */
	const uint32_t want[][3] = {{0x738B, 0, 1}, {0x79C0, 2, 3}, {'1', 3, 4},
				    {'1', 4, 5},    {'0', 4, 5},    {'5', 6, 7}};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(nm.ch[i].c, want[i][0]);
		assert_int_equal(nm.ch[i].from, want[i][1]);
		assert_int_equal(nm.ch[i].to, want[i][2]);
	}
	/* "(at)" is one '@' covering four input characters */
	const uint32_t e[] = {'a', '(', 'a', 't', ')', 'b', '.', 'c', 'n'};
	assert_int_equal(qf_norm_run(&nm, e, 9, QF_NORM_EMAIL), 0);
	assert_int_equal(nm.n, 6);
	assert_int_equal(nm.ch[1].c, '@');
	assert_int_equal(nm.ch[1].from, 1);
	assert_int_equal(nm.ch[1].to, 5);
	/* the buffers are reused; an empty text is fine */
	assert_int_equal(qf_norm_run(&nm, NULL, 0, QF_NORM_ALL), 0);
	assert_int_equal(nm.n, 0);
	qf_norm_free(&nm);
	qf_norm_free(&nm); /* safe twice */
}

static struct qf_norm s_load(const char *s)
{
	uint32_t cp[256];
	size_t n = 0, i = 0, len = strlen(s);
	while (i < len && n < 256)
		cp[n++] = qf_norm_decode((const unsigned char *)s, len, &i);
	struct qf_norm nm = {0};
	assert_int_equal(qf_norm_run(&nm, cp, n, QF_NORM_NUMERALS), 0);
	return nm;
}

/* Runs, their groups, and the mobile and ID-card numbers inside them. */
static void test_numbers(void **state)
{
	(void)state;
	struct qf_norm nm =
	    s_load("电话138 1234 5678，13912345678；身份证510101 19900101 123X");
	struct qf_norm_num num;
	size_t at = 0, len;
	assert_int_equal(qf_norm_num_next(&nm, &at, NULL, &num), 1);
	assert_string_equal(num.slot, "1381234567813912345678");
	assert_int_equal(qf_norm_num_at(&num, 0, &len), QF_NORM_MOBILE);
	assert_int_equal(len, 11);
	assert_int_equal(qf_norm_num_at(&num, 3, &len), QF_NORM_NONE); /* mid-number */
	assert_int_equal(qf_norm_num_at(&num, 11, &len), QF_NORM_MOBILE);
	assert_int_equal(num.gap[3], 1);
	assert_int_equal(num.gap[11], 1);
	/* "；身份证" ends the run (letters are never separators) */
	assert_int_equal(qf_norm_num_next(&nm, &at, NULL, &num), 1);
	assert_string_equal(num.slot, "51010119900101123X");
	assert_int_equal(qf_norm_num_at(&num, 0, &len), QF_NORM_IDCARD);
	assert_int_equal(len, 18);
	assert_int_equal(qf_norm_num_next(&nm, &at, NULL, &num), 0);
	qf_norm_free(&nm);

	/* 86 prefix; stars are hidden digits; a 12-digit group is no mobile */
	nm = s_load("8613812345678 138****5678 138123456789");
	at = 0;
	assert_int_equal(qf_norm_num_next(&nm, &at, NULL, &num), 1);
	assert_int_equal(qf_norm_num_at(&num, 0, &len), QF_NORM_NONE);
	assert_int_equal(qf_norm_num_at(&num, 2, &len), QF_NORM_MOBILE);
	assert_int_equal(qf_norm_num_at(&num, 13, &len), QF_NORM_MOBILE);
	assert_int_equal(qf_norm_num_at(&num, 24, &len), QF_NORM_NONE);
	assert_int_equal(qf_norm_num_at(&num, 25, &len), QF_NORM_NONE);
	qf_norm_free(&nm);

	/* a run never starts or ends with a star; skip[] ends runs */
	nm = s_load("**12***67**");
	at = 0;
	assert_int_equal(qf_norm_num_next(&nm, &at, NULL, &num), 1);
	assert_string_equal(num.slot, "12***67");
	qf_norm_free(&nm);
	nm = s_load("1234567");
	uint8_t skip[7] = {0, 0, 0, 1, 0, 0, 0};
	at = 0;
	assert_int_equal(qf_norm_num_next(&nm, &at, skip, &num), 1);
	assert_string_equal(num.slot, "123");
	assert_int_equal(qf_norm_num_next(&nm, &at, skip, &num), 1);
	assert_string_equal(num.slot, "567");
	qf_norm_free(&nm);
}

static void test_classes_and_utf8(void **state)
{
	(void)state;
	assert_true(qf_norm_is_sep('-'));
	assert_true(qf_norm_is_sep(0x2014)); /* em dash */
	assert_true(qf_norm_is_sep(0x3001)); /* 、 */
	assert_true(qf_norm_is_sep(0x1F600));
	assert_false(qf_norm_is_sep('a'));
	assert_false(qf_norm_is_sep('7'));
	assert_false(qf_norm_is_sep('*'));
	assert_false(qf_norm_is_sep('\n'));
	assert_false(qf_norm_is_sep(0x738B)); /* 王 */
	assert_false(qf_norm_is_sep(0x00E9)); /* é */
	assert_true(qf_norm_is_han(0x738B));
	assert_true(qf_norm_is_han(0x20000));
	assert_false(qf_norm_is_han(0x3001));
	/* invalid UTF-8 becomes U+FFFD */
	char *o = qf_norm_str("a\xff\xed\xa0\x80", 5, 0);
	assert_string_equal(o, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(o);
	char buf[4];
	assert_int_equal(qf_norm_encode(0x1D7CE, buf), 4);
	size_t i = 0;
	assert_int_equal(qf_norm_decode((const unsigned char *)buf, 4, &i), 0x1D7CE);
	assert_int_equal(i, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_classes_and_utf8),
	};
	return cmocka_run_group_tests_name("norm", tests, NULL, NULL);
}
