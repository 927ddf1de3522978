/* ntf_store.c: the notifier's records and indexes (ntf_store.h).
 *
 * Records are small JSON objects with short keys; binary fields (event ids,
 * sealed boxes) are hex. Decoding is strict about types but tolerant of
 * missing optional fields, so a record written by an older version still
 * loads (with its private fields in clear: they are sealed the next time it
 * is written). Index keys are built so that LMDB's byte order is the order
 * we need (channel, then due time). A case's private fields travel in one
 * "box" per record, a small JSON object sealed with qf_vault: encode and
 * decode carry it as it is, get opens it, put makes it. */
#include "ntf_store.h"
#include "ntf_conf.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_vault.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int ntf_db_open(struct qf_store *s, struct ntf_db *db)
{
	int rc;
	if ((rc = qf_store_dbi(s, "ntf.deliveries", MDB_CREATE, &db->deliveries)) ||
	    (rc = qf_store_dbi(s, "ntf.due", MDB_CREATE, &db->due)) ||
	    (rc = qf_store_dbi(s, "ntf.dead", MDB_CREATE, &db->dead)) ||
	    (rc = qf_store_dbi(s, "ntf.by_case", MDB_CREATE, &db->by_case)) ||
	    (rc = qf_store_dbi(s, "ntf.expire", MDB_CREATE, &db->expire)) ||
	    (rc = qf_store_dbi(s, "ntf.cases", MDB_CREATE, &db->cases)) ||
	    (rc = qf_store_dbi(s, "ntf.tracking", MDB_CREATE, &db->tracking)) ||
	    (rc = qf_store_dbi(s, "ntf.subs", MDB_CREATE, &db->subs)) ||
	    (rc = qf_store_dbi(s, "ntf.sub_target", MDB_CREATE, &db->sub_target)))
		return rc;
	return qf_vault_open(&db->vault, s);
}

void ntf_db_close(struct ntf_db *db) { qf_vault_destroy(&db->vault); }

static const char *const s_states[NTF_ST_COUNT] = {"pending", "delivered", "dead",
						   "skipped", "cancelled"};

const char *ntf_state_name(int st)
{
	return (unsigned)st < NTF_ST_COUNT ? s_states[st] : "?";
}

int ntf_state_parse(const char *s)
{
	for (int i = 0; i < NTF_ST_COUNT; i++)
		if (s && strcmp(s, s_states[i]) == 0)
			return i;
	return -1;
}

static const char *const s_tos[NTF_TO_COUNT] = {"petitioner", "staff", "follower",
						"group"};

/* ------------------------------------------------------------ json helpers */

static int s_set_str(json_t *o, const char *k, const char *v)
{
	if (!v || !v[0])
		return 0;
	json_t *s = json_string(v);
	if (!s) { /* not UTF-8: store a cleaned copy rather than fail forever */
		char *c = strdup(v);
		if (!c)
			return -1;
		ntf_utf8_clean(c);
		s = json_string(c);
		free(c);
	}
	return json_object_set_new(o, k, s);
}

static int s_set_int(json_t *o, const char *k, int64_t v)
{
	if (!v)
		return 0;
	return json_object_set_new(o, k, json_integer(v));
}

static int s_set_hex(json_t *o, const char *k, const uint8_t *b, size_t n)
{
	if (!b || !n)
		return 0;
	char *hex = malloc(2 * n + 1);
	if (!hex)
		return -1;
	int rc = json_object_set_new(o, k, json_string(qf_hex(b, n, hex)));
	free(hex);
	return rc;
}

static char *s_dump(json_t *o, size_t *len)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s && len)
		*len = strlen(s);
	return s;
}

/* Get string member k: 0 and *out malloc'd (NULL when absent), -1 when it
 * is not a string or memory ran out. */
static int s_get_str(json_t *o, const char *k, char **out)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = strdup(json_string_value(v));
	return *out ? 0 : -1;
}

