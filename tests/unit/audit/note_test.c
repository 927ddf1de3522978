/* note_test.c: C2SP signed notes and checkpoints (common/qf_note.c).
 * Interoperability is checked byte for byte against the published example of
 * the Go reference implementation (golang.org/x/mod/sumdb/note: the
 * PeterNeumann key, note and signature); then round trips, tampering and
 * every kind of malformed key, note and checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_note.h"

#define VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define SKEY                                                                             \
	"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define TEXT                                                                             \
	"If you think cryptography is the answer to your problem,\n"                     \
	"then you don't know what your problem is.\n"
#define SIG                                                                              \
	"\xe2\x80\x94 PeterNeumann "                                                     \
	"x08go/ZJkuBS9UG/"                                                               \
	"SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE"              \
	"6RyyBwJnAM=\n"
#define NOTE TEXT "\n" SIG

static void test_reference_example(void **state)
{
	(void)state;
	struct qf_note_signer s;
	struct qf_note_verifier v, v2;
	assert_int_equal(qf_note_signer_parse(&s, SKEY), 0);
	assert_string_equal(s.name, "PeterNeumann");
	assert_int_equal(qf_note_verifier_parse(&v, VKEY), 0);
	qf_note_signer_verifier(&s, &v2);
	assert_memory_equal(v.pk, v2.pk, 32);
	assert_memory_equal(v.hash, v2.hash, 4);
	char *vk = qf_note_verifier_format(&v2), *sk = qf_note_signer_format(&s);
	assert_string_equal(vk, VKEY);
	assert_string_equal(sk, SKEY);
	free(vk);
	free(sk);
	char *note;
	size_t n, tl;
	assert_int_equal(qf_note_sign(&s, TEXT, strlen(TEXT), &note, &n), 0);
	assert_int_equal(n, strlen(NOTE));
	assert_string_equal(note, NOTE);
	assert_int_equal(qf_note_open(note, n, &v, 1, &tl), 0);
	assert_int_equal(tl, strlen(TEXT));
	free(note);
}

static void test_open_rejects(void **state)
{
	(void)state;
	struct qf_note_verifier v, other;
	assert_int_equal(qf_note_verifier_parse(&v, VKEY), 0);
	struct qf_note_signer os;
	assert_int_equal(qf_note_signer_generate(&os, "PeterNeumann"), 0);
	qf_note_signer_verifier(&os, &other);
	size_t tl;
	char buf[1024];
	/* tampered text: the known key's signature fails */
	snprintf(buf, sizeof buf, "%s", NOTE);
	buf[3] ^= 0x20;
	assert_int_equal(qf_note_open(buf, strlen(buf), &v, 1, &tl), QF_ERR_CRYPTO);
	/* a key with the same name but another hash is unknown */
	assert_int_equal(qf_note_open(NOTE, strlen(NOTE), &other, 1, &tl),
			 QF_ERR_NOTFOUND);
	assert_int_equal(qf_note_open(NOTE, strlen(NOTE), NULL, 0, &tl), QF_ERR_NOTFOUND);
	/* tampered signature bytes */
	snprintf(buf, sizeof buf, "%s", NOTE);
	char *sig = strstr(buf, "x08go");
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	assert_int_not_equal(qf_note_open(buf, strlen(buf), &v, 1, &tl), 0);
	/* a duplicate signature line is ignored; an extra unknown one too */
	snprintf(buf, sizeof buf, "%s%s", NOTE, SIG);
	assert_int_equal(qf_note_open(buf, strlen(buf), &v, 1, &tl), 0);
	snprintf(
	    buf, sizeof buf,
	    "%s\xe2\x80\x94 someone.else AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	    NOTE);
	assert_int_equal(qf_note_open(buf, strlen(buf), &v, 1, &tl), 0);
	static const char *const bad[] = {
	    TEXT,      /* no signatures */
	    TEXT "\n", /* empty signature block */
	    TEXT SIG,  /* no blank line */
	    TEXT "\n"
		 "- PeterNeumann x08go/ZJku\n",		    /* ASCII dash */
	    TEXT "\n\xe2\x80\x94 PeterNeumann\n",	    /* no signature */
	    TEXT "\n\xe2\x80\x94 PeterNeumann AAAA\n",	    /* too short */
	    TEXT "\n\xe2\x80\x94 Peter Neumann AAAAAAAA\n", /* not base64 */
	    TEXT "\n\xe2\x80\x94  AAAAAAAA\n",		    /* empty name */
	    TEXT
	    "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNI"
	    "uGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", /* no final newline */
	    "a\x01"
	    "b\n\n" SIG,       /* control character */
	    "caf\xc3\n\n" SIG, /* broken UTF-8 */
	    "\n" SIG,	       /* empty text */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = qf_note_open(bad[i], strlen(bad[i]), &v, 1, &tl);
		if (rc == 0)
			fail_msg("accepted malformed note %zu", i);
	}
	/* more than 100 signatures */
	char *many = malloc(strlen(NOTE) + 101 * strlen(SIG) + 1);
	strcpy(many, NOTE);
	for (int i = 0; i < 101; i++)
		strcat(many, SIG);
	assert_int_equal(qf_note_open(many, strlen(many), &v, 1, &tl), QF_ERR_INVAL);
	free(many);
}

