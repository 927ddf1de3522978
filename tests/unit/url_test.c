/* url_test: allow-lists compared by parsed parts (qf_url): the string-prefix
 * holes of issue 13 (https://host.evil.net/, https://host@evil.net/) are
 * closed, ports and schemes must agree, a path prefix ends on a segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "qf_err.h"
#include "qf_url.h"

static void test_parse(void **state)
{
	(void)state;
	struct qf_url u;
	assert_int_equal(qf_url_parse("HTTPS://Hooks.Example.CN/a/b?x=1", &u), QF_OK);
	assert_string_equal(u.scheme, "https");
	assert_string_equal(u.host, "hooks.example.cn");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/a/b");
	assert_false(u.userinfo);
	assert_int_equal(qf_url_parse("http://u:p@h.example/", &u), QF_OK);
	assert_true(u.userinfo);
	assert_int_equal(qf_url_parse("ftp://h.example/", &u), QF_ERR_INVAL);
	assert_int_equal(qf_url_parse("not a url", &u), QF_ERR_INVAL);
	assert_int_equal(qf_url_parse("", &u), QF_ERR_INVAL);
	assert_int_equal(qf_url_parse(NULL, &u), QF_ERR_INVAL);
}

static void test_allowed(void **state)
{
	(void)state;
	const char *host = "https://hooks.example.cn";
	assert_true(qf_url_allowed("https://hooks.example.cn/x", host));
	assert_true(qf_url_allowed("https://HOOKS.example.cn:443/", host));
	/* the holes of a string prefix */
	assert_false(qf_url_allowed("https://hooks.example.cn.evil.net/", host));
	assert_false(qf_url_allowed("https://hooks.example.cn@evil.net/", host));
	assert_false(qf_url_allowed("https://hooks.example.cn:8443/", host));
	assert_false(qf_url_allowed("http://hooks.example.cn/", host));
	assert_false(qf_url_allowed("https://user@hooks.example.cn/", host));
	/* path prefixes end on a segment */
	const char *path = "https://hooks.example.cn/qingfeng";
	assert_true(qf_url_allowed("https://hooks.example.cn/qingfeng", path));
	assert_true(qf_url_allowed("https://hooks.example.cn/qingfeng/b05", path));
	assert_false(qf_url_allowed("https://hooks.example.cn/qingfengevil", path));
	assert_false(qf_url_allowed("https://hooks.example.cn/", path));
	assert_true(qf_url_allowed("https://hooks.example.cn/q/x",
				   "https://hooks.example.cn/q/"));
	/* either side unparsable: not allowed */
	assert_false(qf_url_allowed("https://hooks.example.cn/", "hooks.example.cn"));
	assert_false(qf_url_allowed("javascript:alert(1)", host));
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_allowed),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