static int s_get_int(json_t *o, const char *k, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int s_get_small(json_t *o, const char *k, int *out, int min, int max)
{
	int64_t v;
	if (s_get_int(o, k, &v) || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int s_get_hex(json_t *o, const char *k, uint8_t **out, size_t *n)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	size_t l = json_string_length(v);
	if (l % 2 || l > 1 << 20)
		return -1;
	*out = malloc(l / 2 + 1);
	if (!*out || qf_unhex(json_string_value(v), *out, l / 2)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*n = l / 2;
	return 0;
}

/* A required string is present and not empty: the encoders omit empty
 * strings, so a record with an empty key would not read back. */
static int s_blank(const char *s)
{
	return !s || !s[0];
}

static json_t *s_load(const void *data, size_t len)
{
	json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ boxes */

/* Seal the JSON object priv (consumed) for subject, bound to ad: 0 with
 * *box malloc'd, or *box NULL when priv is empty; QF_ERR_GONE when the
 * subject was forgotten. */
static int s_box_seal(struct qf_txn *t, const struct ntf_db *db, const char *subject,
		      const char *ad, json_t *priv, uint8_t **box, size_t *bl)
{
	*box = NULL;
	*bl = 0;
	if (!priv)
		return QF_ERR_NOMEM;
	if (!json_object_size(priv)) {
		json_decref(priv);
		return 0;
	}
	char *txt = json_dumps(priv, JSON_COMPACT);
	json_decref(priv);
	if (!txt)
		return QF_ERR_NOMEM;
	size_t tl = strlen(txt);
	int rc = qf_vault_seal(db->vault, t, subject, ad, strlen(ad), txt, tl, box, bl);
	sodium_memzero(txt, tl);
	free(txt);
	return rc;
}

/* Open a box bound to ad: 0 with *priv (the caller decrefs), QF_ERR_GONE
 * when its key was forgotten, QF_ERR_PROTO when it does not open. */
static int s_box_open(struct qf_txn *t, const struct ntf_db *db, const uint8_t *box,
		      size_t bl, const char *ad, json_t **priv)
{
	uint8_t *m;
	size_t ml;
	*priv = NULL;
	int rc = qf_vault_unseal(db->vault, t, box, bl, ad, strlen(ad), &m, &ml);
	if (rc == QF_ERR_CRYPTO)
		return QF_ERR_PROTO;
	if (rc)
		return rc;
	*priv = s_load(m, ml);
	sodium_memzero(m, ml);
	free(m);
	return *priv ? 0 : QF_ERR_PROTO;
}

/* Move string member k of a box into *dst (replacing it). -1 on a bad
 * type or no memory. */
static int s_box_str(json_t *o, const char *k, char **dst)
{
	char *v;
	if (s_get_str(o, k, &v))
		return -1;
	if (v) {
		free(*dst);
		*dst = v;
	}
	return 0;
}

static int s_box_hex(json_t *o, const char *k, uint8_t **dst, size_t *n)
{
	uint8_t *v;
	size_t vl;
	if (s_get_hex(o, k, &v, &vl))
		return -1;
	if (v) {
		free(*dst);
		*dst = v;
		*n = vl;
	}
	return 0;
}

/* ------------------------------------------------------------ deliveries */

void ntf_delivery_clear(struct ntf_delivery *d)
{
	free(d->channel);
	free(d->rk);
	free(d->rid);
	free(d->rdisp);
	free(d->case_id);
	free(d->tracking_code);
	free(d->pkey);
	free(d->rule);
	free(d->event);
	free(d->subject);
	free(d->text);
	free(d->markdown);
	for (unsigned i = 0; i < d->nmentions; i++)
		free(d->mentions[i]);
	free(d->mentions);
	free(d->last_err);
	free(d->box);
	memset(d, 0, sizeof *d);
}

/* A text as operators see it: every "token=<hex>" (a follower's confirm
 * and unsubscribe capabilities) shown as "token=…", so reading deliveries
 * never hands anyone another person's subscription. */
static int s_set_redacted(json_t *o, const char *key, const char *v)
{
	if (!v)
		return 0;
	size_t n = strlen(v);
	char *out = malloc(n + 1);
	if (!out)
		return -1;
	size_t o_len = 0;
	for (size_t i = 0; i < n;) {
		if (!strncmp(v + i, "token=", 6)) {
			size_t k = i + 6;
			while (k < n && strchr("0123456789abcdefABCDEF", v[k]))
				k++;
			if (k - i - 6 >= 16) {
				memcpy(out + o_len, "token=\xe2\x80\xa6", 9); /* token=… */
				o_len += 9;
				i = k;
				continue;
			}
		}
		out[o_len++] = v[i++];
	}
	out[o_len] = '\0';
	int rc = s_set_str(o, key, out);
	free(out);
	return rc;
}

static json_t *s_delivery_obj(const struct ntf_delivery *d, int for_http)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int rc = 0;
	rc |= json_object_set_new(o, "id", json_string(d->id));
	rc |= json_object_set_new(o, for_http ? "state" : "st",
				  json_string(ntf_state_name(d->state)));
	rc |= json_object_set_new(o, "to", json_string(s_tos[d->to % NTF_TO_COUNT]));
	rc |= json_object_set_new(o, for_http ? "format" : "fmt",
				  json_string(ntf_fmt_name((enum ntf_fmt)d->fmt)));
	rc |= s_set_str(o, "channel", d->channel);
	rc |= s_set_str(o, for_http ? "recipient_kind" : "rk", d->rk);
	if (!for_http || d->to != NTF_TO_FOLLOWER)
		rc |= s_set_str(o, for_http ? "recipient_id" : "rid", d->rid);
	rc |= s_set_str(o, for_http ? "recipient" : "rdisp", d->rdisp);
	rc |= s_set_str(o, "case_id", d->case_id);
	rc |= s_set_str(o, for_http ? "tracking_code" : "tc", d->tracking_code);
	if (!for_http)
		rc |= s_set_str(o, "pkey", d->pkey);
	rc |= s_set_str(o, "rule", d->rule);
	rc |= s_set_str(o, "event", d->event);
	if (d->has_event_id)
		rc |= s_set_hex(o, for_http ? "event_id" : "eid", d->event_id, 16);
	if (for_http) {
		rc |= s_set_redacted(o, "subject", d->subject);
		rc |= s_set_redacted(o, "text", d->text);
		rc |= s_set_redacted(o, "markdown", d->markdown);
	} else {
		rc |= s_set_str(o, "subject", d->subject);
		rc |= s_set_str(o, "text", d->text);
		rc |= s_set_str(o, "md", d->markdown);
	}
	if (d->nmentions) {
		json_t *a = json_array();
		for (unsigned i = 0; i < d->nmentions; i++)
			json_array_append_new(a, json_string(d->mentions[i]));
		rc |= json_object_set_new(o, "mentions", a);
	}
	if (for_http) {
		rc |= json_object_set_new(o, "confirm", json_boolean(d->confirm));
		rc |= json_object_set_new(o, "urgent", json_boolean(d->urgent));
		rc |= json_object_set_new(o, "attempts", json_integer(d->attempts));
	} else {
		rc |= s_set_int(o, "cf", d->confirm);
		rc |= s_set_int(o, "ur", d->urgent);
		rc |= s_set_int(o, "qt", d->quiet);
		rc |= s_set_int(o, "att", d->attempts);
	}
	rc |= s_set_str(o, for_http ? "last_error" : "err", d->last_err);
	if (for_http && d->expired)
		rc |= json_object_set_new(o, "private_expired", json_true());
	if (!for_http) {
		rc |= s_set_hex(o, "box", d->box, d->box_len);
		rc |= s_set_int(o, "pexp", d->expired);
	}
	rc |= s_set_int(o, for_http ? "created_ms" : "cr", d->created);
	if (d->state == NTF_ST_PENDING || !for_http)
		rc |= s_set_int(o, for_http ? "due_ms" : "due", d->due);
	rc |= s_set_int(o, for_http ? "last_attempt_ms" : "last", d->last_ms);
	rc |= s_set_int(o, for_http ? "done_ms" : "done", d->done_ms);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *ntf_delivery_encode(const struct ntf_delivery *d, size_t *len)
{
	json_t *o = s_delivery_obj(d, 0);
	return o ? s_dump(o, len) : NULL;
}

struct json_t *ntf_delivery_json(const struct ntf_delivery *d)
{
	return s_delivery_obj(d, 1);
}

int ntf_delivery_decode(const void *data, size_t len, struct ntf_delivery *d)
{
	memset(d, 0, sizeof *d);
	json_t *o = s_load(data, len);
	if (!o)
		return QF_ERR_PROTO;
	int bad = 0;
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *st = json_string_value(json_object_get(o, "st"));
	const char *to = json_string_value(json_object_get(o, "to"));
	const char *fmt = json_string_value(json_object_get(o, "fmt"));
	if (!id || strlen(id) != NTF_ID_LEN || !st || !to || !fmt) {
		json_decref(o);
		return QF_ERR_PROTO;
	}
	memcpy(d->id, id, NTF_ID_LEN + 1);
	d->state = ntf_state_parse(st);
	d->fmt = ntf_fmt_parse(fmt);
	d->to = -1;
	for (int i = 0; i < NTF_TO_COUNT; i++)
		if (strcmp(to, s_tos[i]) == 0)
			d->to = i;
	bad |= d->state < 0 || d->fmt < 0 || d->to < 0;
	bad |= s_get_str(o, "channel", &d->channel);
	bad |= s_get_str(o, "rk", &d->rk);
	bad |= s_get_str(o, "rid", &d->rid);
	bad |= s_get_str(o, "rdisp", &d->rdisp);
	bad |= s_get_str(o, "case_id", &d->case_id);
	bad |= s_get_str(o, "tc", &d->tracking_code);
	bad |= s_get_str(o, "pkey", &d->pkey);
	bad |= s_get_str(o, "rule", &d->rule);
	bad |= s_get_str(o, "event", &d->event);
	bad |= s_get_str(o, "subject", &d->subject);
	bad |= s_get_str(o, "text", &d->text);
	bad |= s_get_str(o, "md", &d->markdown);
	bad |= s_get_str(o, "err", &d->last_err);
	bad |= s_get_hex(o, "box", &d->box, &d->box_len);
	bad |= s_get_small(o, "pexp", &d->expired, 0, 1);
	bad |= s_get_small(o, "cf", &d->confirm, 0, 1);
	bad |= s_get_small(o, "ur", &d->urgent, 0, 1);
	bad |= s_get_small(o, "qt", &d->quiet, 0, 1);
	bad |= s_get_small(o, "att", &d->attempts, 0, 1000000);
	bad |= s_get_int(o, "cr", &d->created);
	bad |= s_get_int(o, "due", &d->due);
	bad |= s_get_int(o, "last", &d->last_ms);
	bad |= s_get_int(o, "done", &d->done_ms);
	uint8_t *eid;
	size_t eidn;
	if (s_get_hex(o, "eid", &eid, &eidn) || (eid && eidn != 16)) {
		bad = 1;
	} else if (eid) {
		memcpy(d->event_id, eid, 16);
		d->has_event_id = 1;
	}
	free(eid);
	json_t *m = json_object_get(o, "mentions");
	if (m) {
		if (!json_is_array(m) || json_array_size(m) > 256) {
			bad = 1;
		} else {
			d->mentions = calloc(json_array_size(m) + 1, sizeof(char *));
			bad |= !d->mentions;
			for (size_t i = 0; d->mentions && i < json_array_size(m); i++) {
				const char *s = json_string_value(json_array_get(m, i));
				if (!s || !(d->mentions[d->nmentions] = strdup(s))) {
					bad = 1;
					break;
				}
				d->nmentions++;
			}
		}
	}
	if (!bad && (!d->channel || !d->rk))
		bad = 1;
	json_decref(o);
	if (bad) {
		ntf_delivery_clear(d);
		return QF_ERR_PROTO;
	}
	return 0;
}

int ntf_delivery_get(struct qf_txn *t, const struct ntf_db *db, const char *id,
		     struct ntf_delivery *d)
{
	MDB_val v;
	int rc = qf_txn_get(t, db->deliveries, id, strlen(id), &v);
	if (rc)
		return rc;
	if ((rc = ntf_delivery_decode(v.mv_data, v.mv_size, d)) || !d->box)
		return rc;
	json_t *p;
	rc = s_box_open(t, db, d->box, d->box_len, d->id, &p);
	free(d->box);
	d->box = NULL;
	d->box_len = 0;
	if (rc == QF_ERR_GONE) {
		d->expired = 1;
		return 0;
	}
	int bad = rc != 0;
	if (p) {
		bad |= s_box_str(p, "s", &d->subject) | s_box_str(p, "t", &d->text) |
		       s_box_str(p, "m", &d->markdown) | s_box_str(p, "r", &d->rdisp) |
		       s_box_str(p, "e", &d->last_err);
		json_decref(p);
	}
	if (bad) {
		ntf_delivery_clear(d);
		return QF_ERR_PROTO;
	}
	return 0;
}

int ntf_delivery_put(struct qf_txn *t, const struct ntf_db *db,
		     const struct ntf_delivery *d)
{
	struct ntf_delivery w = *d; /* borrows d's strings: never cleared */
	w.box = NULL;
	w.box_len = 0;
	if (d->case_id && d->case_id[0] && db->vault) {
		json_t *p = json_object();
		if (p && (s_set_str(p, "s", d->subject) || s_set_str(p, "t", d->text) ||
			  s_set_str(p, "m", d->markdown) || s_set_str(p, "r", d->rdisp) ||
			  s_set_str(p, "e", d->last_err))) {
			json_decref(p);
			p = NULL;
		}
		int rc = s_box_seal(t, db, d->case_id, d->id, p, &w.box, &w.box_len);
		if (rc && rc != QF_ERR_GONE)
			return rc;
		/* sealed, or forgotten (retention): not in clear either way */
		w.subject = w.text = w.markdown = w.rdisp = w.last_err = NULL;
		if (rc == QF_ERR_GONE)
			w.expired = 1;
	}
	size_t len;
	char *s = ntf_delivery_encode(&w, &len);
	free(w.box);
	if (!s)
		return QF_ERR_NOMEM;
	int rc = qf_txn_put(t, db->deliveries, d->id, strlen(d->id), s, len, 0);
	free(s);
	return rc;
}

size_t ntf_due_key(uint8_t *k, size_t cap, const char *channel, int64_t due,
		   const char *id)
{
	size_t cl = strlen(channel), il = strlen(id);
	if (cl + 1 + 8 + il > cap)
		return 0;
	memcpy(k, channel, cl);
	k[cl] = 0;
	qf_be64_put(k + cl + 1, (uint64_t)(due < 0 ? 0 : due));
	memcpy(k + cl + 9, id, il);
	return cl + 9 + il;
}

int ntf_due_put(struct qf_txn *t, const struct ntf_db *db, const char *channel,
		int64_t due, const char *id)
{
	uint8_t k[256];
	size_t kl = ntf_due_key(k, sizeof k, channel, due, id);
	if (!kl)
		return QF_ERR_INVAL;
	return qf_txn_put(t, db->due, k, kl, "", 0, 0);
}

int ntf_due_del(struct qf_txn *t, const struct ntf_db *db, const char *channel,
		int64_t due, const char *id)
{
	uint8_t k[256];
	size_t kl = ntf_due_key(k, sizeof k, channel, due, id);
	if (!kl)
		return QF_ERR_INVAL;
	int rc = qf_txn_del(t, db->due, k, kl);
	return rc == QF_ERR_NOTFOUND ? 0 : rc;
}

static size_t s_time_id_key(uint8_t *k, int64_t at, const char *id)
{
	size_t il = strlen(id);
	if (il > 64)
		il = 64;
	qf_be64_put(k, (uint64_t)(at < 0 ? 0 : at));
	memcpy(k + 8, id, il);
	return 8 + il;
}

int ntf_dead_put(struct qf_txn *t, const struct ntf_db *db, int64_t at, const char *id)
{
	uint8_t k[80];
	return qf_txn_put(t, db->dead, k, s_time_id_key(k, at, id), "", 0, 0);
}

int ntf_dead_del(struct qf_txn *t, const struct ntf_db *db, int64_t at, const char *id)
{
	uint8_t k[80];
	int rc = qf_txn_del(t, db->dead, k, s_time_id_key(k, at, id));
	return rc == QF_ERR_NOTFOUND ? 0 : rc;
}

static size_t s_case_key(uint8_t *k, size_t cap, const char *case_id, int64_t at,
			 const char *id)
{
	size_t cl = strlen(case_id), il = strlen(id);
	if (cl + 1 + 8 + il > cap)
		return 0;
	memcpy(k, case_id, cl);
	k[cl] = 0;
	qf_be64_put(k + cl + 1, (uint64_t)(at < 0 ? 0 : at));
	memcpy(k + cl + 9, id, il);
	return cl + 9 + il;
}

int ntf_by_case_put(struct qf_txn *t, const struct ntf_db *db, const char *case_id,
		    int64_t created, const char *id)
{
	uint8_t k[256];
	size_t kl = s_case_key(k, sizeof k, case_id, created, id);
	if (!kl)
		return QF_ERR_INVAL;
	return qf_txn_put(t, db->by_case, k, kl, "", 0, 0);
}

int ntf_by_case_del(struct qf_txn *t, const struct ntf_db *db, const char *case_id,
		    int64_t created, const char *id)
{
	uint8_t k[256];
	size_t kl = s_case_key(k, sizeof k, case_id, created, id);
	if (!kl)
		return QF_ERR_INVAL;
	int rc = qf_txn_del(t, db->by_case, k, kl);
	return rc == QF_ERR_NOTFOUND ? 0 : rc;
}

int ntf_expire_put(struct qf_txn *t, const struct ntf_db *db, int64_t at, char kind,
		   const char *key)
{
	uint8_t k[256];
	size_t kl = strlen(key);
	if (kl + 9 > sizeof k)
		return QF_ERR_INVAL;
	qf_be64_put(k, (uint64_t)(at < 0 ? 0 : at));
	k[8] = (uint8_t)kind;
	memcpy(k + 9, key, kl);
	return qf_txn_put(t, db->expire, k, kl + 9, "", 0, 0);
}

void ntf_delivery_id(const uint8_t *event_id, size_t id_len, const char *recipient,
		     const char *channel, char out[NTF_ID_LEN + 1])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, event_id, id_len);
	crypto_hash_sha256_update(&st, (const uint8_t *)"", 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)recipient, strlen(recipient));
	crypto_hash_sha256_update(&st, (const uint8_t *)"", 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)channel, strlen(channel));
	crypto_hash_sha256_final(&st, h);
	qf_hex(h, NTF_ID_LEN / 2, out);
}

