/* qf_bus_cons.c: the exactly-once consumer: SUB and DEALER per source,
 * epochs and their incarnations, gaps fetched from the producer's replay
 * server, and each batch applied with its checkpoint in one transaction
 * (qf_bus.h; the store layout is described in qf_bus.c). */
#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_metrics.h"
#include "qf_vault.h"
#include "qingfeng/v1/bus.pb-c.h"

#include <sodium.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RETIRED 32
#define FETCH_RESEND_MS 2000
#define STATUS_RESEND_MS 2000

struct stream {
	uint64_t applied;  /* committed */
	uint64_t papplied; /* including the batch being built */
	uint64_t seen;     /* highest seq heard of */
	int64_t fetch_sent; /* mono ms of the outstanding fetch, 0: none */
	uint8_t dirty;
	uint8_t placed;     /* from_end: start position decided */
	uint8_t truncated;  /* history needed is gone: reported once */
	struct qf_metric *m_lag; /* per-stream lag gauge, made when first seen */
	struct qf_metric *m_stall; /* seconds the lag has not shrunk */
	uint64_t lag_prev;  /* lag at the previous tick */
	int64_t lag_since;  /* mono ms the lag last shrank (or became > 0); 0: no lag */
};

struct source {
	void *sub, *dealer;
	int *accepts;         /* granted event types (copy), naccepts 0: all */
	unsigned naccepts;
	char producer[64];    /* learned from the first message */
	uint64_t epoch;       /* current epoch followed (0: none yet) */
	uint64_t retired[MAX_RETIRED];
	unsigned nretired;
	int epoch_dirty;      /* epoch record to write in the next txn */
	uint32_t parts;       /* producer's partition count, 0 unknown */
	int64_t status_sent;  /* mono ms; 0: not sent */
	int64_t last_heard;   /* mono ms of the last message from it; 0: never */
	struct qf_metric *m_heard; /* seconds since last heard (gauge) */
	int status_ok;
	struct stream st[QF_BUS_MAX_PARTITIONS];
};

struct item {
	unsigned src;
	Qingfeng__V1__Envelope *env;
	const uint8_t *raw;
	size_t len;
	const uint8_t *pp;  /* PrivatePart encoding (commitment checked), or NULL */
	size_t pp_len;
};

struct holder {
	int is_msg;
	zmq_msg_t msg;
	int has_priv;
	zmq_msg_t priv;     /* the third PUB frame */
	Qingfeng__V1__ReplayReply *rep;
};

struct qf_bus_consumer {
	struct qf_bus_consumer_opts o;
	char name[64];
	struct qf_store *store;
	struct qf_clock *clock;
	MDB_dbi ckpt, epochs;
	struct source *src;
	unsigned nsrc;
	struct item *items;
	unsigned nitems, capitems;
	struct holder **holders; /* each malloc'd: zmq_msg_t must not move */
	unsigned nholders, capholders;
	uint64_t applied, dups, gaps, incarnations, dropped_foreign;
	uint64_t bad_private; /* private parts whose commitment did not check */
	uint64_t ungranted;   /* events of a type their source is not granted */
	uint64_t request_id;
	int64_t retry_after; /* mono ms: back off after a failed apply */
	struct qf_metric *m_applied, *m_dups, *m_gaps, *m_inc, *m_bad_private, *m_ungranted;
	struct qf_metrics *metrics; /* registry of the per-stream gauges */
};

static int s_take(const struct qf_bus_consumer *c, uint32_t part)
{
	return c->o.part_mod <= 1 || part % c->o.part_mod == c->o.part_rem;
}

static void s_ckpt_key(uint8_t *k, size_t *klen, const char *prod, uint64_t epoch,
		       uint32_t part)
{
	size_t nl = strlen(prod);
	memcpy(k, prod, nl);
	k[nl] = 0;
	qf_be64_put(k + nl + 1, epoch);
	qf_be32_put(k + nl + 9, part);
	*klen = nl + 13;
}

struct learn {
	struct qf_bus_consumer *c;
	struct source *s;
	uint64_t epoch; /* load checkpoints of this epoch */
	int load_epoch_record;
};

