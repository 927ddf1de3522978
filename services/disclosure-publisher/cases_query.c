/* cases_query.c: reading the public case view (cases.h): a stored record
 * as a case document or a list item, counts, the overdue figure, and
 * filtered, paged queries. Writing (apply, fold, flush) is cases.c's; the
 * record's layout both share is cases_rec.h. */
#include "cases.h"
#include "cases_rec.h"
#include "qf_buf.h"
#include "arena.h"
#include "crec.h"
#include "live.h"
#include "qf_mask.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_store.h"

#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int case_view_parse(const void *val, size_t n, const char *id, size_t idlen,
		    struct case_view *out)
{
	(void)idlen;
	const uint8_t *p = val, *end = p + n;
	if (n < sizeof(struct case_head) + NFIELDS)
		return QF_ERR_PROTO;
	memcpy(&out->h, p, sizeof out->h);
	if (out->h.version != CASE_HEAD_VERSION)
		return QF_ERR_PROTO;
	p += sizeof out->h;
	const char *f[NFIELDS];
	for (int i = 0; i < NFIELDS; i++) {
		const uint8_t *z = memchr(p, '\0', (size_t)(end - p));
		if (!z)
			return QF_ERR_PROTO;
		f[i] = (const char *)p;
		p = z + 1;
	}
	uint64_t bl;
	if (crec_get_varint(&p, end, &bl) || bl > (uint64_t)(end - p))
		return QF_ERR_PROTO;
	out->id = id;
	out->category = f[F_CAT];
	out->building = f[F_BLD];
	out->handler = f[F_HANDLER];
	out->handler_name = f[F_HNAME];
	out->handler_post = f[F_HPOST];
	out->category_name = f[F_CNAME];
	out->building_name = f[F_BNAME];
	out->tracking_code = f[F_CODE];
	out->base = p;
	out->base_len = (size_t)bl;
	out->summary = NULL;
	out->summary_len = 0;
	return QF_OK;
}

int cases_head(struct dp *dp, struct qf_txn *t, const char *id, struct case_view *v)
{
	MDB_val val;
	int rc = qf_txn_get(t, dp->db.cases, id, strlen(id), &val);
	if (rc)
		return rc;
	return case_view_parse(val.mv_data, val.mv_size, id, strlen(id), v);
}

/* A small writer into memory sized beforehand: a list renders thousands
 * of summaries a second, and a buffer call per token was most of it. */
struct sw {
	char *p;
};

static void sw_raw(struct sw *w, const char *s, size_t n)
{
	memcpy(w->p, s, n);
	w->p += n;
}

/* "key": */
static void sw_key(struct sw *w, const char *k, size_t n)
{
	*w->p++ = '"';
	sw_raw(w, k, n);
	*w->p++ = '"';
	*w->p++ = ':';
}

/* A JSON string as jansson escapes it (crec_json_str); at most 6n + 2. */
static void sw_str(struct sw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	*w->p++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*w->p++ = (char)c;
			continue;
		}
		*w->p++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*w->p++ = (char)c;
			break;
		case '\b':
			*w->p++ = 'b';
			break;
		case '\f':
			*w->p++ = 'f';
			break;
		case '\n':
			*w->p++ = 'n';
			break;
		case '\r':
			*w->p++ = 'r';
			break;
		case '\t':
			*w->p++ = 't';
			break;
		default:
			sw_raw(w, "u00", 3);
			*w->p++ = hex[c >> 4];
			*w->p++ = hex[c & 15];
		}
	}
	*w->p++ = '"';
}

static void sw_int(struct sw *w, int64_t v)
{
	char t[24];
	int n = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*w->p++ = '-';
	while (n)
		*w->p++ = t[--n];
}

#define SW_KEY(w, lit) sw_key(w, lit, sizeof lit - 1)
#define SW_STR(w, lit, s)                                                                \
	do {                                                                             \
		SW_KEY(w, lit);                                                          \
		sw_str(w, s, strlen(s));                                                 \
		*(w)->p++ = ',';                                                         \
	} while (0)
