/* api.c: the audit service's HTTP face. Two layers over one store:
 *
 *   C2SP tlog-tiles (standard clients read the log with these):
 *     GET /checkpoint                 the latest signed checkpoint (text)
 *     GET /tile/<L>/<N>[.p/<W>]       hash tiles (W x 32 bytes)
 *     GET /tile/entries/<N>[.p/<W>]   entry bundles (u16 length + bytes each)
 *   JSON conveniences under /v1: checkpoints, leaves, inclusion and
 *   consistency proofs, a case's history, streams, alerts, the verifier key,
 *   where an event is (receipts).
 *
 * Everything here is public and reads public parts only: leaves are the
 * envelopes, summaries decode the public payload, alerts are stored as
 * their public part. The one exception, a leaf's private part, needs a
 * staff token and is private.c's (each read is itself logged).
 *
 * Every read runs in one short LMDB read transaction, so a response never
 * mixes two states of the log. Hashes in JSON are standard base64, as in the
 * checkpoint text.
 */
#include "audit.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX     1000
#define PAGE_DEFAULT 100

/* ------------------------------------------------------------ helpers */

static json_t *s_b64(const void *data, size_t len)
{
	char *b = qf_b64_encode(data, len);
	json_t *j = b ? json_string(b) : json_null();
	free(b);
	return j;
}

static json_t *s_hex(const void *data, size_t len)
{
	char *h = malloc(2 * len + 1);
	json_t *j = h ? json_string(qf_hex(data, len, h)) : json_null();
	free(h);
	return j;
}

/* A decimal query parameter; replies 400 itself on a malformed one.
 * Returns 1 present, 0 absent, -1 replied. */