/* ------------------------------------------------------------ cases */

void ntf_case_clear(struct ntf_case *c)
{
	free(c->case_id);
	free(c->tracking_code);
	free(c->category);
	free(c->building);
	free(c->priority);
	free(c->assignee);
	free(c->assignee_name);
	free(c->concerns_staff);
	free(c->phone_masked);
	free(c->pseudonym);
	if (c->sealed)
		sodium_memzero(c->sealed, c->sealed_len);
	free(c->sealed);
	free(c->box);
	memset(c, 0, sizeof *c);
}

char *ntf_case_encode(const struct ntf_case *c, size_t *len)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int rc = 0;
	rc |= s_set_str(o, "id", c->case_id);
	rc |= s_set_str(o, "tc", c->tracking_code);
	rc |= s_set_str(o, "cat", c->category);
	rc |= s_set_str(o, "bld", c->building);
	rc |= s_set_str(o, "pri", c->priority);
	rc |= s_set_str(o, "asg", c->assignee);
	rc |= s_set_str(o, "asgn", c->assignee_name);
	rc |= s_set_str(o, "cs", c->concerns_staff);
	rc |= s_set_str(o, "pm", c->phone_masked);
	rc |= s_set_str(o, "ps", c->pseudonym);
	rc |= s_set_hex(o, "sealed", c->sealed, c->sealed_len);
	rc |= s_set_hex(o, "box", c->box, c->box_len);
	rc |= s_set_int(o, "pet", c->petition_seen);
	rc |= s_set_int(o, "st", c->state);
	rc |= s_set_int(o, "cons", c->consent);
	rc |= s_set_int(o, "sens", c->sensitive);
	rc |= s_set_int(o, "rdue", c->respond_due);
	rc |= s_set_int(o, "sdue", c->resolve_due);
	rc |= s_set_int(o, "upd", c->updated_ms);
	rc |= s_set_int(o, "closed", c->closed_ms);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return s_dump(o, len);
}

