/* mask_test.c: personal data masking (qf_mask) on tricky text: numbers
 * inside Chinese text in every script and grouping residents use, ID cards
 * with X, e-mail addresses also written with (at) and 艾特, names after cues,
 * in name contexts and in traditional script, ordinary words that must stay,
 * invalid UTF-8, and idempotence. The generated corpus is in
 * mask_corpus_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "qf_mask.h"
#include "qf_norm.h"

struct row {
	const char *in, *surname, *out;
};

static const struct row s_rows[] = {
    /* mobile numbers: plain, inside Chinese text, separated, full-width */
    {"电话13812345678", NULL, "电话138****5678"},
    {"请联系13812345678谢谢", NULL, "请联系138****5678谢谢"},
    {"138 1234 5678", NULL, "138****5678"},
    {"138-1234-5678", NULL, "138****5678"},
    {"手机：１３８１２３４５６７８。", NULL, "手机：138****5678。"},
    {"１３８　１２３４　５６７８", NULL, "138****5678"},
    {"+86 13812345678", NULL, "+86 138****5678"},
    /* Chinese numerals read out as a phone number */
    {"幺三八一二三四五六七八", NULL, "138****5678"},
    {"一三八一二三四五六七八号码", NULL, "138****5678号码"},
    /* ... but ordinary numerals stay */
    {"一个人，二楼，十二户", NULL, "一个人，二楼，十二户"},
    /* landline, ID cards */
    {"座机0818-2100009", NULL, "座机081****0009"},
    {"身份证51010119900101123X", NULL, "身份证510**************X"},
    {"身份证510101199001011234号", NULL, "身份证510**************4号"},
    {"ｉｄ５１０１０１１９９００１０１１２３Ｘ", NULL, "ｉｄ510**************X"},
    /* 7 to 10 digits: QQ numbers, card fragments */
    {"QQ1234567", NULL, "QQ12***67"},
    /* dates and small numbers are not personal data */
    {"2026-11-25 下午3点，3栋2单元301室", NULL, "2026-11-25 下午3点，3栋2单元301室"},
    {"费用1,280元", NULL, "费用1,280元"},
    /* e-mail, also with a full-width at sign */
    {"邮箱xu.zhiyuan@example.com。", NULL, "邮箱x***@e***.com。"},
    {"邮箱ab＠mail.example.cn", NULL, "邮箱a***@m***.cn"},
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
	assert_string_equal(m, "咨询电话0818-2100001，或081****0009");
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
	const char *b = "今天卞小川来过，水管已修好";
	m = qf_mask_text(b, strlen(b), &o);
	assert_string_equal(m, "今天卞**来过，水管已修好");
	free(m);
	/* another case (no names known): no cue, no context, not found */
	struct qf_mask_opts none = {0};
	m = qf_mask_text(b, strlen(b), &none);
	assert_string_equal(m, b);
	free(m);
	/* nothing is stored in the clear: only hashes */
	for (unsigned i = 0; i < nm.n; i++)
		assert_null(memmem(hashes[i], QF_MASK_HASH, "卞", 3));
}

/* ------------------------------------------------------------ issue 12 forms */

/* Every way of writing 138 1234 5678 the masker used to miss: each comes
 * out as 138****5678, and the hidden digits 1234 are nowhere in the
 * output, in any script, once it is normalised again. */
