/* mask_test.c: personal data masking on tricky text: numbers inside Chinese
 * text, full-width digits, Chinese numerals, separators, ID cards with X,
 * e-mail addresses, names after cues, invalid UTF-8, and idempotence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qf_mask.h"

struct row {
	const char *in, *surname, *out;
};

static const struct row s_rows[] = {
    /* mobile numbers: plain, inside Chinese text, separated, full-width */
    {"电话13812345678", NULL, "电话138****5678"},
    {"请联系13812345678谢谢", NULL, "请联系138****5678谢谢"},
    {"138 1234 5678", NULL, "138 **** 5678"},
    {"138-1234-5678", NULL, "138-****-5678"},
    {"手机：１３８１２３４５６７８。", NULL, "手机：１３８****５６７８。"},
    {"１３８　１２３４　５６７８", NULL, "１３８　****　５６７８"},
    {"+86 13812345678", NULL, "+86 1******5678"},
    /* Chinese numerals read out as a phone number */
    {"幺三八一二三四五六七八", NULL, "幺三八****五六七八"},
    {"一三八一二三四五六七八号码", NULL, "一三八****五六七八号码"},
    /* ... but ordinary numerals stay */
    {"一个人，二楼，十二户", NULL, "一个人，二楼，十二户"},
    /* landline, ID cards */
    {"座机0818-2100009", NULL, "座机081*-***0009"},
    {"身份证51010119900101123X", NULL, "身份证510**************X"},
    {"身份证510101199001011234号", NULL, "身份证510**************4号"},
    {"ｉｄ５１０１０１１９９００１０１１２３Ｘ", NULL, "ｉｄ５１０**************Ｘ"},
    /* 7 to 10 digits: QQ numbers, card fragments */
    {"QQ1234567", NULL, "QQ12***67"},
    /* dates and small numbers are not personal data */
    {"2026-11-25 下午3点，3栋2单元301室", NULL, "2026-11-25 下午3点，3栋2单元301室"},
    {"费用1,280元", NULL, "费用1,280元"},
    /* e-mail, also with a full-width at sign */
    {"邮箱xu.zhiyuan@example.com。", NULL, "邮箱x***@e***.com。"},
    {"邮箱ab＠mail.example.cn", NULL, "邮箱a***＠m***.cn"},
    {"a@b 不是邮箱", NULL, "a@b 不是邮箱"},
    /* names after strong cues, any common surname */
    {"我叫王小明，住3栋", NULL, "我叫王**，住3栋"},
    {"本人张伟在3栋", NULL, "本人张**在3栋"},
    {"联系人：欧阳娜娜", NULL, "联系人：欧阳**"},
    {"姓名 李四", NULL, "姓名 李**"},
    /* the petitioner's known surname: weak cues and boundaries */
    {"已电话联系徐志远，约定明天上门", "徐", "已电话联系徐**，约定明天上门"},
    {"徐志远反映楼道堵塞", "徐", "徐**反映楼道堵塞"},
    {"——徐志远", "徐", "——徐**"},
    /* no surname known: weak cues do not mask ordinary words */
    {"联系物业公司处理", NULL, "联系物业公司处理"},
    {"联系方式见上", NULL, "联系方式见上"},
    /* markup is text (escaping is the renderer's job), kept as is */
    {"<script>alert(1)</script>", NULL, "<script>alert(1)</script>"},
    /* control and bidi-override characters are dropped */
    {"a\x01"
     "b\xe2\x80\xae"
     "c",
     NULL, "abc"},
    {"line1\r\nline2", NULL, "line1\nline2"},
    /* zero-width characters cannot split a number past the filter */
    {"138\xe2\x80\x8b"
     "1234\xe2\x80\x8b"
     "5678",
     NULL, "138****5678"},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
		struct qf_mask_opts o = {.surname = s_rows[i].surname};
		char *m = qf_mask_text(s_rows[i].in, strlen(s_rows[i].in), &o);
		assert_non_null(m);
		if (strcmp(m, s_rows[i].out))
			fail_msg("row %zu: '%s' -> '%s', want '%s'", i, s_rows[i].in, m,
				 s_rows[i].out);
		/* idempotent */
		char *m2 = qf_mask_text(m, strlen(m), &o);
		assert_string_equal(m2, m);
		free(m2);
		free(m);
	}
}