int ntf_case_decode(const void *data, size_t len, struct ntf_case *c)
{
	memset(c, 0, sizeof *c);
	json_t *o = s_load(data, len);
	if (!o)
		return QF_ERR_PROTO;
	int bad = 0;
	bad |= s_get_str(o, "id", &c->case_id);
	bad |= s_get_str(o, "tc", &c->tracking_code);
	bad |= s_get_str(o, "cat", &c->category);
	bad |= s_get_str(o, "bld", &c->building);
	bad |= s_get_str(o, "pri", &c->priority);
	bad |= s_get_str(o, "asg", &c->assignee);
	bad |= s_get_str(o, "asgn", &c->assignee_name);
	bad |= s_get_str(o, "cs", &c->concerns_staff);
	bad |= s_get_str(o, "pm", &c->phone_masked);
	bad |= s_get_str(o, "ps", &c->pseudonym);
	bad |= s_get_hex(o, "sealed", &c->sealed, &c->sealed_len);
	bad |= s_get_hex(o, "box", &c->box, &c->box_len);
	bad |= s_get_small(o, "pet", &c->petition_seen, 0, 1);
	bad |= s_get_small(o, "st", &c->state, 0, 1000);
	bad |= s_get_small(o, "cons", &c->consent, 0, 1);
	bad |= s_get_small(o, "sens", &c->sensitive, 0, 1);
	bad |= s_get_int(o, "rdue", &c->respond_due);
	bad |= s_get_int(o, "sdue", &c->resolve_due);
	bad |= s_get_int(o, "upd", &c->updated_ms);
	bad |= s_get_int(o, "closed", &c->closed_ms);
	json_decref(o);
	if (bad || s_blank(c->case_id)) {
		ntf_case_clear(c);
		return QF_ERR_PROTO;
	}
	return 0;
}

