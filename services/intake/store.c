/* store.c: intake's records in its LMDB store: cases, tracking codes,
 * timelines, photos, uploads, idempotency records (intake.h, "store.c"
 * section), and the one place where personal data is sealed and unsealed.
 *
 * Design: records are JSON text (jansson), readable with `qfctl store` and
 * easy to extend; keys are fixed-width where they must sort (timeline
 * entries by a per-case counter, idempotency expiry by time). Personal data
 * is written only sealed (common/qf_vault.h) under its subject's key (a case
 * id, "hold:<id>", "upload:<id>", "visit:<id>"): a record is split by its
 * kind's table into the members kept readable (what indexes, lists and the
 * public facts need) and everything else, sealed; photos and contacts are
 * sealed whole. Forgetting a subject's key (retention, a dismissed spam
 * hold) leaves only the readable members, wherever old copies of the pages
 * sit in the file. Photos are stored per owner in the same store, so one
 * fsync makes a petition and its photos durable together. */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_vault.h"

/* ------------------------------------------------------------ record kinds */

/* Members are sealed unless listed: `clear` always readable, `nonsensitive`
 * readable unless the case is sensitive (as the events' [nonsensitive]). */
static const char *const s_case_clear[] = {
    "id",	      "code",	      "category",	"channel",	 "anonymous",
    "consent_public", "sensitive",    "submitted_ms",	"updated_ms",	 "client",
    "secret_hash",    "origin",	      "state",		"timeline_n",	 "has_contact",
    "replica",	      "priority",     "respond_due_ms", "resolve_due_ms", "transfer_count",
    "merged_into",    "resolved_n",   "feedback_n",	"released_hold_id", "events",
    "expired_ms",     "final_ms",     "retention_days", "status_notes_public",
    "dispatched_from_id", NULL};
static const char *const s_case_nonsensitive[] = {
    "building", "assignee", "assignee_name", "assignee_post", "owner", NULL};
static const char *const s_tl_clear[] = {
    "event",	    "at_ms",	       "from",		"to",	      "command_id",
    "rating",	    "extension_hours", "extension_approved", "closed_without_feedback",
    "reject_reason", "resolve_due_ms", NULL};
static const char *const s_tl_nonsensitive[] = {
    "actor",	   "assignee",	       "assignee_name", "assignee_post",
    "previous_assignee", "escalation_role", "related_case", NULL};
static const char *const s_hold_clear[] = {
    "hold_id", "code",	     "rule",	"rule_detail", "secret_hash", "held_ms",
    "status",  "has_contact", "client", "case_id",	"reviewed_by", "reviewed_ms",
    NULL};
static const char *const s_visit_clear[] = {"visit_id", "actor",     "date",
					    "building", "household", "recorded_ms",
					    NULL};
static const char *const s_cmd_clear[] = {"command_id", "kind",	  "case_id",
					  "action",	"actor",  "status",
					  "requested_ms", "result", "rating", NULL};
static const char *const s_view_clear[] = {"actor", "viewed_ms", NULL};
static const char *const s_none[] = {NULL};

const struct intake_rec_kind intake_rec_case = {'c', s_case_clear, s_case_nonsensitive};
const struct intake_rec_kind intake_rec_timeline = {'t', s_tl_clear, s_tl_nonsensitive};
const struct intake_rec_kind intake_rec_hold = {'h', s_hold_clear, s_none};
const struct intake_rec_kind intake_rec_visit = {'v', s_visit_clear, s_none};
const struct intake_rec_kind intake_rec_cmd = {'m', s_cmd_clear, s_none};
const struct intake_rec_kind intake_rec_view = {'w', s_view_clear, s_none};
const struct intake_rec_kind intake_rec_contact = {'k', s_none, s_none};

static int s_listed(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k))
			return 1;
	return 0;
}

/* Associated data of a sealed value: its kind's tag and its key, so that a
 * box only opens where it was written. */
static uint8_t *s_ad(char tag, const void *key, size_t klen, size_t *adlen)
{
	uint8_t *ad = malloc(klen + 1);
	if (ad) {
		ad[0] = (uint8_t)tag;
		memcpy(ad + 1, key, klen);
	}
	*adlen = klen + 1;
	return ad;
}

