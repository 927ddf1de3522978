/* merkle_test.c: RFC 9162 hashing and proofs (common/qf_merkle.c) against
 * the transparency-dev known-answer vectors in tests/data/merkle (every
 * wantErr case must be rejected, every other accepted) and against an
 * independent, deliberately naive implementation written here from the
 * RFC's recursive definitions (MTH, PATH, PROOF/SUBPROOF). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qf_err.h"
#include "qf_merkle.h"

/* ------------------------------------------------------------ naive model */

static void n_leaf(const uint8_t *d, size_t n, uint8_t out[32])
{
	uint8_t *b = malloc(n + 1);
	b[0] = 0;
	memcpy(b + 1, d, n);
	crypto_hash_sha256(out, b, n + 1);
	free(b);
}

static void n_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t b[65];
	b[0] = 1;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	crypto_hash_sha256(out, b, 65);
}

static uint64_t n_k(uint64_t n) /* largest power of two < n */
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH over leaf hashes lh[b..e) */
static void n_mth(uint8_t (*lh)[32], uint64_t b, uint64_t e, uint8_t out[32])
{
	if (e == b) {
		crypto_hash_sha256(out, (const uint8_t *)"", 0);
		return;
	}
	if (e - b == 1) {
		memcpy(out, lh[b], 32);
		return;
	}
	uint64_t k = n_k(e - b);
	uint8_t l[32], r[32];
	n_mth(lh, b, b + k, l);
	n_mth(lh, b + k, e, r);
	n_node(l, r, out);
}

static void n_path(uint8_t (*lh)[32], uint64_t m, uint64_t b, uint64_t e,
		   uint8_t (*out)[32], size_t *n)
{
	if (e - b <= 1)
		return;
	uint64_t k = n_k(e - b);
	if (m - b < k) {
		n_path(lh, m, b, b + k, out, n);
		n_mth(lh, b + k, e, out[(*n)++]);
	} else {
		n_path(lh, m, b + k, e, out, n);
		n_mth(lh, b, b + k, out[(*n)++]);
	}
}

static void n_subproof(uint8_t (*lh)[32], uint64_t m, uint64_t b, uint64_t e, int flag,
		       uint8_t (*out)[32], size_t *n)
{
	if (m == e - b) {
		if (!flag)
			n_mth(lh, b, e, out[(*n)++]);
		return;
	}
	uint64_t k = n_k(e - b);
	if (m <= k) {
		n_subproof(lh, m, b, b + k, flag, out, n);
		n_mth(lh, b + k, e, out[(*n)++]);
	} else {
		n_subproof(lh, m - k, b + k, e, 0, out, n);
		n_mth(lh, b, b + k, out[(*n)++]);
	}
}

/* a node source over the naive model */
struct model {
	uint8_t (*lh)[32];
	uint64_t n;
	unsigned calls;
};

static int m_node(void *arg, unsigned level, uint64_t index, uint8_t out[32])
{
	struct model *m = arg;
	m->calls++;
	if (level >= 64)
		return QF_ERR_NOTFOUND;
	uint64_t b = index << level, e = b + ((uint64_t)1 << level);
	if (e > m->n)
		return QF_ERR_NOTFOUND;
	n_mth(m->lh, b, e, out);
	return 0;
}

/* The RFC 6962 test leaves (the same the vectors use). */
static const char *const s_leaves[] = {"",
				       "00",
				       "10",
				       "2021",
				       "3031",
				       "40414243",
				       "5051525354555657",
				       "606162636465666768696a6b6c6d6e6f"};