static void test_allow_list(void **state)
{
	(void)state;
	const char *allow[] = {"08182100001"};
	struct qf_mask_opts o = {.allow = allow, .nallow = 1};
	const char *in = "咨询电话0818-2100001，或0818-2100009";
	char *m = qf_mask_text(in, strlen(in), &o);
	assert_string_equal(m, "咨询电话0818-2100001，或081*-***0009");
	free(m);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	const char in[] = "ok\xff\xfe"
			  "中\xe4\xb8"
			  "x\xc0\xaf";
	char *m = qf_mask_text(in, sizeof in - 1, NULL);
	assert_non_null(m);
	/* every invalid byte became U+FFFD; the result is valid UTF-8 */
	assert_string_equal(m, "ok\xef\xbf\xbd\xef\xbf\xbd中\xef\xbf\xbd\xef\xbf\xbdx"
			       "\xef\xbf\xbd\xef\xbf\xbd");
	free(m);
	char *c = qf_mask_clean("\xed\xa0\x80"
			     "a",
			     4, 0); /* a surrogate */
	assert_string_equal(c, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			       "a");
	free(c);
}

static void test_truncate(void **state)
{
	(void)state;
	struct qf_mask_opts o = {.max_chars = 3};
	char *m = qf_mask_text("一二三四五", strlen("一二三四五"), &o);
	assert_string_equal(m, "一二三");
	free(m);
	char *e = qf_mask_text(NULL, 0, NULL);
	assert_string_equal(e, "");
	free(e);
}

static void test_name_phone(void **state)
{
	(void)state;
	char o[64];
	qf_mask_name("徐志远", 0, o, sizeof o);
	assert_string_equal(o, "徐**");
	qf_mask_name("徐**", 0, o, sizeof o);
	assert_string_equal(o, "徐**");
	qf_mask_name("欧阳娜娜", 0, o, sizeof o);
	assert_string_equal(o, "欧阳**");
	qf_mask_name("徐志远", 1, o, sizeof o);
	assert_string_equal(o, "匿名");
	qf_mask_name("", 0, o, sizeof o);
	assert_string_equal(o, "匿名");
	qf_mask_name("匿名", 0, o, sizeof o);
	assert_string_equal(o, "匿名");
	qf_mask_name("1380000", 0, o, sizeof o);
	assert_string_equal(o, "匿名");
	qf_mask_name("Alice", 0, o, sizeof o);
	assert_string_equal(o, "A**");
	qf_mask_phone("13812345678", o, sizeof o);
	assert_string_equal(o, "138****5678");
	qf_mask_phone("138****5678", o, sizeof o);
	assert_string_equal(o, "138****5678");
	qf_mask_phone("+86 138-1234-5678", o, sizeof o);
	assert_string_equal(o, "138****5678");
	qf_mask_phone("０８１８－２１０００１２", o, sizeof o);
	assert_string_equal(o, "081****0012");
	qf_mask_phone("2100012", o, sizeof o);
	assert_string_equal(o, "21***12");
	qf_mask_phone("12345", o, sizeof o);
	assert_string_equal(o, "*****");
	qf_mask_phone("", o, sizeof o);
	assert_string_equal(o, "");
	qf_mask_surname("徐**", o, sizeof o);
	assert_string_equal(o, "徐");
	qf_mask_surname("匿名", o, sizeof o);
	assert_string_equal(o, "");
}

/* A name found after a cue is remembered (as a keyed hash) and masked in
 * later texts of the same case where no cue or surname would catch it. */
static void test_learned_names(void **state)
{
	(void)state;
	unsigned char key[32] = {1, 2, 3};
	unsigned char hashes[8][QF_MASK_HASH];
	struct qf_mask_names nm = {key, hashes, 0, 8, 0};
	struct qf_mask_opts o = {.names = &nm};
	const char *a = "我叫卞小川，楼上漏水";
	char *m = qf_mask_text(a, strlen(a), &o);
	assert_string_equal(m, "我叫卞**，楼上漏水");
	assert_int_equal(nm.n, 1);
	assert_int_equal(nm.learned, 1);
	free(m);
	const char *b = "已电话联系卞小川，卞小川家的水管已修好";
	m = qf_mask_text(b, strlen(b), &o);
	assert_string_equal(m, "已电话联系卞**，卞**家的水管已修好");
	free(m);
	/* another case (no names known) keeps ordinary text */
	struct qf_mask_opts none = {0};
	m = qf_mask_text(b, strlen(b), &none);
	assert_string_equal(m, b);
	free(m);
	/* nothing is stored in the clear: only hashes */
	for (unsigned i = 0; i < nm.n; i++)
		assert_null(memmem(hashes[i], QF_MASK_HASH, "卞", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	 cmocka_unit_test(test_allow_list),
	    cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_name_phone),	 cmocka_unit_test(test_learned_names),
	};
	return cmocka_run_group_tests_name("disclosure mask", tests, NULL, NULL);
}