int intake_sealed_put(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		      size_t klen, char tag, const char *subject, const void *data,
		      size_t len)
{
	size_t adl;
	uint8_t *ad = s_ad(tag, key, klen, &adl), *box = NULL;
	size_t bl = 0;
	if (!ad)
		return QF_ERR_NOMEM;
	int rc = qf_vault_seal(in->vault, t, subject, ad, adl, data, len, &box, &bl);
	free(ad);
	if (rc)
		return rc;
	rc = qf_txn_put(t, dbi, key, klen, box, bl, 0);
	free(box);
	return rc;
}

static int s_unseal(struct intake *in, struct qf_txn *t, char tag, const void *key,
		    size_t klen, const void *box, size_t bl, uint8_t **out, size_t *out_len)
{
	size_t adl;
	uint8_t *ad = s_ad(tag, key, klen, &adl);
	if (!ad)
		return QF_ERR_NOMEM;
	int rc = qf_vault_unseal(in->vault, t, box, bl, ad, adl, out, out_len);
	free(ad);
	return rc;
}

int intake_sealed_get(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		      size_t klen, char tag, uint8_t **out, size_t *out_len)
{
	MDB_val v;
	int rc = qf_txn_get(t, dbi, key, klen, &v);
	if (rc)
		return rc;
	return s_unseal(in, t, tag, key, klen, v.mv_data, v.mv_size, out, out_len);
}

int intake_rec_put(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		   size_t klen, const struct intake_rec_kind *kind, const char *subject,
		   int sensitive, const json_t *rec)
{
	json_t *clear = json_object(), *priv = json_object();
	const char *k;
	json_t *v;
	int rc = QF_ERR_NOMEM;
	char *cs = NULL, *ps = NULL;
	uint8_t *buf = NULL, *box = NULL, *ad = NULL;
	size_t bl = 0, adl;
	if (!clear || !priv)
		goto out;
	json_object_foreach((json_t *)rec, k, v)
	{
		if (!strcmp(k, "private_gone"))
			continue; /* what a read noticed, not data */
		int c = s_listed(kind->clear, k) ||
			(!sensitive && s_listed(kind->nonsensitive, k));
		if (json_object_set(c ? clear : priv, k, v))
			goto out;
	}
	if (!(cs = json_dumps(clear, JSON_COMPACT)))
		goto out;
	size_t cl = strlen(cs);
	if (json_object_size(priv)) {
		if (!(ps = json_dumps(priv, JSON_COMPACT)) ||
		    !(ad = s_ad(kind->tag, key, klen, &adl)))
			goto out;
		rc = qf_vault_seal(in->vault, t, subject, ad, adl, ps, strlen(ps), &box,
				   &bl);
		sodium_memzero(ps, strlen(ps));
		if (rc == QF_ERR_GONE) { /* forgotten: only the readable part stays */
			rc = QF_OK;
			bl = 0;
		} else if (rc) {
			goto out;
		}
	}
	/* clear JSON, then a NUL and the sealed box when there is one */
	rc = QF_ERR_NOMEM;
	if (!(buf = malloc(cl + 1 + bl)))
		goto out;
	memcpy(buf, cs, cl);
	if (box) {
		buf[cl] = 0;
		memcpy(buf + cl + 1, box, bl);
	}
	rc = qf_txn_put(t, dbi, key, klen, buf, cl + (box ? 1 + bl : 0), 0);
out:
	json_decref(clear);
	json_decref(priv);
	free(cs);
	free(ps);
	free(buf);
	free(box);
	free(ad);
	return rc;
}

json_t *intake_rec_parse(struct intake *in, struct qf_txn *t,
			 const struct intake_rec_kind *kind, const void *key, size_t klen,
			 const void *val, size_t len)
{
	const uint8_t *b = val;
	const uint8_t *nul = memchr(b, 0, len);
	size_t cl = nul ? (size_t)(nul - b) : len;
	json_t *rec = json_loadb((const char *)b, cl, 0, NULL);
	if (!rec || !json_is_object(rec) || !nul) {
		if (rec && !json_is_object(rec)) {
			json_decref(rec);
			rec = NULL;
		}
		return rec; /* records written before sealing are all clear */
	}
	uint8_t *m = NULL;
	size_t ml = 0;
	int rc = s_unseal(in, t, kind->tag, key, klen, nul + 1, len - cl - 1, &m, &ml);
	json_t *priv = rc ? NULL : json_loadb((const char *)m, ml, 0, NULL);
	if (m) {
		sodium_memzero(m, ml);
		free(m);
	}
	if (rc && rc != QF_ERR_GONE)
		qf_warn("record_unreadable", "tag=%c error=\"%s\"", kind->tag,
			qf_strerror(rc));
	if (json_is_object(priv))
		json_object_update_missing(rec, priv);
	else
		json_object_set_new(rec, "private_gone", json_true());
	json_decref(priv);
	return rec;
}

