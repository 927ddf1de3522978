/* zap_test: CURVE with the ZAP allow-list, on real sockets: a client whose
 * public key is listed gets the producer's events; a client with another key
 * (who knows the server key) is refused; a client without CURVE is refused;
 * the allow file's errors name file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <zmq.h>

#include "qf_bus.h"
#include "qf_err.h"
#include "qf_zap.h"
#include "testutil.h"

static char s_spub[41], s_ssec[41], s_apub[41], s_asec[41], s_bpub[41], s_bsec[41];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* bind a CURVE PUB, connect a SUB with the given client keys; return how
 * many of 20 messages arrived within ~1.5 s */
static int exchange(void *z, const char *cpub, const char *csec, int use_curve)
{
	void *pub = zmq_socket(z, ZMQ_PUB), *sub = zmq_socket(z, ZMQ_SUB);
	int zero = 0;
	zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
	struct qf_bus_curve server = {s_spub, s_ssec, NULL};
	assert_int_equal(qf_bus_curve_apply(pub, &server, 1), QF_OK);
	assert_int_equal(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
	char ep[64];
	size_t len = sizeof ep;
	zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &len);
	if (use_curve) {
		struct qf_bus_curve client = {cpub, csec, s_spub};
		assert_int_equal(qf_bus_curve_apply(sub, &client, 0), QF_OK);
	}
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	zmq_connect(sub, ep);
	int got = 0;
	for (int round = 0; round < 15 && got == 0; round++) {
		zmq_send(pub, "hello", 5, 0);
		zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 100) > 0) {
			char buf[16];
			while (zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT) > 0)
				got++;
		}
	}
	zmq_close(sub);
	zmq_close(pub);
	return got;
}

static void test_allow_list(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("zap");
	char allow[256], text[256];
	snprintf(allow, sizeof allow, "%s/allow", dir);
	snprintf(text, sizeof text, "# services allowed\n%s   # client a\n\n", s_apub);
	write_file(allow, text);
	void *z = zmq_ctx_new();
	struct qf_zap *zap = NULL;
	char err[256];
	assert_int_equal(qf_zap_start(&zap, z, allow, err, sizeof err), QF_OK);
	assert_true(exchange(z, s_apub, s_asec, 1) > 0);   /* listed */
	assert_int_equal(exchange(z, s_bpub, s_bsec, 1), 0); /* knows the server key */
	assert_int_equal(exchange(z, NULL, NULL, 0), 0);     /* no CURVE at all */
	assert_true(qf_zap_denied(zap) >= 1);
	qf_zap_stop(&zap);
	qf_zap_stop(&zap);
	zmq_ctx_term(z);
	tu_rmdir(dir);
}

/* '#' is a Z85 character: about a third of keys contain one, and the line
 * must not be cut there as if a comment began */
static void test_allow_file_hash_keys(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("zaph");
	char allow[256], err[256], text[512], pub[41], sec[41];
	snprintf(allow, sizeof allow, "%s/allow", dir);
	do
		zmq_curve_keypair(pub, sec);
	while (!strchr(pub, '#'));
	snprintf(text, sizeof text, "# a comment\n%s  # the monitoring host\n%s\n", pub, s_apub);
	write_file(allow, text);
	uint8_t keys[4][32], want[32];
	assert_int_equal(qf_zap_load(allow, keys, 4, err, sizeof err), 2);
	assert_non_null(zmq_z85_decode(want, pub));
	assert_memory_equal(keys[0], want, 32);
	tu_rmdir(dir);
}

static void test_allow_file_errors(void **state)
{
	(void)state;
	char *dir = tu_tmpdir("zapf");
	char allow[256], err[256];
	snprintf(allow, sizeof allow, "%s/allow", dir);
	write_file(allow, "# ok\nshort-key\n");
	assert_int_equal(qf_zap_load(allow, NULL, 8, err, sizeof err), QF_ERR_CONFIG);
	assert_non_null(strstr(err, ":2: expected a 40-character Z85 public key"));
	assert_int_equal(qf_zap_load("/nonexistent/allow", NULL, 8, err, sizeof err),
			 QF_ERR_CONFIG);
	assert_non_null(strstr(err, "/nonexistent/allow:0: cannot read"));
	tu_rmdir(dir);
}

int main(void)
{
	zmq_curve_keypair(s_spub, s_ssec);
	zmq_curve_keypair(s_apub, s_asec);
	zmq_curve_keypair(s_bpub, s_bsec);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_allow_file_hash_keys),
		cmocka_unit_test(test_allow_file_errors),
	};
	return cmocka_run_group_tests_name("zap", tests, NULL, NULL);
}
