/* page_test: numeric positions as opaque cursors (qf_page): every position
 * round-trips, each has exactly one spelling, and text that did not come
 * from qf_page_u64_cursor is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "qf_err.h"
#include "qf_page.h"

static void test_round_trip(void **state)
{
	(void)state;
	const uint64_t pos[] = {0, 1, 99, 256, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
		char c[QF_PAGE_U64_LEN];
		qf_page_u64_cursor(pos[i], c);
		assert_int_equal(strlen(c), QF_PAGE_U64_LEN - 1);
		assert_int_equal(
		    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789-_"),
		    strlen(c));
		uint64_t back = 42;
		assert_int_equal(qf_page_cursor_u64(c, &back), QF_OK);
		assert_true(back == pos[i]);
	}
}

static void test_foreign_text_refused(void **state)
{
	(void)state;
	const char *bad[] = {"",
			     "12",
			     "AAAAAAAAAA",
			     "AAAAAAAAAAAA",
			     "AAAAAAAAAA=",
			     "AAAAAAAAAA+",
			     "AAAAAAAAAA/",
			     "AAAAAAAAAAB",
			     "AAAAAAAAAA!",
			     "AAAAAAAAA A"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t pos = 7;
		assert_int_equal(qf_page_cursor_u64(bad[i], &pos), QF_ERR_INVAL);
		assert_true(pos == 7);
	}
	assert_int_equal(qf_page_cursor_u64(NULL, NULL), QF_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_foreign_text_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
