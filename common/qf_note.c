/* qf_note.c: C2SP signed notes (Ed25519) and tlog-checkpoint bodies
 * (qf_note.h).
 *
 * Parsing follows the Go sumdb note package rule for rule (the reference
 * implementation other tools use), and is strict where the text leaves room:
 * base64 must be canonical, so one checkpoint has exactly one spelling.
 */
#include "qf_note.h"
#include "qf_err.h"
#include "qf_id.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_PREFIX     "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define ALG_ED25519    0x01
#define MAX_NOTE       (1u << 20)

/* ================================================================ base64 */

char *qf_b64_encode(const void *data, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = malloc(n);
	if (!out)
		return NULL;
	sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

int qf_b64_decode(const char *s, size_t slen, uint8_t *out, size_t max, size_t *out_len)
{
	size_t got = 0;
	const char *end = NULL;
	if (slen == 0) {
		*out_len = 0;
		return QF_OK;
	}
	/* at most 3/4 of the text, so a too-small buffer is an error */
	if (sodium_base642bin(out, max, s, slen, NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + slen)
		return QF_ERR_INVAL;
	/* canonical: encoding the bytes again gives the same text */
	char *again = qf_b64_encode(out, got);
	if (!again)
		return QF_ERR_NOMEM;
	int same = strlen(again) == slen && memcmp(again, s, slen) == 0;
	free(again);
	if (!same)
		return QF_ERR_INVAL;
	*out_len = got;
	return QF_OK;
}

/* ================================================================ text */

/* Decode one UTF-8 code point at s (n bytes left); returns its length, 0
 * when invalid (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t s_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int s_is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static int s_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > QF_NOTE_MAX_NAME)
		return 0;
	const unsigned char *s = (const unsigned char *)name;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t l = s_utf8(s + i, len - i, &c);
		if (!l || c < 0x20 || c == 0x7f || c == '+' || s_is_space(c))
			return 0;
		i += l;
	}
	return 1;
}

int qf_note_name_valid(const char *name)
{
	return name && s_name_valid(name, strlen(name));
}

/* Valid UTF-8, no ASCII control character other than newline. */
static int s_chars_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t l = s_utf8(s + i, len - i, &c);
		if (!l || (c < 0x20 && c != '\n'))
			return 0;
		i += l;
	}
	return 1;
}

int qf_note_text_valid(const char *text, size_t len)
{
	return text && len > 0 && len <= MAX_NOTE && text[len - 1] == '\n' &&
	       s_chars_valid(text, len);
}

/* ================================================================ keys */

void qf_note_key_hash(const char *name, const uint8_t pk[32], uint8_t out[4])
{
	crypto_hash_sha256_state st;
	uint8_t sep[2] = {'\n', ALG_ED25519}, h[32];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, 4);
}

static void s_signer_finish(struct qf_note_signer *s, const char *name)
{
	snprintf(s->name, sizeof s->name, "%s", name);
	qf_note_key_hash(s->name, s->pk, s->hash);
}

int qf_note_signer_generate(struct qf_note_signer *s, const char *name)
{
	if (!qf_note_name_valid(name))
		return QF_ERR_INVAL;
	if (sodium_init() < 0)
		return QF_ERR_CRYPTO;
	crypto_sign_keypair(s->pk, s->sk);
	s_signer_finish(s, name);
	return QF_OK;
}

/* Split text at its first max-1 '+' into fields (the last field keeps the
 * rest: base64 has '+' in it), in place. Returns the field count. */
static unsigned s_fields(char *copy, char **f, unsigned max)
{
	unsigned n = 0;
	char *p = copy;
	while (n < max) {
		f[n++] = p;
		if (n == max)
			break;
		char *plus = strchr(p, '+');
		if (!plus)
			break;
		*plus = '\0';
		p = plus + 1;
	}
	return n;
}

/* Copy s without surrounding whitespace. */
static char *s_trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		n--;
	return strndup(s, n);
}

/* "<hex8>" and "<base64(0x01 || 32 bytes)>" fields of a key. */
static int s_key_fields(const char *hex, const char *b64, uint8_t hash[4],
			uint8_t key[32])
{
	uint8_t raw[64];
	size_t n;
	if (strlen(hex) != 8 || qf_unhex(hex, hash, 4))
		return QF_ERR_INVAL;
	for (const char *p = hex; *p; p++) /* lower-case only: one spelling */
		if (*p >= 'A' && *p <= 'F')
			return QF_ERR_INVAL;
	if (qf_b64_decode(b64, strlen(b64), raw, sizeof raw, &n) || n != 33 ||
	    raw[0] != ALG_ED25519)
		return QF_ERR_INVAL;
	memcpy(key, raw + 1, 32);
	sodium_memzero(raw, sizeof raw);
	return QF_OK;
}