static const char *const s_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void unhex(const char *h, uint8_t *out, size_t *n)
{
	size_t l = strlen(h) / 2;
	for (size_t i = 0; i < l; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	*n = l;
}

static void test_known_roots(void **state)
{
	(void)state;
	uint8_t lh[8][32];
	for (int i = 0; i < 8; i++) {
		uint8_t d[32];
		size_t n;
		unhex(s_leaves[i], d, &n);
		qf_merkle_leaf_hash(d, n, lh[i]);
	}
	struct qf_merkle_frontier f;
	qf_merkle_frontier_init(&f);
	for (int size = 0; size <= 8; size++) {
		if (size)
			qf_merkle_frontier_push(&f, lh[size - 1], NULL, NULL);
		uint8_t want[32], got[32], naive[32];
		size_t n;
		unhex(s_roots[size], want, &n);
		qf_merkle_frontier_root(&f, got);
		assert_memory_equal(got, want, 32);
		n_mth(lh, 0, (uint64_t)size, naive);
		assert_memory_equal(naive, want, 32);
		struct model m = {lh, (uint64_t)size, 0};
		assert_int_equal(qf_merkle_root(m_node, &m, (uint64_t)size, got), 0);
		assert_memory_equal(got, want, 32);
	}
}

/* Roots, proofs and their verification for every size up to 70 (uneven
 * sizes included) against the naive model; every proof with one bit
 * flipped, one hash dropped or one added must be rejected. */
static void test_against_model(void **state)
{
	(void)state;
	enum { N = 70 };
	uint8_t lh[N][32];
	for (int i = 0; i < N; i++) {
		uint8_t d[8] = {(uint8_t)i, (uint8_t)(i * 7), 0x55};
		qf_merkle_leaf_hash(d, 3, lh[i]);
		uint8_t nl[32];
		n_leaf(d, 3, nl);
		assert_memory_equal(nl, lh[i], 32);
	}
	struct qf_merkle_frontier f;
	qf_merkle_frontier_init(&f);
	for (uint64_t n = 1; n <= N; n++) {
		qf_merkle_frontier_push(&f, lh[n - 1], NULL, NULL);
		uint8_t root[32], want[32];
		n_mth(lh, 0, n, want);
		qf_merkle_frontier_root(&f, root);
		assert_memory_equal(root, want, 32);
		struct model m = {lh, n, 0};
		for (uint64_t i = 0; i < n; i++) {
			uint8_t got[QF_MERKLE_MAX_PROOF][32],
			    exp[QF_MERKLE_MAX_PROOF][32];
			size_t gn = 0, en = 0;
			assert_int_equal(
			    qf_merkle_inclusion_proof(m_node, &m, i, n, got, &gn), 0);
			n_path(lh, i, 0, n, exp, &en);
			assert_int_equal(gn, en);
			assert_memory_equal(got, exp, 32 * en);
			assert_int_equal(
			    qf_merkle_check_inclusion(
				i, n, lh[i], (const uint8_t(*)[32])got, gn, root),
			    0);
			/* the wrong index (a size with the same path shape is not a
			 * forgery: RFC 9162 leaves the size to the signed checkpoint) */
			if (n > 1)
				assert_int_not_equal(
				    qf_merkle_check_inclusion((i + 1) % n, n, lh[i],
							      (const uint8_t(*)[32])got,
							      gn, root),
				    0);
			for (size_t k = 0; k < gn; k++) {
				got[k][k % 32] ^= 0x01;
				assert_int_not_equal(
				    qf_merkle_check_inclusion(
					i, n, lh[i], (const uint8_t(*)[32])got, gn, root),
				    0);
				got[k][k % 32] ^= 0x01;
			}
			if (gn)
				assert_int_not_equal(
				    qf_merkle_check_inclusion(i, n, lh[i],
							      (const uint8_t(*)[32])got,
							      gn - 1, root),
				    0);
			memcpy(got[gn], lh[0], 32);
			assert_int_not_equal(
			    qf_merkle_check_inclusion(
				i, n, lh[i], (const uint8_t(*)[32])got, gn + 1, root),
			    0);
		}
		for (uint64_t m1 = 1; m1 <= n; m1++) {
			uint8_t got[QF_MERKLE_MAX_PROOF][32],
			    exp[QF_MERKLE_MAX_PROOF][32];
			size_t gn = 0, en = 0;
			assert_int_equal(
			    qf_merkle_consistency_proof(m_node, &m, m1, n, got, &gn), 0);
			if (m1 < n)
				n_subproof(lh, m1, 0, n, 1, exp, &en);
			assert_int_equal(gn, en);
			assert_memory_equal(got, exp, 32 * en);
			uint8_t r1[32];
			n_mth(lh, 0, m1, r1);
			assert_int_equal(
			    qf_merkle_check_consistency(m1, n, r1, root,
							(const uint8_t(*)[32])got, gn),
			    0);
			for (size_t k = 0; k < gn; k++) {
				got[k][31 - k % 32] ^= 0x80;
				assert_int_not_equal(
				    qf_merkle_check_consistency(
					m1, n, r1, root, (const uint8_t(*)[32])got, gn),
				    0);
				got[k][31 - k % 32] ^= 0x80;
			}
			if (m1 < n) {
				/* a rewritten history: another old root */
				uint8_t other[32];
				memcpy(other, r1, 32);
				other[0] ^= 1;
				assert_int_not_equal(qf_merkle_check_consistency(
							 m1, n, other, root,
							 (const uint8_t(*)[32])got, gn),
						     0);
				assert_int_not_equal(
				    qf_merkle_check_consistency(m1, n, r1, root,
								(const uint8_t(*)[32])got,
								gn - 1),
				    0);
			}
		}
	}
}

static void test_bad_arguments(void **state)
{
	(void)state;
	uint8_t lh[4][32] = {{1}, {2}, {3}, {4}}, proof[QF_MERKLE_MAX_PROOF][32], r[32];
	struct model m = {lh, 4, 0};
	size_t n = 99;
	assert_int_equal(qf_merkle_inclusion_proof(m_node, &m, 4, 4, proof, &n),
			 QF_ERR_INVAL);
	assert_int_equal(n, 0);
	assert_int_equal(qf_merkle_consistency_proof(m_node, &m, 0, 4, proof, &n),
			 QF_ERR_INVAL);
	assert_int_equal(qf_merkle_consistency_proof(m_node, &m, 5, 4, proof, &n),
			 QF_ERR_INVAL);
	/* a source that lacks nodes is reported, not papered over */
	assert_int_equal(qf_merkle_root(m_node, &m, 5, r), QF_ERR_NOTFOUND);
	/* unaligned ranges are not Merkle subtrees */
	assert_int_equal(qf_merkle_range_hash(m_node, &m, 1, 3, r), QF_ERR_INVAL);
	assert_int_equal(qf_merkle_range_hash(m_node, &m, 3, 2, r), QF_ERR_INVAL);
	assert_int_equal(qf_merkle_range_hash(m_node, &m, 2, 4, r), 0);
}

/* ------------------------------------------------------------ vectors */

static char s_root[4096];

static const char *data_dir(void)
{
	static const char *const tries[] = {
	    "tests/data/merkle/testdata", "../tests/data/merkle/testdata",
	    "../../tests/data/merkle/testdata", "../../../tests/data/merkle/testdata",
	    "../../../../tests/data/merkle/testdata"};
	const char *env = getenv("QF_TEST_DATA");
	if (env) {
		snprintf(s_root, sizeof s_root, "%s/merkle/testdata", env);
		return s_root;
	}
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		struct stat st;
		if (stat(tries[i], &st) == 0 && S_ISDIR(st.st_mode))
			return tries[i];
	}
	return NULL;
}