static const char *const s_mobile_forms[] = {
    "138.1234.5678",
    "138 - 1234 - 5678",
    "138/1234/5678",
    "138_1234_5678",
    "138，1234，5678",
    "138\t1234\t5678",
    "138  1234  5678",
    "138—1234—5678",
    "138\u00AD1234\u00AD5678", /* soft hyphen */
    "壹叁捌壹贰叁肆伍陆柒捌",
    "138一二三四5678",
    "①③⑧①②③④⑤⑥⑦⑧",
    "\U0001D7CF\U0001D7D1\U0001D7D6\U0001D7CF\U0001D7D0\U0001D7D1\U0001D7D2\U0001D7D3"
    "\U0001D7D4\U0001D7D5\U0001D7D6",		/* mathematical bold */
    "\U0001D7E3\U0001D7E5\U0001D7EA 𝟙𝟚𝟛𝟜 𝟝𝟞𝟟𝟠", /* double-struck */
    "١٣٨١٢٣٤٥٦٧٨",				/* Arabic-Indic */
    "۱۳۸-۱۲۳۴-۵۶۷۸",				/* extended Arabic-Indic */
    "(138)1234 5678",
    "（138）1234-5678",
    "幺三八 一二三四 五六七八",
    "138 1234 5678",
    "1 3 8 1 2 3 4 5 6 7 8",
};

/* The digits of the text, normalised, per run: does any run contain
 * `digits`? */
static int s_digits_survive(const char *text, const char *digits)
{
	char *n = qf_norm_str(text, strlen(text), QF_NORM_ALL);
	size_t len = strlen(n);
	int found = 0;
	char run[512];
	size_t k = 0;
	for (size_t i = 0; i <= len && !found; i++) {
		unsigned char c = (unsigned char)n[i];
		if (c >= '0' && c <= '9' && k < sizeof run - 1) {
			run[k++] = (char)c;
			continue;
		}
		run[k] = '\0';
		found = k && strstr(run, digits) != NULL;
		k = 0;
	}
	free(n);
	return found;
}

static char *s_mask(const char *in, const struct qf_mask_opts *o)
{
	char *m = qf_mask_text(in, strlen(in), o);
	assert_non_null(m);
	char *m2 = qf_mask_text(m, strlen(m), o);
	if (strcmp(m, m2))
		fail_msg("not idempotent: '%s' -> '%s' -> '%s'", in, m, m2);
	free(m2);
	return m;
}

static void test_mobile_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof s_mobile_forms / sizeof s_mobile_forms[0]; i++) {
		char in[256];
		snprintf(in, sizeof in, "请回电%s谢谢", s_mobile_forms[i]);
		char *m = s_mask(in, NULL);
		if (strcmp(m, "请回电138****5678谢谢"))
			fail_msg("form %zu: '%s' -> '%s'", i, in, m);
		assert_false(s_digits_survive(m, "1234"));
		free(m);
	}
	/* circled and double-struck zero; a mobile beside a landline */
	char *m = s_mask("⓪⑧①⑧-②①⓪⓪⓪⓪⑨", NULL);
	assert_string_equal(m, "081****0009");
	free(m);
	m = s_mask("手机13812345678 座机0818-2100009", NULL);
	assert_string_equal(m, "手机138****5678 座机081****0009");
	free(m);
	/* two mobiles side by side stay two */
	m = s_mask("13812345678，13912345678", NULL);
	assert_string_equal(m, "138****5678，139****5678");
	free(m);
	/* a long list of numbers is one run of digits longer than the
	   normaliser reads at once: every number in it is still whole */
	{
		char in[2048] = "电话：";
		for (size_t i = 0; i < sizeof s_mobile_forms / sizeof s_mobile_forms[0]; i++) {
			strcat(in, s_mobile_forms[i]);
			strcat(in, "；");
		}
		strcat(in, "139 0811 1016；(139)0811 1017；+86 139 0811 1018");
		m = s_mask(in, NULL);
		if (s_digits_survive(m, "1234") || s_digits_survive(m, "0811"))
			fail_msg("a number survived in a list: '%s'", m);
		free(m);
	}
	/* ID cards with separators; dates and times stay */
	m = s_mask("身份证 510101 19900101 123x，2026-11-25 14:30到", NULL);
	assert_string_equal(m, "身份证 510**************X，2026-11-25 14:30到");
	free(m);
	/* a star-separated number is a long number, not a mobile */
	m = s_mask("138*1234*5678", NULL);
	assert_string_equal(m, "138******5678");
	free(m);
}