json_t *intake_rec_get(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const void *key,
		       size_t klen, const struct intake_rec_kind *kind)
{
	MDB_val v;
	if (qf_txn_get(t, dbi, key, klen, &v))
		return NULL;
	return intake_rec_parse(in, t, kind, key, klen, v.mv_data, v.mv_size);
}

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
	return intake_rec_get(in, t, in->db.cases, case_id, strlen(case_id), &intake_rec_case);
}

int intake_case_sensitive(struct intake *in, const json_t *rec)
{
	json_t *flag = rec ? json_object_get(rec, "sensitive") : NULL;
	if (json_is_boolean(flag))
		return json_is_true(flag);
	/* records from before the flag: an integrity report, or a category
	   this replica does not know, is treated as the strictest */
	const char *cat = rec ? json_string_value(json_object_get(rec, "category")) : NULL;
	const struct qf_category *c =
		cat ? qf_community_category(intake_world_get(in)->community, cat) : NULL;
	return !rec || (c ? c->sensitive : 1) ||
	       json_object_get(rec, "concerns_staff") != NULL;
}

int intake_case_forgotten(const json_t *rec)
{
	return json_object_get(rec, "expired_ms") ||
	       json_is_true(json_object_get(rec, "private_gone"));
}

int intake_case_put(struct intake *in, struct qf_txn *t, const char *case_id,
		    const json_t *rec)
{
	return intake_rec_put(in, t, in->db.cases, case_id, strlen(case_id),
			      &intake_rec_case, case_id, intake_case_sensitive(in, rec), rec);
}

int intake_case_event_add(json_t *rec, int type, uint32_t partition, uint64_t seq,
			  const uint8_t event_id[16])
{
	json_t *a = json_object_get(rec, "events");
	if (!json_is_array(a)) {
		a = json_array();
		if (!a || json_object_set_new(rec, "events", a))
			return QF_ERR_NOMEM;
	}
	char hex[33];
	qf_hex(event_id, 16, hex);
	const char *tn = qf_event_type_name(type);
	json_t *e = json_pack("{s:s, s:i, s:I, s:s}", "type", tn ? tn : "", "partition",
			      (int)partition, "seq", (json_int_t)seq, "event_id", hex);
	return e && !json_array_append_new(a, e) ? QF_OK : QF_ERR_NOMEM;
}

int intake_case_media_own(json_t *rec, const char *sha_hex)
{
	json_t *a = json_object_get(rec, "media_owned");
	if (!json_is_array(a)) {
		a = json_array();
		if (!a || json_object_set_new(rec, "media_owned", a))
			return QF_ERR_NOMEM;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (!strcmp(json_string_value(v) ? json_string_value(v) : "", sha_hex))
			return QF_OK;
	}
	return json_array_append_new(a, json_string(sha_hex)) ? QF_ERR_NOMEM : QF_OK;
}

int intake_contact_put(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const char *id,
		       const char *subject, const char *contact_json)
{
	json_t *c = json_loads(contact_json, 0, NULL);
	if (!c)
		return QF_ERR_INVAL;
	int rc = intake_rec_put(in, t, dbi, id, strlen(id), &intake_rec_contact, subject, 1,
				c);
	json_decref(c);
	return rc;
}