/* Read the epoch record of s->producer and the checkpoints of `epoch`. */
static int s_learn_read(struct qf_txn *t, void *arg)
{
	struct learn *l = arg;
	struct source *s = l->s;
	MDB_val v;
	if (l->load_epoch_record) {
		if (qf_txn_get(t, l->c->epochs, s->producer, strlen(s->producer), &v) ==
			    QF_OK &&
		    v.mv_size >= 8 && v.mv_size % 8 == 0) {
			s->epoch = qf_be64_get(v.mv_data);
			s->nretired = 0;
			for (size_t i = 8; i < v.mv_size && s->nretired < MAX_RETIRED; i += 8)
				s->retired[s->nretired++] =
					qf_be64_get((uint8_t *)v.mv_data + i);
		} else {
			s->epoch = 0;
		}
		l->epoch = s->epoch;
	}
	for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++) {
		struct stream *st = &s->st[p];
		st->applied = st->papplied = 0;
		st->dirty = 0;
		st->fetch_sent = 0;
	}
	if (!l->epoch)
		return QF_OK;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), l->c->ckpt, &cur))
		return QF_ERR_STORE;
	uint8_t k[96];
	size_t kl;
	s_ckpt_key(k, &kl, s->producer, l->epoch, 0);
	MDB_val key = {kl - 4, k}, val;
	int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size == kl && memcmp(key.mv_data, k, kl - 4) == 0) {
		uint32_t p = qf_be32_get((uint8_t *)key.mv_data + kl - 4);
		if (p < QF_BUS_MAX_PARTITIONS && val.mv_size == 8) {
			s->st[p].applied = s->st[p].papplied = qf_be64_get(val.mv_data);
			if (s->st[p].seen < s->st[p].applied)
				s->st[p].seen = s->st[p].applied;
		}
		rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return QF_OK;
}

static int s_connect(void *sock, const char *ep, char *err, size_t n)
{
	if (zmq_connect(sock, ep) != 0) {
		snprintf(err, n, "cannot connect %s: %s", ep, zmq_strerror(zmq_errno()));
		return QF_ERR_BUS;
	}
	return QF_OK;
}

int qf_bus_consumer_new(struct qf_bus_consumer **out, void *zctx,
			struct qf_store *s, struct qf_clock *clock,
			const struct qf_bus_consumer_opts *o, char *err, size_t n)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		n = sizeof dummy;
	}
	err[0] = '\0';
	if (!o->apply || !o->nsources) {
		snprintf(err, n, "consumer needs an apply function and sources");
		return QF_ERR_INVAL;
	}
	struct qf_bus_consumer *c = calloc(1, sizeof *c);
	if (!c)
		return QF_ERR_NOMEM;
	c->o = *o;
	snprintf(c->name, sizeof c->name, "%s", o->name ? o->name : "consumer");
	c->o.name = c->name;
	c->o.sources = NULL;
	if (!c->o.fetch_max)
		c->o.fetch_max = 4096;
	if (!c->o.batch_max)
		c->o.batch_max = 4096;
	c->store = s;
	c->clock = clock;
	int rc;
	if ((rc = qf_store_dbi(s, "bus.ckpt", 0, &c->ckpt)) ||
	    (rc = qf_store_dbi(s, "bus.epochs", 0, &c->epochs))) {
		snprintf(err, n, "cannot open consumer databases: %s", qf_strerror(rc));
		free(c);
		return rc;
	}
	c->nsrc = o->nsources;
	c->src = calloc(c->nsrc, sizeof *c->src);
	if (!c->src) {
		free(c);
		return QF_ERR_NOMEM;
	}
	int hwm = o->rcvhwm > 0 ? o->rcvhwm : 10000;
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *sr = &c->src[i];
		struct qf_bus_curve cc = {0};
		if (o->curve) {
			cc = *o->curve;
			cc.server_key = o->sources[i].server_key;
		}
		if (o->sources[i].naccepts) {
			sr->accepts = malloc(o->sources[i].naccepts * sizeof *sr->accepts);
			if (!sr->accepts) {
				rc = QF_ERR_NOMEM;
				goto fail;
			}
			memcpy(sr->accepts, o->sources[i].accepts,
			       o->sources[i].naccepts * sizeof *sr->accepts);
			sr->naccepts = o->sources[i].naccepts;
		}
		sr->sub = zmq_socket(zctx, ZMQ_SUB);
		sr->dealer = zmq_socket(zctx, ZMQ_DEALER);
		rc = QF_ERR_BUS;
		if (!sr->sub || !sr->dealer)
			goto fail;
		qf_bus_sock_common(sr->sub);
		qf_bus_sock_common(sr->dealer);
		zmq_setsockopt(sr->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
		if (o->curve && (qf_bus_curve_apply(sr->sub, &cc, 0) ||
				 qf_bus_curve_apply(sr->dealer, &cc, 0))) {
			snprintf(err, n, "cannot set CURVE keys for source %u", i);
			goto fail;
		}
		if (c->o.part_mod <= 1) {
			zmq_setsockopt(sr->sub, ZMQ_SUBSCRIBE, "E", 1);
			zmq_setsockopt(sr->sub, ZMQ_SUBSCRIBE, "H", 1);
		} else {
			for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++) {
				if (!s_take(c, p))
					continue;
				uint8_t t1[3] = {'E', (uint8_t)(p >> 8), (uint8_t)p};
				uint8_t t2[3] = {'H', (uint8_t)(p >> 8), (uint8_t)p};
				zmq_setsockopt(sr->sub, ZMQ_SUBSCRIBE, t1, 3);
				zmq_setsockopt(sr->sub, ZMQ_SUBSCRIBE, t2, 3);
			}
		}
		if ((rc = s_connect(sr->sub, o->sources[i].pub_endpoint, err, n)) ||
		    (rc = s_connect(sr->dealer, o->sources[i].replay_endpoint, err, n)))
			goto fail;
	}
	*out = c;
	return QF_OK;