static int s_param(struct qf_http_req *r, const char *name, uint64_t max, uint64_t *out)
{
	const char *v = qf_http_query(r, name);
	if (!v)
		return 0;
	uint64_t x = 0;
	int ok = v[0] != '\0' && strlen(v) <= 20 && !(v[0] == '0' && v[1]);
	for (const char *p = v; ok && *p; p++) {
		if (*p < '0' || *p > '9' || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			ok = 0;
		else
			x = x * 10 + (uint64_t)(*p - '0');
	}
	if (!ok || x > max) {
		char msg[160];
		snprintf(msg, sizeof msg, "参数 %s 必须是不大于 %llu 的非负整数", name,
			 (unsigned long long)max);
		qf_http_reply_error(r, 400, "bad_parameter", msg, name);
		return -1;
	}
	*out = x;
	return 1;
}

static void s_store_error(struct qf_http_req *r, int rc)
{
	qf_error("read_failed", "path=%s error=\"%s\"", qf_http_path(r), qf_strerror(rc));
	qf_http_reply_error(r, 500, "internal", "读取审计日志失败", NULL);
}

/* The last checkpoint record: value = at_ms(8) root(32) note. */
struct ckpt_rec {
	int have;
	uint64_t size;
	int64_t at_ms;
	const uint8_t *root;
	const char *note;
	size_t note_len;
};

static int s_ckpt_at(struct audit *a, struct qf_txn *t, MDB_cursor_op op, uint64_t size,
		     struct ckpt_rec *c)
{
	memset(c, 0, sizeof *c);
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), a->ckpts, &cur))
		return QF_ERR_STORE;
	uint8_t kb[8];
	qf_be64_put(kb, size);
	MDB_val k = {8, kb}, v;
	int rc = mdb_cursor_get(cur, &k, &v, op);
	if (rc == 0 && k.mv_size == 8 && v.mv_size > 40) {
		c->have = 1;
		c->size = qf_be64_get(k.mv_data);
		c->at_ms = (int64_t)qf_be64_get(v.mv_data);
		c->root = (const uint8_t *)v.mv_data + 8;
		c->note = (const char *)v.mv_data + 40;
		c->note_len = v.mv_size - 40;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

static json_t *s_ckpt_json(const struct ckpt_rec *c, const char *origin)
{
	char at[32];
	json_t *j = json_object();
	json_object_set_new(j, "origin", json_string(origin));
	json_object_set_new(j, "size", json_integer((json_int_t)c->size));
	json_object_set_new(j, "root", s_b64(c->root, 32));
	json_object_set_new(j, "root_hex", s_hex(c->root, 32));
	json_object_set_new(j, "at_ms", json_integer(c->at_ms));
	json_object_set_new(j, "at",
			    json_string(qf_time_fmt(c->at_ms, 0, at, sizeof at)));
	json_object_set_new(j, "note", json_stringn(c->note, c->note_len));
	return j;
}

/* A read handler: fn builds the reply (JSON or an error) inside the txn. */
struct rd {
	struct audit *a;
	struct qf_http_req *r;
	json_t *out;	 /* reply 200 with this, unless status/err set */
	unsigned status; /* error reply */
	const char *code, *msg, *field;
	void *ext; /* handler-specific */
	int paged; /* a list: its numeric "next" becomes next_cursor and Link */
};

static void s_fail(struct rd *d, unsigned status, const char *code, const char *msg,
		   const char *field)
{
	d->status = status;
	d->code = code;
	d->msg = msg;
	d->field = field;
}

/* The deprecated position parameter of the lists (docs/API.md). */
static const char *const s_page_legacy[] = {"from", NULL};

/* A list's page: cursor (or the deprecated from) and limit. 0, or -1 after
 * replying 400. */
static int s_page_in(struct qf_http_req *r, uint64_t *from, uint64_t *limit)
{
	static const struct qf_page_rule rule = {PAGE_DEFAULT, PAGE_MAX};
	struct qf_page pg;
	if (qf_page_parse(r, &rule, &pg))
		return -1;
	*limit = pg.limit;
	if (pg.cursor)
		return qf_page_cursor_u64(pg.cursor, from) ? qf_page_bad_cursor(r) : 0;
	return s_param(r, "from", UINT64_MAX, from) < 0 ? -1 : 0;
}

/* next_cursor and Link from the answer's "next" position (kept for one
 * release beside them). */
static void s_page_out(struct rd *d)
{
	json_t *n = json_object_get(d->out, "next");
	char cur[QF_PAGE_U64_LEN] = "";
	if (json_is_integer(n))
		qf_page_u64_cursor((uint64_t)json_integer_value(n), cur);
	if (qf_page_finish(d->r, d->out, cur, s_page_legacy))
		qf_warn("page_link_failed", "path=%s", qf_http_path(d->r));
}

static void s_run(struct rd *d, qf_store_fn fn)
{
	int rc = qf_store_read(d->a->store, fn, d);
	if (rc) {
		json_decref(d->out);
		s_store_error(d->r, rc);
		return;
	}
	if (d->status) {
		json_decref(d->out);
		qf_http_reply_error(d->r, d->status, d->code, d->msg, d->field);
		return;
	}
	if (d->paged)
		s_page_out(d);
	qf_http_reply_json(d->r, 200, d->out);
}

static void s_no_cache(struct qf_http_req *r)
{
	qf_http_add_header(r, "Cache-Control", "no-cache");
}

/* ------------------------------------------------------------ tlog-tiles */

struct blob {
	char *data;
	size_t len;
	int missing;
};

static int s_checkpoint_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct blob *b = d->ext;
	struct ckpt_rec c;
	int rc = s_ckpt_at(d->a, t, MDB_LAST, 0, &c);
	if (rc)
		return rc;
	if (!c.have) {
		b->missing = 1;
		return QF_OK;
	}
	b->data = malloc(c.note_len);
	if (!b->data)
		return QF_ERR_NOMEM;
	memcpy(b->data, c.note, c.note_len);
	b->len = c.note_len;
	return QF_OK;
}

static void h_checkpoint(struct qf_http_req *r, void *ctx)
{
	struct blob b = {0};
	struct rd d = {.a = ctx, .r = r, .ext = &b};
	int rc = qf_store_read(d.a->store, s_checkpoint_read, &d);
	if (rc) {
		s_store_error(r, rc);
		return;
	}
	s_no_cache(r);
	if (b.missing) {
		qf_http_reply_error(r, 404, "no_checkpoint", "尚无已签名的检查点", NULL);
		return;
	}
	qf_http_reply_take(r, 200, "text/plain; charset=utf-8", b.data, b.len);
}

struct tile_rd {
	struct qf_merkle_tile tile;
	char *data;
	size_t len;
	int missing, oversize;
};