/* base64 decoded with libsodium directly (not the code under test) */
static int b64(json_t *s, uint8_t *out, size_t max, size_t *n)
{
	*n = 0;
	if (!s || json_is_null(s))
		return 0;
	const char *t = json_string_value(s);
	if (!t)
		return -1;
	if (!t[0])
		return 0;
	return sodium_base642bin(out, max, t, strlen(t), NULL, n, NULL,
				 sodium_base64_VARIANT_ORIGINAL);
}

struct tally {
	unsigned ok, rejected, files;
};

/* 64-bit sizes as written (jansson stops at INT64_MAX; the vectors use
 * 2^64 - 1): read the number after "key": from the file text. */
static uint64_t num(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(text, pat);
	if (!p)
		fail_msg("no %s", key);
	return strtoull(p + strlen(pat), NULL, 10);
}

static void run_case(const char *path, int consistency, struct tally *t)
{
	json_error_t je;
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char text[16384];
	size_t tn = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[tn] = '\0';
	json_t *j = json_loads(text, JSON_DECODE_INT_AS_REAL, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	int want_err = json_is_true(json_object_get(j, "wantErr"));
	uint8_t a[64], b[64], pb[QF_MERKLE_MAX_PROOF + 8][64];
	size_t al, bl, pl[QF_MERKLE_MAX_PROOF + 8];
	struct qf_merkle_bytes proof[QF_MERKLE_MAX_PROOF + 8];
	json_t *pj = json_object_get(j, "proof");
	size_t np = json_is_array(pj) ? json_array_size(pj) : 0;
	assert_true(np <= QF_MERKLE_MAX_PROOF + 8);
	for (size_t i = 0; i < np; i++) {
		assert_int_equal(b64(json_array_get(pj, i), pb[i], 64, &pl[i]), 0);
		proof[i] = (struct qf_merkle_bytes){pb[i], pl[i]};
	}
	int rc;
	if (consistency) {
		assert_int_equal(b64(json_object_get(j, "root1"), a, 64, &al), 0);
		assert_int_equal(b64(json_object_get(j, "root2"), b, 64, &bl), 0);
		rc = qf_merkle_verify_consistency(num(text, "size1"), num(text, "size2"),
						  (struct qf_merkle_bytes){a, al},
						  (struct qf_merkle_bytes){b, bl}, proof,
						  np);
	} else {
		assert_int_equal(b64(json_object_get(j, "root"), a, 64, &al), 0);
		assert_int_equal(b64(json_object_get(j, "leafHash"), b, 64, &bl), 0);
		rc = qf_merkle_verify_inclusion(num(text, "leafIdx"),
						num(text, "treeSize"),
						(struct qf_merkle_bytes){b, bl}, proof,
						np, (struct qf_merkle_bytes){a, al});
	}
	if (want_err && rc == 0)
		fail_msg("%s: accepted, but the vector wants an error", path);
	if (!want_err && rc != 0)
		fail_msg("%s: rejected (%d), but the vector is valid", path, rc);
	if (want_err)
		t->rejected++;
	else
		t->ok++;
	t->files++;
	json_decref(j);
}

static void walk(const char *dir, int consistency, struct tally *t)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[8192];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		if (S_ISDIR(st.st_mode))
			walk(p, consistency, t);
		else if (strstr(e->d_name, ".json"))
			run_case(p, consistency, t);
	}
	closedir(d);
}