/* A case box's associated data: it belongs to this case's record. */
static void s_case_ad(char *ad, size_t n, const char *case_id)
{
	snprintf(ad, n, "case:%s", case_id);
}

int ntf_case_get(struct qf_txn *t, const struct ntf_db *db, const char *case_id,
		 struct ntf_case *c)
{
	MDB_val v;
	memset(c, 0, sizeof *c);
	if (!case_id || !case_id[0])
		return QF_ERR_NOTFOUND;
	int rc = qf_txn_get(t, db->cases, case_id, strlen(case_id), &v);
	if (rc)
		return rc;
	if ((rc = ntf_case_decode(v.mv_data, v.mv_size, c)) || !c->box)
		return rc;
	char ad[300];
	s_case_ad(ad, sizeof ad, c->case_id);
	json_t *p;
	rc = s_box_open(t, db, c->box, c->box_len, ad, &p);
	free(c->box);
	c->box = NULL;
	c->box_len = 0;
	if (rc == QF_ERR_GONE) {
		c->expired = 1;
		return 0;
	}
	int bad = rc != 0;
	if (p) {
		bad |= s_box_hex(p, "c", &c->sealed, &c->sealed_len) |
		       s_box_str(p, "pm", &c->phone_masked) |
		       s_box_str(p, "ps", &c->pseudonym);
		json_decref(p);
	}
	if (bad) {
		ntf_case_clear(c);
		return QF_ERR_PROTO;
	}
	return 0;
}