json_t *intake_contact_get(struct intake *in, struct qf_txn *t, MDB_dbi dbi, const char *id)
{
	MDB_val v;
	if (qf_txn_get(t, dbi, id, strlen(id), &v))
		return NULL;
	json_t *c = v.mv_size && ((const char *)v.mv_data)[0] == '{'
			? intake_rec_parse(in, t, &intake_rec_contact, id, strlen(id),
					   v.mv_data, v.mv_size)
			: NULL;
	if (c && json_is_true(json_object_get(c, "private_gone"))) {
		json_decref(c);
		return NULL;
	}
	if (c)
		return c;
	/* written before the vault: a secretbox under the contact key */
	char *plain = NULL;
	size_t pl = 0;
	if (intake_keys_unbox(&in->keys, v.mv_data, v.mv_size, &plain, &pl))
		return NULL;
	c = json_loadb(plain, pl, 0, NULL);
	sodium_memzero(plain, pl);
	free(plain);
	return c;
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

/* ------------------------------------------------------------ photos */

void intake_media_subject(const char *owner, char *out, size_t n)
{
	const char *prefix = owner[0] == 'H'   ? "hold:"
			     : owner[0] == 'U' ? "upload:"
			     : owner[0] == 'V' ? "visit:"
					       : "";
	snprintf(out, n, "%s%s", prefix, owner);
}

/* sha256 (32) || owner id */
static int s_media_key(const char *sha_hex, const char *owner, uint8_t key[96], size_t *kl)
{
	size_t ol = strlen(owner);
	if (strlen(sha_hex) != 64 || qf_unhex(sha_hex, key, 32) || !ol || ol > 63)
		return QF_ERR_INVAL;
	memcpy(key + 32, owner, ol);
	*kl = 32 + ol;
	return QF_OK;
}

int intake_media_put(struct intake *in, struct qf_txn *t, const struct intake_media *m,
		     const char *owner)
{
	uint8_t key[96];
	size_t kl;
	char subject[80];
	if (m->kind != INTAKE_MEDIA_UPLOAD || s_media_key(m->sha256, owner, key, &kl))
		return QF_ERR_INVAL;
	MDB_val v;
	if (qf_txn_get(t, in->db.media, key, kl, &v) == QF_OK)
		return QF_OK; /* the same bytes are already stored for this owner */
	size_t n = 1 + m->size;
	uint8_t *buf = malloc(n);
	if (!buf)
		return QF_ERR_NOMEM;
	buf[0] = strcmp(m->content_type, "image/png") ? 'J' : 'P';
	memcpy(buf + 1, m->data, m->size);
	intake_media_subject(owner, subject, sizeof subject);
	int rc = intake_sealed_put(in, t, in->db.media, key, kl, 'p', subject, buf, n);
	sodium_memzero(buf, n);
	free(buf);
	return rc;
}

int intake_media_get(struct intake *in, struct qf_txn *t, const char *sha_hex,
		     const char *owner, uint8_t **data, size_t *len, const char **ctype)
{
	uint8_t key[96], *m = NULL;
	size_t kl, ml = 0;
	if (s_media_key(sha_hex, owner, key, &kl))
		return QF_ERR_NOTFOUND;
	int rc = intake_sealed_get(in, t, in->db.media, key, kl, 'p', &m, &ml);
	if (rc)
		return rc;
	if (ml < 2) {
		free(m);
		return QF_ERR_PROTO;
	}
	*ctype = m[0] == 'P' ? "image/png" : "image/jpeg";
	memmove(m, m + 1, ml - 1);
	*data = m;
	*len = ml - 1;
	return QF_OK;
}

int intake_media_del(struct intake *in, struct qf_txn *t, const char *sha_hex,
		     const char *owner)
{
	uint8_t key[96];
	size_t kl;
	if (s_media_key(sha_hex, owner, key, &kl))
		return QF_OK;
	int rc = qf_txn_del(t, in->db.media, key, kl);
	return rc == QF_ERR_NOTFOUND ? QF_OK : rc;
}

int intake_media_owners(struct intake *in, struct qf_txn *t, const char *sha_hex,
			int (*fn)(void *arg, const char *owner), void *arg)
{
	uint8_t key[32];
	if (strlen(sha_hex) != 64 || qf_unhex(sha_hex, key, 32))
		return QF_ERR_NOTFOUND;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), in->db.media, &c))
		return QF_ERR_STORE;
	MDB_val k = {32, key}, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE), r = QF_ERR_NOTFOUND;
	while (rc == 0 && k.mv_size > 32 && k.mv_size < 96 && !memcmp(k.mv_data, key, 32)) {
		char owner[64];
		memcpy(owner, (const char *)k.mv_data + 32, k.mv_size - 32);
		owner[k.mv_size - 32] = '\0';
		if ((r = fn(arg, owner)) != QF_ERR_NOTFOUND)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return r;
}