static void test_vectors_inclusion(void **state)
{
	(void)state;
	const char *root = data_dir();
	assert_non_null(root);
	char p[8192];
	snprintf(p, sizeof p, "%s/inclusion", root);
	struct tally t = {0};
	walk(p, 0, &t);
	print_message("inclusion vectors: %u accepted, %u rejected\n", t.ok, t.rejected);
	assert_true(t.files >= 80);
	assert_true(t.ok >= 5 && t.rejected >= 70);
}

static void test_vectors_consistency(void **state)
{
	(void)state;
	const char *root = data_dir();
	assert_non_null(root);
	char p[8192];
	snprintf(p, sizeof p, "%s/consistency", root);
	struct tally t = {0};
	walk(p, 1, &t);
	print_message("consistency vectors: %u accepted, %u rejected\n", t.ok,
		      t.rejected);
	assert_true(t.files >= 90);
	assert_true(t.ok >= 5 && t.rejected >= 80);
}

/* ------------------------------------------------------------ tiles */

static void test_tile_paths(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		int entries;
		unsigned level;
		uint64_t index;
		unsigned width;
	} good[] = {
	    {"0/000", 0, 0, 0, 256},
	    {"0/001", 0, 0, 1, 256},
	    {"1/x001/234", 0, 1, 1234, 256},
	    {"2/x001/x234/067.p/8", 0, 2, 1234067, 8},
	    {"entries/x001/000", 1, 0, 1000, 256},
	    {"entries/999.p/255", 1, 0, 999, 255},
	    {"63/000.p/1", 0, 63, 0, 1},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct qf_merkle_tile t;
		assert_int_equal(qf_merkle_tile_parse(good[i].path, &t), 0);
		assert_int_equal(t.entries, good[i].entries);
		assert_int_equal(t.level, good[i].level);
		assert_int_equal(t.index, good[i].index);
		assert_int_equal(t.width, good[i].width);
		char buf[128], want[128];
		assert_int_equal(qf_merkle_tile_format(&t, buf, sizeof buf), 0);
		snprintf(want, sizeof want, "tile/%s", good[i].path);
		assert_string_equal(buf, want);
	}
	static const char *const bad[] = {
	    "",		  "0",		 "0/",
	    "0/00",	  "0/0000",	 "00/000",
	    "64/000",	  "x/000",	 "0/x000/001",
	    "0/x001",	  "0/x001/",	 "0/000/",
	    "0/000.p/0",  "0/000.p/256", "0/000.p/01",
	    "0/000.p/",	  "0/000.p",	 "0/000.q/1",
	    "0/000x",	  "entries/",	 "entries",
	    "entries/00", "0/-01",	 "0/x001/x002/x003/x004/x005/x006/007",
	    "0/000.p/1/", "1/ 000",	 "0/x1000/000",
	    "0/xabc/000", "-1/000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct qf_merkle_tile t;
		if (qf_merkle_tile_parse(bad[i], &t) == 0)
			fail_msg("accepted bad tile path '%s'", bad[i]);
	}
	/* round trips of awkward indices */
	uint64_t idx[] = {
	    0, 999, 1000, 1001, 999999, 1000000, 123456789012ULL, UINT64_MAX >> 8};
	for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		struct qf_merkle_tile t = {0, 5, idx[i], 17}, u;
		char buf[128];
		assert_int_equal(qf_merkle_tile_format(&t, buf, sizeof buf), 0);
		assert_int_equal(qf_merkle_tile_parse(buf + 5, &u), 0);
		assert_int_equal(u.index, idx[i]);
		assert_int_equal(u.level, 5);
		assert_int_equal(u.width, 17);
	}
	assert_int_equal(qf_merkle_tile_width(0, 0, 0), 0);
	assert_int_equal(qf_merkle_tile_width(0, 0, 1), 1);
	assert_int_equal(qf_merkle_tile_width(0, 0, 300), 256);
	assert_int_equal(qf_merkle_tile_width(0, 1, 300), 44);
	assert_int_equal(qf_merkle_tile_width(1, 0, 300), 1);
	assert_int_equal(qf_merkle_tile_width(1, 0, 255), 0);
	assert_int_equal(qf_merkle_tile_width(2, 0, 1u << 16), 1);
}

