/* cases.c: the public case view (cases.h), writing side: apply intake's
 * petitions and router's transitions to masked case records, keep their
 * indexes and counters. Reading them (documents, counts, filtered, paged
 * queries) is cases_query.c's; the record in memory is cases_rec.h.
 *
 * A case is stored as one compact record (dp.case):
 *
 *   struct case_head                 derived figures (native, fixed size)
 *   11 NUL-terminated strings        category, building, handler (staff id),
 *                                    handler name, handler post, category
 *                                    name, building name, tracking code,
 *                                    priority, owner, related case
 *   varint len, members              the petition's members (crec.h)
 *   varint count, entries            the timeline, sorted; each: class byte,
 *                                    producer, partition, seq, at (varints),
 *                                    then its members, where one equal to the
 *                                    previous entry's is written CT_SAME
 *
 * The JSON document is rendered from it on read (cases_doc), members sorted
 * by name. Every change goes through one path: fold the timeline into the
 * derived fields (state, handler, deadlines, first response, resolution,
 * rating) and mark the case dirty in the transaction's write-back cache;
 * cases_flush() writes each dirty record once and moves its index keys and
 * counters from the stored head to the new one. Folding rather than
 * patching is what makes the view independent of arrival order. */
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

#define S(x)  QINGFENG__V1__CASE_STATE__##x
#define ET(x) QINGFENG__V1__EVENT_TYPE__##x

/* ------------------------------------------------------------ states */

int case_overdue(const struct case_head *h, int64_t now)
{
	if (!case_state_open(h->state))
		return 0;
	if (!h->first_response_ms && h->respond_due_ms && now > h->respond_due_ms)
		return 1;
	return h->resolve_due_ms && now > h->resolve_due_ms;
}

/* ------------------------------------------------------------ records */

static const size_t s_fsize[NFIELDS] = {80, 80, 80, 160, 300, 256, 256, 80, 40, 80, 80};

#define CACHE_BUCKETS 8192
/* A transaction touching fewer cases (live traffic) gives the cache and its
 * arena's blocks back at its end, so an idle service holds neither; larger
 * ones (a replica catching up) keep them for the next batch. */
#define CACHE_SMALL 64
struct case_cache {
	struct ccase *b[CACHE_BUCKETS];
	struct ccase *all;
	unsigned n;
	struct arena *ar; /* every cached case's memory (arena.h) */
};

static void s_entry_free(struct centry *e)
{
	free(e->b);
	e->b = NULL;
}

/* Memory of case c: from its arena (freed with it), else malloc'd. */
static void *s_calloc(struct ccase *c, size_t n)
{
	return c->ar ? arena_alloc(c->ar, n ? n : 1) : malloc(n ? n : 1);
}

static void s_cfree(struct ccase *c, void *p)
{
	if (!c->ar)
		free(p);
}

/* The bytes of b as case c's (b is emptied), NUL-terminated; NULL when out
 * of memory. */
static uint8_t *s_ctake(struct ccase *c, struct qf_buf *b, size_t *n)
{
	if (!c->ar)
		return (uint8_t *)qf_buf_take(b, n);
	uint8_t *p = qf_buf_ok(b) ? arena_alloc(c->ar, b->len + 1) : NULL;
	if (p) {
		if (b->len)
			memcpy(p, b->p, b->len);
		p[b->len] = 0;
		*n = b->len;
	}
	qf_buf_free(b);
	return p;
}

void cases_rec_free(struct ccase *c)
{
	if (!c || c->ar)
		return; /* the arena's, forgotten with it */
	for (unsigned i = 0; i < c->ne; i++)
		s_entry_free(&c->e[i]);
	free(c->e);
	free(c->base);
	free(c);
}

/* One allocation per case, its derived strings inside it: a catching-up
 * replica loads tens of thousands of cases per second, and twelve callocs
 * and frees each were a tenth of the apply path. */
struct ccase *cases_rec_new(struct arena *ar, const char *id)
{
	struct ccase *c = ar ? arena_alloc(ar, sizeof *c) : malloc(sizeof *c);
	if (!c)
		return NULL;
	memset(c, 0, offsetof(struct ccase, id));
	c->ar = ar;
	dp_cat(c->id, sizeof c->id, id, NULL);
	char *f = c->fmem;
	for (int i = 0; i < NFIELDS; i++) {
		c->f[i] = f;
		*f = '\0';
		f += s_fsize[i];
	}
	return c;
}

/* What the stored record's index keys say: its category, building and
 * tracking code. */
static void s_keep_f0(struct ccase *c)
{
	dp_cat(c->f0[0], sizeof c->f0[0], c->f[F_CAT], NULL);
	dp_cat(c->f0[1], sizeof c->f0[1], c->f[F_BLD], NULL);
	dp_cat(c->f0[2], sizeof c->f0[2], c->f[F_CODE], NULL);
}

void cases_cache_clear(struct dp *dp)
{
	struct case_cache *cc = dp->ccache;
	if (!cc)
		return;
	if (cc->n < CACHE_SMALL) {
		cc->n = 0;
		cases_cache_release(dp);
		return;
	}
	arena_reset(cc->ar); /* every cached case with it */
	memset(cc->b, 0, sizeof cc->b);
	cc->all = NULL;
	cc->n = 0;
}

void cases_cache_release(struct dp *dp)
{
	struct case_cache *cc = dp->ccache;
	if (!cc || cc->n)
		return; /* none, or a transaction's */
	arena_free(cc->ar);
	free(cc);
	dp->ccache = NULL;
}

static uint32_t s_id_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Decode a stored record into c (already named). 0 or QF_ERR_PROTO. */
int cases_rec_decode(struct ccase *c, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	if (n < sizeof(struct case_head))
		return QF_ERR_PROTO;
	memcpy(&c->h, p, sizeof c->h);
	if (c->h.version != CASE_HEAD_VERSION)
		return QF_ERR_PROTO;
	p += sizeof c->h;
	for (int i = 0; i < NFIELDS; i++) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		if (!z || (size_t)(z - p) >= s_fsize[i])
			return QF_ERR_PROTO;
		memcpy(c->f[i], p, (size_t)(z - p) + 1);
		p = z + 1;
	}
	uint64_t x, cnt;
	if (crec_get_varint(&p, end, &x) || x > (uint64_t)(end - p))
		return QF_ERR_PROTO;
	if (!(c->base = s_calloc(c, x)))
		return QF_ERR_NOMEM;
	memcpy(c->base, p, x);
	c->nbase = x;
	p += x;
	if (crec_get_varint(&p, end, &cnt) || cnt > 100000)
		return QF_ERR_PROTO;
	if (cnt) {
		if (!(c->e = s_calloc(c, cnt * sizeof *c->e)))
			return QF_ERR_NOMEM;
		memset(c->e, 0, cnt * sizeof *c->e);
	}
	c->cap = (unsigned)cnt;
	struct qf_buf b;
	qf_buf_init(&b);
	struct crec_v prev[K_COUNT];
	memset(prev, 0, sizeof prev);
	for (uint64_t i = 0; i < cnt; i++) {
		struct centry *e = &c->e[i];
		uint64_t pl, part, seq, at, len, et;
		if (p >= end)
			goto bad;
		e->cls = *p++;
		if (crec_get_varint(&p, end, &pl) || pl >= sizeof e->prod ||
		    pl > (uint64_t)(end - p))
			goto bad;
		memcpy(e->prod, p, pl);
		e->prod[pl] = '\0';
		p += pl;
		if (crec_get_varint(&p, end, &part) || crec_get_varint(&p, end, &seq) ||
		    crec_get_varint(&p, end, &at) || crec_get_varint(&p, end, &et) ||
		    crec_get_varint(&p, end, &len) || len > (uint64_t)(end - p))
			goto bad;
		e->part = (uint32_t)part;
		e->seq = seq;
		e->at = (int64_t)(at >> 1) ^ -(int64_t)(at & 1);
		e->etype = (uint16_t)et;
		/* expand members written as "same as the previous entry" */
		qf_buf_reset(&b);
		struct crec_it it;
		struct crec_v v;
		int r;
		crec_it_init(&it, p, len, 0);
		while ((r = crec_next(&it, &v)) > 0) {
			if (v.type != CT_SAME) {
				qf_buf_add(&b, v.at, v.size);
				continue;
			}
			if (!prev[v.key].size)
				goto bad;
			qf_buf_add(&b, prev[v.key].at, prev[v.key].size);
		}
		if (r < 0 || !qf_buf_ok(&b))
			goto bad;
		p += len;
		e->n = b.len;
		if (!(e->b = s_calloc(c, b.len)))
			goto bad;
		if (b.len) /* an entry may have no member but its header */
			memcpy(e->b, b.p, b.len);
		c->ne++;
		memset(prev, 0, sizeof prev);
		crec_it_init(&it, e->b, e->n, 0);
		while (crec_next(&it, &v) > 0)
			prev[v.key] = v;
	}
	qf_buf_free(&b);
	return QF_OK;