fail:
	qf_bus_consumer_destroy(&c);
	return rc;
}

/* Release the most recently pushed holder. */
static void s_pop_holder(struct qf_bus_consumer *c)
{
	struct holder *h = c->holders[--c->nholders];
	if (h->is_msg)
		zmq_msg_close(&h->msg);
	if (h->has_priv)
		zmq_msg_close(&h->priv);
	else if (h->rep)
		qingfeng__v1__replay_reply__free_unpacked(h->rep, NULL);
	free(h);
}

static void s_free_batch(struct qf_bus_consumer *c)
{
	for (unsigned i = 0; i < c->nitems; i++)
		qingfeng__v1__envelope__free_unpacked(c->items[i].env, NULL);
	c->nitems = 0;
	while (c->nholders)
		s_pop_holder(c);
}

void qf_bus_consumer_destroy(struct qf_bus_consumer **cp)
{
	if (!cp || !*cp)
		return;
	struct qf_bus_consumer *c = *cp;
	s_free_batch(c);
	for (unsigned i = 0; i < c->nsrc; i++) {
		if (c->src[i].sub)
			zmq_close(c->src[i].sub);
		if (c->src[i].dealer)
			zmq_close(c->src[i].dealer);
		free(c->src[i].accepts);
	}
	free(c->src);
	free(c->items);
	free(c->holders);
	free(c);
	*cp = NULL;
}

int qf_bus_consumer_pollitems(struct qf_bus_consumer *c, zmq_pollitem_t *items,
			      int max)
{
	int k = 0;
	for (unsigned i = 0; i < c->nsrc && k + 2 <= max; i++) {
		items[k++] = (zmq_pollitem_t){c->src[i].sub, 0, ZMQ_POLLIN, 0};
		items[k++] = (zmq_pollitem_t){c->src[i].dealer, 0, ZMQ_POLLIN, 0};
	}
	return k;
}

static void s_send_request(struct qf_bus_consumer *c, struct source *s,
			   Qingfeng__V1__ReplayOp op, uint32_t part, uint64_t from)
{
	Qingfeng__V1__ReplayRequest r = QINGFENG__V1__REPLAY_REQUEST__INIT;
	r.op = op;
	r.partition = part;
	r.from_seq = from;
	r.max_events = c->o.fetch_max;
	r.request_id = ++c->request_id;
	r.public_only = c->o.public_only != 0;
	uint8_t buf[64];
	size_t len = qingfeng__v1__replay_request__pack(&r, buf);
	zmq_send(s->dealer, buf, len, ZMQ_DONTWAIT);
}

/* from_end: the first time a stream is observed with nothing applied, skip
 * its history: everything up to `upto` counts as applied. */
static void s_place(struct qf_bus_consumer *c, struct stream *st, uint64_t upto)
{
	if (!c->o.from_end || st->placed)
		return;
	st->placed = 1;
	if (st->applied == 0 && st->papplied == 0) {
		st->applied = st->papplied = upto;
		if (st->seen < upto)
			st->seen = upto;
	}
}

static void s_fetch(struct qf_bus_consumer *c, struct source *s, uint32_t part)
{
	struct stream *st = &s->st[part];
	if (st->fetch_sent)
		return;
	st->fetch_sent = qf_mono_ms();
	s_send_request(c, s, QINGFENG__V1__REPLAY_OP__REPLAY_FETCH, part,
		       st->papplied + 1);
}

static int s_granted(const struct source *s, int type)
{
	if (!s->naccepts)
		return 1;
	for (unsigned i = 0; i < s->naccepts; i++)
		if (s->accepts[i] == type)
			return 1;
	return 0;
}

/* Write the pending batch: apply each event, then checkpoints and epoch
 * records, in one transaction. */