/* An upload token: "<upload id>.<20 Crockford characters>"; the record keeps
 * the BLAKE2b hash of the secret half. */
static int s_upload_check(struct intake *in, struct qf_txn *t, const char *token,
			  const char *sha_hex, char owner[40])
{
	const char *dot = token ? strchr(token, '.') : NULL;
	if (!dot || dot == token || (size_t)(dot - token) >= 40 || strlen(dot + 1) != 20)
		return QF_ERR_NOTFOUND;
	memcpy(owner, token, (size_t)(dot - token));
	owner[dot - token] = '\0';
	if (owner[0] != 'U')
		return QF_ERR_NOTFOUND;
	json_t *u = intake_json_get(t, in->db.uploads, owner, strlen(owner));
	const char *want = json_string_value(json_object_get(u, "secret_hash"));
	const char *sha = json_string_value(json_object_get(u, "sha256"));
	json_int_t exp = json_integer_value(json_object_get(u, "expires_ms"));
	uint8_t h[32], w[32];
	crypto_generichash(h, 32, (const uint8_t *)dot + 1, 20, NULL, 0);
	int ok = want && sha && !strcmp(sha, sha_hex) && strlen(want) == 64 &&
		 !qf_unhex(want, w, 32) && !sodium_memcmp(h, w, 32) &&
		 exp > qf_now_ms(in->clock);
	json_decref(u);
	return ok ? QF_OK : QF_ERR_NOTFOUND;
}

int intake_media_attach(struct intake *in, struct qf_txn *t, struct intake_media *m,
			const char *owner, const char *const *from)
{
	if (m->kind != INTAKE_MEDIA_REF)
		return QF_OK;
	char src[40] = "";
	uint8_t *data = NULL;
	size_t len = 0;
	const char *ct = NULL;
	int rc = QF_ERR_NOTFOUND;
	/* the photo is already this owner's, or one of the allowed sources' */
	if (intake_media_get(in, t, m->sha256, owner, &data, &len, &ct) == QF_OK)
		rc = QF_OK;
	for (const char *const *f = from; rc && f && *f; f++)
		if (**f && intake_media_get(in, t, m->sha256, *f, &data, &len, &ct) == QF_OK)
			rc = QF_OK;
	/* or uploaded before with a token that the referrer holds */
	if (rc && m->token[0] && s_upload_check(in, t, m->token, m->sha256, src) == QF_OK &&
	    intake_media_get(in, t, m->sha256, src, &data, &len, &ct) == QF_OK)
		rc = QF_OK;
	if (rc)
		return QF_ERR_NOTFOUND;
	struct intake_media copy = *m;
	copy.kind = INTAKE_MEDIA_UPLOAD;
	copy.content_type = ct;
	copy.size = len;
	copy.data = (char *)data;
	rc = intake_media_put(in, t, &copy, owner);
	sodium_memzero(data, len);
	free(data);
	if (!rc) {
		m->content_type = ct;
		m->size = len;
	}
	return rc;
}

int intake_upload_put(struct intake *in, struct qf_txn *t, const struct intake_media *m,
		      const struct qf_staff *staff, int64_t now, char owner[40],
		      char token[64])
{
	uint8_t rnd[20], h[32];
	char secret[24], hh[65];
	owner[0] = 'U';
	qf_id_sortable(now, owner + 1);
	randombytes_buf(rnd, sizeof rnd);
	for (int i = 0; i < 20; i++)
		secret[i] = intake_crockford[rnd[i] & 31];
	secret[20] = '\0';
	crypto_generichash(h, 32, (const uint8_t *)secret, 20, NULL, 0);
	qf_hex(h, 32, hh);
	snprintf(token, 64, "%s.%s", owner, secret);
	sodium_memzero(secret, sizeof secret);
	json_t *u = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "upload_id", owner, "sha256",
			      m->sha256, "content_type", m->content_type, "size",
			      (json_int_t)m->size, "staff_id", staff->id, "expires_ms",
			      (json_int_t)(now + (int64_t)in->conf->upload_ttl_h * 3600000));
	if (u)
		json_object_set_new(u, "secret_hash", json_string(hh));
	int rc = u ? intake_json_put(t, in->db.uploads, owner, strlen(owner), u, 0)
		   : QF_ERR_NOMEM;
	json_decref(u);
	return rc ? rc : intake_media_put(in, t, m, owner);
}

