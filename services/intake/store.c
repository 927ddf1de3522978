/* store.c: intake's records in its LMDB store: cases, tracking codes,
 * timelines, photos, idempotency records (intake.h, "store.c" section).
 *
 * Design: records are JSON text (jansson), readable with `qfctl store` and
 * easy to extend; keys are fixed-width where they must sort (timeline
 * entries by a per-case counter, idempotency expiry by time). Photos are
 * stored by SHA-256 in the same store, so one fsync makes a petition and its
 * photos durable together. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_id.h"

int intake_read(struct intake *in, int (*fn)(struct qf_txn *t, void *arg), void *arg)
{
	int rc;
	/* a read may meet a map resized by our own writer: retry briefly */
	for (int i = 0; i < 100; i++) {
		rc = qf_store_read(in->store, fn, arg);
		if (rc != QF_ERR_AGAIN)
			break;
	}
	return rc;
}

int intake_json_put(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen,
		    const json_t *v, unsigned flags)
{
	char *s = json_dumps(v, JSON_COMPACT);
	if (!s)
		return QF_ERR_NOMEM;
	int rc = qf_txn_put(t, dbi, key, klen, s, strlen(s), flags);
	free(s);
	return rc;
}

json_t *intake_json_get(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val v;
	if (qf_txn_get(t, dbi, key, klen, &v))
		return NULL;
	return json_loadb(v.mv_data, v.mv_size, 0, NULL);
}

json_t *intake_case_get(struct intake *in, struct qf_txn *t, const char *case_id)
{
	return intake_json_get(t, in->db.cases, case_id, strlen(case_id));
}

int intake_case_put(struct intake *in, struct qf_txn *t, const char *case_id,
		    const json_t *rec)
{
	return intake_json_put(t, in->db.cases, case_id, strlen(case_id), rec, 0);
}

int intake_code_get(struct intake *in, struct qf_txn *t, const char *code, char *out,
		    size_t n)
{
	MDB_val v;
	int rc = qf_txn_get(t, in->db.codes, code, strlen(code), &v);
	if (rc)
		return rc;
	if (v.mv_size >= n)
		return QF_ERR_TOOBIG;
	memcpy(out, v.mv_data, v.mv_size);
	out[v.mv_size] = '\0';
	return QF_OK;
}

void intake_code_random(struct intake *in, char *code, size_t n)
{
	char tail[8];
	uint8_t rnd[6];
	int k = 0;
	qf_id_random(rnd, sizeof rnd); /* one system call for the whole code */
	if (in->replica)
		tail[k++] = in->replica;
	for (int i = 0; k < 6; i++)
		tail[k++] = intake_crockford[rnd[i] & 31];
	tail[k] = '\0';
	snprintf(code, n, "%s-%s", in->prefix, tail);
}

int intake_code_alloc(struct intake *in, struct qf_txn *t, const char *target, char *code,
		      size_t n)
{
	for (int attempt = 0; attempt < 32; attempt++) {
		intake_code_random(in, code, n);
		int rc = qf_txn_put(t, in->db.codes, code, strlen(code), target,
				    strlen(target), MDB_NOOVERWRITE);
		if (rc != QF_ERR_EXISTS)
			return rc;
	}
	return QF_ERR_EXISTS;
}

int intake_media_put(struct intake *in, struct qf_txn *t, const struct intake_media *m)
{
	uint8_t key[32];
	if (m->kind != INTAKE_MEDIA_UPLOAD || qf_unhex(m->sha256, key, 32))
		return QF_ERR_INVAL;
	MDB_val v;
	if (qf_txn_get(t, in->db.media, key, 32, &v) == QF_OK)
		return QF_OK; /* the same bytes are already stored */
	size_t n = 1 + m->size;
	uint8_t *buf = malloc(n);
	if (!buf)
		return QF_ERR_NOMEM;
	buf[0] = strcmp(m->content_type, "image/png") ? 'J' : 'P';
	memcpy(buf + 1, m->data, m->size);
	int rc = qf_txn_put(t, in->db.media, key, 32, buf, n, 0);
	free(buf);
	return rc;
}

int intake_media_stat(struct intake *in, struct qf_txn *t, const char *sha256_hex,
		      const char **ctype, uint64_t *size)
{
	uint8_t key[32];
	MDB_val v;
	if (strlen(sha256_hex) != 64 || qf_unhex(sha256_hex, key, 32))
		return QF_ERR_NOTFOUND;
	int rc = qf_txn_get(t, in->db.media, key, 32, &v);
	if (rc)
		return rc;
	const uint8_t *b = v.mv_data;
	*ctype = b[0] == 'P' ? "image/png" : "image/jpeg";
	*size = v.mv_size - 1;
	return QF_OK;
}