static int s_tile_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct tile_rd *tr = d->ext;
	struct qf_merkle_log *log = d->a->log;
	if (!tr->tile.entries) {
		const uint8_t *h;
		int rc = qf_merkle_log_tile(log, t, tr->tile.level, tr->tile.index,
					    tr->tile.width, &h);
		if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_INVAL) {
			tr->missing = 1;
			return QF_OK;
		}
		if (rc)
			return rc;
		tr->len = 32 * (size_t)tr->tile.width;
		tr->data = malloc(tr->len);
		if (!tr->data)
			return QF_ERR_NOMEM;
		memcpy(tr->data, h, tr->len);
		return QF_OK;
	}
	uint64_t size;
	int rc = qf_merkle_log_size(log, t, &size);
	if (rc)
		return rc;
	if (qf_merkle_tile_width(0, tr->tile.index, size) < tr->tile.width) {
		tr->missing = 1;
		return QF_OK;
	}
	uint64_t first = tr->tile.index << 8;
	size_t total = 0;
	for (unsigned i = 0; i < tr->tile.width; i++) {
		const uint8_t *p;
		size_t l;
		if ((rc = qf_merkle_log_leaf(log, t, first + i, &p, &l)))
			return rc == QF_ERR_NOTFOUND ? QF_ERR_STORE : rc;
		if (l > QF_MERKLE_MAX_ENTRY) {
			tr->oversize = 1;
			return QF_OK;
		}
		total += 2 + l;
	}
	tr->data = malloc(total ? total : 1);
	if (!tr->data)
		return QF_ERR_NOMEM;
	size_t at = 0;
	for (unsigned i = 0; i < tr->tile.width; i++) {
		const uint8_t *p;
		size_t l;
		if ((rc = qf_merkle_log_leaf(log, t, first + i, &p, &l)))
			return rc;
		tr->data[at] = (char)(l >> 8);
		tr->data[at + 1] = (char)l;
		memcpy(tr->data + at + 2, p, l);
		at += 2 + l;
	}
	tr->len = total;
	return QF_OK;
}

static void h_tile(struct qf_http_req *r, void *ctx)
{
	struct tile_rd tr = {0};
	const char *path = qf_http_path(r);
	if (strncmp(path, "/tile/", 6) != 0 || qf_merkle_tile_parse(path + 6, &tr.tile) ||
	    (!tr.tile.entries && tr.tile.level >= 8)) {
		qf_http_reply_error(r, 404, "not_found", "没有这个瓦片", NULL);
		return;
	}
	struct rd d = {.a = ctx, .r = r, .ext = &tr};
	int rc = qf_store_read(d.a->store, s_tile_read, &d);
	if (rc) {
		free(tr.data);
		s_store_error(r, rc);
		return;
	}
	if (tr.missing) {
		qf_http_reply_error(r, 404, "not_found", "该瓦片尚不存在", NULL);
		return;
	}
	if (tr.oversize) {
		qf_http_reply_error(
		    r, 409, "entry_too_large",
		    "该条目包含超过 65535 字节的叶子，无法以标准条目包提供，"
		    "请用 /v1/leaves/<序号> 逐条读取",
		    NULL);
		return;
	}
	/* a tile's content never changes once it exists, partial ones too */
	qf_http_add_header(r, "Cache-Control", "public, max-age=31536000, immutable");
	qf_http_reply_take(r, 200, "application/octet-stream", tr.data, tr.len);
}

/* ------------------------------------------------------------ checkpoints */

static int s_v1_checkpoint_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct ckpt_rec c;
	int rc = s_ckpt_at(d->a, t, MDB_LAST, 0, &c);
	if (rc)
		return rc;
	if (!c.have) {
		s_fail(d, 404, "no_checkpoint", "尚无已签名的检查点", NULL);
		return QF_OK;
	}
	d->out = s_ckpt_json(&c, d->a->origin);
	json_object_set_new(d->out, "vkey", json_string(d->a->vkey));
	return QF_OK;
}

static void h_v1_checkpoint(struct qf_http_req *r, void *ctx)
{
	struct rd d = {.a = ctx, .r = r};
	s_no_cache(r);
	s_run(&d, s_v1_checkpoint_read);
}

struct ckpt_job {
	struct qf_gc_job job;
	struct audit *a;
	struct qf_http_req *r;
	int made;
};

static int s_ckpt_apply(struct qf_txn *t, void *arg)
{
	struct ckpt_job *j = arg;
	return audit_ckpt_sign(j->a, t, &j->made);
}

static void s_ckpt_done(void *arg, int rc)
{
	struct ckpt_job *j = arg;
	if (rc == QF_ERR_CONFLICT) {
		qf_http_reply_error(j->r, 409, "inconsistent",
				    "日志与上一个检查点不一致，拒绝签名（详见服务日志）",
				    NULL);
	} else if (rc) {
		qf_error("checkpoint_failed", "error=\"%s\"", qf_strerror(rc));
		qf_http_reply_error(j->r, 500, "internal", "签名检查点失败", NULL);
	} else {
		struct rd d = {.a = j->a, .r = j->r};
		rc = qf_store_read(j->a->store, s_v1_checkpoint_read, &d);
		if (rc || d.status) {
			json_decref(d.out);
			s_store_error(j->r, rc ? rc : QF_ERR_STORE);
		} else {
			json_object_set_new(d.out, "new", json_boolean(j->made));
			qf_http_reply_json(j->r, j->made ? 201 : 200, d.out);
		}
	}
	free(j);
}