bad:
	qf_buf_free(&b);
	return QF_ERR_PROTO;
}

/* The record of c, into b. */
static void s_encode(const struct ccase *c, struct qf_buf *b)
{
	qf_buf_add(b, &c->h, sizeof c->h);
	for (int i = 0; i < NFIELDS; i++)
		qf_buf_add(b, c->f[i], strlen(c->f[i]) + 1);
	crec_varint(b, c->nbase);
	qf_buf_add(b, c->base, c->nbase);
	crec_varint(b, c->ne);
	struct qf_buf m;
	qf_buf_init(&m);
	/* the previous entry's members by key */
	struct crec_v prev[K_COUNT], cur[K_COUNT];
	memset(prev, 0, sizeof prev);
	for (unsigned i = 0; i < c->ne; i++) {
		const struct centry *e = &c->e[i];
		memset(cur, 0, sizeof cur);
		size_t pl = strlen(e->prod);
		qf_buf_add(b, &e->cls, 1);
		crec_varint(b, pl);
		qf_buf_add(b, e->prod, pl);
		crec_varint(b, e->part);
		crec_varint(b, e->seq);
		crec_varint(b, ((uint64_t)e->at << 1) ^ (uint64_t)(e->at >> 63));
		crec_varint(b, e->etype);
		qf_buf_reset(&m);
		struct crec_it it;
		struct crec_v v, pv;
		crec_it_init(&it, e->b, e->n, 0);
		while (crec_next(&it, &v) > 0) {
			cur[v.key] = v;
			pv = prev[v.key];
			if (v.size > 3 && pv.size == v.size &&
			    !memcmp(pv.at, v.at, v.size)) {
				uint8_t same[2] = {(uint8_t)v.key, CT_SAME};
				qf_buf_add(&m, same, 2);
			} else {
				qf_buf_add(&m, v.at, v.size);
			}
		}
		crec_varint(b, m.len);
		qf_buf_add(b, m.p, m.len);
		memcpy(prev, cur, sizeof prev);
	}
	qf_buf_free(&m);
}

/* The transaction's copy of a case: cached, else loaded, else a new
 * placeholder (*existed 0). NULL with *rc on failure. */
/* What the transaction keeps of cases: written at commit, then dropped. */
static const struct dp_txn_part s_txn_part = {cases_flush, cases_cache_clear};

static struct ccase *s_case_get(struct dp *dp, struct qf_txn *t, const char *id,
				int *existed, int *rc)
{
	*rc = dp_txn_join(dp, t, DP_TXN_CASES, &s_txn_part);
	if (*rc)
		return NULL;
	if (!dp->ccache) {
		struct case_cache *n = calloc(1, sizeof *n);
		if (!n || !(n->ar = arena_new())) {
			free(n);
			*rc = QF_ERR_NOMEM;
			return NULL;
		}
		dp->ccache = n;
	}
	struct case_cache *cc = dp->ccache;
	uint32_t h = s_id_hash(id) & (CACHE_BUCKETS - 1);
	for (struct ccase *c = cc->b[h]; c; c = c->next)
		if (!strcmp(c->id, id)) {
			*existed = 1;
			return c;
		}
	struct ccase *c = cases_rec_new(cc->ar, id);
	if (!c) {
		*rc = QF_ERR_NOMEM;
		return NULL;
	}
	MDB_val v;
	int g = qf_txn_get(t, dp->db.cases, id, strlen(id), &v);
	if (g == QF_OK) {
		if ((*rc = cases_rec_decode(c, v.mv_data, v.mv_size))) {
			qf_error("case_unreadable", "case=%s error=\"%s\"", id,
				 qf_strerror(*rc));
			cases_rec_free(c);
			return NULL;
		}
		c->stored = 1;
		c->h0 = c->h;
		s_keep_f0(c);
		*existed = 1;
	} else if (g == QF_ERR_NOTFOUND) {
		/* a placeholder: a router event for a case not yet seen */
		struct qf_buf b;
		qf_buf_init(&b);
		crec_str(&b, K_ID, id);
		crec_bool(&b, K_PETITION, 0);
		if (!qf_buf_ok(&b)) {
			qf_buf_free(&b);
			cases_rec_free(c);
			*rc = QF_ERR_NOMEM;
			return NULL;
		}
		c->base = s_ctake(c, &b, &c->nbase);
		*existed = 0;
	} else {
		cases_rec_free(c);
		*rc = g;
		return NULL;
	}
	c->next = cc->b[h];
	cc->b[h] = c;
	c->dnext = cc->all;
	cc->all = c;
	cc->n++;
	return c;
}

/* An integer as %lld writes it (lists render thousands per second:
 * vsnprintf was a third of a list request). */
void cases_rec_int(struct qf_buf *b, int64_t v)
{
	char t[24];
	int n = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[n++] = '-';
	char o[24];
	for (int i = 0; i < n; i++)
		o[i] = t[n - 1 - i];
	qf_buf_add(b, o, (size_t)n);
}

/* ------------------------------------------------------------ helpers */

/* A base member as a string (copied, "" if absent). */
static const char *s_base_str(const struct ccase *c, unsigned key, char *out, size_t n)
{
	return crec_get_str(c->base, c->nbase, key, out, n);
}

static int s_base_true(const struct ccase *c, unsigned key)
{
	struct crec_v v;
	return crec_find(c->base, c->nbase, key, &v) && v.type == CT_TRUE;
}

/* A masked free-text member (absent when empty). */
static int s_put_masked(struct qf_buf *b, unsigned key, const char *text,
			const struct qf_mask_opts *mo)
{
	if (!text || !*text)
		return QF_OK;
	char *m = qf_mask_text(text, strlen(text), mo);
	if (!m)
		return QF_ERR_NOMEM;
	crec_str(b, key, m);
	free(m);
	return QF_OK;
}