static void s_tl_key(const char *case_id, uint32_t n, uint8_t key[64], size_t *klen)
{
	size_t l = strlen(case_id);
	if (l > 59)
		l = 59;
	memcpy(key, case_id, l);
	qf_be32_put(key + l, n);
	*klen = l + 4;
}

int intake_timeline_add(struct intake *in, struct qf_txn *t, const char *case_id,
			json_t *rec, const json_t *entry)
{
	uint32_t n = (uint32_t)json_integer_value(json_object_get(rec, "timeline_n"));
	uint8_t key[64];
	size_t kl;
	s_tl_key(case_id, n, key, &kl);
	int rc = intake_json_put(t, in->db.timeline, key, kl, entry, 0);
	if (rc)
		return rc;
	json_object_set_new(rec, "timeline_n", json_integer(n + 1));
	return QF_OK;
}

json_t *intake_timeline_get(struct intake *in, struct qf_txn *t, const char *case_id)
{
	json_t *arr = json_array();
	uint8_t key[64];
	size_t kl;
	s_tl_key(case_id, 0, key, &kl);
	MDB_cursor *c;
	if (!arr || mdb_cursor_open(qf_txn_mdb(t), in->db.timeline, &c))
		return arr;
	MDB_val k = {kl, key}, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == kl && !memcmp(k.mv_data, key, kl - 4)) {
		json_t *e = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (e)
			json_array_append_new(arr, e);
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return arr;
}

/* ------------------------------------------------------------ idempotency */

#define IDEM_HDR (32 + 1 + 8) /* body hash, kind, expiry */

int intake_idem_from_request(struct qf_http_req *r, const char *scope,
			     struct intake_idem *id)
{
	memset(id, 0, sizeof *id);
	const char *k = qf_http_header(r, "Idempotency-Key");
	if (!k)
		return 0;
	size_t kl = strlen(k);
	int ok = kl >= 1 && kl <= 255;
	for (size_t i = 0; ok && i < kl; i++)
		ok = k[i] > 0x20 && k[i] < 0x7F;
	if (!ok) {
		qf_http_reply_error(r, 400, "invalid_idempotency_key",
				    "Idempotency-Key 必须是 1 到 255 个可见 ASCII 字符",
				    "Idempotency-Key");
		return -1;
	}
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)scope, strlen(scope) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)k, kl);
	crypto_hash_sha256_final(&st, id->key);
	size_t bl;
	const char *body = qf_http_body(r, &bl);
	crypto_hash_sha256(id->body, (const uint8_t *)body, bl);
	id->present = 1;
	return 0;
}

int intake_idem_find(struct intake *in, struct qf_txn *t, const struct intake_idem *id,
		     unsigned *status, char **body, char *cmd, size_t cmdn)
{
	MDB_val v;
	*body = NULL;
	if (cmd && cmdn)
		cmd[0] = '\0';
	if (!id->present || qf_txn_get(t, in->db.idem, id->key, 32, &v))
		return INTAKE_IDEM_NONE;
	const uint8_t *b = v.mv_data;
	if (v.mv_size < IDEM_HDR)
		return INTAKE_IDEM_NONE;
	if (sodium_memcmp(b, id->body, 32))
		return INTAKE_IDEM_OTHER;
	if (b[32] == 'C') {
		size_t l = v.mv_size - IDEM_HDR;
		if (cmd && l < cmdn) {
			memcpy(cmd, b + IDEM_HDR, l);
			cmd[l] = '\0';
		}
		*status = 0;
		return INTAKE_IDEM_SAME;
	}
	if (v.mv_size < IDEM_HDR + 2)
		return INTAKE_IDEM_NONE;
	*status = (unsigned)(b[IDEM_HDR] << 8 | b[IDEM_HDR + 1]);
	size_t ol;
	if (intake_keys_unbox(&in->keys, b + IDEM_HDR + 2, v.mv_size - IDEM_HDR - 2, body,
			      &ol))
		return INTAKE_IDEM_NONE;
	return INTAKE_IDEM_SAME;
}