static void h_v1_checkpoint_post(struct qf_http_req *r, void *ctx)
{
	struct audit *a = ctx;
	struct ckpt_job *j = calloc(1, sizeof *j);
	if (!j) {
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙，请稍后再试", NULL);
		return;
	}
	j->a = a;
	j->r = r;
	j->job.apply = s_ckpt_apply;
	j->job.done = s_ckpt_done;
	j->job.arg = j;
	qf_http_suspend(r);
	if (qf_gc_submit(qf_svc_gc(a->svc), &j->job)) {
		free(j);
		qf_http_reply_error(r, 503, "unavailable", "服务正在停止", NULL);
	}
}

struct page {
	uint64_t from, limit;
};

static int s_checkpoints_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct page *pg = d->ext;
	json_t *list = json_array();
	d->out = json_pack("{s:o}", "checkpoints", list);
	struct ckpt_rec c;
	MDB_cursor_op op = MDB_SET_RANGE;
	uint64_t at = pg->from, n = 0;
	for (;;) {
		int rc = s_ckpt_at(d->a, t, op, at, &c);
		if (rc)
			return rc;
		if (!c.have)
			break;
		if (n == pg->limit) {
			json_object_set_new(d->out, "next",
					    json_integer((json_int_t)c.size));
			return QF_OK;
		}
		json_array_append_new(list, s_ckpt_json(&c, d->a->origin));
		n++;
		if (c.size == UINT64_MAX)
			break;
		at = c.size + 1;
	}
	json_object_set_new(d->out, "next", json_null());
	return QF_OK;
}

static void h_checkpoints(struct qf_http_req *r, void *ctx)
{
	struct page pg = {0, PAGE_DEFAULT};
	if (s_page_in(r, &pg.from, &pg.limit))
		return;
	struct rd d = {.a = ctx, .r = r, .ext = &pg, .paged = 1};
	s_run(&d, s_checkpoints_read);
}

/* ------------------------------------------------------------ leaves */

/* Leaf fields shared by the leaf, list and history answers. */
static json_t *s_leaf_json(uint64_t index, const uint8_t *data, size_t len, int full)
{
	uint8_t h[32];
	qf_merkle_leaf_hash(data, len, h);
	json_t *j = json_object();
	json_object_set_new(j, "index", json_integer((json_int_t)index));
	json_object_set_new(j, "leaf_hash", s_b64(h, 32));
	json_object_set_new(j, "bytes", json_integer((json_int_t)len));
	Qingfeng__V1__Envelope *env = qf_bus_decode(data, len);
	if (env) {
		uint8_t eb[8];
		qf_be64_put(eb, env->epoch);
		json_object_set_new(j, "producer", json_string(env->producer));
		json_object_set_new(j, "epoch", s_hex(eb, 8));
		json_object_set_new(j, "partition", json_integer(env->partition));
		json_object_set_new(j, "seq", json_integer((json_int_t)env->seq));
		const char *tn = qf_event_type_name(env->type);
		json_object_set_new(j, "type",
				    tn ? json_string(tn) : json_integer(env->type));
		json_object_set_new(j, "case_id",
				    json_string(env->case_id ? env->case_id : ""));
		json_object_set_new(j, "time_ms", json_integer(env->time_ms));
		json_object_set_new(j, "event_id",
				    s_hex(env->event_id.data, env->event_id.len));
		/* the commitment to the private part (hex; "" when it has none):
		   a receipt's nonce and text must give exactly this */
		json_object_set_new(
		    j, "private_commitment",
		    s_hex(env->private_commitment.data, env->private_commitment.len));
		char *sum = audit_summary(env);
		json_object_set_new(j, "summary", sum ? json_string(sum) : json_null());
		free(sum);
		if (full)
			json_object_set_new(j, "event", qf_event_json(env));
		qingfeng__v1__envelope__free_unpacked(env, NULL);
	} else {
		json_object_set_new(j, "undecodable", json_true());
	}
	if (full)
		json_object_set_new(j, "data", s_b64(data, len));
	return j;
}

static int s_leaf_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	uint64_t index = *(uint64_t *)d->ext, size;
	int rc = qf_merkle_log_size(d->a->log, t, &size);
	if (rc)
		return rc;
	if (index >= size) {
		s_fail(d, 404, "leaf_not_found", "日志中没有这个序号的叶子", "index");
		return QF_OK;
	}
	const uint8_t *p;
	size_t l;
	if ((rc = qf_merkle_log_leaf(d->a->log, t, index, &p, &l)))
		return rc;
	d->out = s_leaf_json(index, p, l, 1);
	return QF_OK;
}