/* A cleaned official text member (staff names, posts): no masking. */
static int s_put_clean(struct qf_buf *b, unsigned key, const char *text, size_t max)
{
	if (!text || !*text)
		return QF_OK;
	char *m = qf_mask_clean(text, strlen(text), max);
	if (!m)
		return QF_ERR_NOMEM;
	crec_str(b, key, m);
	free(m);
	return QF_OK;
}

static void s_put_id(struct qf_buf *b, unsigned key, const char *id)
{
	if (id && *id && dp_id_ok(id))
		crec_str(b, key, id);
}

/* Masking context of one case: the petitioner's surname, the staff phones
 * kept, and the names learned from the case's texts (keyed hashes). */
struct cmask {
	struct qf_mask_opts mo;
	struct qf_mask_names nm;
	unsigned char key[32];
	char sur[16];
};

static int s_mask_begin(struct dp *dp, struct qf_txn *t, struct ccase *c, struct cmask *m)
{
	memset(m, 0, sizeof *m);
	char name[64];
	qf_mask_surname(s_base_str(c, K_NAME, name, sizeof name), m->sur, sizeof m->sur);
	m->mo.surname = m->sur[0] ? m->sur : NULL;
	m->mo.allow = (const char *const *)dp->allow;
	m->mo.nallow = dp->nallow;
	MDB_val v;
	int rc = qf_txn_get(t, dp->db.meta, "name_key", 8, &v);
	if (rc == QF_OK && v.mv_size == 32) {
		memcpy(m->key, v.mv_data, 32);
	} else if (rc == QF_OK || rc == QF_ERR_NOTFOUND) {
		qf_id_random(m->key, 32);
		if ((rc = qf_txn_put(t, dp->db.meta, "name_key", 8, m->key, 32, 0)))
			return rc;
	} else {
		return rc;
	}
	if (!c->names_loaded) {
		if (qf_txn_get(t, dp->db.case_names, c->id, strlen(c->id), &v) == QF_OK) {
			size_t n = v.mv_size / QF_MASK_HASH;
			if (n > CASE_NAMES)
				n = CASE_NAMES;
			memcpy(c->names, v.mv_data, n * QF_MASK_HASH);
			c->nnames = (unsigned)n;
		}
		c->names_loaded = 1;
	}
	m->nm.key = m->key;
	m->nm.hash = c->names;
	m->nm.cap = CASE_NAMES;
	m->nm.n = c->nnames;
	m->mo.names = &m->nm;
	return QF_OK;
}

/* Mask again the free texts of a member run (masking is idempotent, so
 * only what is newly recognisable changes). NULL on out of memory. */
static int s_remask_run(struct ccase *c, uint8_t **p, size_t *n,
			const struct qf_mask_opts *mo)
{
	struct qf_buf b;
	qf_buf_init(&b);
	struct crec_it it;
	struct crec_v v;
	int touched = 0;
	crec_it_init(&it, *p, *n, 0);
	while (crec_next(&it, &v) > 0) {
		int text = v.type == CT_STR && (v.key == K_DESCRIPTION ||
						v.key == K_ADDRESS || v.key == K_REASON ||
						v.key == K_CAUSE || v.key == K_PROGRESS ||
						v.key == K_RESULT || v.key == K_COMMENT);
		if (!text) {
			qf_buf_add(&b, v.at, v.size);
			continue;
		}
		char *m = qf_mask_text(v.s, v.n, mo);
		if (!m) {
			qf_buf_free(&b);
			return QF_ERR_NOMEM;
		}
		crec_str(&b, v.key, m);
		free(m);
		touched = 1;
	}
	if (!qf_buf_ok(&b))
		return QF_ERR_NOMEM;
	if (!touched) {
		qf_buf_free(&b);
		return QF_OK;
	}
	uint8_t *np = s_ctake(c, &b, n);
	if (!np)
		return QF_ERR_NOMEM;
	s_cfree(c, *p);
	*p = np;
	return QF_OK;
}

static int s_remask(struct ccase *c, const struct qf_mask_opts *mo)
{
	int rc = s_remask_run(c, &c->base, &c->nbase, mo);
	for (unsigned i = 0; !rc && i < c->ne; i++)
		rc = s_remask_run(c, &c->e[i].b, &c->e[i].n, mo);
	return rc;
}

/* Names learned by this event: keep them and mask the whole case again. */
static int s_mask_end(struct ccase *c, struct cmask *m)
{
	if (!m->nm.learned)
		return QF_OK;
	c->nnames = m->nm.n;
	c->names_dirty = 1;
	int rc = s_remask(c, &m->mo);
	c->nnames = m->nm.n; /* learned more while masking again */
	return rc;
}

/* Printable ASCII only (URLs). */
static int s_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The media array member. */
static void s_media(struct qf_buf *out, unsigned key, Qingfeng__V1__Attachment **m,
		    size_t n)
{
	struct qf_buf a, o;
	qf_buf_init(&a);
	qf_buf_init(&o);
	for (size_t i = 0; i < n && i < 16; i++) {
		qf_buf_reset(&o);
		const char *sha = m[i]->sha256 ? m[i]->sha256 : "";
		int sha_ok = strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64;
		const char *ct = m[i]->content_type ? m[i]->content_type : "";
		const char *url = m[i]->url ? m[i]->url : "";
		if (!strcmp(ct, "image/jpeg") || !strcmp(ct, "image/png"))
			crec_str(&o, K_CONTENT_TYPE, ct);
		if (sha_ok)
			crec_str(&o, K_SHA256, sha);
		/* only plain http(s) links, never javascript: or data: */
		if ((!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7)) &&
		    strlen(url) < 1024 && !strpbrk(url, " \"'<>\\`") && s_ascii(url))
			crec_str(&o, K_URL, url);
		if (o.len) {
			uint8_t t = CT_OBJ;
			qf_buf_add(&a, &t, 1);
			crec_varint(&a, o.len);
			qf_buf_add(&a, o.p, o.len);
		}
	}
	crec_nested(out, key, CT_ARR, a.p ? a.p : "", a.len);
	qf_buf_free(&a);
	qf_buf_free(&o);
}

/* Timeline order: (at, class, producer, partition, seq), which is the
 * order of the sort key "<class><producer>/<partition %04x>/<seq %016x>". */