int intake_idem_encode(struct intake *in, const struct intake_idem *id, unsigned status,
		       const char *body, const char *cmd, uint8_t **out, size_t *out_len)
{
	int64_t exp =
	    qf_now_ms(in->clock) + (int64_t)in->conf->idempotency_ttl_h * 3600000;
	uint8_t *box = NULL;
	size_t boxl = 0, n;
	if (cmd) {
		n = IDEM_HDR + strlen(cmd);
	} else {
		if (intake_keys_box(&in->keys, body, strlen(body), &box, &boxl))
			return QF_ERR_NOMEM;
		n = IDEM_HDR + 2 + boxl;
	}
	uint8_t *v = malloc(n);
	if (!v) {
		free(box);
		return QF_ERR_NOMEM;
	}
	memcpy(v, id->body, 32);
	v[32] = cmd ? 'C' : 'A';
	qf_be64_put(v + 33, (uint64_t)exp);
	if (cmd) {
		memcpy(v + IDEM_HDR, cmd, strlen(cmd));
	} else {
		v[IDEM_HDR] = (uint8_t)(status >> 8);
		v[IDEM_HDR + 1] = (uint8_t)status;
		memcpy(v + IDEM_HDR + 2, box, boxl);
	}
	free(box);
	*out = v;
	*out_len = n;
	return QF_OK;
}

int intake_idem_put_raw(struct intake *in, struct qf_txn *t, const struct intake_idem *id,
			const uint8_t *val, size_t len)
{
	int rc = qf_txn_put(t, in->db.idem, id->key, 32, val, len, 0);
	if (rc)
		return rc;
	uint8_t ek[40];
	memcpy(ek, val + 33, 8); /* the expiry, big-endian */
	memcpy(ek + 8, id->key, 32);
	return qf_txn_put(t, in->db.idem_exp, ek, 40, "", 0, 0);
}

int intake_idem_put(struct intake *in, struct qf_txn *t, const struct intake_idem *id,
		    unsigned status, const char *body, const char *cmd)
{
	if (!id || !id->present)
		return QF_OK;
	uint8_t *v;
	size_t n;
	int rc = intake_idem_encode(in, id, status, body, cmd, &v, &n);
	if (rc)
		return rc;
	rc = intake_idem_put_raw(in, t, id, v, n);
	free(v);
	return rc;
}

int intake_idem_sweep(struct intake *in, struct qf_txn *t, int64_t now_ms, unsigned max)
{
	int n = 0;
	while ((unsigned)n < max) {
		MDB_cursor *c;
		MDB_val k, v;
		if (mdb_cursor_open(qf_txn_mdb(t), in->db.idem_exp, &c))
			break;
		int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		uint8_t kb[40];
		int expired = rc == 0 && k.mv_size == 40 &&
			      (int64_t)qf_be64_get(k.mv_data) <= now_ms;
		if (expired)
			memcpy(kb, k.mv_data, 40);
		mdb_cursor_close(c);
		if (!expired)
			break;
		/* the record may have been replaced by a later use of the key:
		   delete it only if its expiry is this one */
		MDB_val iv;
		if (qf_txn_get(t, in->db.idem, kb + 8, 32, &iv) == QF_OK &&
		    iv.mv_size >= IDEM_HDR &&
		    qf_be64_get((const uint8_t *)iv.mv_data + 33) == qf_be64_get(kb))
			qf_txn_del(t, in->db.idem, kb + 8, 32);
		if (qf_txn_del(t, in->db.idem_exp, kb, 40))
			break;
		n++;
	}
	return n;
}

void intake_idem_reply(struct qf_http_req *r, int found, unsigned status, char *body)
{
	if (found == INTAKE_IDEM_OTHER) {
		free(body);
		qf_http_reply_error(r, 422, "idempotency_key_reused",
				    "这个 Idempotency-Key 已用于另一个不同的请求",
				    "Idempotency-Key");
		return;
	}
	qf_http_add_header(r, "Idempotent-Replayed", "true");
	qf_http_reply_take(r, status, "application/json; charset=utf-8", body,
			   strlen(body));
}

/* ------------------------------------------------------------ states */

static const char *const s_states[] = {"unknown",     "submitted", "assigned", "accepted",
				       "in_progress", "resolved",  "closed",   "rejected",
				       "reopened",    "merged"};

const char *intake_state_name(int state)
{
	if (state < 0 || (size_t)state >= sizeof s_states / sizeof s_states[0])
		return "unknown";
	return s_states[state];
}

int intake_state_open(const char *state)
{
	return !(!strcmp(state, "resolved") || !strcmp(state, "closed") ||
		 !strcmp(state, "rejected") || !strcmp(state, "merged"));
}