int intake_upload_sweep(struct intake *in, struct qf_txn *t, int64_t now_ms, unsigned max)
{
	int n = 0;
	while ((unsigned)n < max) {
		MDB_cursor *c;
		MDB_val k, v;
		if (mdb_cursor_open(qf_txn_mdb(t), in->db.uploads, &c))
			break;
		int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		json_t *u = rc == 0 ? json_loadb(v.mv_data, v.mv_size, 0, NULL) : NULL;
		mdb_cursor_close(c);
		const char *id = json_string_value(json_object_get(u, "upload_id"));
		const char *sha = json_string_value(json_object_get(u, "sha256"));
		/* ids sort by time and every upload lives as long: stop at the
		   first one still valid */
		if (!id || !sha || json_integer_value(json_object_get(u, "expires_ms")) > now_ms) {
			json_decref(u);
			break;
		}
		char subject[80];
		intake_media_subject(id, subject, sizeof subject);
		rc = intake_media_del(in, t, sha, id);
		if (!rc)
			rc = qf_vault_forget(in->vault, t, subject);
		if (!rc)
			rc = qf_txn_del(t, in->db.uploads, id, strlen(id));
		json_decref(u);
		if (rc)
			break;
		n++;
	}
	return n;
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
	int rc = intake_rec_put(in, t, in->db.timeline, key, kl, &intake_rec_timeline, case_id,
				intake_case_sensitive(in, rec), entry);
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
		json_t *e = intake_rec_parse(in, t, &intake_rec_timeline, k.mv_data,
					     k.mv_size, v.mv_data, v.mv_size);
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
	if (b[32] == 'V') { /* sealed under its case's key (holds a receipt) */
		uint8_t *m = NULL;
		int rc = s_unseal(in, t, 'i', id->key, 32, b + IDEM_HDR + 2,
				  v.mv_size - IDEM_HDR - 2, &m, &ol);
		if (rc == QF_ERR_GONE) { /* a retry after retention: no second case */
			*status = 410;
			*body = strdup("{\"code\":\"personal_data_deleted\",\"message\":"
				       "\"个人信息已按保存期限删除\",\"field\":null}");
			return *body ? INTAKE_IDEM_SAME : INTAKE_IDEM_NONE;
		}
		if (rc)
			return INTAKE_IDEM_NONE;
		char *txt = malloc(ol + 1);
		if (txt) {
			memcpy(txt, m, ol);
			txt[ol] = '\0';
		}
		sodium_memzero(m, ol);
		free(m);
		*body = txt;
		return txt ? INTAKE_IDEM_SAME : INTAKE_IDEM_NONE;
	}
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

int intake_idem_put_sealed(struct intake *in, struct qf_txn *t,
			   const struct intake_idem *id, unsigned status, const char *body,
			   const char *subject)
{
	if (!id || !id->present)
		return QF_OK;
	size_t adl, bl = 0;
	uint8_t *ad = s_ad('i', id->key, 32, &adl), *box = NULL;
	if (!ad)
		return QF_ERR_NOMEM;
	int rc = qf_vault_seal(in->vault, t, subject, ad, adl, body, strlen(body), &box, &bl);
	free(ad);
	if (rc)
		return rc == QF_ERR_GONE ? QF_OK : rc;
	int64_t exp =
	    qf_now_ms(in->clock) + (int64_t)in->conf->idempotency_ttl_h * 3600000;
	size_t n = IDEM_HDR + 2 + bl;
	uint8_t *v = malloc(n);
	if (!v) {
		free(box);
		return QF_ERR_NOMEM;
	}
	memcpy(v, id->body, 32);
	v[32] = 'V';
	qf_be64_put(v + 33, (uint64_t)exp);
	v[IDEM_HDR] = (uint8_t)(status >> 8);
	v[IDEM_HDR + 1] = (uint8_t)status;
	memcpy(v + IDEM_HDR + 2, box, bl);
	free(box);
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
