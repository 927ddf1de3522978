/* fuzz_audit_tiles: the tile paths the audit service parses from every
 * /tile/ URL, the entry bundles qfctl audit verify parses from the network,
 * and proof verification fed arbitrary hashes and sizes. Properties: a path
 * that parses formats back to itself (one name per tile); a bundle walk
 * never reads past its end; verification never accepts a proof for a root
 * it was not computed from (checked on a known tree). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	struct qf_merkle_tile t;
	if (strlen(path) == size && qf_merkle_tile_parse(path, &t) == QF_OK) {
		char buf[256];
		if (qf_merkle_tile_format(&t, buf, sizeof buf) || strcmp(buf + 5, path))
			abort();
	}
	free(path);
	size_t pos = 0, l, total = 0;
	const uint8_t *d;
	int r;
	while ((r = qf_merkle_bundle_next(data, size, &pos, &d, &l)) == 1) {
		if (d < data || d + l > data + size)
			abort();
		total += 2 + l;
	}
	if (r == 0 && total != size)
		abort();
	/* proofs: sizes and hashes from the input */
	if (size >= 16) {
		uint64_t a = 0, b = 0;
		memcpy(&a, data, 8);
		memcpy(&b, data + 8, 8);
		a %= 1u << 20;
		b %= 1u << 20;
		size_t n = (size - 16) / 32;
		if (n > QF_MERKLE_MAX_PROOF)
			n = QF_MERKLE_MAX_PROOF;
		struct qf_merkle_bytes p[QF_MERKLE_MAX_PROOF];
		for (size_t i = 0; i < n; i++)
			p[i] = (struct qf_merkle_bytes){data + 16 + 32 * i, 32};
		uint8_t root[32], leaf[32];
		memset(root, 0xab, 32);
		memset(leaf, 0xcd, 32);
		struct qf_merkle_bytes rb = {root, 32}, lb = {leaf, 32};
		if (qf_merkle_verify_inclusion(a, b, lb, p, n, rb) == QF_OK)
			abort(); /* a preimage of 0xab.. would be news */
		if (qf_merkle_verify_consistency(a, b, rb, lb, p, n) == QF_OK && a != b)
			abort();
	}
	return 0;
}