static int s_apply_txn(struct qf_txn *t, void *arg)
{
	struct qf_bus_consumer *c = arg;
	for (unsigned i = 0; i < c->nitems; i++) {
		const struct item *it = &c->items[i];
		if (!s_granted(&c->src[it->src], it->env->type)) {
			/* checkpointed like any event, never applied */
			c->ungranted++;
			qf_metric_inc(c->m_ungranted);
			continue;
		}
		struct qf_bus_msg m = {it->env, it->raw, it->len, NULL, 0, NULL, it->pp,
				       it->pp_len};
		if (it->pp)
			qf_bus_private_parse(it->pp, it->pp_len, &m.nonce, &m.priv,
					     &m.priv_len);
		int rc = c->o.apply(c->o.app, t, &m);
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *s = &c->src[i];
		if (!s->producer[0])
			continue;
		if (s->epoch_dirty) {
			uint8_t v[8 * (MAX_RETIRED + 1)];
			qf_be64_put(v, s->epoch);
			for (unsigned r = 0; r < s->nretired; r++)
				qf_be64_put(v + 8 * (r + 1), s->retired[r]);
			int rc = qf_txn_put(t, c->epochs, s->producer, strlen(s->producer),
					    v, 8 * (s->nretired + 1), 0);
			if (rc)
				return rc;
		}
		for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++) {
			struct stream *st = &s->st[p];
			if (!st->dirty)
				continue;
			uint8_t k[96], v[8];
			size_t kl;
			s_ckpt_key(k, &kl, s->producer, s->epoch, p);
			qf_be64_put(v, st->papplied);
			int rc = qf_txn_put(t, c->ckpt, k, kl, v, 8, 0);
			if (rc)
				return rc;
		}
	}
	return QF_OK;
}

static int s_flush(struct qf_bus_consumer *c)
{
	int dirty = c->nitems > 0;
	for (unsigned i = 0; i < c->nsrc && !dirty; i++)
		dirty = c->src[i].epoch_dirty;
	if (!dirty)
		return 0;
	int rc = qf_store_write(c->store, s_apply_txn, c);
	unsigned n = c->nitems;
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *s = &c->src[i];
		if (rc == QF_OK)
			s->epoch_dirty = 0;
		for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++) {
			struct stream *st = &s->st[p];
			if (!st->dirty)
				continue;
			if (rc == QF_OK) {
				st->applied = st->papplied;
			} else {
				/* nothing was applied: heard-of stays, fetch again */
				if (st->seen < st->papplied)
					st->seen = st->papplied;
				st->papplied = st->applied;
				st->fetch_sent = 0;
			}
			st->dirty = 0;
		}
	}
	s_free_batch(c);
	if (rc) {
		c->retry_after = qf_mono_ms() + 200;
		return rc;
	}
	c->applied += n;
	qf_metric_add(c->m_applied, n);
	return (int)n;
}

static int s_is_retired(struct source *s, uint64_t epoch)
{
	for (unsigned i = 0; i < s->nretired; i++)
		if (s->retired[i] == epoch)
			return 1;
	return 0;
}

struct incarnation {
	struct qf_bus_consumer *c;
	struct source *s;
	uint64_t old, neu;
};

static int s_incarnation_txn(struct qf_txn *t, void *arg)
{
	struct incarnation *in = arg;
	struct source *s = in->s;
	if (in->c->o.on_incarnation) {
		int rc = in->c->o.on_incarnation(in->c->o.app, t, s->producer, in->old,
						 in->neu);
		if (rc)
			return rc;
	}
	uint8_t v[8 * (MAX_RETIRED + 1)];
	qf_be64_put(v, in->neu);
	unsigned nr = 0;
	qf_be64_put(v + 8, in->old);
	nr = 1;
	for (unsigned r = 0; r < s->nretired && nr < MAX_RETIRED; r++)
		qf_be64_put(v + 8 * (++nr), s->retired[r]);
	return qf_txn_put(t, in->c->epochs, s->producer, strlen(s->producer), v,
			  8 * (nr + 1), 0);
}

/* Check identity and epoch of a message from source s. Returns 1 to accept,
 * 0 to drop, negative on a store error. */
static int s_check_epoch(struct qf_bus_consumer *c, struct source *s,
			 const char *producer, uint64_t epoch)
{
	if (!s->producer[0]) {
		snprintf(s->producer, sizeof s->producer, "%s", producer);
		struct learn l = {c, s, 0, 1};
		int rc = qf_store_read(c->store, s_learn_read, &l);
		if (rc) {
			s->producer[0] = '\0';
			return rc;
		}
	}
	if (strcmp(s->producer, producer) != 0) {
		c->dropped_foreign++;
		return 0;
	}
	if (s->epoch == epoch)
		return 1;
	if (s->epoch == 0) {
		s->epoch = epoch;
		s->epoch_dirty = 1;
		return 1;
	}
	if (s_is_retired(s, epoch))
		return 0;
	/* a new incarnation: apply what we have, record it, then follow it */
	int rc = s_flush(c);
	if (rc < 0)
		return rc;
	struct incarnation in = {c, s, s->epoch, epoch};
	rc = qf_store_write(c->store, s_incarnation_txn, &in);
	if (rc)
		return rc;
	if (s->nretired < MAX_RETIRED)
		memmove(s->retired + 1, s->retired, s->nretired * 8), s->nretired++;
	else
		memmove(s->retired + 1, s->retired, (MAX_RETIRED - 1) * 8);
	s->retired[0] = in.old;
	s->epoch = epoch;
	struct learn l = {c, s, epoch, 0};
	for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++)
		s->st[p].seen = 0;
	qf_store_read(c->store, s_learn_read, &l);
	c->incarnations++;
	qf_metric_inc(c->m_inc);
	return 1;
}