static void h_leaf(struct qf_http_req *r, void *ctx)
{
	const char *v = qf_http_param(r, "index");
	uint64_t index = 0;
	int ok = v && v[0] && strlen(v) <= 20 && !(v[0] == '0' && v[1]);
	for (const char *p = v; ok && *p; p++) {
		if (*p < '0' || *p > '9' ||
		    index > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			ok = 0;
		else
			index = index * 10 + (uint64_t)(*p - '0');
	}
	if (!ok) {
		qf_http_reply_error(r, 400, "bad_parameter", "叶子序号必须是非负整数",
				    "index");
		return;
	}
	struct rd d = {.a = ctx, .r = r, .ext = &index};
	s_run(&d, s_leaf_read);
}

static int s_leaves_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct page *pg = d->ext;
	uint64_t size;
	int rc = qf_merkle_log_size(d->a->log, t, &size);
	if (rc)
		return rc;
	json_t *list = json_array();
	d->out = json_pack("{s:I, s:o}", "size", (json_int_t)size, "leaves", list);
	uint64_t i = pg->from;
	for (; i < size && i - pg->from < pg->limit; i++) {
		const uint8_t *p;
		size_t l;
		if ((rc = qf_merkle_log_leaf(d->a->log, t, i, &p, &l)))
			return rc;
		json_array_append_new(list, s_leaf_json(i, p, l, 0));
	}
	json_object_set_new(d->out, "next",
			    i < size ? json_integer((json_int_t)i) : json_null());
	return QF_OK;
}

static void h_leaves(struct qf_http_req *r, void *ctx)
{
	struct page pg = {0, PAGE_DEFAULT};
	if (s_page_in(r, &pg.from, &pg.limit))
		return;
	struct rd d = {.a = ctx, .r = r, .ext = &pg, .paged = 1};
	s_run(&d, s_leaves_read);
}

/* ------------------------------------------------------------ proofs */

static json_t *s_proof_json(uint8_t (*proof)[32], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, s_b64(proof[i], 32));
	return a;
}

/* The tree size a proof is asked against: ?<name>= or the latest checkpoint. */
static int s_tree_size(struct rd *d, struct qf_txn *t, int given, uint64_t asked,
		       uint64_t *size, const char *name)
{
	uint64_t have;
	int rc = qf_merkle_log_size(d->a->log, t, &have);
	if (rc)
		return rc;
	if (given) {
		if (asked > have) {
			s_fail(d, 400, "size_out_of_range", "树大小超过日志当前大小",
			       name);
			return QF_OK;
		}
		*size = asked;
		return QF_OK;
	}
	struct ckpt_rec c;
	if ((rc = s_ckpt_at(d->a, t, MDB_LAST, 0, &c)))
		return rc;
	*size = c.have ? c.size : 0;
	return QF_OK;
}

struct proof_q {
	uint64_t a, b;
	int has_a, has_b;
};

static int s_inclusion_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct proof_q *q = d->ext;
	uint64_t size = 0;
	int rc = s_tree_size(d, t, q->has_b, q->b, &size, "size");
	if (rc || d->status)
		return rc;
	if (q->a >= size) {
		s_fail(d, 400, "index_out_of_range", "叶子序号必须小于树大小", "index");
		return QF_OK;
	}
	uint8_t proof[QF_MERKLE_MAX_PROOF][32], root[32];
	size_t n;
	const uint8_t *p;
	size_t l;
	if ((rc = qf_merkle_log_inclusion(d->a->log, t, q->a, size, proof, &n)) ||
	    (rc = qf_merkle_log_root(d->a->log, t, size, root)) ||
	    (rc = qf_merkle_log_leaf(d->a->log, t, q->a, &p, &l)))
		return rc;
	uint8_t lh[32];
	qf_merkle_leaf_hash(p, l, lh);
	d->out = json_pack("{s:I, s:I, s:o, s:o, s:o}", "index", (json_int_t)q->a,
			   "tree_size", (json_int_t)size, "leaf_hash", s_b64(lh, 32),
			   "root", s_b64(root, 32), "proof", s_proof_json(proof, n));
	qf_metric_inc(d->a->m_proofs);
	return QF_OK;
}

/* A proof request: required parameter `a` (index, first), optional `b`
 * (size, second), answered by `read` in one read transaction. */