int qf_note_signer_parse(struct qf_note_signer *s, const char *skey)
{
	char *copy = s_trimmed(skey);
	if (!copy)
		return QF_ERR_NOMEM;
	char *f[5];
	int rc = QF_ERR_INVAL;
	uint8_t seed[32], hash[4];
	if (s_fields(copy, f, 5) != 5 || strcmp(f[0], "PRIVATE") || strcmp(f[1], "KEY") ||
	    !qf_note_name_valid(f[2]) || s_key_fields(f[3], f[4], hash, seed))
		goto out;
	if (sodium_init() < 0) {
		rc = QF_ERR_CRYPTO;
		goto out;
	}
	crypto_sign_seed_keypair(s->pk, s->sk, seed);
	s_signer_finish(s, f[2]);
	if (memcmp(hash, s->hash, 4) != 0) { /* the key hash must match the key */
		sodium_memzero(s, sizeof *s);
		goto out;
	}
	rc = QF_OK;
out:
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(copy, strlen(copy));
	free(copy);
	return rc;
}

static char *s_key_text(const char *prefix, const char *name, const uint8_t hash[4],
			const uint8_t key[32])
{
	uint8_t raw[33];
	raw[0] = ALG_ED25519;
	memcpy(raw + 1, key, 32);
	char *b64 = qf_b64_encode(raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	if (!b64)
		return NULL;
	char hex[9];
	qf_hex(hash, 4, hex);
	size_t n = strlen(prefix) + strlen(name) + strlen(b64) + 16;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s+%s+%s", prefix, name, hex, b64);
	sodium_memzero(b64, strlen(b64));
	free(b64);
	return out;
}

char *qf_note_signer_format(const struct qf_note_signer *s)
{
	/* libsodium's secret key starts with the 32-byte seed */
	return s_key_text("PRIVATE+KEY+", s->name, s->hash, s->sk);
}

void qf_note_signer_verifier(const struct qf_note_signer *s, struct qf_note_verifier *v)
{
	memcpy(v->name, s->name, sizeof v->name);
	memcpy(v->hash, s->hash, 4);
	memcpy(v->pk, s->pk, 32);
}

int qf_note_verifier_parse(struct qf_note_verifier *v, const char *vkey)
{
	char *copy = s_trimmed(vkey);
	if (!copy)
		return QF_ERR_NOMEM;
	char *f[3];
	int rc = QF_ERR_INVAL;
	if (s_fields(copy, f, 3) != 3 || !qf_note_name_valid(f[0]) ||
	    s_key_fields(f[1], f[2], v->hash, v->pk))
		goto out;
	uint8_t h[4];
	qf_note_key_hash(f[0], v->pk, h);
	if (memcmp(h, v->hash, 4) != 0)
		goto out;
	snprintf(v->name, sizeof v->name, "%s", f[0]);
	rc = QF_OK;
out:
	free(copy);
	return rc;
}

char *qf_note_verifier_format(const struct qf_note_verifier *v)
{
	return s_key_text("", v->name, v->hash, v->pk);
}

int qf_note_read_key_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return QF_ERR_IO;
	char line[2048];
	int rc = QF_ERR_INVAL;
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		size_t l = strcspn(p, "\r\n");
		if (l < n) {
			memcpy(buf, p, l);
			buf[l] = '\0';
			rc = QF_OK;
		}
		break;
	}
	sodium_memzero(line, sizeof line);
	fclose(f);
	return rc;
}

/* ================================================================ notes */

int qf_note_sign(const struct qf_note_signer *s, const char *text, size_t len, char **out,
		 size_t *out_len)
{
	if (!qf_note_text_valid(text, len) || !qf_note_name_valid(s->name))
		return QF_ERR_INVAL;
	uint8_t sig[4 + 64];
	memcpy(sig, s->hash, 4);
	crypto_sign_detached(sig + 4, NULL, (const uint8_t *)text, len, s->sk);
	char *b64 = qf_b64_encode(sig, sizeof sig);
	if (!b64)
		return QF_ERR_NOMEM;
	size_t n = len + 1 + SIG_PREFIX_LEN + strlen(s->name) + 1 + strlen(b64) + 2;
	char *note = malloc(n);
	if (!note) {
		free(b64);
		return QF_ERR_NOMEM;
	}
	memcpy(note, text, len);
	int w = snprintf(note + len, n - len, "\n" SIG_PREFIX "%s %s\n", s->name, b64);
	free(b64);
	*out = note;
	*out_len = len + (size_t)w;
	return QF_OK;
}