/* A private part is taken only when its commitment is the envelope's: a
 * producer bug or a tampered frame leaves the event public-only (counted
 * and logged by the caller's metrics), never unverifiable. */
static int s_private_ok(struct qf_bus_consumer *c, const Qingfeng__V1__Envelope *env,
			const uint8_t *pp, size_t pp_len)
{
	if (!pp || !pp_len || c->o.public_only)
		return 0;
	const uint8_t *nonce, *payload;
	size_t plen;
	uint8_t h[32];
	if (env->private_commitment.len != 32 ||
	    qf_bus_private_parse(pp, pp_len, &nonce, &payload, &plen)) {
		c->bad_private++;
		qf_metric_inc(c->m_bad_private);
		return 0;
	}
	qf_bus_commitment(nonce, payload, plen, h);
	if (sodium_memcmp(h, env->private_commitment.data, 32) != 0) {
		c->bad_private++;
		qf_metric_inc(c->m_bad_private);
		return 0;
	}
	return 1;
}

static int s_push_item(struct qf_bus_consumer *c, unsigned src,
		       Qingfeng__V1__Envelope *env, const uint8_t *raw, size_t len,
		       const uint8_t *pp, size_t pp_len)
{
	if (c->nitems == c->capitems) {
		unsigned nc = c->capitems ? c->capitems * 2 : 256;
		struct item *ni = realloc(c->items, nc * sizeof *ni);
		if (!ni)
			return QF_ERR_NOMEM;
		c->items = ni;
		c->capitems = nc;
	}
	if (!s_private_ok(c, env, pp, pp_len)) {
		pp = NULL;
		pp_len = 0;
	}
	c->items[c->nitems++] = (struct item){src, env, raw, len, pp, pp_len};
	return QF_OK;
}

static struct holder *s_push_holder(struct qf_bus_consumer *c)
{
	if (c->nholders == c->capholders) {
		unsigned nc = c->capholders ? c->capholders * 2 : 256;
		struct holder **nh = realloc(c->holders, nc * sizeof *nh);
		if (!nh)
			return NULL;
		c->holders = nh;
		c->capholders = nc;
	}
	struct holder *h = calloc(1, sizeof *h);
	if (h)
		c->holders[c->nholders++] = h;
	return h;
}

/* Consider one event: returns 1 if it joined the batch (the caller must keep
 * its bytes alive), 0 if dropped (env freed here), negative on error. */
static int s_offer(struct qf_bus_consumer *c, unsigned si, Qingfeng__V1__Envelope *env,
		   const uint8_t *raw, size_t len, const uint8_t *pp, size_t pp_len)
{
	struct source *s = &c->src[si];
	int ok = s_check_epoch(c, s, env->producer, env->epoch);
	if (ok <= 0 || !s_take(c, env->partition)) {
		qingfeng__v1__envelope__free_unpacked(env, NULL);
		return ok < 0 ? ok : 0;
	}
	struct stream *st = &s->st[env->partition];
	s_place(c, st, env->seq - 1);
	if (env->seq > st->seen)
		st->seen = env->seq;
	if (env->seq <= st->papplied) {
		c->dups++;
		qf_metric_inc(c->m_dups);
		qingfeng__v1__envelope__free_unpacked(env, NULL);
		return 0;
	}
	if (env->seq != st->papplied + 1) {
		if (!st->fetch_sent) {
			c->gaps++;
			qf_metric_inc(c->m_gaps);
			if (c->o.on_gap)
				c->o.on_gap(c->o.app, s->producer, env->partition,
					    st->papplied, env->seq);
			s_fetch(c, s, env->partition);
		}
		qingfeng__v1__envelope__free_unpacked(env, NULL);
		return 0;
	}
	int rc = s_push_item(c, si, env, raw, len, pp, pp_len);
	if (rc) {
		qingfeng__v1__envelope__free_unpacked(env, NULL);
		return rc;
	}
	st->papplied = env->seq;
	st->dirty = 1;
	return 1;
}

