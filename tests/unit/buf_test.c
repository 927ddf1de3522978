/* buf_test.c: the escaping rules every output relies on (HTML, XML, CSV,
 * URL, JSON) and money formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "qf_buf.h"

static char *s_run(void (*fn)(struct qf_buf *, const char *), const char *in)
{
	struct qf_buf b;
	qf_buf_init(&b);
	fn(&b, in);
	return qf_buf_take(&b, NULL);
}

static void test_html(void **state)
{
	(void)state;
	char *o = s_run(qf_buf_html, "<img src=x onerror=\"a('b')\">&amp;");
	assert_string_equal(
	    o, "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;amp;");
	free(o);
	o = s_run(qf_buf_html, NULL);
	assert_string_equal(o, "");
	free(o);
	o = s_run(qf_buf_xml, "a\x01<b>\x1f\tc");
	assert_string_equal(o, "a&lt;b&gt;\tc");
	free(o);
}

static void test_csv(void **state)
{
	(void)state;
	char *o = s_run(qf_buf_csv, "say \"hi\", ok");
	assert_string_equal(o, "\"say \"\"hi\"\", ok\"");
	free(o);
	const char *formulas[] = {"=1+1", "+1", "-1", "@SUM(A1)", "\tx"};
	for (size_t i = 0; i < 5; i++) {
		o = s_run(qf_buf_csv, formulas[i]);
		assert_true(o[0] == '"' && o[1] == '\'');
		free(o);
	}
}

static void test_url_json(void **state)
{
	(void)state;
	char *o = s_run(qf_buf_url, "case:C1 /?&=中");
	assert_string_equal(o, "case%3AC1%20%2F%3F%26%3D%E4%B8%AD");
	free(o);
	o = s_run(qf_buf_json_str, "a\"b\\c\n</script>&");
	assert_string_equal(o, "\"a\\\"b\\\\c\\n\\u003c/script\\u003e\\u0026\"");
	free(o);
}

static void test_money_and_growth(void **state)
{
	(void)state;
	struct qf_buf b;
	qf_buf_init(&b);
	qf_buf_yuan(&b, 123456789);
	qf_buf_putc(&b, ' ');
	qf_buf_yuan(&b, -5);
	qf_buf_putc(&b, ' ');
	qf_buf_yuan(&b, 0);
	qf_buf_putc(&b, ' ');
	qf_buf_yuan(&b, INT64_MIN);
	assert_string_equal(b.p, "1,234,567.89 -0.05 0.00 -92,233,720,368,547,758.08");
	qf_buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		qf_buf_printf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 20000);
	assert_true(qf_buf_ok(&b));
	qf_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_url_json),
	    cmocka_unit_test(test_money_and_growth),
	};
	return cmocka_run_group_tests_name("disclosure buf", tests, NULL, NULL);
}