/* The last "\n\n" in s[0..len), or -1. */
static long s_last_blank(const char *s, size_t len)
{
	for (size_t i = len; i >= 2; i--)
		if (s[i - 1] == '\n' && s[i - 2] == '\n')
			return (long)(i - 2);
	return -1;
}

int qf_note_open(const char *note, size_t len, const struct qf_note_verifier *v,
		 size_t nv, size_t *text_len)
{
	if (!note || len == 0 || len > MAX_NOTE || !s_chars_valid(note, len))
		return QF_ERR_INVAL;
	long split = s_last_blank(note, len);
	if (split < 0)
		return QF_ERR_INVAL;
	size_t tl = (size_t)split + 1;
	const char *sigs = note + split + 2;
	size_t sl = len - tl - 1;
	if (sl == 0 || sigs[sl - 1] != '\n')
		return QF_ERR_INVAL;
	unsigned nsig = 0, good = 0;
	/* (verifier index) already checked: duplicates are ignored */
	unsigned char seen[64] = {0};
	while (sl > 0) {
		const char *nl = memchr(sigs, '\n', sl);
		size_t ll = (size_t)(nl - sigs);
		const char *line = sigs;
		sigs = nl + 1;
		sl -= ll + 1;
		if (++nsig > QF_NOTE_MAX_SIGS)
			return QF_ERR_INVAL;
		if (ll < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
			return QF_ERR_INVAL;
		line += SIG_PREFIX_LEN;
		ll -= SIG_PREFIX_LEN;
		const char *sp = memchr(line, ' ', ll);
		if (!sp)
			return QF_ERR_INVAL;
		size_t namel = (size_t)(sp - line);
		const char *b64 = sp + 1;
		size_t bl = ll - namel - 1;
		uint8_t sig[128];
		size_t sigl;
		if (!s_name_valid(line, namel) || bl == 0 ||
		    qf_b64_decode(b64, bl, sig, sizeof sig, &sigl) || sigl < 5)
			return QF_ERR_INVAL;
		for (size_t k = 0; k < nv; k++) {
			if (strlen(v[k].name) != namel ||
			    memcmp(v[k].name, line, namel) || memcmp(v[k].hash, sig, 4))
				continue;
			if (k < sizeof seen && seen[k])
				break;
			if (k < sizeof seen)
				seen[k] = 1;
			if (sigl != 4 + 64 ||
			    crypto_sign_verify_detached(sig + 4, (const uint8_t *)note,
							tl, v[k].pk) != 0)
				return QF_ERR_CRYPTO;
			good++;
			break;
		}
	}
	if (!good)
		return QF_ERR_NOTFOUND;
	*text_len = tl;
	return QF_OK;
}

/* ================================================================ checkpoints */

int qf_checkpoint_parse(const char *text, size_t len, struct qf_checkpoint *c)
{
	memset(c, 0, sizeof *c);
	if (!qf_note_text_valid(text, len))
		return QF_ERR_INVAL;
	const char *p = text, *end = text + len;
	const char *lines[3];
	size_t lens[3];
	for (int i = 0; i < 3; i++) {
		if (p >= end)
			return QF_ERR_INVAL;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		lines[i] = p;
		lens[i] = (size_t)(nl - p);
		if (lens[i] == 0)
			return QF_ERR_INVAL;
		p = nl + 1;
	}
	if (lens[0] > QF_NOTE_MAX_NAME)
		return QF_ERR_INVAL;
	memcpy(c->origin, lines[0], lens[0]);
	c->origin[lens[0]] = '\0';
	/* tree size: decimal, no leading zeros, fits 64 bits */
	const char *s = lines[1];
	if (lens[1] > 20 || (s[0] == '0' && lens[1] > 1))
		return QF_ERR_INVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < lens[1]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return QF_ERR_INVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return QF_ERR_INVAL;
		v = v * 10 + d;
	}
	c->size = v;
	size_t rl;
	uint8_t root[48];
	if (qf_b64_decode(lines[2], lens[2], root, sizeof root, &rl) || rl != 32)
		return QF_ERR_INVAL;
	memcpy(c->root, root, 32);
	/* extension lines: each non-empty */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p)
			return QF_ERR_INVAL;
		c->extensions++;
		p = nl + 1;
	}
	return QF_OK;
}

char *qf_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32])
{
	if (!origin || !origin[0] || strlen(origin) > QF_NOTE_MAX_NAME ||
	    strchr(origin, '\n') || !s_chars_valid(origin, strlen(origin)))
		return NULL;
	char *b64 = qf_b64_encode(root, 32);
	if (!b64)
		return NULL;
	size_t n = strlen(origin) + strlen(b64) + 32;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	free(b64);
	return out;
}
