/* web_test: the page shell's pure helpers: the way back of the large-type
 * toggle stays on this site, times read as residents read them, errors are
 * tied to their fields, and the QR code is an SVG of the link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "web.h"

static void test_local_path(void **st)
{
	(void)st;
	assert_true(web_local_path("/"));
	assert_true(web_local_path("/t/LSJ-ABC123"));
	assert_false(web_local_path(NULL));
	assert_false(web_local_path(""));
	assert_false(web_local_path("t/x"));
	assert_false(web_local_path("//evil.example/"));
	assert_false(web_local_path("/\\evil.example"));
	assert_false(web_local_path("https://evil.example/"));
	assert_false(web_local_path("/a\r\nSet-Cookie: x=1"));
	char longp[300];
	memset(longp, 'a', sizeof longp);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	assert_false(web_local_path(longp));
}

static void test_time(void **st)
{
	(void)st;
	struct qf_buf b;
	qf_buf_init(&b);
	web_time(&b, "2026-12-08T12:24:18+08:00");
	assert_string_equal(b.p, "2026-12-08 12:24");
	qf_buf_reset(&b);
	web_time(&b, "<b>");
	assert_string_equal(b.p, "&lt;b&gt;");
	qf_buf_free(&b);
}

static void test_field_error(void **st)
{
	(void)st;
	struct intake_err e = {.status = 400, .code = "missing_field"};
	strcpy(e.field, "description");
	strcpy(e.message, "问题描述 不能为空");
	struct qf_buf b;
	qf_buf_init(&b);
	web_field_attrs(&b, "description", 1, &e);
	assert_string_equal(b.p, " id=\"f-description\" name=\"description\" "
				 "aria-describedby=\"h-description e-description\" "
				 "aria-invalid=\"true\"");
	qf_buf_reset(&b);
	web_field_attrs(&b, "phone", 0, &e);
	assert_string_equal(b.p, " id=\"f-phone\" name=\"phone\"");
	qf_buf_reset(&b);
	web_field_err(&b, "description", &e, "<x>");
	assert_string_equal(b.p, "<span class=\"err\" role=\"alert\" "
				 "id=\"e-description\">&lt;x&gt;</span>");
	qf_buf_free(&b);
}

static void test_qr(void **st)
{
	(void)st;
	struct qf_buf b;
	qf_buf_init(&b);
	assert_int_equal(
	    web_qr_svg(&b, "http://127.0.0.1:8080/t/LSJ-ABC123#k=X", "二维码"), 0);
	assert_non_null(strstr(b.p, "<svg class=\"qr\""));
	assert_non_null(strstr(b.p, "aria-label=\"二维码\""));
	assert_non_null(strstr(b.p, "M4 4h1v1h-1z")); /* the finder pattern's corner */
	qf_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_path),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_field_error),
	    cmocka_unit_test(test_qr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