static void test_bundles(void **state)
{
	(void)state;
	const uint8_t b[] = {0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'};
	size_t pos = 0, l;
	const uint8_t *d;
	assert_int_equal(qf_merkle_bundle_next(b, sizeof b, &pos, &d, &l), 1);
	assert_int_equal(l, 3);
	assert_memory_equal(d, "abc", 3);
	assert_int_equal(qf_merkle_bundle_next(b, sizeof b, &pos, &d, &l), 1);
	assert_int_equal(l, 0);
	assert_int_equal(qf_merkle_bundle_next(b, sizeof b, &pos, &d, &l), 1);
	assert_int_equal(l, 1);
	assert_int_equal(qf_merkle_bundle_next(b, sizeof b, &pos, &d, &l), 0);
	/* truncated length, truncated body */
	pos = 0;
	assert_int_equal(qf_merkle_bundle_next(b, 1, &pos, &d, &l), QF_ERR_PROTO);
	pos = 0;
	assert_int_equal(qf_merkle_bundle_next(b, 4, &pos, &d, &l), QF_ERR_PROTO);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_roots),
	    cmocka_unit_test(test_against_model),
	    cmocka_unit_test(test_bad_arguments),
	    cmocka_unit_test(test_vectors_inclusion),
	    cmocka_unit_test(test_vectors_consistency),
	    cmocka_unit_test(test_tile_paths),
	    cmocka_unit_test(test_bundles),
	};
	return cmocka_run_group_tests_name("audit_merkle", tests, NULL, NULL);
}
