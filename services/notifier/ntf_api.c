/* ntf_api.c: operators' endpoints and the route table (ntf_api.h).
 *
 *   GET  /v1/deliveries?state=&case=&channel=&limit=&cursor=
 *   GET  /v1/deliveries/:id
 *   GET  /v1/cases/:id/deliveries
 *   GET  /v1/dead-letters?limit=&cursor=
 *   POST /v1/dead-letters/:id/release
 *   POST /v1/dead-letters/release          {"ids":[...]} or {"all":true,"channel":"..."}
 *   GET  /v1/status
 *   POST /v1/dispatch/pause | /v1/dispatch/resume
 *
 * Lists are pages over one index (dead letters by time, the schedule by
 * channel and due time, a case's deliveries by time, or every delivery by
 * id) with an opaque cursor, so an operator can walk 100,000 dead letters
 * without the service holding a long read transaction. */
#include "ntf_api.h"
#include "ntf.h"
#include "ntf_dispatch.h"
#include "ntf_follow.h"
#include "ntf_queue.h"
#include "ntf_util.h"
#include "qf_access.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define MAX_SCAN 20000
#define MAX_BULK 1000

int ntf_api_ready(void *ctx)
{
	struct ntf *n = ctx;
	return n->svc && qf_svc_ready(n->svc);
}

/* Deliveries about a case are that case's: shown only to whom the access
 * policy lets read it (delivery.read, with the conflict rule: never the
 * person a report concerns nor their supervisors). A delivery about no
 * case (a follow's confirmation) needs the action alone. */
static void s_facts_of(const struct ntf_case *c, struct qf_case_facts *f)
{
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", c->case_id ? c->case_id : "");
	snprintf(f->building, sizeof f->building, "%s", c->building ? c->building : "");
	snprintf(f->assignee, sizeof f->assignee, "%s", c->assignee ? c->assignee : "");
	snprintf(f->concerns, sizeof f->concerns, "%s",
		 c->concerns_staff ? c->concerns_staff : "");
	f->sensitive = c->sensitive;
}

static int s_may_read(struct ntf *n, struct qf_txn *t, const struct qf_staff *st,
		      const char *case_id)
{
	const struct qf_community *com = ntf_cur(n)->com;
	if (!case_id || !case_id[0])
		return qf_policy_role_allows(com, st, QF_ACT_DELIVERY_READ) == QF_ALLOW;
	struct ntf_case c;
	if (ntf_case_get(t, &n->db, case_id, &c))
		return 0;
	struct qf_case_facts f;
	s_facts_of(&c, &f);
	ntf_case_clear(&c);
	return qf_policy_case(com, st, QF_ACT_DELIVERY_READ, &f) == QF_ALLOW;
}

static void s_world(void *svc, const struct qf_community **c, const struct qf_tokens **t)
{
	const struct ntf_gen *g = ntf_cur(svc);
	*c = g->com;
	*t = g->tokens;
}

static int s_case_facts_read(struct qf_txn *t, void *arg)
{
	void **a = arg;
	struct ntf *n = a[0];
	struct ntf_case c;
	int rc = ntf_case_get(t, &n->db, a[1], &c);
	if (rc)
		return rc == QF_ERR_PROTO ? QF_ERR_NOTFOUND : rc;
	s_facts_of(&c, a[2]);
	ntf_case_clear(&c);
	return QF_OK;
}

static int s_case_facts(void *svc, const char *case_id, struct qf_case_facts *f)
{
	struct ntf *n = svc;
	void *a[3] = {n, (void *)case_id, f};
	return qf_store_read(n->store, s_case_facts_read, a);
}

void ntf_api_access(struct ntf *n, struct qf_access *a)
{
	*a = (struct qf_access){s_world, s_case_facts, n};
}

static int s_id_ok(const char *id)
{
	return id && strlen(id) == NTF_ID_LEN &&
	       strspn(id, "0123456789abcdef") == NTF_ID_LEN;
}

