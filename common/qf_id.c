/* qf_id.c: random and sortable ids, hex, partition hash (qf_id.h). */
#include "qf_id.h"
#include "qf_err.h"

#include <sodium.h>

int qf_id_init(void)
{
	return sodium_init() < 0 ? QF_ERR_CRYPTO : QF_OK;
}

void qf_id_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

uint32_t qf_id_uniform(uint32_t upper)
{
	return upper ? randombytes_uniform(upper) : 0;
}

void qf_id_sortable(int64_t now_ms, char out[QF_ID_LEN + 1])
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char rnd[10];
	randombytes_buf(rnd, sizeof rnd);
	uint64_t t = (uint64_t)now_ms & 0xFFFFFFFFFFFFull;
	/* 10 chars of time (50 bits, top 2 zero), 16 chars of randomness */
	for (int i = 9; i >= 0; i--) {
		out[i] = b32[t & 31];
		t >>= 5;
	}
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 5; i++)
		hi = (hi << 8) | rnd[i];
	for (int i = 5; i < 10; i++)
		lo = (lo << 8) | rnd[i];
	for (int i = 17; i >= 10; i--) {
		out[i] = b32[hi & 31];
		hi >>= 5;
	}
	for (int i = 25; i >= 18; i--) {
		out[i] = b32[lo & 31];
		lo >>= 5;
	}
	out[QF_ID_LEN] = '\0';
}

char *qf_hex(const void *bytes, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	const unsigned char *b = bytes;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

static int s_nib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int qf_unhex(const char *hex, void *out, size_t n)
{
	unsigned char *o = out;
	for (size_t i = 0; i < n; i++) {
		int a = s_nib(hex[2 * i]), b = a < 0 ? -1 : s_nib(hex[2 * i + 1]);
		if (a < 0 || b < 0)
			return QF_ERR_INVAL;
		o[i] = (unsigned char)(a << 4 | b);
	}
	return hex[2 * n] == '\0' ? QF_OK : QF_ERR_INVAL;
}

uint32_t qf_fnv1a32(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t qf_partition_of(const char *key, uint32_t partitions)
{
	size_t n = 0;
	while (key && key[n])
		n++;
	return partitions ? qf_fnv1a32(key, n) % partitions : 0;
}