static void test_keys(void **state)
{
	(void)state;
	struct qf_note_verifier v;
	struct qf_note_signer s;
	/* every proper substring and every one-byte change of the vkey fails,
	 * as in the reference implementation's own test */
	char k[sizeof VKEY];
	size_t n = strlen(VKEY);
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i + 1; j <= n; j++) {
			if (i == 0 && j == n)
				continue;
			snprintf(k, sizeof k, "%.*s", (int)(j - i), VKEY + i);
			if (qf_note_verifier_parse(&v, k) == 0)
				fail_msg("accepted vkey substring '%s'", k);
		}
	for (size_t i = 0; i < n; i++) {
		strcpy(k, VKEY);
		k[i]++;
		if (qf_note_verifier_parse(&v, k) == 0)
			fail_msg("accepted mangled vkey '%s'", k);
	}
	/* signer key whose hash does not match its key */
	assert_int_not_equal(
	    qf_note_signer_parse(&s, "PRIVATE+KEY+PeterNeumann+c74f20a4+"
				     "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
	    0);
	assert_int_not_equal(
	    qf_note_signer_parse(&s, "PRIVATE+KEY+PeterNeumannX+c74f20a3+"
				     "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
	    0);
	assert_int_not_equal(qf_note_signer_parse(&s, VKEY), 0);
	assert_int_equal(qf_note_signer_parse(&s, "  " SKEY "\n"), 0);
	/* names */
	assert_true(qf_note_name_valid("qingfeng.local/audit"));
	assert_true(qf_note_name_valid("清风/审计"));
	assert_false(qf_note_name_valid(""));
	assert_false(qf_note_name_valid("a b"));
	assert_false(qf_note_name_valid("a+b"));
	assert_false(qf_note_name_valid("a\tb"));
	assert_false(qf_note_name_valid("a\xe3\x80\x80"
					"b")); /* ideographic space */
	assert_false(qf_note_name_valid("a\xc3"));
	assert_int_equal(qf_note_signer_generate(&s, "bad name"), QF_ERR_INVAL);
	/* generate, format, parse back, sign and open */
	assert_int_equal(qf_note_signer_generate(&s, "qingfeng.local/audit"), 0);
	char *sk = qf_note_signer_format(&s);
	struct qf_note_signer s2;
	assert_int_equal(qf_note_signer_parse(&s2, sk), 0);
	assert_memory_equal(s2.sk, s.sk, 64);
	free(sk);
	qf_note_signer_verifier(&s, &v);
	char *vk = qf_note_verifier_format(&v);
	struct qf_note_verifier v2;
	assert_int_equal(qf_note_verifier_parse(&v2, vk), 0);
	free(vk);
	char *note;
	size_t nl, tl;
	const char *text =
	    "qingfeng.local/audit\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	assert_int_equal(qf_note_sign(&s2, text, strlen(text), &note, &nl), 0);
	assert_int_equal(qf_note_open(note, nl, &v2, 1, &tl), 0);
	free(note);
	/* text that is not a valid note text cannot be signed */
	assert_int_equal(qf_note_sign(&s2, "no newline", 10, &note, &nl), QF_ERR_INVAL);
	assert_int_equal(qf_note_sign(&s2, "a\rb\n", 4, &note, &nl), QF_ERR_INVAL);
}

static void test_checkpoints(void **state)
{
	(void)state;
	uint8_t root[32];
	for (int i = 0; i < 32; i++)
		root[i] = (uint8_t)(i * 9);
	char *body = qf_checkpoint_format("qingfeng.local/audit", 1234567, root);
	assert_non_null(body);
	struct qf_checkpoint c;
	assert_int_equal(qf_checkpoint_parse(body, strlen(body), &c), 0);
	assert_string_equal(c.origin, "qingfeng.local/audit");
	assert_int_equal(c.size, 1234567);
	assert_memory_equal(c.root, root, 32);
	assert_int_equal(c.extensions, 0);
	free(body);
	const char *ext =
	    "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nextra line\nmore\n";
	assert_int_equal(qf_checkpoint_parse(ext, strlen(ext), &c), 0);
	assert_int_equal(c.extensions, 2);
	const char *max =
	    "o\n18446744073709551615\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
	assert_int_equal(qf_checkpoint_parse(max, strlen(max), &c), 0);
	assert_true(c.size == UINT64_MAX);
	static const char *const bad[] = {
	    "",
	    "o\n1\n",
	    "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",    /* no newline */
	    "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",   /* no origin */
	    "o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", /* leading zero */
	    "o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	    "o\n1 \n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	    "o\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	    "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",   /* non-canonical */
	    "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",    /* no padding */
	    "o\n1\nZG9uJ3QgY2FyZSAy\n",				      /* 12 bytes */
	    "o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", /* empty ext */
	    "o\n1\n 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (qf_checkpoint_parse(bad[i], strlen(bad[i]), &c) == 0)
			fail_msg("accepted bad checkpoint %zu", i);
	assert_null(qf_checkpoint_format("", 1, root));
	assert_null(qf_checkpoint_format("a\nb", 1, root));
}

static void test_base64(void **state)
{
	(void)state;
	uint8_t out[16];
	size_t n;
	assert_int_equal(qf_b64_decode("aGk=", 4, out, sizeof out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "hi", 2);
	assert_int_not_equal(qf_b64_decode("aGl=", 4, out, sizeof out, &n), 0);
	assert_int_not_equal(qf_b64_decode("aGk", 3, out, sizeof out, &n), 0);
	assert_int_not_equal(qf_b64_decode("aG k=", 5, out, sizeof out, &n), 0);
	assert_int_not_equal(qf_b64_decode("aGk=aGk=", 8, out, sizeof out, &n), 0);
	assert_int_not_equal(qf_b64_decode("AAAAAAAAAAAAAAAAAAAAAAAA", 24, out, 4, &n),
			     0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reference_example),
	    cmocka_unit_test(test_open_rejects),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_checkpoints),
	    cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests_name("audit_note", tests, NULL, NULL);
}