int ntf_case_put(struct qf_txn *t, const struct ntf_db *db, const struct ntf_case *c)
{
	struct ntf_case w = *c; /* borrows c's fields: never cleared */
	w.box = NULL;
	w.box_len = 0;
	if (db->vault) {
		char ad[300];
		s_case_ad(ad, sizeof ad, c->case_id);
		json_t *p = json_object();
		if (p && (s_set_hex(p, "c", c->sealed, c->sealed_len) ||
			  s_set_str(p, "pm", c->phone_masked) ||
			  s_set_str(p, "ps", c->pseudonym))) {
			json_decref(p);
			p = NULL;
		}
		int rc = s_box_seal(t, db, c->case_id, ad, p, &w.box, &w.box_len);
		if (rc && rc != QF_ERR_GONE)
			return rc;
		w.sealed = NULL;
		w.sealed_len = 0;
		w.phone_masked = w.pseudonym = NULL;
	}
	size_t len;
	char *s = ntf_case_encode(&w, &len);
	free(w.box);
	if (!s)
		return QF_ERR_NOMEM;
	int rc = qf_txn_put(t, db->cases, c->case_id, strlen(c->case_id), s, len, 0);
	free(s);
	/* index plausible tracking codes only: an LMDB key has at most 511
	   bytes, and an event must never make the transaction fail */
	size_t tl = c->tracking_code ? strlen(c->tracking_code) : 0;
	if (!rc && tl && tl <= NTF_TRACKING_MAX)
		rc = qf_txn_put(t, db->tracking, c->tracking_code, tl, c->case_id,
				strlen(c->case_id), 0);
	return rc;
}

