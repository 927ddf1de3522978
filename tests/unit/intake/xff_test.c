/* xff_test: the client address behind trusted proxies: only a trusted
 * peer's X-Forwarded-For counts, the whole header is read from the right
 * past trusted proxies, the address found must be one (inet_pton), and a
 * header over the limit is refused (it used to be cut at 511 bytes, so an
 * attacker's own token became the rate-limit key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "intake.h"

static struct intake_strlist s_tp = {{"10.0.0.1", "10.0.0.2", "::1"}, 3};

static int s_xff(const char *peer, const char *xff, char *out)
{
	return intake_xff_client(peer, xff, &s_tp, out, 64);
}

static void test_trust(void **state)
{
	(void)state;
	char out[64];
	/* an untrusted peer's header is its own word: ignored */
	assert_int_equal(s_xff("203.0.113.9", "1.2.3.4", out), 0);
	assert_string_equal(out, "203.0.113.9");
	/* a trusted proxy in front: the address it saw */
	assert_int_equal(s_xff("10.0.0.1", "198.51.100.7", out), 0);
	assert_string_equal(out, "198.51.100.7");
	/* no header */
	assert_int_equal(s_xff("10.0.0.1", NULL, out), 0);
	assert_string_equal(out, "10.0.0.1");
	/* two proxies: skipped from the right; what the client wrote on the
	   left does not matter */
	assert_int_equal(s_xff("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", out), 0);
	assert_string_equal(out, "198.51.100.7");
	assert_int_equal(s_xff("10.0.0.1", " 2001:db8::5 ,\t10.0.0.2", out), 0);
	assert_string_equal(out, "2001:db8::5");
	/* only trusted proxies: the leftmost */
	assert_int_equal(s_xff("10.0.0.1", "10.0.0.2, 10.0.0.1", out), 0);
	assert_string_equal(out, "10.0.0.2");
	assert_int_equal(s_xff("::1", "192.0.2.1", out), 0);
	assert_string_equal(out, "192.0.2.1");
}

static void test_refused(void **state)
{
	(void)state;
	char out[64], big[INTAKE_XFF_MAX + 64];
	/* not addresses */
	assert_int_equal(s_xff("10.0.0.1", "attacker-token", out), -2);
	assert_int_equal(s_xff("10.0.0.1", "1.2.3.4, ", out), -2);
	assert_int_equal(s_xff("10.0.0.1", "1.2.3.4:8080", out), -2);
	assert_int_equal(s_xff("10.0.0.1", "", out), -2);
	/* over the limit: refused, never cut */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big + sizeof big - 16, ",198.51.100.7", 14);
	assert_int_equal(s_xff("10.0.0.1", big, out), -1);
	/* a long but legal header is read whole, from the right */
	char chain[INTAKE_XFF_MAX + 1] = "";
	while (strlen(chain) + 20 < INTAKE_XFF_MAX)
		strcat(chain, "203.0.113.77, ");
	strcat(chain, "198.51.100.8");
	assert_true(strlen(chain) > 600);
	assert_int_equal(s_xff("10.0.0.1", chain, out), 0);
	assert_string_equal(out, "198.51.100.8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trust),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