#define SW_INT(w, lit, v)                                                                \
	do {                                                                             \
		SW_KEY(w, lit);                                                          \
		sw_int(w, v);                                                            \
		*(w)->p++ = ',';                                                         \
	} while (0)

/* The list summary of a case: a JSON object without its closing brace,
 * members in the order lists have always had them. */
void case_view_title(const struct case_view *v, char *out, size_t size)
{
	struct crec_v d;
	out[0] = '\0';
	if (!(v->h.flags & CH_WITHHELD) &&
	    crec_find(v->base, v->base_len, K_DESCRIPTION, &d) && d.type == CT_STR)
		cases_rec_excerpt(d.s, d.n, out, size, 40);
}

static void s_summary(const struct case_view *v, struct qf_buf *b)
{
	char title[200];
	case_view_title(v, title, sizeof title);
	const char *code = case_state_code(v->h.state),
		   *label = case_state_label(v->h.state);
	size_t strs = strlen(v->id) + strlen(v->tracking_code) + strlen(v->category) +
		      strlen(v->category_name) + strlen(v->building) +
		      strlen(v->building_name) + strlen(code) + strlen(label) +
		      strlen(title) + strlen(v->handler_name) + strlen(v->handler_post);
	size_t cap = 6 * strs + 512;
	char stack[4096], *mem = cap <= sizeof stack ? stack : malloc(cap);
	if (!mem) {
		b->oom = 1;
		return;
	}
	struct sw w = {mem};
	*w.p++ = '{';
	SW_STR(&w, "id", v->id);
	SW_STR(&w, "tracking_code", v->tracking_code);
	SW_STR(&w, "category", v->category);
	SW_STR(&w, "category_name", v->category_name);
	SW_STR(&w, "building", v->building);
	SW_STR(&w, "building_name", v->building_name);
	SW_STR(&w, "state", code);
	SW_STR(&w, "state_name", label);
	SW_STR(&w, "title", title);
	SW_KEY(&w, "withheld");
	if (v->h.flags & CH_WITHHELD)
		sw_raw(&w, "true,", 5);
	else
		sw_raw(&w, "false,", 6);
	SW_INT(&w, "submitted_ms", v->h.submitted_ms);
	SW_STR(&w, "handler_name", v->handler_name);
	SW_STR(&w, "handler_post", v->handler_post);
	SW_INT(&w, "respond_due_ms", v->h.respond_due_ms);
	SW_INT(&w, "resolve_due_ms", v->h.resolve_due_ms);
	SW_INT(&w, "resolved_ms", v->h.resolved_ms);
	if (v->h.rating) {
		SW_INT(&w, "rating", v->h.rating);
	} else {
		SW_KEY(&w, "rating");
		sw_raw(&w, "null,", 5);
	}
	SW_KEY(&w, "reopen_count");
	sw_int(&w, v->h.reopen_count);
	qf_buf_add(b, mem, (size_t)(w.p - mem));
	if (mem != stack)
		free(mem);
}

