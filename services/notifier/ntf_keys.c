/* ntf_keys.c: sealing, opening and keyed ids (ntf_keys.h). The only module
 * that ever holds a petitioner's contact in clear, and only for the time
 * the sender needs it. */
#include "ntf_keys.h"
#include "qf_seal.h"
#include "ntf_conf.h"
#include "qf_err.h"
#include "qf_id.h"

#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ntf_keys_from_secret(struct ntf_keys *k, const uint8_t sk[crypto_box_SECRETKEYBYTES])
{
	memcpy(k->sk, sk, crypto_box_SECRETKEYBYTES);
	crypto_scalarmult_base(k->pk, k->sk);
	crypto_generichash(k->mac, sizeof k->mac,
			   (const uint8_t *)"qingfeng-notifier-follow-v1", 27, k->sk,
			   sizeof k->sk);
	__atomic_store_n(&k->ready, 1, __ATOMIC_RELEASE);
}

int ntf_keys_ready(const struct ntf_keys *k)
{
	return __atomic_load_n(&k->ready, __ATOMIC_ACQUIRE);
}

int ntf_keys_load(struct ntf_keys *k, const char *base_file, const char *file, char *err,
		  size_t n)
{
	char *hex = NULL;
	int rc = ntf_read_secret(base_file, file, &hex, err, n);
	if (rc)
		return rc;
	uint8_t sk[crypto_box_SECRETKEYBYTES];
	if (strlen(hex) != 2 * sizeof sk || qf_unhex(hex, sk, sizeof sk)) {
		snprintf(err, n, "'%s' does not hold a 64-hex-digit box secret key",
			 file);
		sodium_memzero(hex, strlen(hex));
		free(hex);
		return QF_ERR_CONFIG;
	}
	sodium_memzero(hex, strlen(hex));
	free(hex);
	ntf_keys_from_secret(k, sk);
	sodium_memzero(sk, sizeof sk);
	return 0;
}

void ntf_keys_wipe(struct ntf_keys *k) { sodium_memzero(k, sizeof *k); }

void ntf_contact_wipe(struct ntf_contact *c)
{
	char **f[] = {&c->name, &c->phone, &c->email};
	for (unsigned i = 0; i < 3; i++) {
		if (*f[i]) {
			sodium_memzero(*f[i], strlen(*f[i]));
			free(*f[i]);
			*f[i] = NULL;
		}
	}
}

static int s_field(json_t *o, const char *name, char **out)
{
	json_t *v = json_object_get(o, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	if (json_string_length(v) == 0)
		return 0;
	*out = strdup(json_string_value(v));
	return *out ? 0 : -1;
}

int ntf_contact_open(const struct ntf_keys *k, const uint8_t *box, size_t len,
		     struct ntf_contact *c)
{
	memset(c, 0, sizeof *c);
	if (!box || len <= crypto_box_SEALBYTES || len > 65536)
		return QF_ERR_CRYPTO;
	size_t ml;
	uint8_t *m = malloc(len + 1);
	if (!m)
		return QF_ERR_NOMEM;
	/* intake's format (common/qf_seal.h) or a classic sealed box */
	if (qf_seal_open(m, &ml, box, len, k->pk, k->sk)) {
		free(m);
		return QF_ERR_CRYPTO;
	}
	json_t *o = json_loadb((const char *)m, ml, 0, NULL);
	sodium_memzero(m, ml);
	free(m);
	int rc = 0;
	if (!o || !json_is_object(o) || s_field(o, "name", &c->name) ||
	    s_field(o, "phone", &c->phone) || s_field(o, "email", &c->email))
		rc = QF_ERR_PROTO;
	json_decref(o);
	if (rc)
		ntf_contact_wipe(c);
	return rc;
}

int ntf_keys_seal(const struct ntf_keys *k, const char *text, uint8_t **box, size_t *len)
{
	size_t tl = strlen(text);
	*box = malloc(tl + crypto_box_SEALBYTES);
	if (!*box)
		return QF_ERR_NOMEM;
	if (crypto_box_seal(*box, (const uint8_t *)text, tl, k->pk)) {
		free(*box);
		*box = NULL;
		return QF_ERR_CRYPTO;
	}
	*len = tl + crypto_box_SEALBYTES;
	return 0;
}

int ntf_keys_open(const struct ntf_keys *k, const uint8_t *box, size_t len, char **text)
{
	*text = NULL;
	if (!box || len < crypto_box_SEALBYTES || len > 65536)
		return QF_ERR_CRYPTO;
	size_t ml;
	char *m = malloc(len + 1);
	if (!m)
		return QF_ERR_NOMEM;
	if (qf_seal_open((uint8_t *)m, &ml, box, len, k->pk, k->sk)) {
		free(m);
		return QF_ERR_CRYPTO;
	}
	m[ml] = '\0';
	*text = m;
	return 0;
}

void ntf_keys_follow_id(const struct ntf_keys *k, const char *target, const char *fmt,
			const char *address, char out[NTF_FOLLOW_ID_LEN + 1])
{
	crypto_generichash_state st;
	uint8_t h[12];
	crypto_generichash_init(&st, k->mac, sizeof k->mac, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)"id", 3);
	crypto_generichash_update(&st, (const uint8_t *)target, strlen(target) + 1);
	crypto_generichash_update(&st, (const uint8_t *)fmt, strlen(fmt) + 1);
	crypto_generichash_update(&st, (const uint8_t *)address, strlen(address));
	crypto_generichash_final(&st, h, sizeof h);
	out[0] = 'F';
	qf_hex(h, sizeof h, out + 1);
}

void ntf_keys_follow_token(const struct ntf_keys *k, const char *follow_id,
			   char out[NTF_TOKEN_LEN + 1])
{
	crypto_generichash_state st;
	uint8_t h[NTF_TOKEN_LEN / 2];
	crypto_generichash_init(&st, k->mac, sizeof k->mac, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)"token", 6);
	crypto_generichash_update(&st, (const uint8_t *)follow_id, strlen(follow_id));
	crypto_generichash_final(&st, h, sizeof h);
	qf_hex(h, sizeof h, out);
}

int ntf_keys_token_ok(const struct ntf_keys *k, const char *follow_id, const char *token)
{
	char want[NTF_TOKEN_LEN + 1];
	if (!token || strlen(token) != NTF_TOKEN_LEN)
		return 0;
	ntf_keys_follow_token(k, follow_id, want);
	return sodium_memcmp(want, token, NTF_TOKEN_LEN) == 0;
}

/* plain malloc underneath (so json_dumps results may still be freed with
 * free()), zeroing the whole usable block on free */
static void *s_malloc(size_t n) { return malloc(n); }

static void s_free(void *ptr)
{
	if (!ptr)
		return;
	sodium_memzero(ptr, malloc_usable_size(ptr));
	free(ptr);
}

void ntf_keys_wiping_json_alloc(void) { json_set_alloc_funcs(s_malloc, s_free); }

char *ntf_keys_follow_link(const struct ntf_keys *k, const char *base_url,
			   const char *follow_id, const char *action)
{
	char tok[NTF_TOKEN_LEN + 1];
	ntf_keys_follow_token(k, follow_id, tok);
	char *out = NULL;
	size_t bl = strlen(base_url);
	while (bl && base_url[bl - 1] == '/')
		bl--;
	if (asprintf(&out, "%.*s/v1/follows/%s/%s?token=%s", (int)bl, base_url, follow_id,
		     action, tok) < 0)
		return NULL;
	return out;
}