static void s_proof(struct qf_http_req *r, void *ctx, const char *a, const char *b,
		    int (*read)(struct qf_txn *t, void *arg))
{
	struct proof_q q = {0};
	int ha = s_param(r, a, UINT64_MAX, &q.a);
	if (ha < 0)
		return;
	if (!ha) {
		char msg[64];
		snprintf(msg, sizeof msg, "缺少参数 %s", a);
		qf_http_reply_error(r, 400, "missing_parameter", msg, a);
		return;
	}
	if ((q.has_b = s_param(r, b, UINT64_MAX, &q.b)) < 0)
		return;
	struct rd d = {.a = ctx, .r = r, .ext = &q};
	s_run(&d, read);
}

static void h_inclusion(struct qf_http_req *r, void *ctx)
{
	s_proof(r, ctx, "index", "size", s_inclusion_read);
}

static int s_consistency_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct proof_q *q = d->ext;
	uint64_t second = 0;
	int rc = s_tree_size(d, t, q->has_b, q->b, &second, "second");
	if (rc || d->status)
		return rc;
	if (q->a == 0 || q->a > second) {
		s_fail(d, 400, "bad_range",
		       "first 必须大于 0 且不大于 second（与空树的一致性无需证明）",
		       "first");
		return QF_OK;
	}
	uint8_t proof[QF_MERKLE_MAX_PROOF][32], r1[32], r2[32];
	size_t n;
	if ((rc = qf_merkle_log_consistency(d->a->log, t, q->a, second, proof, &n)) ||
	    (rc = qf_merkle_log_root(d->a->log, t, q->a, r1)) ||
	    (rc = qf_merkle_log_root(d->a->log, t, second, r2)))
		return rc;
	d->out = json_pack("{s:I, s:I, s:o, s:o, s:o}", "first", (json_int_t)q->a,
			   "second", (json_int_t)second, "first_root", s_b64(r1, 32),
			   "second_root", s_b64(r2, 32), "proof", s_proof_json(proof, n));
	qf_metric_inc(d->a->m_proofs);
	return QF_OK;
}

static void h_consistency(struct qf_http_req *r, void *ctx)
{
	s_proof(r, ctx, "first", "second", s_consistency_read);
}

/* ------------------------------------------------------------ case history */

struct hist_q {
	const char *case_id;
	int proofs;
	int has_size;
	uint64_t size;
};

static int s_history_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct hist_q *q = d->ext;
	struct audit *a = d->a;
	/* proofs against the latest checkpoint, or the size the client holds */
	struct ckpt_rec c;
	uint8_t root[32];
	int rc = s_ckpt_at(a, t, MDB_LAST, 0, &c);
	if (rc)
		return rc;
	if (q->has_size) {
		uint64_t have;
		if ((rc = qf_merkle_log_size(a->log, t, &have)))
			return rc;
		if (q->size > have) {
			s_fail(d, 400, "size_out_of_range", "树大小超过日志当前大小",
			       "size");
			return QF_OK;
		}
		if ((rc = qf_merkle_log_root(a->log, t, q->size, root)))
			return rc;
		c.have = 1;
		c.size = q->size;
		c.root = root;
	}
	size_t cl = strlen(q->case_id);
	uint8_t k[210];
	memcpy(k, q->case_id, cl);
	k[cl] = 0;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), a->cases, &cur))
		return QF_ERR_STORE;
	MDB_val key = {cl + 1, k}, v;
	json_t *list = json_array();
	d->out = json_object();
	json_object_set_new(d->out, "case_id", json_string(q->case_id));
	json_object_set_new(d->out, "leaves", list);
	if (c.have)
		json_object_set_new(d->out, "checkpoint",
				    json_pack("{s:I, s:o}", "size", (json_int_t)c.size,
					      "root", s_b64(c.root, 32)));
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	     rc == 0 && key.mv_size == cl + 9 && memcmp(key.mv_data, k, cl + 1) == 0;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
		uint64_t idx = qf_be64_get((uint8_t *)key.mv_data + cl + 1);
		const uint8_t *p;
		size_t l;
		int r2 = qf_merkle_log_leaf(a->log, t, idx, &p, &l);
		if (r2) {
			mdb_cursor_close(cur);
			return r2;
		}
		json_t *lj = s_leaf_json(idx, p, l, 1);
		int in = c.have && idx < c.size;
		json_object_set_new(lj, "in_checkpoint", json_boolean(in));
		if (q->proofs && in) {
			uint8_t proof[QF_MERKLE_MAX_PROOF][32];
			size_t n;
			if ((r2 = qf_merkle_log_inclusion(a->log, t, idx, c.size, proof,
							  &n))) {
				json_decref(lj);
				mdb_cursor_close(cur);
				return r2;
			}
			json_object_set_new(lj, "proof", s_proof_json(proof, n));
			qf_metric_inc(a->m_proofs);
		}
		json_array_append_new(list, lj);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return qf_store_err(rc);
	if (json_array_size(list) == 0)
		s_fail(d, 404, "case_not_found", "审计日志中没有这个案件", "id");
	return QF_OK;
}