int ntf_tracking_get(struct qf_txn *t, const struct ntf_db *db, const char *code,
		     char *out, size_t n)
{
	MDB_val v;
	if (!code || !code[0] || strlen(code) > NTF_TRACKING_MAX)
		return QF_ERR_NOTFOUND;
	int rc = qf_txn_get(t, db->tracking, code, strlen(code), &v);
	if (rc)
		return rc;
	if (v.mv_size + 1 > n)
		return QF_ERR_TOOBIG;
	memcpy(out, v.mv_data, v.mv_size);
	out[v.mv_size] = '\0';
	return 0;
}

/* ------------------------------------------------------------ follows */

static const char *const s_sub_states[] = {"pending", "active", "removed"};

const char *ntf_sub_state_name(int st)
{
	return (unsigned)st < 3 ? s_sub_states[st] : "?";
}

void ntf_sub_clear(struct ntf_sub *s)
{
	free(s->id);
	free(s->target);
	free(s->masked);
	free(s->addr);
	free(s->secret);
	free(s->box);
	memset(s, 0, sizeof *s);
}

char *ntf_sub_encode(const struct ntf_sub *s, size_t *len)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int rc = 0;
	rc |= s_set_str(o, "id", s->id);
	rc |= s_set_str(o, "target", s->target);
	rc |= s_set_str(o, "masked", s->masked);
	rc |= json_object_set_new(o, "fmt",
				  json_string(ntf_fmt_name((enum ntf_fmt)s->fmt)));
	rc |= s_set_hex(o, "addr", s->addr, s->addr_len);
	rc |= s_set_hex(o, "secret", s->secret, s->secret_len);
	rc |= s_set_hex(o, "box", s->box, s->box_len);
	rc |= json_object_set_new(o, "st", json_string(ntf_sub_state_name(s->state)));
	rc |= s_set_int(o, "confirms", s->confirms);
	rc |= s_set_int(o, "created", s->created);
	rc |= s_set_int(o, "confirmed", s->confirmed);
	rc |= s_set_int(o, "confirm_sent", s->confirm_sent);
	rc |= s_set_int(o, "removed", s->removed);
	if (s->has_code) {
		rc |= s_set_hex(o, "code", s->code_hash, sizeof s->code_hash);
		rc |= s_set_int(o, "tries", s->code_tries);
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return s_dump(o, len);
}

int ntf_sub_decode(const void *data, size_t len, struct ntf_sub *s)
{
	memset(s, 0, sizeof *s);
	json_t *o = s_load(data, len);
	if (!o)
		return QF_ERR_PROTO;
	int bad = 0;
	bad |= s_get_str(o, "id", &s->id);
	bad |= s_get_str(o, "target", &s->target);
	bad |= s_get_str(o, "masked", &s->masked);
	bad |= s_get_hex(o, "addr", &s->addr, &s->addr_len);
	bad |= s_get_hex(o, "secret", &s->secret, &s->secret_len);
	bad |= s_get_hex(o, "box", &s->box, &s->box_len);
	bad |= s_get_small(o, "confirms", &s->confirms, 0, 1000000);
	bad |= s_get_int(o, "created", &s->created);
	bad |= s_get_int(o, "confirmed", &s->confirmed);
	bad |= s_get_int(o, "confirm_sent", &s->confirm_sent);
	bad |= s_get_int(o, "removed", &s->removed);
	bad |= s_get_small(o, "tries", &s->code_tries, 0, 1000);
	uint8_t *code = NULL;
	size_t code_len = 0;
	bad |= s_get_hex(o, "code", &code, &code_len);
	if (code && code_len == sizeof s->code_hash) {
		memcpy(s->code_hash, code, sizeof s->code_hash);
		s->has_code = 1;
	} else if (code) {
		bad = 1;
	}
	free(code);
	s->fmt = ntf_fmt_parse(json_string_value(json_object_get(o, "fmt")));
	const char *st = json_string_value(json_object_get(o, "st"));
	s->state = -1;
	for (int i = 0; st && i < 3; i++)
		if (strcmp(st, s_sub_states[i]) == 0)
			s->state = i;
	json_decref(o);
	if (bad || s_blank(s->id) || s_blank(s->target) ||
	    (!s->addr_len && !s->box_len) || s->fmt < 0 || s->state < 0) {
		ntf_sub_clear(s);
		return QF_ERR_PROTO;
	}
	return 0;
}

/* The case a follow is about ("case:<id>"), or NULL. */
static const char *s_sub_case(const struct ntf_sub *s)
{
	return strncmp(s->target, "case:", 5) == 0 && s->target[5] ? s->target + 5 : NULL;
}

int ntf_sub_get(struct qf_txn *t, const struct ntf_db *db, const char *id,
		struct ntf_sub *s)
{
	MDB_val v;
	memset(s, 0, sizeof *s);
	if (!id || !id[0])
		return QF_ERR_NOTFOUND;
	int rc = qf_txn_get(t, db->subs, id, strlen(id), &v);
	if (rc)
		return rc;
	if ((rc = ntf_sub_decode(v.mv_data, v.mv_size, s)) || !s->box)
		return rc;
	json_t *p;
	rc = s_box_open(t, db, s->box, s->box_len, s->id, &p);
	free(s->box);
	s->box = NULL;
	s->box_len = 0;
	int bad = rc != 0;
	if (p) {
		bad |= s_box_hex(p, "a", &s->addr, &s->addr_len) |
		       s_box_hex(p, "s", &s->secret, &s->secret_len) |
		       s_box_str(p, "m", &s->masked);
		json_decref(p);
	}
	if (bad || !s->addr_len) {
		ntf_sub_clear(s);
		/* the case's retention ended the follow */
		return rc == QF_ERR_GONE ? QF_ERR_NOTFOUND : QF_ERR_PROTO;
	}
	return 0;
}