/* Render a stored record as the case document (new reference). */
static json_t *s_render(const char *id, const uint8_t *p, size_t n)
{
	struct ccase *c = cases_rec_new(NULL, id);
	if (!c)
		return NULL;
	json_t *doc = NULL;
	if (cases_rec_decode(c, p, n))
		goto out;
	const struct case_head *h = &c->h;
	/* the petition's members, less those the fold derives */
	struct qf_buf b;
	qf_buf_init(&b);
	struct crec_it it;
	struct crec_v v;
	crec_it_init(&it, c->base, c->nbase, 0);
	while (crec_next(&it, &v) > 0)
		if (v.key != K_CATEGORY && v.key != K_BUILDING &&
		    v.key != K_TRACKING_CODE && v.key != K_PRIORITY &&
		    v.key != K_SUBMITTED_MS)
			qf_buf_add(&b, v.at, v.size);
	json_t *tl = json_array();
	for (unsigned i = 0; tl && i < c->ne; i++) {
		const struct centry *e = &c->e[i];
		char k[128];
		const char *tn = qf_event_type_name(e->etype);
		snprintf(k, sizeof k, "%c%s/%04x/%016llx", e->cls, e->prod, e->part,
			 (unsigned long long)e->seq);
		unsigned keys[3] = {K_K, K_TYPE, K_AT_MS};
		json_t *x[3] = {json_string(k), json_string(tn ? tn : ""),
				json_integer(e->at)};
		json_t *o = crec_object_json(e->b, e->n, keys, x, 3);
		if (o)
			json_array_append_new(tl, o);
	}
	json_t *hd = json_object();
	if (c->f[F_HANDLER][0] && hd) {
		json_object_set_new(hd, "name", json_string(c->f[F_HNAME]));
		json_object_set_new(hd, "post", json_string(c->f[F_HPOST]));
		json_object_set_new(hd, "staff_id", json_string(c->f[F_HANDLER]));
	}
	const char *opt[4] = {c->f[F_CAT], c->f[F_BLD], c->f[F_CODE], c->f[F_PRIO]};
	unsigned okeys[4] = {K_CATEGORY, K_BUILDING, K_TRACKING_CODE, K_PRIORITY};
	unsigned keys[32];
	json_t *x[32];
	unsigned nx = 0;
#define ADD(k, val) (keys[nx] = (k), x[nx++] = (val))
	for (int i = 0; i < 4; i++)
		if (*opt[i])
			ADD(okeys[i], json_string(opt[i]));
	ADD(K_STATE, json_string(case_state_code(h->state)));
	ADD(K_STATE_NAME, json_string(case_state_label(h->state)));
	ADD(K_CATEGORY_NAME, json_string(c->f[F_CNAME]));
	ADD(K_BUILDING_NAME, json_string(c->f[F_BNAME]));
	ADD(K_SUBMITTED_MS, json_integer(h->submitted_ms));
	ADD(K_HANDLER, hd);
	ADD(K_OWNER, c->f[F_OWNER][0] ? json_string(c->f[F_OWNER]) : json_null());
	ADD(K_RESPOND_DUE_MS, json_integer(h->respond_due_ms));
	ADD(K_RESOLVE_DUE_MS, json_integer(h->resolve_due_ms));
	ADD(K_FIRST_RESPONSE_MS, json_integer(h->first_response_ms));
	ADD(K_RESOLVED_MS, json_integer(h->resolved_ms));
	ADD(K_CLOSED_MS, json_integer(h->closed_ms));
	ADD(K_RATING, h->rating ? json_integer(h->rating) : json_null());
	ADD(K_REOPEN_COUNT, json_integer(h->reopen_count));
	ADD(K_TRANSFER_COUNT, json_integer(h->transfer_count));
	ADD(K_ESCALATED, json_boolean(h->flags & CH_ESCALATED));
	ADD(K_BREACHED, json_boolean(h->flags & CH_BREACHED));
	ADD(K_CLOSED_WITHOUT_FEEDBACK, json_boolean(h->flags & CH_NO_FEEDBACK));
	ADD(K_RELATED_CASE, c->f[F_REL][0] ? json_string(c->f[F_REL]) : json_null());
	ADD(K_WITHHELD, json_boolean(h->flags & CH_WITHHELD));
	ADD(K_TIMELINE, tl);
#undef ADD
	if (qf_buf_ok(&b))
		doc = crec_object_json(b.p ? b.p : "", b.len, keys, x, nx);
	else
		for (unsigned i = 0; i < nx; i++)
			json_decref(x[i]);
	qf_buf_free(&b);
out:
	cases_rec_free(c);
	return doc;
}

static json_t *s_load(struct dp *dp, struct qf_txn *t, const char *id)
{
	MDB_val v;
	if (qf_txn_get(t, dp->db.cases, id, strlen(id), &v) != QF_OK)
		return NULL;
	return s_render(id, v.mv_data, v.mv_size);
}