static void h_history(struct qf_http_req *r, void *ctx)
{
	struct hist_q q = {qf_http_param(r, "id"), 0};
	if (!q.case_id || !q.case_id[0] || strlen(q.case_id) >= 200) {
		qf_http_reply_error(r, 400, "bad_parameter", "案件编号无效", "id");
		return;
	}
	const char *p = qf_http_query(r, "proof");
	q.proofs = p && (!strcmp(p, "1") || !strcmp(p, "true"));
	if ((q.has_size = s_param(r, "size", UINT64_MAX, &q.size)) < 0)
		return;
	struct rd d = {.a = ctx, .r = r, .ext = &q};
	s_run(&d, s_history_read);
}

/* ------------------------------------------------------------ streams, alerts */

static int s_streams_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), d->a->streams, &cur))
		return QF_ERR_STORE;
	json_t *list = json_array();
	d->out = json_pack("{s:o}", "streams", list);
	MDB_val k, v;
	int rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data, *vp = v.mv_data;
		size_t nl = strnlen((const char *)kp, k.mv_size);
		if (nl + 13 != k.mv_size || v.mv_size != 40)
			continue;
		uint64_t first = qf_be64_get(vp), last = qf_be64_get(vp + 8),
			 count = qf_be64_get(vp + 16);
		json_t *s = json_object();
		json_object_set_new(s, "producer", json_stringn((const char *)kp, nl));
		json_object_set_new(s, "epoch", s_hex(kp + nl + 1, 8));
		json_object_set_new(s, "partition",
				    json_integer(qf_be32_get(kp + nl + 9)));
		json_object_set_new(s, "first_seq", json_integer((json_int_t)first));
		json_object_set_new(s, "last_seq", json_integer((json_int_t)last));
		json_object_set_new(s, "count", json_integer((json_int_t)count));
		json_object_set_new(s, "first_leaf",
				    json_integer((json_int_t)qf_be64_get(vp + 24)));
		json_object_set_new(s, "last_leaf",
				    json_integer((json_int_t)qf_be64_get(vp + 32)));
		json_object_set_new(s, "complete",
				    json_boolean(first == 1 && last == count));
		json_array_append_new(list, s);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

static void h_streams(struct qf_http_req *r, void *ctx)
{
	struct rd d = {.a = ctx, .r = r};
	s_run(&d, s_streams_read);
}

struct alert_q {
	uint64_t from, limit;
	int desc, kind;
	const char *case_id;
};

static json_t *s_alert_json(uint64_t no, const Qingfeng__V1__AuditAlert *al)
{
	char at[32];
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "no",
			 (json_int_t)no, "kind", audit_alert_kind_name(al->kind),
			 "case_id", al->case_id, "staff_id", al->staff_id, "producer",
			 al->producer, "detail", al->detail, "leaf_index",
			 (json_int_t)al->leaf_index, "at_ms", (json_int_t)al->at_ms, "at",
			 qf_time_fmt(al->at_ms, 0, at, sizeof at));
}

static int s_alerts_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct alert_q *q = d->ext;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), d->a->alerts, &cur))
		return QF_ERR_STORE;
	json_t *list = json_array();
	d->out = json_pack("{s:o}", "alerts", list);
	uint8_t kb[8];
	qf_be64_put(kb, q->from);
	MDB_val k = {8, kb}, v;
	int rc;
	if (q->desc) {
		rc = q->from ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
			     : mdb_cursor_get(cur, &k, &v, MDB_LAST);
		if (q->from) {
			/* start at from itself or the first one below it */
			if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
			else if (rc == 0 && qf_be64_get(k.mv_data) > q->from)
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
		}
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	uint64_t n = 0;
	json_t *next = json_null();
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, q->desc ? MDB_PREV : MDB_NEXT)) {
		if (k.mv_size != 8)
			continue;
		uint64_t no = qf_be64_get(k.mv_data);
		Qingfeng__V1__AuditAlert *al =
		    qingfeng__v1__audit_alert__unpack(NULL, v.mv_size, v.mv_data);
		if (!al)
			continue;
		int match = (q->kind <= 0 || (int)al->kind == q->kind) &&
			    (!q->case_id || !strcmp(q->case_id, al->case_id));
		if (match && n == q->limit) {
			json_decref(next);
			next = json_integer((json_int_t)no);
			qingfeng__v1__audit_alert__free_unpacked(al, NULL);
			break;
		}
		if (match) {
			json_array_append_new(list, s_alert_json(no, al));
			n++;
		}
		qingfeng__v1__audit_alert__free_unpacked(al, NULL);
	}
	mdb_cursor_close(cur);
	json_object_set_new(d->out, "next", next);
	return rc == 0 || rc == MDB_NOTFOUND ? QF_OK : qf_store_err(rc);
}

