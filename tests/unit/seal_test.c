/* seal_test: qf_seal round trips, rotation, tampering and wrong keys
 * rejected, and classic crypto_box_seal boxes still opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "qf_err.h"
#include "qf_seal.h"

static void test_round_trip_and_tamper(void **state)
{
	(void)state;
	assert_true(sodium_init() >= 0);
	uint8_t pk[32], sk[32], pk2[32], sk2[32];
	crypto_box_keypair(pk, sk);
	crypto_box_keypair(pk2, sk2);
	struct qf_sealer *s = NULL;
	assert_int_equal(qf_sealer_new(&s, pk, 0), QF_OK);
	const char *msg = "{\"name\":\"吴晓明\",\"phone\":\"13912345678\"}";
	size_t len = strlen(msg);
	uint8_t box[256], box2[256], out[256];
	size_t ml = 0;
	assert_int_equal(qf_seal(s, box, (const uint8_t *)msg, len), QF_OK);
	assert_int_equal(qf_seal(s, box2, (const uint8_t *)msg, len), QF_OK);
	assert_memory_not_equal(box, box2, len + QF_SEAL_OVERHEAD); /* fresh nonces */
	assert_int_equal(qf_seal_open(out, &ml, box, len + QF_SEAL_OVERHEAD, pk, sk), QF_OK);
	assert_int_equal(ml, len);
	assert_memory_equal(out, msg, len);
	/* not for this key */
	assert_int_equal(qf_seal_open(out, &ml, box, len + QF_SEAL_OVERHEAD, pk2, sk2),
			 QF_ERR_CRYPTO);
	/* any altered byte is refused */
	for (size_t i = 0; i < len + QF_SEAL_OVERHEAD; i += 7) {
		box[i] ^= 0x40;
		assert_int_equal(qf_seal_open(out, &ml, box, len + QF_SEAL_OVERHEAD, pk, sk),
				 QF_ERR_CRYPTO);
		box[i] ^= 0x40;
	}
	assert_int_equal(qf_seal_open(out, &ml, box, 10, pk, sk), QF_ERR_CRYPTO);
	qf_sealer_destroy(&s);
	qf_sealer_destroy(&s);
}

static void test_rotation_and_classic(void **state)
{
	(void)state;
	uint8_t pk[32], sk[32], box[128], box2[128], out[128];
	size_t ml;
	crypto_box_keypair(pk, sk);
	struct qf_sealer *s = NULL;
	assert_int_equal(qf_sealer_new(&s, pk, 1), QF_OK); /* rotate after 1 ms */
	assert_int_equal(qf_seal(s, box, (const uint8_t *)"abc", 3), QF_OK);
	usleep(5000);
	assert_int_equal(qf_seal(s, box2, (const uint8_t *)"abc", 3), QF_OK);
	assert_memory_not_equal(box + 3, box2 + 3, 32); /* a new sender key */
	assert_int_equal(qf_seal_open(out, &ml, box2, 3 + QF_SEAL_OVERHEAD, pk, sk), QF_OK);
	qf_sealer_destroy(&s);
	/* a classic sealed box (older intakes, other senders) */
	assert_int_equal(crypto_box_seal(box, (const uint8_t *)"hello", 5, pk), 0);
	assert_int_equal(qf_seal_open(out, &ml, box, 5 + crypto_box_SEALBYTES, pk, sk), QF_OK);
	assert_int_equal(ml, 5);
	assert_memory_equal(out, "hello", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_tamper),
		cmocka_unit_test(test_rotation_and_classic),
	};
	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