int ntf_sub_put(struct qf_txn *t, const struct ntf_db *db, const struct ntf_sub *s)
{
	struct ntf_sub w = *s; /* borrows s's fields: never cleared */
	w.box = NULL;
	w.box_len = 0;
	const char *case_id = s_sub_case(s);
	if (case_id && db->vault) {
		json_t *p = json_object();
		if (p && (s_set_hex(p, "a", s->addr, s->addr_len) ||
			  s_set_hex(p, "s", s->secret, s->secret_len) ||
			  s_set_str(p, "m", s->masked))) {
			json_decref(p);
			p = NULL;
		}
		int rc = s_box_seal(t, db, case_id, s->id, p, &w.box, &w.box_len);
		if (rc)
			return rc; /* QF_ERR_GONE: the case's retention ended */
		w.addr = w.secret = NULL;
		w.addr_len = w.secret_len = 0;
		w.masked = NULL;
	}
	size_t len;
	char *txt = ntf_sub_encode(&w, &len);
	free(w.box);
	if (!txt)
		return QF_ERR_NOMEM;
	int rc = qf_txn_put(t, db->subs, s->id, strlen(s->id), txt, len, 0);
	free(txt);
	return rc;
}

static size_t s_target_key(uint8_t *k, size_t cap, const char *target, const char *id)
{
	size_t tl = strlen(target), il = strlen(id);
	if (tl + 1 + il > cap)
		return 0;
	memcpy(k, target, tl);
	k[tl] = 0;
	memcpy(k + tl + 1, id, il);
	return tl + 1 + il;
}

int ntf_sub_target_put(struct qf_txn *t, const struct ntf_db *db, const char *target,
		       const char *id)
{
	uint8_t k[256];
	size_t kl = s_target_key(k, sizeof k, target, id);
	return kl ? qf_txn_put(t, db->sub_target, k, kl, "", 0, 0) : QF_ERR_INVAL;
}

int ntf_sub_target_del(struct qf_txn *t, const struct ntf_db *db, const char *target,
		       const char *id)
{
	uint8_t k[256];
	size_t kl = s_target_key(k, sizeof k, target, id);
	if (!kl)
		return QF_ERR_INVAL;
	int rc = qf_txn_del(t, db->sub_target, k, kl);
	return rc == QF_ERR_NOTFOUND ? 0 : rc;
}

int ntf_sub_target_each(struct qf_txn *t, const struct ntf_db *db, const char *target,
			int (*fn)(void *arg, const char *id), void *arg)
{
	size_t tl = strlen(target) + 1; /* the target and its NUL */
	struct qf_iter it;
	int rc;
	for (rc = qf_iter_open(&it, t, db->sub_target, target, tl);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		char id[128];
		size_t il = it.k.mv_size - tl;
		if (il == 0 || il >= sizeof id)
			continue;
		memcpy(id, (char *)it.k.mv_data + tl, il);
		id[il] = '\0';
		if ((rc = fn(arg, id)))
			break;
	}
	qf_iter_close(&it);
	return rc;
}

uint64_t ntf_db_count(struct qf_txn *t, MDB_dbi dbi)
{
	MDB_stat st;
	if (mdb_stat(qf_txn_mdb(t), dbi, &st))
		return 0;
	return st.ms_entries;
}

/* ------------------------------------------------------------ retention */

int ntf_db_forget(struct qf_txn *t, const struct ntf_db *db, const char *subject)
{
	int rc = qf_vault_forget(db->vault, t, subject);
	if (rc || strncmp(subject, "visit:", 6) == 0)
		return rc;
	/* the case's follows end with it: their addresses were sealed under
	   its key, and nothing is sent about it any more */
	char target[300];
	snprintf(target, sizeof target, "case:%s", subject);
	size_t tl = strlen(target) + 1;
	struct qf_iter it;
	for (rc = qf_iter_open(&it, t, db->sub_target, target, tl);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		if (it.k.mv_size == tl)
			continue;
		rc = qf_txn_del(t, db->subs, (const char *)it.k.mv_data + tl,
				it.k.mv_size - tl);
		if (rc && rc != QF_ERR_NOTFOUND)
			break;
		/* after a delete the cursor stands on the next entry, and
		   MDB_NEXT returns it (LMDB's C_DEL) */
		if ((rc = mdb_cursor_del(it.cur, 0))) {
			rc = qf_store_err(rc);
			break;
		}
	}
	qf_iter_close(&it);
	return rc < 0 ? rc : 0;
}