static void h_alerts(struct qf_http_req *r, void *ctx)
{
	struct alert_q q = {0, PAGE_DEFAULT, 0, 0, NULL};
	if (s_page_in(r, &q.from, &q.limit))
		return;
	const char *kind = qf_http_query(r, "kind");
	if (kind && (q.kind = audit_alert_kind_parse(kind)) < 0) {
		qf_http_reply_error(r, 400, "bad_parameter", "未知的告警类型", "kind");
		return;
	}
	const char *order = qf_http_query(r, "order");
	if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
		qf_http_reply_error(r, 400, "bad_parameter", "order 只能是 asc 或 desc",
				    "order");
		return;
	}
	q.desc = order && !strcmp(order, "desc");
	q.case_id = qf_http_query(r, "case");
	struct rd d = {.a = ctx, .r = r, .ext = &q, .paged = 1};
	s_run(&d, s_alerts_read);
}

static void h_vkey(struct qf_http_req *r, void *ctx)
{
	struct audit *a = ctx;
	size_t n = strlen(a->vkey);
	char *b = malloc(n + 2);
	if (!b) {
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙", NULL);
		return;
	}
	memcpy(b, a->vkey, n);
	b[n] = '\n';
	b[n + 1] = '\0';
	qf_http_reply_take(r, 200, "text/plain; charset=utf-8", b, n + 1);
}

static int s_log_read(struct qf_txn *t, void *arg)
{
	struct rd *d = arg;
	struct audit *a = d->a;
	uint64_t size;
	int rc = qf_merkle_log_size(a->log, t, &size);
	if (rc)
		return rc;
	struct ckpt_rec c;
	if ((rc = s_ckpt_at(a, t, MDB_LAST, 0, &c)))
		return rc;
	MDB_stat st;
	uint64_t nalerts =
	    mdb_stat(qf_txn_mdb(t), a->alerts, &st) == 0 ? st.ms_entries : 0;
	d->out = json_pack("{s:s, s:s, s:b, s:I, s:I}", "origin", a->origin, "vkey",
			   a->vkey, "dev_key", a->dev_key, "size", (json_int_t)size,
			   "alerts", (json_int_t)nalerts);
	json_object_set_new(d->out, "checkpoint",
			    c.have ? s_ckpt_json(&c, a->origin) : json_null());
	return QF_OK;
}

static void h_log(struct qf_http_req *r, void *ctx)
{
	struct rd d = {.a = ctx, .r = r};
	s_no_cache(r);
	s_run(&d, s_log_read);
}

int audit_ready(void *ctx)
{
	struct audit *a = ctx;
	return qf_svc_ready(a->svc);
}

const struct qf_http_route audit_routes[] = {
    {"GET", "/checkpoint", h_checkpoint, 0, 0, NULL, "public", NULL},
    {"GET", "/tile/*", h_tile, 0, 0, "/tile", "public", NULL},
    {"GET", "/v1/log", h_log, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/vkey", h_vkey, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/checkpoint", h_v1_checkpoint, 0, 0, NULL, "public", NULL},
    {"POST", "/v1/checkpoint", h_v1_checkpoint_post, 0, 0, NULL, "checkpoint.sign", NULL},
    {"GET", "/v1/checkpoints", h_checkpoints, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/leaves", h_leaves, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/leaves/:index", h_leaf, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/leaves/:index/private", audit_h_private, 0, 0, NULL, "private.read", NULL},
    {"GET", "/v1/events/:id", audit_h_event, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/proof/inclusion", h_inclusion, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/proof/consistency", h_consistency, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/cases/:id/history", h_history, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/streams", h_streams, 0, 0, NULL, "public", NULL},
    {"GET", "/v1/alerts", h_alerts, 0, 0, NULL, "public", NULL},
    {"GET", "/receipt", audit_h_receipt, 0, 0, NULL, "public", NULL},
    {"GET", "/static/receipt.js", audit_h_receipt_js, 0, 0, NULL, "public", NULL},
    {"GET", "/static/receipt.css", audit_h_receipt_css, 0, 0, NULL, "public", NULL},
};
const size_t audit_nroutes = sizeof audit_routes / sizeof audit_routes[0];