static void test_email_forms(void **state)
{
	(void)state;
	static const char *const forms[][2] = {
	    {"邮箱name(at)example(dot)com谢谢", "邮箱n***@e***.com谢谢"},
	    {"邮箱name艾特example点com谢谢", "邮箱n***@e***.com谢谢"},
	    {"name [at] example [dot] com", "n***@e***.com"},
	    {"ｎａｍｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "n***@e***.com"},
	    {"13812345678@qq.com", "1***@q***.com"},
	    {"下午3点半到艾特我", "下午3点半到艾特我"},
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char *m = s_mask(forms[i][0], NULL);
		if (strcmp(m, forms[i][1]))
			fail_msg("'%s' -> '%s', want '%s'", forms[i][0], m, forms[i][1]);
		free(m);
	}
}

/* Names without a cue word, in traditional script, with rare surnames, with
 * a space inside; the petitioner's known full name. */
static void test_names(void **state)
{
	(void)state;
	static const char *const rows[][2] = {
	    /* a name context and no cue */
	    {"王秀兰反映楼道灯坏了", "王**反映楼道灯坏了"},
	    {"已电话联系王秀兰", "已电话联系王**"},
	    {"居民王秀兰反映楼道太暗", "居民王**反映楼道太暗"},
	    {"李明说楼上漏水", "李**说楼上漏水"},
	    {"张伟来电称水管爆了", "张**来电称水管爆了"},
	    {"刘建国老人行动不便", "刘**老人行动不便"},
	    {"赵志强的电话打不通", "赵**的电话打不通"},
	    {"马红梅女士投诉", "马**女士投诉"},
	    {"给张秀英打电话", "给张**打电话"},
	    {"找王秀兰核实情况", "找王**核实情况"},
	    {"欧阳娜娜反映", "欧阳**反映"},
	    /* traditional script */
	    {"陳秀蘭反映樓道燈壞了", "陳**反映樓道燈壞了"},
	    {"張偉說電梯壞了", "張**說電梯壞了"},
	    {"劉建國來電", "劉**來電"},
	    {"黃志明先生", "黃**先生"},
	    {"趙麗華女士", "趙**女士"},
	    {"吳國強反映", "吳**反映"},
	    {"孫淑芬阿姨", "孫**阿姨"},
	    {"鄭文傑說", "鄭**說"},
	    {"馮玉蘭奶奶", "馮**奶奶"},
	    {"蕭志偉老師", "蕭**老師"},
	    {"已聯繫陳秀蘭", "已聯繫陳**"},
	    {"歐陽娜娜反映", "歐陽**反映"},
	    /* rare surnames */
	    {"亓秀兰反映", "亓**反映"},
	    {"笪红梅说", "笪**说"},
	    {"缑建国来电", "缑**来电"},
	    /* a space inside the name */
	    {"王 秀兰反映", "王**反映"},
	    {"王秀 兰反映", "王**反映"},
	    {"已电话联系王　秀兰", "已电话联系王**"},
	    /* a strong cue takes any listed surname */
	    {"我叫仉小川，住3栋", "我叫仉**，住3栋"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char *m = s_mask(rows[i][0], NULL);
		if (strcmp(m, rows[i][1]))
			fail_msg("'%s' -> '%s', want '%s'", rows[i][0], m, rows[i][1]);
		free(m);
	}
	/* the petitioner's own full name, wherever it stands */
	const char *known[] = {"卞小川", "欧阳 明月"};
	struct qf_mask_opts o = {.known_names = known, .nknown_names = 2};
	char *m = s_mask("今天卞小川来过，欧阳明月也来了，卞 小川走了", &o);
	assert_string_equal(m, "今天卞**来过，欧阳**也来了，卞**走了");
	free(m);
}

/* Ordinary words with surname characters: none of them is masked. */
static const char *const s_ordinary[] = {
    "王府井的商店很多",
    "李子树结果了",
    "物业张贴了停水通知",
    "高楼的外墙有裂缝",
    "周末的时候噪音很大",
    "黄色的垃圾桶满了",
    "林荫道的路灯不亮",
    "马路对面在施工",
    "朱红的大门掉漆了",
    "胡同里停满了车",
    "何时能修好电梯",
    "方向指示牌倒了",
    "金额不对请核实",
    "于是我们打电话反映",
    "石头堵住了下水道",
    "白天的噪音还好",
    "万一着火怎么办",
    "常常有人在楼道抽烟",
    "周边的环境很差",
    "高兴的是问题解决了",
    "安全通道被堵住了",
    "文明养犬从我做起",
    "卫生间漏水",
    "居民反映楼道太暗",
    "农民工的工资拖欠",
    "门卫说车不能进",
    "全国文明城市创建",
    "明天上午来修",
    "平安小区建设",
    "和平路的井盖松动",
    "江南小区的路灯坏了",
    "温度太高，空调不制冷",
    "龙头漏水好几天了",
    "毛毛雨下个不停",
    "房东说不退押金",
    "司机说这里不能停车",
    "师生反映食堂太贵",
    "高中生晚上吵闹",
    "初中生在楼道抽烟",
    "宁静的夜晚被打破",
    "华丽的装修也没用",
    "康复中心的电梯坏了",
    "成功解决了漏水问题",
    "花园里的路灯坏了",
    "向阳小区门口有坑",
    "国庆期间暂停服务",
    "简单说一下情况",
    "冷静处理邻里纠纷",
    "连续三天停水",
    "柏油路面坏了",
    "商量一下解决办法",
    "申请维修基金",
    "关心孤寡老人",
    "夏天太热了",
    "车辆乱停乱放",
    "黎明时分有噪音",
    "严重影响休息",
    "任何人不得占用",
    "余额不足请充值",
    "时间太晚了",
    "请联系方式为空的住户补填",
    "告诉周边居民注意安全",
    "帮高龄老人买菜",
    "通知全体居民开会",
    "请安排人员处理",
    "周末反映的问题还没解决",
    "大家反映电梯太慢",
    "路人说井盖松了",
    "车主反映车位不够",
    "房主说要装修",
    "孙子放学没人接",
    "白云小区停电",
    "江边的栏杆坏了",
    "钱包丢了",
    "管理处说过两天修",
    "东方明珠",
    "司马光砸缸的故事",
    "一楼两个十分钟",
    "三三两两，一五一十",
    "下午3点，3栋2单元301室",
    "费用1,280.50元，10:30-11:30",
};

static void test_false_positives(void **state)
{
	(void)state;
	size_t n = sizeof s_ordinary / sizeof s_ordinary[0];
	assert_true(n >= 50);
	for (size_t i = 0; i < n; i++) {
		char *m = s_mask(s_ordinary[i], NULL);
		if (strcmp(m, s_ordinary[i]))
			fail_msg("ordinary text masked: '%s' -> '%s'", s_ordinary[i], m);
		free(m);
	}
}

/* The output never holds a control, format or bidi character. */
static void test_no_invisible(void **state)
{
	(void)state;
	const char *in = "a\u00AD\u200B\u200E\u202E\u2066\uFEFF\U000E0041b\x7f\x1b";
	char *m = s_mask(in, NULL);
	assert_string_equal(m, "ab");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	 cmocka_unit_test(test_allow_list),
	    cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_name_phone),	 cmocka_unit_test(test_learned_names),
	    cmocka_unit_test(test_mobile_forms), cmocka_unit_test(test_email_forms),
	    cmocka_unit_test(test_names),	 cmocka_unit_test(test_false_positives),
	    cmocka_unit_test(test_no_invisible),
	};
	return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