/* ------------------------------------------------------------ listing */

enum src { SRC_ALL, SRC_DEAD, SRC_DUE, SRC_CASE };

struct list {
	struct ntf *n;
	const struct qf_staff *staff;
	enum src src;
	int state;	     /* -1: any */
	const char *channel; /* NULL: any */
	const char *case_id;
	unsigned limit;
	uint8_t after[160]; /* the last key of the previous page */
	size_t after_len;
	json_t *items;
	uint8_t last[160];
	size_t last_len;
	int more;
};

static int s_list_read(struct qf_txn *t, void *arg)
{
	struct list *l = arg;
	struct ntf *n = l->n;
	MDB_dbi dbi = l->src == SRC_DEAD   ? n->db.dead
		      : l->src == SRC_DUE  ? n->db.due
		      : l->src == SRC_CASE ? n->db.by_case
					   : n->db.deliveries;
	uint8_t prefix[160];
	size_t pl = 0;
	if (l->src == SRC_CASE) {
		pl = strlen(l->case_id) + 1;
		memcpy(prefix, l->case_id, pl);
	} else if (l->src == SRC_DUE && l->channel) {
		pl = strlen(l->channel) + 1;
		memcpy(prefix, l->channel, pl);
	}
	MDB_cursor *cur;
	int rc = mdb_cursor_open(qf_txn_mdb(t), dbi, &cur);
	if (rc)
		return qf_store_err(rc);
	MDB_val k, v;
	int r;
	if (l->after_len) {
		k = (MDB_val){l->after_len, l->after};
		r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (r == 0 && k.mv_size == l->after_len &&
		    !memcmp(k.mv_data, l->after, l->after_len))
			r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	} else if (pl) {
		k = (MDB_val){pl, prefix};
		r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	unsigned scanned = 0;
	while (r == 0) {
		if (pl && (k.mv_size < pl || memcmp(k.mv_data, prefix, pl)))
			break;
		if (json_array_size(l->items) >= l->limit || scanned >= MAX_SCAN) {
			l->more = 1;
			break;
		}
		scanned++;
		char id[NTF_ID_LEN + 1];
		if (k.mv_size < NTF_ID_LEN)
			goto next;
		memcpy(id, (const char *)k.mv_data + k.mv_size - NTF_ID_LEN, NTF_ID_LEN);
		id[NTF_ID_LEN] = '\0';
		struct ntf_delivery d;
		if (ntf_delivery_get(t, &n->db, id, &d) == 0) {
			if ((l->state < 0 || d.state == l->state) &&
			    (!l->channel || !strcmp(d.channel, l->channel)) &&
			    s_may_read(n, t, l->staff, d.case_id)) {
				json_t *j = ntf_delivery_json(&d);
				if (j)
					json_array_append_new(l->items, j);
			}
			ntf_delivery_clear(&d);
		}
		if (k.mv_size <= sizeof l->last) {
			memcpy(l->last, k.mv_data, k.mv_size);
			l->last_len = k.mv_size;
		}
	next:
		r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return r && r != MDB_NOTFOUND ? qf_store_err(r) : 0;
}

/* The deprecated position parameter of the lists (docs/API.md). */
static const char *const s_page_legacy[] = {"after", NULL};

/* A list's page: cursor (base64url of the last key shown) or the
 * deprecated after (its hex), and limit. 0, or -1 after replying 400. */
static int s_page_in(struct qf_http_req *r, struct list *l)
{
	static const struct qf_page_rule rule = {100, 1000};
	struct qf_page pg;
	if (qf_page_parse(r, &rule, &pg))
		return -1;
	l->limit = pg.limit;
	if (pg.cursor) {
		size_t len;
		if (sodium_base642bin(l->after, sizeof l->after, pg.cursor,
				      strlen(pg.cursor), NULL, &len, NULL,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
		    !len)
			return qf_page_bad_cursor(r);
		l->after_len = len;
		return 0;
	}
	const char *after = qf_http_query(r, "after");
	if (after && after[0]) {
		size_t al = strlen(after);
		if (al % 2 || al / 2 > sizeof l->after ||
		    qf_unhex(after, l->after, al / 2)) {
			qf_http_reply_error(r, 400, "bad_parameter", "分页游标无效",
					    "after");
			return -1;
		}
		l->after_len = al / 2;
	}
	return 0;
}

/* next_cursor, Link, and the deprecated next (hex, kept for one release). */
static void s_page_out(struct qf_http_req *r, json_t *out, const struct list *l)
{
	char cur[QF_PAGE_CURSOR_MAX + 1] = "", hex[2 * sizeof l->last + 1];
	int more = l->more && l->last_len;
	if (more)
		sodium_bin2base64(cur, sizeof cur, l->last, l->last_len,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_set_new(out, "next",
			    more ? json_string(qf_hex(l->last, l->last_len, hex))
				 : json_null());
	if (qf_page_finish(r, out, cur, s_page_legacy))
		qf_warn("page_link_failed", "path=%s", qf_http_path(r));
}

static void s_list(struct qf_http_req *r, struct ntf *n, enum src src, int state,
		   const char *case_id)
{
	struct list l;
	memset(&l, 0, sizeof l);
	l.n = n;
	l.staff = qf_access_staff(r);
	l.src = src;
	l.state = state;
	l.case_id = case_id;
	l.channel = qf_http_query(r, "channel");
	if (l.channel && !ntf_conf_channel(&ntf_cur(n)->conf, l.channel)) {
		qf_http_reply_error(r, 400, "unknown_channel", "没有这个渠道", "channel");
		return;
	}
	if (s_page_in(r, &l))
		return;
	l.items = json_array();
	int rc = l.items ? qf_store_read(n->store, s_list_read, &l) : QF_ERR_NOMEM;
	if (rc) {
		json_decref(l.items);
		qf_http_reply_error(r, 503, "unavailable", "暂时无法读取，请稍后重试",
				    NULL);
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "items", l.items);
	s_page_out(r, out, &l);
	qf_http_reply_json(r, 200, out);
}

static void h_list(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	const char *st = qf_http_query(r, "state");
	const char *c = qf_http_query(r, "case");
	int state = -1;
	if (st && (state = ntf_state_parse(st)) < 0) {
		qf_http_reply_error(
		    r, 400, "invalid_state",
		    "state 应为 pending、delivered、dead、skipped 或 cancelled", "state");
		return;
	}
	if (c && (!c[0] || strlen(c) > 100)) {
		qf_http_reply_error(r, 400, "invalid_case", "案件编号无效", "case");
		return;
	}
	enum src src = c			 ? SRC_CASE
		       : state == NTF_ST_DEAD	 ? SRC_DEAD
		       : state == NTF_ST_PENDING ? SRC_DUE
						 : SRC_ALL;
	s_list(r, n, src, state, c);
}

static void h_dead(struct qf_http_req *r, void *ctx)
{
	s_list(r, ctx, SRC_DEAD, NTF_ST_DEAD, NULL);
}

static void h_case(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	const char *c = qf_http_param(r, "id");
	if (!c || strlen(c) > 100) {
		qf_http_reply_error(r, 400, "invalid_case", "案件编号无效", "id");
		return;
	}
	s_list(r, n, SRC_CASE, -1, c);
}

struct one {
	struct ntf *n;
	const char *id;
	const struct qf_staff *staff;
	json_t *out;
};

static int s_one_read(struct qf_txn *t, void *arg)
{
	struct one *o = arg;
	struct ntf_delivery d;
	int rc = ntf_delivery_get(t, &o->n->db, o->id, &d);
	if (rc)
		return rc;
	if (!s_may_read(o->n, t, o->staff, d.case_id)) {
		ntf_delivery_clear(&d);
		return QF_ERR_NOTFOUND; /* not the caller's to know of */
	}
	o->out = ntf_delivery_json(&d);
	ntf_delivery_clear(&d);
	return o->out ? 0 : QF_ERR_NOMEM;
}

static void h_show(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	struct one o = {n, qf_http_param(r, "id"), qf_access_staff(r), NULL};
	if (!s_id_ok(o.id)) {
		qf_http_reply_error(r, 404, "not_found", "没有这条投递记录", "id");
		return;
	}
	int rc = qf_store_read(n->store, s_one_read, &o);
	if (rc == QF_ERR_NOTFOUND)
		qf_http_reply_error(r, 404, "not_found", "没有这条投递记录", "id");
	else if (rc)
		qf_http_reply_error(r, 503, "unavailable", "暂时无法读取，请稍后重试",
				    NULL);
	else
		qf_http_reply_json(r, 200, o.out);
}

/* ------------------------------------------------------------ release */

struct rjob {
	struct qf_gc_job job;
	struct ntf *n;
	struct qf_http_req *r;
	char by[64];
	int all;
	char channel[64];
	char (*ids)[NTF_ID_LEN + 1];
	unsigned nids;
	/* verdicts */
	json_t *released, *not_found, *not_dead, *no_channel;
	int more;
	int single;
};

static void s_rjob_free(struct rjob *j)
{
	json_decref(j->released);
	json_decref(j->not_found);
	json_decref(j->not_dead);
	json_decref(j->no_channel);
	free(j->ids);
	free(j);
}

static int s_release_one(struct rjob *j, struct qf_txn *t, const char *id, int64_t now)
{
	struct ntf_delivery d;
	int rc = ntf_delivery_get(t, &j->n->db, id, &d);
	if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_PROTO)
		return json_array_append_new(j->not_found, json_string(id)) ? QF_ERR_NOMEM
									    : 0;
	if (rc)
		return rc;
	/* a group-commit apply: the core thread, which reads n->conf */
	int has_channel = ntf_conf_channel(j->n->conf, d.channel) != NULL;
	int dead = d.state == NTF_ST_DEAD;
	ntf_delivery_clear(&d);
	if (!dead)
		return json_array_append_new(j->not_dead, json_string(id)) ? QF_ERR_NOMEM
									   : 0;
	if (!has_channel)
		return json_array_append_new(j->no_channel, json_string(id))
			   ? QF_ERR_NOMEM
			   : 0;
	rc = ntf_queue_release(j->n, t, id, j->by, now);
	if (rc)
		return rc;
	return json_array_append_new(j->released, json_string(id)) ? QF_ERR_NOMEM : 0;
}

static int s_collect_dead(struct rjob *j, struct qf_txn *t)
{
	struct qf_iter it;
	int rc;
	unsigned scanned = 0;
	j->more = 0;
	for (rc = qf_iter_open(&it, t, j->n->db.dead, NULL, 0);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		if (j->nids >= MAX_BULK || scanned++ >= MAX_SCAN) {
			j->more = 1;
			break;
		}
		if (it.k.mv_size != 8 + NTF_ID_LEN)
			continue;
		char id[NTF_ID_LEN + 1];
		memcpy(id, (const char *)it.k.mv_data + 8, NTF_ID_LEN);
		id[NTF_ID_LEN] = '\0';
		int take = 1;
		if (j->channel[0]) {
			struct ntf_delivery d;
			take = 0;
			if (ntf_delivery_get(t, &j->n->db, id, &d) == 0) {
				take = !strcmp(d.channel, j->channel);
				ntf_delivery_clear(&d);
			}
		}
		if (take)
			memcpy(j->ids[j->nids++], id, NTF_ID_LEN + 1);
	}
	qf_iter_close(&it);
	return rc < 0 ? rc : 0;
}

static int s_release_apply(struct qf_txn *t, void *arg)
{
	struct rjob *j = arg;
	int64_t now = qf_now_ms(j->n->clock);
	/* a rerun (map growth) starts from clean verdicts */
	json_array_clear(j->released);
	json_array_clear(j->not_found);
	json_array_clear(j->not_dead);
	json_array_clear(j->no_channel);
	if (j->all) {
		j->nids = 0;
		int rc = s_collect_dead(j, t);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < j->nids; i++) {
		int rc = s_release_one(j, t, j->ids[i], now);
		if (rc)
			return rc;
	}
	return 0;
}

static void s_release_done(void *arg, int rc)
{
	struct rjob *j = arg;
	struct qf_http_req *r = j->r;
	if (rc) {
		qf_http_reply_error(r, 503, "unavailable", "暂时无法处理，请稍后重试",
				    NULL);
	} else if (j->single) {
		if (json_array_size(j->not_found))
			qf_http_reply_error(r, 404, "not_found", "没有这条投递记录",
					    "id");
		else if (json_array_size(j->not_dead))
			qf_http_reply_error(r, 409, "not_dead", "这条投递不在死信队列中",
					    "id");
		else if (json_array_size(j->no_channel))
			qf_http_reply_error(r, 409, "channel_missing",
					    "该投递的渠道已不在配置中，请先恢复渠道",
					    "id");
		else
			qf_http_reply_json(
			    r, 200,
			    json_pack("{s:s,s:s}", "id", j->ids[0], "state", "pending"));
	} else {
		qf_http_reply_json(r, 200,
				   json_pack("{s:I,s:O,s:O,s:O,s:O,s:b}", "count",
					     (json_int_t)json_array_size(j->released),
					     "released", j->released, "not_found",
					     j->not_found, "not_dead", j->not_dead,
					     "channel_missing", j->no_channel, "more",
					     j->more));
	}
	if (!rc && json_array_size(j->released)) {
		char eb[80];
		qf_info("dead_letters_released", "count=%zu by=%s",
			json_array_size(j->released), qf_log_q(j->by, eb, sizeof eb));
		qf_metric_add(j->n->m_released, (double)json_array_size(j->released));
	}
	s_rjob_free(j);
}

static struct rjob *s_rjob(struct qf_http_req *r, struct ntf *n,
			   const struct qf_staff *st, unsigned nids)
{
	struct rjob *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->n = n;
	j->r = r;
	snprintf(j->by, sizeof j->by, "%s", st->id);
	j->ids = calloc(nids ? nids : 1, sizeof *j->ids);
	j->released = json_array();
	j->not_found = json_array();
	j->not_dead = json_array();
	j->no_channel = json_array();
	if (!j->ids || !j->released || !j->not_found || !j->not_dead || !j->no_channel) {
		s_rjob_free(j);
		return NULL;
	}
	return j;
}

static void s_release_submit(struct rjob *j)
{
	j->job.apply = s_release_apply;
	j->job.done = s_release_done;
	j->job.arg = j;
	qf_http_suspend(j->r);
	if (qf_gc_submit(qf_svc_gc(j->n->svc), &j->job)) {
		qf_http_reply_error(j->r, 503, "unavailable", "服务正在停止，请稍后重试",
				    NULL);
		s_rjob_free(j);
	}
}

static void h_release_one(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	const struct qf_staff *st = qf_access_staff(r);
	const char *id = qf_http_param(r, "id");
	if (!s_id_ok(id)) {
		qf_http_reply_error(r, 404, "not_found", "没有这条投递记录", "id");
		return;
	}
	struct rjob *j = s_rjob(r, n, st, 1);
	if (!j) {
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙，请稍后重试", NULL);
		return;
	}
	j->single = 1;
	memcpy(j->ids[0], id, NTF_ID_LEN + 1);
	j->nids = 1;
	s_release_submit(j);
}

static void h_release_bulk(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;
	const struct qf_staff *st = qf_access_staff(r);
	json_t *b = qf_http_json_body(r);
	if (!b)
		return;
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		if (strcmp(key, "ids") && strcmp(key, "all") && strcmp(key, "channel")) {
			qf_http_reply_error(r, 400, "unknown_field",
					    "请求中有不认识的字段", key);
			json_decref(b);
			return;
		}
	}
	json_t *ids = json_object_get(b, "ids");
	json_t *all = json_object_get(b, "all");
	json_t *ch = json_object_get(b, "channel");
	const char *bad = NULL, *msg = NULL;
	if (ids && all)
		bad = "ids", msg = "ids 与 all 只能二选一";
	else if (!ids && !all)
		bad = "ids", msg = "请给出 ids 或 all";
	else if (all && !json_is_true(all))
		bad = "all", msg = "all 只能为 true";
	else if (ids && (!json_is_array(ids) || !json_array_size(ids) ||
			 json_array_size(ids) > MAX_BULK))
		bad = "ids", msg = "ids 应为 1 到 1000 个投递编号";
	else if (ch && (!all || !json_is_string(ch) ||
			!ntf_conf_channel(&ntf_cur(n)->conf, json_string_value(ch))))
		bad = "channel",
		msg = "channel 只能与 all 一起使用，且必须是已配置的渠道";
	if (bad) {
		qf_http_reply_error(r, 400, "invalid_request", msg, bad);
		json_decref(b);
		return;
	}
	struct rjob *j =
	    s_rjob(r, n, st, all ? MAX_BULK : (unsigned)json_array_size(ids));
	if (!j) {
		json_decref(b);
		qf_http_reply_error(r, 503, "unavailable", "服务繁忙，请稍后重试", NULL);
		return;
	}
	if (all) {
		j->all = 1;
		if (ch)
			snprintf(j->channel, sizeof j->channel, "%s",
				 json_string_value(ch));
	} else {
		size_t i;
		json_t *e;
		json_array_foreach(ids, i, e)
		{
			const char *id = json_string_value(e);
			if (!s_id_ok(id)) {
				qf_http_reply_error(r, 400, "invalid_id",
						    "投递编号格式不正确", "ids");
				s_rjob_free(j);
				json_decref(b);
				return;
			}
			memcpy(j->ids[j->nids++], id, NTF_ID_LEN + 1);
		}
	}
	json_decref(b);
	s_release_submit(j);
}

/* ------------------------------------------------------------ status */

struct counts {
	struct ntf *n;
	uint64_t pending, dead, total, cases, follows;
};

static int s_counts(struct qf_txn *t, void *arg)
{
	struct counts *c = arg;
	c->pending = ntf_db_count(t, c->n->db.due);
	c->dead = ntf_db_count(t, c->n->db.dead);
	c->total = ntf_db_count(t, c->n->db.deliveries);
	c->cases = ntf_db_count(t, c->n->db.cases);
	c->follows = ntf_db_count(t, c->n->db.subs);
	return 0;
}

static void h_status(struct qf_http_req *r, void *ctx)
{
	struct ntf *n = ctx;

	struct counts c = {n, 0, 0, 0, 0, 0};
	if (qf_store_read(n->store, s_counts, &c)) {
		qf_http_reply_error(r, 503, "unavailable", "暂时无法读取，请稍后重试",
				    NULL);
		return;
	}
	const struct ntf_gen *g = ntf_cur(n);
	const struct ntf_conf *conf = &g->conf;
	json_t *chans = json_array();
	for (unsigned i = 0; i < conf->nchannels; i++) {
		const struct ntf_channel_conf *ch = &conf->channels[i];
		json_array_append_new(
		    chans,
		    json_pack("{s:s,s:s,s:i,s:f,s:i,s:b}", "name", ch->name, "type",
			      ntf_fmt_name(ch->type), "concurrency", ch->concurrency,
			      "rate_per_s", ch->rate_per_s, "max_attempts",
			      ch->max_attempts, "follow_only", !ch->url[0]));
	}
	qf_http_reply_json(
	    r, 200,
	    json_pack("{s:s,s:i,s:b,s:i,s:I,s:I,s:I,s:I,s:I,s:o}", "node", conf->svc.node,
		      "config_generation", (int)g->no, "paused",
		      n->dispatch && ntf_dispatch_paused(n->dispatch), "inflight",
		      n->dispatch ? (int)ntf_dispatch_inflight(n->dispatch) : 0,
		      "pending", (json_int_t)c.pending, "dead", (json_int_t)c.dead,
		      "deliveries", (json_int_t)c.total, "cases", (json_int_t)c.cases,
		      "follows", (json_int_t)c.follows, "channels", chans));
}

static void s_pause(struct qf_http_req *r, void *ctx, int paused)
{
	struct ntf *n = ctx;
	const struct qf_staff *st = qf_access_staff(r);
	ntf_dispatch_pause(n->dispatch, paused);
	qf_warn(paused ? "dispatch_paused" : "dispatch_resumed", "by=%s", st->id);
	if (!paused)
		qf_svc_wake(n->svc);
	qf_http_reply_json(r, 200, json_pack("{s:b}", "paused", paused));
}

static void h_pause(struct qf_http_req *r, void *ctx) { s_pause(r, ctx, 1); }

static void h_resume(struct qf_http_req *r, void *ctx) { s_pause(r, ctx, 0); }

/* Each route names its action of the access policy (qf_policy.h). Lists
 * and a delivery's detail show only deliveries about cases the caller may
 * read; following is the public's. */
const struct qf_http_route ntf_routes[] = {
    {"GET", "/v1/deliveries", h_list, 0, 0, "/v1/deliveries", "delivery.read", NULL},
    {"GET", "/v1/deliveries/:id", h_show, 0, 0, "/v1/deliveries/:id", "delivery.read",
     NULL},
    {"GET", "/v1/cases/:id/deliveries", h_case, 0, 0, "/v1/cases/:id/deliveries",
     "delivery.read", "id"},
    {"GET", "/v1/dead-letters", h_dead, 0, 0, "/v1/dead-letters", "delivery.read", NULL},
    {"POST", "/v1/dead-letters/release", h_release_bulk, QF_HTTP_JSON, 131072,
     "/v1/dead-letters/release", "delivery.operate", NULL},
    {"POST", "/v1/dead-letters/:id/release", h_release_one, 0, 0,
     "/v1/dead-letters/:id/release", "delivery.operate", NULL},
    {"GET", "/v1/status", h_status, 0, 0, "/v1/status", "delivery.operate", NULL},
    {"POST", "/v1/dispatch/pause", h_pause, 0, 0, "/v1/dispatch/pause", "delivery.operate",
     NULL},
    {"POST", "/v1/dispatch/resume", h_resume, 0, 0, "/v1/dispatch/resume",
     "delivery.operate", NULL},
    {"POST", "/v1/follows", ntf_follow_create, QF_HTTP_JSON, 8192, "/v1/follows", "public",
     NULL},
    {"GET", "/v1/follows/:id", ntf_follow_show, 0, 0, "/v1/follows/:id", "public", NULL},
    {"GET", "/v1/follows/:id/confirm", ntf_follow_confirm, 0, 0, "/v1/follows/:id/confirm",
     "public", NULL},
    {"POST", "/v1/follows/:id/confirm", ntf_follow_confirm, QF_HTTP_ANY, 1024,
     "/v1/follows/:id/confirm", "public", NULL},
    {"GET", "/v1/follows/:id/unsubscribe", ntf_follow_unsubscribe, 0, 0,
     "/v1/follows/:id/unsubscribe", "public", NULL},
    {"POST", "/v1/follows/:id/unsubscribe", ntf_follow_unsubscribe, QF_HTTP_ANY, 1024,
     "/v1/follows/:id/unsubscribe", "public", NULL},
};
const size_t ntf_nroutes = sizeof ntf_routes / sizeof ntf_routes[0];