/* Receive and drop whatever frames follow the message part m. */
static void s_drain(void *sock, zmq_msg_t *m)
{
	int more = zmq_msg_more(m);
	while (more) {
		zmq_msg_t extra;
		zmq_msg_init(&extra);
		if (zmq_msg_recv(&extra, sock, 0) < 0) {
			zmq_msg_close(&extra);
			return;
		}
		more = zmq_msg_more(&extra);
		zmq_msg_close(&extra);
	}
}

static int s_recv_sub(struct qf_bus_consumer *c, unsigned si)
{
	struct source *s = &c->src[si];
	zmq_msg_t topic, body;
	zmq_msg_init(&topic);
	if (zmq_msg_recv(&topic, s->sub, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&topic);
		return 0;
	}
	char kind = zmq_msg_size(&topic) >= 1 ? *(char *)zmq_msg_data(&topic) : 0;
	int more = zmq_msg_more(&topic);
	zmq_msg_close(&topic);
	if (!more)
		return 1;
	zmq_msg_init(&body);
	if (zmq_msg_recv(&body, s->sub, 0) < 0) {
		zmq_msg_close(&body);
		return 1;
	}
	const uint8_t *d = zmq_msg_data(&body);
	size_t len = zmq_msg_size(&body);
	int more_body = zmq_msg_more(&body);
	int rc = 1;
	s->last_heard = qf_mono_ms();
	if (kind == QF_BUS_TOPIC_EVENT) {
		Qingfeng__V1__Envelope *env = qf_bus_decode(d, len);
		/* identity and epoch first: an incarnation flushes the batch */
		int ok = env ? s_check_epoch(c, s, env->producer, env->epoch) : 0;
		if (ok <= 0) {
			if (env)
				qingfeng__v1__envelope__free_unpacked(env, NULL);
			s_drain(s->sub, &body);
			zmq_msg_close(&body);
			return ok < 0 ? ok : 1;
		}
		struct holder *h = s_push_holder(c);
		if (!h) {
			qingfeng__v1__envelope__free_unpacked(env, NULL);
			zmq_msg_close(&body);
			return QF_ERR_NOMEM;
		}
		h->is_msg = 1;
		zmq_msg_init(&h->msg);
		zmq_msg_move(&h->msg, &body);
		zmq_msg_close(&body);
		const uint8_t *pp = NULL;
		size_t pp_len = 0;
		if (more_body) {
			zmq_msg_init(&h->priv);
			h->has_priv = 1;
			if (zmq_msg_recv(&h->priv, s->sub, 0) >= 0 && !c->o.public_only) {
				pp = zmq_msg_data(&h->priv);
				pp_len = zmq_msg_size(&h->priv);
			}
			s_drain(s->sub, &h->priv);
		}
		int kept = s_offer(c, si, env, zmq_msg_data(&h->msg), zmq_msg_size(&h->msg),
				   pp, pp_len);
		if (kept <= 0)
			s_pop_holder(c);
		return kept < 0 ? kept : 1;
	}
	if (kind == QF_BUS_TOPIC_HEARTBEAT) {
		Qingfeng__V1__Heartbeat *hb = qingfeng__v1__heartbeat__unpack(NULL, len, d);
		if (hb && hb->producer && hb->producer[0] && strlen(hb->producer) < 64 &&
		    hb->partition < QF_BUS_MAX_PARTITIONS) {
			int ok = s_check_epoch(c, s, hb->producer, hb->epoch);
			if (ok < 0)
				rc = ok;
			if (ok > 0 && s_take(c, hb->partition)) {
				s->parts = hb->partitions;
				struct stream *st = &s->st[hb->partition];
				s_place(c, st, hb->high_seq);
				if (hb->high_seq > st->seen)
					st->seen = hb->high_seq;
				if (st->seen > st->papplied)
					s_fetch(c, s, hb->partition);
			}
		}
		if (hb)
			qingfeng__v1__heartbeat__free_unpacked(hb, NULL);
	}
	s_drain(s->sub, &body);
	zmq_msg_close(&body);
	return rc;
}