json_t *cases_doc(struct dp *dp, struct qf_txn *t, const char *id_or_code)
{
	if (!dp_id_ok(id_or_code))
		return NULL;
	json_t *d = s_load(dp, t, id_or_code);
	if (d)
		return d;
	MDB_val v;
	if (qf_txn_get(t, dp->db.by_code, id_or_code, strlen(id_or_code), &v) != QF_OK ||
	    v.mv_size > 64)
		return NULL;
	char id[65];
	memcpy(id, v.mv_data, v.mv_size);
	id[v.mv_size] = '\0';
	return s_load(dp, t, id);
}

uint64_t cases_count(struct dp *dp, struct qf_txn *t, const char *key)
{
	int64_t v = dp_count_get(dp, t, dp->db.counts, key);
	return v > 0 ? (uint64_t)v : 0;
}
uint64_t cases_overdue_count(struct dp *dp, struct qf_txn *t, int64_t now)
{
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dp->db.by_due, &c))
		return 0;
	uint64_t n = 0;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && k.mv_size > 8 && (int64_t)qf_be64_get(k.mv_data) < now) {
		n++;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return n;
}

uint64_t cases_overdue_cached(struct dp *dp, struct qf_txn *t, int64_t now)
{
	int64_t mono = qf_mono_ms();
	pthread_mutex_lock(&dp->cache_lock);
	if (dp->overdue_mono && mono - dp->overdue_mono < 1000) {
		uint64_t v = dp->overdue_val;
		pthread_mutex_unlock(&dp->cache_lock);
		return v;
	}
	pthread_mutex_unlock(&dp->cache_lock);
	uint64_t v = cases_overdue_count(dp, t, now);
	pthread_mutex_lock(&dp->cache_lock);
	dp->overdue_val = v;
	dp->overdue_mono = mono;
	pthread_mutex_unlock(&dp->cache_lock);
	return v;
}

/* Does a head match the filters the chosen index did not apply? */
static int s_match(const struct case_query *q, const struct case_view *v, int64_t now,
		   int *overdue)
{
	*overdue = case_overdue(&v->h, now);
	if (q->category && strcmp(q->category, v->category))
		return 0;
	if (q->building && strcmp(q->building, v->building))
		return 0;
	if (q->handler && strcmp(q->handler, v->handler))
		return 0;
	if (q->state >= 0 && v->h.state != q->state)
		return 0;
	if (q->state == CQ_STATE_OPEN && !case_state_open(v->h.state))
		return 0;
	if (q->state == CQ_STATE_DONE && case_state_open(v->h.state))
		return 0;
	if (q->from_ms && v->h.submitted_ms < q->from_ms)
		return 0;
	if (q->to_ms && v->h.submitted_ms >= q->to_ms)
		return 0;
	if (q->overdue && !*overdue)
		return 0;
	return 1;
}