static int s_entry_cmp(const struct centry *a, const struct centry *b)
{
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	const unsigned char *x = (const unsigned char *)a->prod,
			    *y = (const unsigned char *)b->prod;
	for (;; x++, y++) {
		unsigned cx = *x ? *x : '/', cy = *y ? *y : '/';
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (!*x || !*y)
			break;
	}
	if (a->part != b->part)
		return a->part < b->part ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

/* Insert e (its members taken) into the timeline; 0 inserted, 1 a
 * duplicate (e freed). */
static int s_timeline_insert(struct ccase *c, struct centry *e, int *rc)
{
	*rc = QF_OK;
	unsigned pos = c->ne;
	for (unsigned i = c->ne; i > 0; i--) {
		int k = s_entry_cmp(&c->e[i - 1], e);
		if (k == 0) {
			s_entry_free(e);
			return 1;
		}
		if (k < 0)
			break;
		pos = i - 1;
	}
	if (c->ar) { /* the members move into the case's arena */
		uint8_t *b = arena_alloc(c->ar, e->n ? e->n : 1);
		if (!b) {
			s_entry_free(e);
			*rc = QF_ERR_NOMEM;
			return 1;
		}
		if (e->n)
			memcpy(b, e->b, e->n);
		free(e->b);
		e->b = b;
	}
	if (c->ne == c->cap) {
		unsigned nc = c->cap ? c->cap * 2 : 8;
		struct centry *ne = c->ar ? arena_alloc(c->ar, nc * sizeof *ne)
					  : realloc(c->e, nc * sizeof *ne);
		if (!ne) {
			s_entry_free(e);
			*rc = QF_ERR_NOMEM;
			return 1;
		}
		if (c->ar && c->ne)
			memcpy(ne, c->e, c->ne * sizeof *ne);
		c->e = ne;
		c->cap = nc;
	}
	memmove(&c->e[pos + 1], &c->e[pos], (c->ne - pos) * sizeof *c->e);
	c->e[pos] = *e;
	c->ne++;
	return 0;
}

static void s_entry_init(struct centry *e, const Qingfeng__V1__Envelope *env, char cls,
			 int etype, int64_t at)
{
	memset(e, 0, sizeof *e);
	e->cls = (uint8_t)cls;
	e->etype = (uint16_t)etype;
	e->at = at;
	e->part = env->partition;
	e->seq = env->seq;
	dp_cat(e->prod, sizeof e->prod, env->producer, NULL);
}

/* Take the members of b as the entry's. */
static int s_entry_take(struct centry *e, struct qf_buf *b)
{
	if (!qf_buf_ok(b)) {
		qf_buf_free(b);
		return QF_ERR_NOMEM;
	}
	if (!b->p)
		qf_buf_add(b, "", 0);
	e->b = (uint8_t *)qf_buf_take(b, &e->n);
	return e->b ? QF_OK : QF_ERR_NOMEM;
}

/* ------------------------------------------------------------ folding */

static int s_transition_type(int etype)
{
	const char *t = qf_event_type_name(etype);
	return t && (!strncmp(t, "CASE_", 5) || !strncmp(t, "EXTENSION_", 10));
}

/* One entry's members the fold reads. */
struct efold {
	unsigned to;
	struct crec_v assignee, aname, apost, owner, cat, bld, code, prio, reject,
	    related;
	int64_t respond_due, resolve_due, transfer_count, submitted, rating;
	int breached, no_feedback;
};

static void s_efold(const struct centry *e, struct efold *x)
{
	memset(x, 0, sizeof *x);
	struct crec_it it;
	struct crec_v v;
	crec_it_init(&it, e->b, e->n, 0);
	while (crec_next(&it, &v) > 0) {
		switch (v.key) {
		case K_TO:
			if (v.type == CT_STATE)
				x->to = (unsigned)v.i;
			break;
		case K_ASSIGNEE:
			x->assignee = v;
			break;
		case K_ASSIGNEE_NAME:
			x->aname = v;
			break;
		case K_ASSIGNEE_POST:
			x->apost = v;
			break;
		case K_OWNER:
			x->owner = v;
			break;
		case K_CATEGORY:
			x->cat = v;
			break;
		case K_BUILDING:
			x->bld = v;
			break;
		case K_TRACKING_CODE:
			x->code = v;
			break;
		case K_PRIORITY:
			x->prio = v;
			break;
		case K_REJECT_REASON:
			x->reject = v;
			break;
		case K_RELATED_CASE:
			x->related = v;
			break;
		case K_RESPOND_DUE_MS:
			x->respond_due = v.i;
			break;
		case K_RESOLVE_DUE_MS:
			x->resolve_due = v.i;
			break;
		case K_TRANSFER_COUNT:
			x->transfer_count = v.i;
			break;
		case K_SUBMITTED_MS:
			x->submitted = v.i;
			break;
		case K_RATING:
			x->rating = v.type == CT_INT ? v.i : 0;
			break;
		case K_BREACHED:
			x->breached = v.type == CT_TRUE;
			break;
		case K_CLOSED_WITHOUT_FEEDBACK:
			x->no_feedback = v.type == CT_TRUE;
			break;
		}
	}
}

/* Copy a string member (or "") into a derived field. */
static void s_fset(char *out, size_t n, const struct crec_v *v)
{
	size_t l = v->type == CT_STR ? v->n : 0;
	if (l >= n)
		l = n - 1;
	memcpy(out, v->s ? v->s : "", l);
	out[l] = '\0';
}

/* Fold the petition and the timeline into the head and derived strings. */
static void s_fold(struct dp *dp, struct ccase *c)
{
	struct case_head *h = &c->h;
	memset(h, 0, sizeof *h);
	h->version = CASE_HEAD_VERSION;
	/* the petition's members the fold reads, in one pass */
	int petition = 0, sensitive = 0, consent = 0;
	c->f[F_CAT][0] = c->f[F_BLD][0] = c->f[F_CODE][0] = c->f[F_PRIO][0] = '\0';
	struct crec_it it;
	struct crec_v v;
	crec_it_init(&it, c->base, c->nbase, 0);
	while (crec_next(&it, &v) > 0) {
		switch (v.key) {
		case K_PETITION:
			petition = v.type == CT_TRUE;
			break;
		case K_SENSITIVE:
			sensitive = v.type == CT_TRUE;
			break;
		case K_CONSENT_PUBLIC:
			consent = v.type == CT_TRUE;
			break;
		case K_SUBMITTED_MS:
			h->submitted_ms = v.type == CT_INT ? v.i : 0;
			break;
		case K_CATEGORY:
			s_fset(c->f[F_CAT], s_fsize[F_CAT], &v);
			break;
		case K_BUILDING:
			s_fset(c->f[F_BLD], s_fsize[F_BLD], &v);
			break;
		case K_TRACKING_CODE:
			s_fset(c->f[F_CODE], s_fsize[F_CODE], &v);
			break;
		case K_PRIORITY:
			s_fset(c->f[F_PRIO], s_fsize[F_PRIO], &v);
			break;
		}
	}
	if (petition)
		h->flags |= CH_PETITION;
	h->state = petition ? S(STATE_SUBMITTED) : 0;
	c->f[F_HANDLER][0] = c->f[F_HNAME][0] = c->f[F_HPOST][0] = '\0';
	c->f[F_OWNER][0] = c->f[F_REL][0] = '\0';
	struct crec_v reject = {0};
	for (unsigned i = 0; i < c->ne; i++) {
		const struct centry *e = &c->e[i];
		struct efold x;
		if (e->etype == ET(DEADLINE_WARNING)) {
			s_efold(e, &x);
			if (x.breached)
				h->flags |= CH_BREACHED;
			continue;
		}
		if (!s_transition_type(e->etype))
			continue;
		s_efold(e, &x);
		int64_t at = e->at;
		if (x.to > 0 && x.to < 256)
			h->state = (uint8_t)x.to;
		if (x.assignee.n) {
			s_fset(c->f[F_HANDLER], s_fsize[F_HANDLER], &x.assignee);
			s_fset(c->f[F_HNAME], s_fsize[F_HNAME], &x.aname);
			s_fset(c->f[F_HPOST], s_fsize[F_HPOST], &x.apost);
		}
		if (x.owner.n)
			s_fset(c->f[F_OWNER], s_fsize[F_OWNER], &x.owner);
		if (x.respond_due)
			h->respond_due_ms = x.respond_due;
		if (x.resolve_due)
			h->resolve_due_ms = x.resolve_due;
		if (x.transfer_count > h->transfer_count)
			h->transfer_count = (uint16_t)x.transfer_count;
		if (!c->f[F_CAT][0])
			s_fset(c->f[F_CAT], s_fsize[F_CAT], &x.cat);
		if (!c->f[F_BLD][0])
			s_fset(c->f[F_BLD], s_fsize[F_BLD], &x.bld);
		if (!c->f[F_CODE][0])
			s_fset(c->f[F_CODE], s_fsize[F_CODE], &x.code);
		if (!c->f[F_PRIO][0])
			s_fset(c->f[F_PRIO], s_fsize[F_PRIO], &x.prio);
		if (!h->submitted_ms)
			h->submitted_ms = x.submitted;
		int t = e->etype;
		if (t == ET(CASE_ACCEPTED) || t == ET(CASE_PROGRESS) ||
		    t == ET(CASE_RESOLVED) || t == ET(CASE_REJECTED)) {
			if (!h->first_response_ms)
				h->first_response_ms = at;
		}
		if (t == ET(CASE_RESOLVED)) {
			h->resolved_ms = at;
			h->resolved_due_ms = h->resolve_due_ms;
		} else if (t == ET(CASE_CLOSED)) {
			h->closed_ms = at;
			if (x.no_feedback)
				h->flags |= CH_NO_FEEDBACK;
		} else if (t == ET(CASE_REOPENED)) {
			h->reopen_count++;
			h->resolved_ms = h->resolved_due_ms = h->closed_ms = 0;
			h->flags &= (uint16_t)~CH_NO_FEEDBACK;
		} else if (t == ET(CASE_REJECTED)) {
			reject = x.reject;
			s_fset(c->f[F_REL], s_fsize[F_REL], &x.related);
		} else if (t == ET(CASE_MERGED)) {
			s_fset(c->f[F_REL], s_fsize[F_REL], &x.related);
		} else if (t == ET(CASE_RATED)) {
			if (x.rating >= 1 && x.rating <= 5)
				h->rating = (uint8_t)x.rating;
		} else if (t == ET(CASE_ESCALATED)) {
			h->flags |= CH_ESCALATED;
		}
		if (at > h->updated_ms)
			h->updated_ms = at;
	}
	if (h->state == S(STATE_REJECTED)) {
		h->flags |= CH_REJECTED;
		if (reject.type == CT_STR &&
		    ((reject.n == 9 && !memcmp(reject.s, "duplicate", 9)) ||
		     (reject.n == 4 && !memcmp(reject.s, "spam", 4))))
			h->flags |= CH_EXCLUDED;
	}
	if (h->state == S(STATE_MERGED))
		h->flags |= CH_EXCLUDED;
	if (!strcmp(c->f[F_PRIO], "sensitive") || sensitive)
		h->flags |= CH_SENSITIVE;
	if (!consent || (h->flags & CH_SENSITIVE))
		h->flags |= CH_WITHHELD;
	if (!h->updated_ms)
		h->updated_ms = h->submitted_ms;
	dp_category_name(dp, c->f[F_CAT], c->f[F_CNAME], s_fsize[F_CNAME]);
	dp_building_name(dp, c->f[F_BLD], c->f[F_BNAME], s_fsize[F_BNAME]);
}

/* Fold and mark dirty: written by cases_flush at commit. */
static int s_save(struct dp *dp, struct ccase *c)
{
	s_fold(dp, c);
	if (strlen(c->f[F_CAT]) > 64 || strlen(c->f[F_BLD]) > 64 ||
	    strlen(c->f[F_HANDLER]) > 64)
		return QF_ERR_INVAL;
	c->dirty = 1;
	return QF_OK;
}

/* ------------------------------------------------------------ notes */

/* A live note's data written as json_pack + json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER) would write it, without building JSON values. */
struct jw {
	struct qf_buf b;
	int n;
};

static void jw_key(struct jw *w, const char *k)
{
	qf_buf_putc(&w->b, w->n++ ? ',' : '{');
	qf_buf_putc(&w->b, '"');
	qf_buf_puts(&w->b, k);
	qf_buf_puts(&w->b, "\":");
}

static void jw_str(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	crec_json_str(&w->b, v, strlen(v));
}

static void jw_int(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	cases_rec_int(&w->b, v);
}

static void jw_bool(struct jw *w, const char *k, int v)
{
	jw_key(w, k);
	qf_buf_puts(&w->b, v ? "true" : "false");
}

static int jw_note(struct jw *w, struct dp *dp, struct qf_txn *t, const char *kind,
		   int64_t at, const char *day)
{
	if (!w->n)
		qf_buf_putc(&w->b, '{');
	qf_buf_putc(&w->b, '}');
	int rc = qf_buf_ok(&w->b) ? live_note_text(dp, t, kind, at, day, w->b.p, w->b.len)
				  : QF_ERR_NOMEM;
	qf_buf_free(&w->b);
	return rc;
}

/* ------------------------------------------------------------ writing */

/* The first `chars` characters of valid UTF-8 text (n bytes), on one
 * line, with an ellipsis when cut. out: size >= 16 bytes. */
void cases_rec_excerpt(const char *d, size_t dn, char *out, size_t size, size_t chars)
{
	size_t tl = 0, k = 0;
	while (tl < dn && d[tl] && k < chars && tl < size - 8) {
		unsigned char c = (unsigned char)d[tl];
		size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if (tl + cl >= size - 8)
			break;
		for (size_t q = 0; q < cl && tl < dn && d[tl]; q++, tl++)
			out[tl] = (d[tl] == '\n' || d[tl] == '\t') ? ' ' : d[tl];
		k++;
	}
	out[tl] = '\0';
	if (tl < dn && d[tl])
		strcat(out, "…");
}

static void s_key_ts(uint8_t *k, size_t *kl, const char *prefix, size_t pl, int64_t ts,
		     const char *id)
{
	size_t idl = strlen(id);
	memcpy(k, prefix, pl);
	qf_be64_put(k + pl, (uint64_t)ts);
	memcpy(k + pl + 8, id, idl);
	*kl = pl + 8 + idl;
}

/* The index keys of a head: by_time, by_cat, by_bld, by_state, by_due
 * (length 0: none). */
struct ikeys {
	uint8_t k[5][160];
	size_t kl[5];
};

static void s_ikeys(const char *id, const struct case_head *h, const char *cat,
		    const char *bld, struct ikeys *ik)
{
	char st = (char)h->state;
	s_key_ts(ik->k[0], &ik->kl[0], "", 0, h->submitted_ms, id);
	s_key_ts(ik->k[1], &ik->kl[1], cat, strlen(cat) + 1, h->submitted_ms, id);
	s_key_ts(ik->k[2], &ik->kl[2], bld, strlen(bld) + 1, h->submitted_ms, id);
	s_key_ts(ik->k[3], &ik->kl[3], &st, 1, h->submitted_ms, id);
	/* the next deadline of an open case */
	int64_t due = 0;
	if (case_state_open(h->state)) {
		due = h->resolve_due_ms;
		if (!h->first_response_ms && h->respond_due_ms &&
		    (!due || h->respond_due_ms < due))
			due = h->respond_due_ms;
	}
	ik->kl[4] = 0;
	if (due)
		s_key_ts(ik->k[4], &ik->kl[4], "", 0, due, id);
}

/* Counters of a head, added with sign +1 or -1. */
static int s_counters(struct dp *dp, struct qf_txn *t, const struct case_head *h,
		      const char *cat, const char *bld, int sign)
{
	char p[160];
	int rc;
	dp_cat(p, sizeof p, "c:", cat);
	if ((rc = dp_count_add(dp, t, dp->db.counts, p, sign)))
		return rc;
	dp_cat(p, sizeof p, "b:", bld);
	if ((rc = dp_count_add(dp, t, dp->db.counts, p, sign)))
		return rc;
	snprintf(p, sizeof p, "s:%u", h->state);
	if ((rc = dp_count_add(dp, t, dp->db.counts, p, sign)))
		return rc;
	if ((rc = dp_count_add(dp, t, dp->db.counts, "all", sign)))
		return rc;
	if (case_state_open(h->state) &&
	    (rc = dp_count_add(dp, t, dp->db.counts, "open", sign)))
		return rc;
	if (h->rating && (rc = dp_count_add(dp, t, dp->db.counts, "rated", sign)))
		return rc;
	if (h->rating && h->rating >= dp->conf->satisfied_min &&
	    (rc = dp_count_add(dp, t, dp->db.counts, "satisfied", sign)))
		return rc;
	return QF_OK;
}

/* Write one dirty case: record, changed index keys, counters. */
static int s_flush_case(struct dp *dp, struct qf_txn *t, struct ccase *c,
			struct qf_buf *b)
{
	int rc;
	MDB_dbi ix[5] = {dp->db.by_time, dp->db.by_cat, dp->db.by_bld, dp->db.by_state,
			 dp->db.by_due};
	struct ikeys nk, ok;
	s_ikeys(c->id, &c->h, c->f[F_CAT], c->f[F_BLD], &nk);
	if (c->stored)
		s_ikeys(c->id, &c->h0, c->f0[0], c->f0[1], &ok);
	for (int i = 0; i < 5; i++) {
		int same = c->stored && ok.kl[i] == nk.kl[i] &&
			   !memcmp(ok.k[i], nk.k[i], nk.kl[i]);
		if (same)
			continue;
		if (c->stored && ok.kl[i]) {
			rc = qf_txn_del(t, ix[i], ok.k[i], ok.kl[i]);
			if (rc && rc != QF_ERR_NOTFOUND)
				return rc;
		}
		if (nk.kl[i] && (rc = qf_txn_put(t, ix[i], nk.k[i], nk.kl[i], "", 0, 0)))
			return rc;
	}
	if (c->stored && (rc = s_counters(dp, t, &c->h0, c->f0[0], c->f0[1], -1)))
		return rc;
	if ((rc = s_counters(dp, t, &c->h, c->f[F_CAT], c->f[F_BLD], +1)))
		return rc;
	const char *code = c->f[F_CODE];
	if (*code && dp_id_ok(code) && (!c->stored || strcmp(code, c->f0[2])) &&
	    (rc = qf_txn_put(t, dp->db.by_code, code, strlen(code), c->id, strlen(c->id),
			     0)))
		return rc;
	if (c->names_dirty &&
	    (rc = qf_txn_put(t, dp->db.case_names, c->id, strlen(c->id), c->names,
			     (size_t)c->nnames * QF_MASK_HASH, 0)))
		return rc;
	qf_buf_reset(b);
	s_encode(c, b);
	if (!qf_buf_ok(b))
		return QF_ERR_NOMEM;
	return qf_txn_put(t, dp->db.cases, c->id, strlen(c->id), b->p, b->len, 0);
}

static int s_ccase_cmp(const void *a, const void *b)
{
	return strcmp((*(struct ccase *const *)a)->id, (*(struct ccase *const *)b)->id);
}

int cases_flush(struct dp *dp, struct qf_txn *t)
{
	struct case_cache *cc = dp->ccache;
	if (!cc || !cc->n)
		return QF_OK;
	/* in key order: neighbouring records share pages */
	struct ccase **v = malloc(cc->n * sizeof *v);
	if (!v)
		return QF_ERR_NOMEM;
	unsigned n = 0;
	for (struct ccase *c = cc->all; c; c = c->dnext)
		if (c->dirty)
			v[n++] = c;
	qsort(v, n, sizeof *v, s_ccase_cmp);
	struct qf_buf b;
	qf_buf_init(&b);
	int rc = QF_OK;
	for (unsigned i = 0; i < n && !rc; i++)
		if (!(rc = s_flush_case(dp, t, v[i], &b))) {
			/* written: a second flush (a hook added late) starts from here */
			v[i]->dirty = 0;
			v[i]->names_dirty = 0;
			v[i]->stored = 1;
			v[i]->h0 = v[i]->h;
			s_keep_f0(v[i]);
		}
	qf_buf_free(&b);
	free(v);
	return rc;
}

/* ------------------------------------------------------------ apply */

static int s_case_id(const char *a, const char *b, const char **out)
{
	*out = a && *a ? a : b;
	return dp_id_ok(*out);
}

int cases_apply_petition(struct dp *dp, struct qf_txn *t,
			 const Qingfeng__V1__Envelope *env,
			 const Qingfeng__V1__PetitionSubmitted *p)
{
	const char *id;
	if (!s_case_id(p->case_id, env->case_id, &id)) {
		qf_warn("event_skipped",
			"type=PETITION_SUBMITTED reason=bad_case_id seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	int existed, rc;
	struct ccase *c = s_case_get(dp, t, id, &existed, &rc);
	if (!c)
		return rc;
	if (existed && s_base_true(c, K_PETITION)) {
		qf_warn("event_skipped",
			"type=PETITION_SUBMITTED reason=duplicate case=%s", id);
		return QF_OK;
	}
	char name[64], phone[40];
	qf_mask_name(p->name_masked, p->anonymous, name, sizeof name);
	qf_mask_phone(p->anonymous ? "" : p->phone_masked, phone, sizeof phone);
	int64_t sub = p->submitted_ms ? p->submitted_ms : env->time_ms;
	int sensitive;
	{
		pthread_rwlock_rdlock(&dp->community_lock);
		const struct qf_category *cat =
		    qf_community_category(dp->community, p->category ? p->category : "");
		sensitive = cat && cat->priority && !strcmp(cat->priority, "sensitive");
		pthread_rwlock_unlock(&dp->community_lock);
	}
	/* the petition's members replace the placeholder's */
	struct qf_buf b;
	qf_buf_init(&b);
	crec_str(&b, K_ID, id);
	crec_bool(&b, K_PETITION, 1);
	crec_str(&b, K_NAME, name);
	if (!*name) /* an empty string is still a member of the document */
		crec_nested(&b, K_NAME, CT_STR, "", 0);
	crec_str(&b, K_PHONE, phone);
	if (!*phone)
		crec_nested(&b, K_PHONE, CT_STR, "", 0);
	s_put_id(&b, K_TRACKING_CODE, p->tracking_code);
	s_put_id(&b, K_CATEGORY, p->category);
	s_put_id(&b, K_BUILDING, p->building);
	s_put_id(&b, K_CHANNEL, p->channel);
	crec_bool(&b, K_ANONYMOUS, p->anonymous);
	crec_bool(&b, K_CONSENT_PUBLIC, p->consent_public);
	crec_int(&b, K_SUBMITTED_MS, sub);
	if (sensitive)
		crec_bool(&b, K_SENSITIVE, 1);
	if (!qf_buf_ok(&b)) {
		qf_buf_free(&b);
		return QF_ERR_NOMEM;
	}
	s_cfree(c, c->base);
	if (!(c->base = s_ctake(c, &b, &c->nbase)))
		return QF_ERR_NOMEM;
	struct cmask cm;
	if ((rc = s_mask_begin(dp, t, c, &cm)))
		return rc;
	qf_buf_init(&b);
	qf_buf_add(&b, c->base, c->nbase);
	if ((rc = s_put_masked(&b, K_DESCRIPTION, p->description, &cm.mo)) ||
	    (rc = s_put_masked(&b, K_ADDRESS, p->address, &cm.mo))) {
		qf_buf_free(&b);
		return rc;
	}
	s_media(&b, K_MEDIA, p->media, p->n_media);
	if (p->has_location && dp->conf->location_decimals > 0 && p->lat >= -90 &&
	    p->lat <= 90 && p->lng >= -180 && p->lng <= 180) {
		double scale = 1;
		for (int i = 0; i < dp->conf->location_decimals; i++)
			scale *= 10;
		struct qf_buf l;
		qf_buf_init(&l);
		crec_real(&l, K_LAT, (double)(long long)(p->lat * scale) / scale);
		crec_real(&l, K_LNG, (double)(long long)(p->lng * scale) / scale);
		crec_nested(&b, K_LOCATION, CT_OBJ, l.p, l.len);
		qf_buf_free(&l);
	}
	if (!qf_buf_ok(&b)) {
		qf_buf_free(&b);
		return QF_ERR_NOMEM;
	}
	s_cfree(c, c->base);
	if (!(c->base = s_ctake(c, &b, &c->nbase)))
		return QF_ERR_NOMEM;
	if (existed && (rc = s_remask(c, &cm.mo)))
		return rc;
	if ((rc = s_mask_end(c, &cm)))
		return rc;
	struct centry e;
	s_entry_init(&e, env, '0', ET(PETITION_SUBMITTED), sub);
	qf_buf_init(&b);
	s_put_id(&b, K_CHANNEL, p->channel);
	if (p->entered_by && p->entered_by->staff_id && *p->entered_by->staff_id) {
		struct qf_buf a;
		qf_buf_init(&a);
		s_put_id(&a, K_STAFF_ID, p->entered_by->staff_id);
		rc = s_put_clean(&a, K_NAME, p->entered_by->name, 32);
		crec_nested(&b, K_ENTERED_BY, CT_OBJ, a.p ? a.p : "", a.len);
		qf_buf_free(&a);
		if (rc) {
			qf_buf_free(&b);
			return rc;
		}
	}
	if ((rc = s_entry_take(&e, &b)))
		return rc;
	s_timeline_insert(c, &e, &rc);
	if (rc)
		return rc;
	if ((rc = s_save(dp, c)))
		return rc;
	if (!existed) {
		struct jw w = {0};
		jw_str(&w, "case_id", id);
		jw_str(&w, "tracking_code", c->f[F_CODE]);
		jw_str(&w, "category_name", c->f[F_CNAME]);
		jw_str(&w, "building_name", c->f[F_BNAME]);
		jw_int(&w, "at_ms", sub);
		if (!(c->h.flags & CH_WITHHELD)) {
			struct crec_v d;
			char title[400] = "";
			if (crec_find(c->base, c->nbase, K_DESCRIPTION, &d) &&
			    d.type == CT_STR)
				cases_rec_excerpt(d.s, d.n, title, sizeof title, 60);
			jw_str(&w, "title", title);
		}
		rc = jw_note(&w, dp, t, "case", sub, "new");
	}
	return rc;
}

static const char *s_reject_code(int r)
{
	switch (r) {
	case QINGFENG__V1__REJECT_REASON__REJECT_DUPLICATE:
		return "duplicate";
	case QINGFENG__V1__REJECT_REASON__REJECT_NOT_OUR_RESPONSIBILITY:
		return "not_ours";
	case QINGFENG__V1__REJECT_REASON__REJECT_SPAM:
		return "spam";
	default:
		return "";
	}
}

static int s_actor(struct qf_buf *e, const Qingfeng__V1__Actor *a)
{
	if (!a)
		return QF_OK;
	struct qf_buf o;
	qf_buf_init(&o);
	int rc = QF_OK;
	const char *role = a->role ? a->role : "";
	if (!strcmp(role, "petitioner")) {
		crec_str(&o, K_NAME, "诉求人");
	} else if (!strcmp(role, "system") ||
		   (!*role && !(a->staff_id && *a->staff_id))) {
		crec_str(&o, K_NAME, "系统");
	} else {
		s_put_id(&o, K_STAFF_ID, a->staff_id);
		rc = s_put_clean(&o, K_NAME, a->name, 32);
	}
	if (dp_id_ok(role))
		crec_str(&o, K_ROLE, role);
	crec_nested(e, K_ACTOR, CT_OBJ, o.p ? o.p : "", o.len);
	qf_buf_free(&o);
	return rc;
}

int cases_apply_transition(struct dp *dp, struct qf_txn *t,
			   const Qingfeng__V1__Envelope *env,
			   const Qingfeng__V1__CaseTransition *ct)
{
	const char *type = qf_event_type_name(env->type);
	const char *id;
	if (!type || !s_case_id(ct->case_id, env->case_id, &id)) {
		qf_warn("event_skipped", "type=%s reason=bad_case_id seq=%llu",
			type ? type : "?", (unsigned long long)env->seq);
		return QF_OK;
	}
	/* a petitioner's supplement (router input `supplement`) is no step of
	   the community's: neither on the board's timeline nor its first
	   response. Known by its actor, or, where the public part withholds
	   the actor (a sensitive case), by a progress that keeps a state no
	   staff note keeps */
	if (env->type == ET(CASE_PROGRESS) &&
	    ((ct->actor && ct->actor->role && !strcmp(ct->actor->role, "petitioner")) ||
	     (ct->from_state > 0 && ct->from_state == ct->to_state &&
	      ct->from_state != QINGFENG__V1__CASE_STATE__STATE_IN_PROGRESS)))
		return QF_OK;
	int existed, rc;
	struct ccase *c = s_case_get(dp, t, id, &existed, &rc);
	if (!c)
		return rc;
	struct case_head before = existed ? c->h : (struct case_head){0};
	struct cmask cm;
	if ((rc = s_mask_begin(dp, t, c, &cm)))
		return rc;
	int sensitive = (ct->priority && !strcmp(ct->priority, "sensitive")) ||
			s_base_true(c, K_SENSITIVE);
	int64_t at = ct->at_ms ? ct->at_ms : env->time_ms;
	struct centry e;
	s_entry_init(&e, env, '1', env->type, at);
	struct qf_buf b;
	qf_buf_init(&b);
	if (ct->from_state > 0 && ct->from_state < (int)CASE_NSTATES)
		crec_small(&b, K_FROM, CT_STATE, (uint64_t)ct->from_state);
	if (ct->to_state > 0 && ct->to_state < (int)CASE_NSTATES)
		crec_small(&b, K_TO, CT_STATE, (uint64_t)ct->to_state);
	if ((rc = s_actor(&b, ct->actor)) ||
	    (rc = s_put_clean(&b, K_ASSIGNEE_NAME, ct->assignee_name, 32)) ||
	    (rc = s_put_clean(&b, K_ASSIGNEE_POST, ct->assignee_post, 64))) {
		qf_buf_free(&b);
		return rc;
	}
	s_put_id(&b, K_ASSIGNEE, ct->assignee);
	s_put_id(&b, K_PREVIOUS_ASSIGNEE, ct->previous_assignee);
	s_put_id(&b, K_OWNER, ct->owner);
	s_put_id(&b, K_CATEGORY, ct->category);
	s_put_id(&b, K_BUILDING, ct->building);
	s_put_id(&b, K_TRACKING_CODE, ct->tracking_code);
	s_put_id(&b, K_PRIORITY, ct->priority);
	if (sensitive) {
		crec_bool(&b, K_WITHHELD, 1);
	} else if ((rc = s_put_masked(&b, K_REASON, ct->reason, &cm.mo)) ||
		   (rc = s_put_masked(&b, K_CAUSE, ct->cause, &cm.mo)) ||
		   (rc = s_put_masked(&b, K_PROGRESS, ct->progress, &cm.mo)) ||
		   (rc = s_put_masked(&b, K_RESULT, ct->result, &cm.mo)) ||
		   (rc = s_put_masked(&b, K_COMMENT, ct->comment, &cm.mo))) {
		qf_buf_free(&b);
		return rc;
	}
	crec_str(&b, K_REJECT_REASON, s_reject_code(ct->reject_reason));
	s_put_id(&b, K_RELATED_CASE, ct->related_case);
	if (ct->respond_due_ms > 0)
		crec_int(&b, K_RESPOND_DUE_MS, ct->respond_due_ms);
	if (ct->resolve_due_ms > 0)
		crec_int(&b, K_RESOLVE_DUE_MS, ct->resolve_due_ms);
	if (ct->submitted_ms > 0)
		crec_int(&b, K_SUBMITTED_MS, ct->submitted_ms);
	if (ct->transfer_count)
		crec_int(&b, K_TRANSFER_COUNT, ct->transfer_count);
	if (env->type == ET(CASE_RATED) && ct->rating >= 1 && ct->rating <= 5)
		crec_int(&b, K_RATING, ct->rating);
	if (ct->closed_without_feedback)
		crec_bool(&b, K_CLOSED_WITHOUT_FEEDBACK, 1);
	if (ct->extension_hours)
		crec_int(&b, K_EXTENSION_HOURS, ct->extension_hours);
	if (env->type == ET(EXTENSION_DECIDED))
		crec_bool(&b, K_EXTENSION_APPROVED, ct->extension_approved);
	s_put_id(&b, K_ESCALATION_ROLE, ct->escalation_role);
	if (ct->n_media && !sensitive)
		s_media(&b, K_MEDIA, ct->media, ct->n_media);
	if ((rc = s_entry_take(&e, &b)))
		return rc;
	if (s_timeline_insert(c, &e, &rc))
		return rc;
	if ((rc = s_mask_end(c, &cm)) || (rc = s_save(dp, c)))
		return rc;
	if (c->h.state != before.state) {
		struct jw w = {0};
		jw_str(&w, "case_id", id);
		jw_str(&w, "tracking_code", c->f[F_CODE]);
		jw_str(&w, "type", type);
		jw_str(&w, "label", case_event_label(type));
		jw_str(&w, "state_name", case_state_label(c->h.state));
		jw_int(&w, "at_ms", at);
		jw_str(&w, "handler_name", c->f[F_HNAME]);
		rc = jw_note(&w, dp, t, "state", at,
			     env->type == ET(CASE_RESOLVED) ? "resolved" : NULL);
	}
	return rc;
}

/* Add a non-transition entry (warning, repeat link) to a case or a
 * placeholder; a duplicate is not added. */
static int s_add_entry(struct dp *dp, struct qf_txn *t, const char *id, struct centry *e)
{
	int existed, rc;
	struct ccase *c = s_case_get(dp, t, id, &existed, &rc);
	if (!c) {
		s_entry_free(e);
		return rc;
	}
	if (!s_timeline_insert(c, e, &rc))
		rc = s_save(dp, c);
	return rc;
}

int cases_apply_warning(struct dp *dp, struct qf_txn *t,
			const Qingfeng__V1__Envelope *env,
			const Qingfeng__V1__DeadlineWarning *w)
{
	const char *id;
	if (!s_case_id(w->case_id, env->case_id, &id)) {
		qf_warn("event_skipped",
			"type=DEADLINE_WARNING reason=bad_case_id seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	int64_t at = w->at_ms ? w->at_ms : env->time_ms;
	const char *kind =
	    w->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESPOND   ? "respond"
	    : w->kind == QINGFENG__V1__DEADLINE_KIND__DEADLINE_RESOLVE ? "resolve"
								       : "";
	struct centry e;
	s_entry_init(&e, env, '1', ET(DEADLINE_WARNING), at);
	struct qf_buf b;
	qf_buf_init(&b);
	if (*kind)
		crec_str(&b, K_KIND, kind);
	else
		crec_nested(&b, K_KIND, CT_STR, "", 0);
	crec_int(&b, K_PERMILLE, w->permille);
	crec_bool(&b, K_BREACHED, w->breached);
	crec_int(&b, K_REMINDER, w->reminder);
	if (w->due_ms > 0)
		crec_int(&b, K_DUE_MS, w->due_ms);
	s_put_id(&b, K_ASSIGNEE, w->assignee);
	s_put_id(&b, K_ESCALATED_TO, w->escalated_to);
	s_put_id(&b, K_CATEGORY, w->category);
	s_put_id(&b, K_BUILDING, w->building);
	int rc = s_entry_take(&e, &b);
	if (rc || (rc = s_add_entry(dp, t, id, &e)))
		return rc;
	char an[128] = "", bn[128] = "";
	dp_staff_name(dp, w->assignee ? w->assignee : "", an, sizeof an);
	dp_building_name(dp, w->building ? w->building : "", bn, sizeof bn);
	const char *code = w->tracking_code ? w->tracking_code : "";
	if (!dp_utf8_ok(code, strlen(code)))
		return QF_OK; /* what json_pack refused: no note */
	struct jw j = {0};
	jw_str(&j, "case_id", id);
	jw_str(&j, "tracking_code", code);
	jw_str(&j, "kind", kind);
	jw_int(&j, "permille", (int)w->permille);
	jw_bool(&j, "breached", w->breached);
	jw_str(&j, "assignee_name", an);
	jw_str(&j, "building_name", bn);
	jw_int(&j, "at_ms", at);
	return jw_note(&j, dp, t, w->breached ? "breach" : "warning", at,
		       w->breached ? "breach" : "warn");
}

int cases_apply_repeat(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__RepeatLinked *r)
{
	const char *id;
	if (!s_case_id(r->case_id, env->case_id, &id)) {
		qf_warn("event_skipped", "type=REPEAT_LINKED reason=bad_case_id seq=%llu",
			(unsigned long long)env->seq);
		return QF_OK;
	}
	struct centry e;
	s_entry_init(&e, env, '1', ET(REPEAT_LINKED), r->at_ms ? r->at_ms : env->time_ms);
	struct qf_buf b;
	qf_buf_init(&b);
	s_put_id(&b, K_RELATED_CASE, r->earlier_case_id);
	crec_int(&b, K_REPEAT_COUNT, r->repeat_count);
	int rc = s_entry_take(&e, &b);
	return rc ? rc : s_add_entry(dp, t, id, &e);
}