static int s_recv_dealer(struct qf_bus_consumer *c, unsigned si)
{
	struct source *s = &c->src[si];
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, s->dealer, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return 0;
	}
	Qingfeng__V1__ReplayReply *rep =
		qingfeng__v1__replay_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
	zmq_msg_close(&m);
	s->last_heard = qf_mono_ms();
	if (!rep)
		return 1;
	if (!rep->producer || !rep->producer[0] || strlen(rep->producer) >= 64) {
		qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
		return 1;
	}
	int ok = s_check_epoch(c, s, rep->producer, rep->epoch);
	if (ok <= 0) {
		qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
		return ok < 0 ? ok : 1;
	}
	s->parts = rep->partitions;
	if (rep->n_partition_high > 0) { /* STATUS */
		s->status_ok = 1;
		for (uint32_t p = 0; p < rep->n_partition_high && p < QF_BUS_MAX_PARTITIONS; p++) {
			if (!s_take(c, p))
				continue;
			struct stream *st = &s->st[p];
			s_place(c, st, rep->partition_high[p]);
			if (rep->partition_high[p] > st->seen)
				st->seen = rep->partition_high[p];
			if (st->seen > st->papplied)
				s_fetch(c, s, p);
		}
		qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
		return 1;
	}
	uint32_t part = rep->partition;
	if (part >= QF_BUS_MAX_PARTITIONS || !s_take(c, part)) {
		qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
		return 1;
	}
	struct stream *st = &s->st[part];
	st->fetch_sent = 0;
	if (rep->status == QINGFENG__V1__REPLAY_STATUS__REPLAY_TRUNCATED) {
		/* history we need is gone (outbox retention too short): a gap that
		   cannot heal. Report it once, then ask again only once a minute
		   (the fetch counts as outstanding until then). */
		if (!st->truncated && c->o.on_gap)
			c->o.on_gap(c->o.app, s->producer, part, st->papplied, rep->low_seq);
		st->truncated = 1;
		st->fetch_sent = qf_mono_ms() + 60000 - FETCH_RESEND_MS;
		qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
		return 1;
	}
	st->truncated = 0;
	if (rep->high_seq > st->seen)
		st->seen = rep->high_seq;
	struct holder *h = s_push_holder(c);
	if (!h) {
		qingfeng__v1__replay_reply__free_unpacked(rep, NULL);
		return QF_ERR_NOMEM;
	}
	h->rep = rep;
	int kept = 0;
	for (size_t i = 0; i < rep->n_events; i++) {
		Qingfeng__V1__Envelope *env =
			qf_bus_decode(rep->events[i].data, rep->events[i].len);
		if (!env || env->partition != part || env->epoch != s->epoch ||
		    strcmp(env->producer, s->producer) != 0) {
			if (env)
				qingfeng__v1__envelope__free_unpacked(env, NULL);
			continue;
		}
		const uint8_t *pp = i < rep->n_privates && rep->privates[i].len
					    ? rep->privates[i].data
					    : NULL;
		size_t pp_len = pp ? rep->privates[i].len : 0;
		int rc = s_offer(c, si, env, rep->events[i].data, rep->events[i].len, pp,
				 pp_len);
		if (rc < 0)
			return rc;
		kept += rc;
	}
	if (!kept)
		s_pop_holder(c);
	/* next page, unless the batch must be written first */
	if (st->seen > st->papplied && st->papplied < rep->high_seq)
		s_fetch(c, s, part);
	return 1;
}

int qf_bus_consumer_process(struct qf_bus_consumer *c)
{
	if (c->retry_after && qf_mono_ms() < c->retry_after)
		return 0;
	c->retry_after = 0;
	int total = 0;
	for (int round = 0; round < 64; round++) {
		int got = 0;
		for (unsigned i = 0; i < c->nsrc && c->nitems < c->o.batch_max; i++) {
			for (int k = 0; k < 1024 && c->nitems < c->o.batch_max; k++) {
				int r = s_recv_dealer(c, i);
				if (r < 0)
					return r;
				if (r == 0)
					break;
				got++;
			}
			for (int k = 0; k < 4096 && c->nitems < c->o.batch_max; k++) {
				int r = s_recv_sub(c, i);
				if (r < 0)
					return r;
				if (r == 0)
					break;
				got++;
			}
		}
		int rc = s_flush(c);
		if (rc < 0)
			return rc;
		total += rc;
		if (!got)
			break;
	}
	return total;
}

/* Lag per stream (events heard of, not yet applied), how long that lag has
 * not shrunk (0 without lag: an alert on it needs no PromQL arithmetic; a
 * consumer catching up, however slowly, keeps it near 0), and how long ago
 * each source was last heard from (heartbeats come every second: a growing
 * age means a dead producer or a cut link). Gauges are looked up once per
 * stream, then updated with an atomic store on every tick. */