int cases_query(struct dp *dp, struct qf_txn *t, const struct case_query *q, int64_t now,
		case_each_fn fn, void *arg, uint64_t *total)
{
	uint8_t pre[96], lo[128], hi[128];
	size_t pl = 0;
	MDB_dbi dbi = dp->db.by_time;
	int by_due = 0;
	if (q->overdue) {
		dbi = dp->db.by_due;
		by_due = 1;
	} else if (q->state >= 0) {
		dbi = dp->db.by_state;
		pre[0] = (uint8_t)q->state;
		pl = 1;
	} else if (q->category) {
		dbi = dp->db.by_cat;
		pl = strlen(q->category) + 1;
		if (pl > 80)
			return QF_ERR_INVAL;
		memcpy(pre, q->category, pl);
	} else if (q->building) {
		dbi = dp->db.by_bld;
		pl = strlen(q->building) + 1;
		if (pl > 80)
			return QF_ERR_INVAL;
		memcpy(pre, q->building, pl);
	}
	/* a total from the counters when the index alone decides the set */
	int counted = 0;
	if (total && !q->overdue && !q->from_ms && !q->to_ms && !q->handler) {
		int nf = !!q->category + !!q->building + (q->state != CQ_STATE_ANY);
		char key[128];
		counted = 1;
		if (nf == 0)
			snprintf(key, sizeof key, "all");
		else if (nf == 1 && q->state >= 0)
			snprintf(key, sizeof key, "s:%d", q->state);
		else if (nf == 1 && q->state == CQ_STATE_OPEN)
			snprintf(key, sizeof key, "open");
		else if (nf == 1 && q->category)
			snprintf(key, sizeof key, "c:%s", q->category);
		else if (nf == 1 && q->building)
			snprintf(key, sizeof key, "b:%s", q->building);
		else
			counted = 0;
		if (counted)
			*total = cases_count(dp, t, key);
	}
	/* key range [lo, hi] */
	memcpy(lo, pre, pl);
	memcpy(hi, pre, pl);
	size_t lol = pl, hil = pl;
	if (by_due) {
		qf_be64_put(lo, 0);
		lol = 8;
		qf_be64_put(hi, (uint64_t)now);
		hil = 8;
	} else {
		qf_be64_put(lo + pl, (uint64_t)(q->from_ms > 0 ? q->from_ms : 0));
		lol = pl + 8;
		qf_be64_put(hi + pl, q->to_ms > 0 ? (uint64_t)q->to_ms : UINT64_MAX);
		hil = pl + 8;
	}
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), dbi, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc;
	/* newest first: start at the last key below hi; overdue: oldest due first */
	if (by_due) {
		k = (MDB_val){lol, lo};
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	} else {
		k = (MDB_val){hil, hi};
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		else if (rc == 0)
			rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	/* the index and its key range alone decide the set (at most one of
	   category, building or an exact state, which is then the index):
	   the cases before the offset are counted off the index without
	   reading them (a deep page read every case before it) */
	int decided = !by_due && !q->handler && q->state != CQ_STATE_OPEN &&
		      q->state != CQ_STATE_DONE &&
		      !!q->category + !!q->building + (q->state >= 0) <= 1;
	uint64_t seen = 0, given = 0;
	int stopped = 0, oom = 0;
	struct qf_buf sum;
	qf_buf_init(&sum);
	while (rc == 0) {
		if (k.mv_size < pl + 8 || memcmp(k.mv_data, pre, pl) != 0)
			break;
		if (by_due) {
			if (memcmp(k.mv_data, hi, 8) >= 0)
				break;
		} else if (memcmp(k.mv_data, lo, lol) < 0) {
			break;
		}
		if (decided && seen < q->offset && k.mv_size - pl - 8 < 72) {
			seen++;
			rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
			continue;
		}
		const char *idp = (const char *)k.mv_data + pl + 8;
		size_t idl = k.mv_size - pl - 8;
		char id[72];
		if (idl < sizeof id) {
			memcpy(id, idp, idl);
			id[idl] = '\0';
			struct case_view cv;
			int overdue;
			if (cases_head(dp, t, id, &cv) == QF_OK &&
			    s_match(q, &cv, now, &overdue)) {
				if (seen >= q->offset &&
				    (!q->limit || given < q->limit) && !stopped) {
					given++;
					if (!q->no_summary) {
						qf_buf_reset(&sum);
						s_summary(&cv, &sum);
						if (!qf_buf_ok(&sum)) {
							oom = 1;
							stopped = 1;
						}
						cv.summary = sum.p;
						cv.summary_len = sum.len;
					}
					if (!oom && fn && fn(arg, &cv, overdue))
						stopped = 1;
				}
				seen++;
				/* stop early when the total is known already */
				if ((counted || !total) &&
				    (stopped || (q->limit && given >= q->limit)))
					break;
			}
		}
		rc = mdb_cursor_get(c, &k, &v, by_due ? MDB_NEXT : MDB_PREV);
	}
	mdb_cursor_close(c);
	qf_buf_free(&sum);
	if (total && !counted)
		*total = seen;
	return oom ? QF_ERR_NOMEM : QF_OK;
}