static void s_stream_metrics(struct qf_bus_consumer *c, int64_t now)
{
	char l[256];
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *s = &c->src[i];
		if (!s->producer[0])
			continue;
		if (!s->m_heard) {
			snprintf(l, sizeof l, "consumer=\"%s\",producer=\"%s\"", c->name,
				 s->producer);
			s->m_heard = qf_metrics_gauge(c->metrics,
						      "qf_bus_source_last_heard_seconds",
						      "Seconds since the source was last heard from",
						      l);
		}
		qf_metric_set(s->m_heard,
			      s->last_heard ? (double)(now - s->last_heard) / 1000 : -1);
		for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++) {
			struct stream *st = &s->st[p];
			if (!st->seen && !st->applied)
				continue;
			if (!st->m_lag) {
				snprintf(l, sizeof l,
					 "consumer=\"%s\",producer=\"%s\",partition=\"%u\"",
					 c->name, s->producer, p);
				st->m_lag = qf_metrics_gauge(c->metrics, "qf_bus_replay_lag_events",
							     "Events heard of but not yet "
							     "applied, per stream",
							     l);
			}
			uint64_t lag = st->seen > st->applied ? st->seen - st->applied : 0;
			qf_metric_set(st->m_lag, (double)lag);
			if (!st->m_stall) {
				snprintf(l, sizeof l,
					 "consumer=\"%s\",producer=\"%s\",partition=\"%u\"",
					 c->name, s->producer, p);
				st->m_stall = qf_metrics_gauge(
				    c->metrics, "qf_bus_replay_lag_stalled_seconds",
				    "Seconds since the stream's lag last shrank (0: no lag)", l);
			}
			if (!lag)
				st->lag_since = 0;
			else if (!st->lag_since || lag < st->lag_prev)
				st->lag_since = now;
			st->lag_prev = lag;
			qf_metric_set(st->m_stall,
				      st->lag_since ? (double)(now - st->lag_since) / 1000 : 0);
		}
	}
}

int qf_bus_consumer_tick(struct qf_bus_consumer *c)
{
	int64_t now = qf_mono_ms();
	int next = 1000;
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *s = &c->src[i];
		if (!s->status_ok) {
			if (!s->status_sent || now - s->status_sent >= STATUS_RESEND_MS) {
				s->status_sent = now;
				s_send_request(c, s, QINGFENG__V1__REPLAY_OP__REPLAY_STATUS, 0, 0);
			}
			next = 200;
		}
		if (!s->producer[0])
			continue;
		for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++) {
			struct stream *st = &s->st[p];
			if (st->fetch_sent && now - st->fetch_sent >= FETCH_RESEND_MS) {
				st->fetch_sent = 0;
				s_fetch(c, s, p);
			} else if (!st->fetch_sent && st->seen > st->papplied) {
				s_fetch(c, s, p);
			}
		}
	}
	if (c->metrics)
		s_stream_metrics(c, now);
	return next;
}

unsigned qf_bus_consumer_streams(struct qf_bus_consumer *c,
				 struct qf_bus_stream_state *out, unsigned max)
{
	unsigned k = 0;
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *s = &c->src[i];
		if (!s->producer[0])
			continue;
		for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS && k < max; p++) {
			struct stream *st = &s->st[p];
			if (!st->applied && !st->seen)
				continue;
			snprintf(out[k].producer, sizeof out[k].producer, "%s", s->producer);
			out[k].epoch = s->epoch;
			out[k].partition = p;
			out[k].applied = st->applied;
			out[k].seen = st->seen;
			k++;
		}
	}
	return k;
}

void qf_bus_consumer_counts(struct qf_bus_consumer *c, uint64_t *applied,
			    uint64_t *dups, uint64_t *gaps, uint64_t *incarnations)
{
	if (applied)
		*applied = c->applied;
	if (dups)
		*dups = c->dups;
	if (gaps)
		*gaps = c->gaps;
	if (incarnations)
		*incarnations = c->incarnations;
}

int qf_bus_consumer_caught_up(struct qf_bus_consumer *c)
{
	for (unsigned i = 0; i < c->nsrc; i++) {
		struct source *s = &c->src[i];
		if (!s->status_ok)
			return 0;
		for (uint32_t p = 0; p < QF_BUS_MAX_PARTITIONS; p++)
			if (s->st[p].seen > s->st[p].applied)
				return 0;
	}
	return 1;
}

void qf_bus_consumer_metrics(struct qf_bus_consumer *c, struct qf_metrics *m)
{
	char l[128];
	snprintf(l, sizeof l, "consumer=\"%s\"", c->name);
	c->m_applied = qf_metrics_counter(m, "qf_bus_events_applied_total",
					  "Events applied exactly once", l);
	c->m_dups = qf_metrics_counter(m, "qf_bus_duplicates_total",
				       "Duplicate events skipped", l);
	c->m_gaps = qf_metrics_counter(m, "qf_bus_gaps_total",
				       "Sequence gaps seen (healed by replay)", l);
	c->m_inc = qf_metrics_counter(m, "qf_bus_incarnations_total",
				      "Producers seen with a new epoch", l);
	c->m_bad_private = qf_metrics_counter(
		m, "qf_bus_private_rejected_total",
		"Private parts dropped because their commitment did not check", l);
	c->m_ungranted = qf_metrics_counter(
		m, "qf_bus_ungranted_total",
		"Events not applied: their type is not granted to their source", l);
	c->metrics = m;
}
