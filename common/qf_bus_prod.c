/* qf_bus_prod.c: the producer: the outbox written in the caller's
 * transaction, PUB after commit, heartbeats, and the replay server that
 * answers consumers' fetches from the outbox (qf_bus.h; the store layout is
 * described in qf_bus.c). */
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

struct pending {
	uint32_t part;
	uint64_t seq;
	uint8_t *buf;     /* envelope */
	size_t len;
	uint8_t *priv;    /* PrivatePart encoding, or NULL */
	size_t priv_len;
};

struct qf_bus_producer {
	char name[64];
	uint32_t parts;
	uint64_t epoch;
	void *pub, *router;
	struct qf_store *store;
	struct qf_clock *clock;
	struct qf_vault *vault;
	MDB_dbi meta, outbox, heads;
	uint64_t *high, *low;   /* committed */
	uint64_t *phigh, *plow; /* inside the current transaction */
	uint8_t *dirty;
	struct pending *pend;
	size_t npend, cappend;
	uint64_t retain;
	int heartbeat_ms;
	int64_t next_hb;
	unsigned replay_max_events, replay_max_bytes;
	uint8_t id_prefix[8]; /* event id = random prefix || counter */
	uint64_t id_counter;
	struct qf_metric *m_emitted, *m_published, *m_replay_req, *m_replay_ev;
};

static void s_key_outbox(uint8_t k[12], uint32_t part, uint64_t seq)
{
	qf_be32_put(k, part);
	qf_be64_put(k + 4, seq);
}

struct prod_open {
	struct qf_bus_producer *p;
	char *err;
	size_t n;
};

static int s_prod_load(struct qf_txn *t, void *arg)
{
	struct prod_open *po = arg;
	struct qf_bus_producer *p = po->p;
	MDB_val v;
	int rc = qf_txn_get(t, p->meta, "epoch", 5, &v);
	if (rc == QF_ERR_NOTFOUND) {
		uint64_t e = 0;
		while (e == 0)
			qf_id_random(&e, sizeof e);
		uint8_t b[8], pb[4];
		qf_be64_put(b, e);
		qf_be32_put(pb, p->parts);
		if ((rc = qf_txn_put(t, p->meta, "epoch", 5, b, 8, 0)) ||
		    (rc = qf_txn_put(t, p->meta, "name", 4, p->name, strlen(p->name), 0)) ||
		    (rc = qf_txn_put(t, p->meta, "partitions", 10, pb, 4, 0)))
			return rc;
		p->epoch = e;
		for (uint32_t i = 0; i < p->parts; i++) {
			p->high[i] = 0;
			p->low[i] = 1;
		}
		return QF_OK;
	}
	if (rc)
		return rc;
	if (v.mv_size != 8)
		return QF_ERR_STORE;
	p->epoch = qf_be64_get(v.mv_data);
	if (qf_txn_get(t, p->meta, "name", 4, &v) == QF_OK &&
	    (v.mv_size != strlen(p->name) || memcmp(v.mv_data, p->name, v.mv_size))) {
		snprintf(po->err, po->n,
			 "store belongs to producer '%.*s', not '%s' (a store is one producer's)",
			 (int)(v.mv_size > 63 ? 63 : v.mv_size), (char *)v.mv_data, p->name);
		return QF_ERR_CONFLICT;
	}
	if (qf_txn_get(t, p->meta, "partitions", 10, &v) == QF_OK && v.mv_size == 4 &&
	    qf_be32_get(v.mv_data) != p->parts) {
		snprintf(po->err, po->n,
			 "store was made with %u partitions, configuration says %u "
			 "(a case keeps its partition for life: the count cannot change)",
			 qf_be32_get(v.mv_data), p->parts);
		return QF_ERR_CONFLICT;
	}
	for (uint32_t i = 0; i < p->parts; i++) {
		uint8_t k[4];
		qf_be32_put(k, i);
		if (qf_txn_get(t, p->heads, k, 4, &v) == QF_OK && v.mv_size == 16) {
			p->high[i] = qf_be64_get(v.mv_data);
			p->low[i] = qf_be64_get((uint8_t *)v.mv_data + 8);
		} else {
			p->high[i] = 0;
			p->low[i] = 1;
		}
	}
	return QF_OK;
}

static int s_bind(void *sock, const char *ep, char *err, size_t n)
{
	if (zmq_bind(sock, ep) != 0) {
		snprintf(err, n, "cannot bind %s: %s", ep, zmq_strerror(zmq_errno()));
		return QF_ERR_BUS;
	}
	return QF_OK;
}

int qf_bus_producer_new(struct qf_bus_producer **out, void *zctx,
			struct qf_store *s, struct qf_clock *clock,
			const struct qf_bus_producer_opts *o, char *err, size_t n)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		n = sizeof dummy;
	}
	err[0] = '\0';
	if (!o->name || !o->name[0] || strlen(o->name) >= 64) {
		snprintf(err, n, "producer name must be 1..63 bytes");
		return QF_ERR_INVAL;
	}
	uint32_t parts = o->partitions ? o->partitions : 16;
	if (parts > QF_BUS_MAX_PARTITIONS) {
		snprintf(err, n, "at most %d partitions", QF_BUS_MAX_PARTITIONS);
		return QF_ERR_INVAL;
	}
	struct qf_bus_producer *p = calloc(1, sizeof *p);
	if (!p)
		return QF_ERR_NOMEM;
	snprintf(p->name, sizeof p->name, "%s", o->name);
	p->parts = parts;
	p->store = s;
	p->clock = clock;
	p->vault = o->vault;
	p->retain = o->retain;
	p->heartbeat_ms = o->heartbeat_ms > 0 ? o->heartbeat_ms : 1000;
	p->replay_max_events = o->replay_max_events ? o->replay_max_events : 4096;
	p->replay_max_bytes = o->replay_max_bytes ? o->replay_max_bytes : 4u << 20;
	p->high = calloc(parts, 8);
	p->low = calloc(parts, 8);
	p->phigh = calloc(parts, 8);
	p->plow = calloc(parts, 8);
	p->dirty = calloc(parts, 1);
	int rc = QF_ERR_NOMEM;
	if (!p->high || !p->low || !p->phigh || !p->plow || !p->dirty)
		goto fail;
	if ((rc = qf_store_dbi(s, "bus.meta", 0, &p->meta)) ||
	    (rc = qf_store_dbi(s, "bus.outbox", 0, &p->outbox)) ||
	    (rc = qf_store_dbi(s, "bus.heads", 0, &p->heads))) {
		snprintf(err, n, "cannot open bus databases: %s", qf_strerror(rc));
		goto fail;
	}
	struct prod_open po = {p, err, n};
	rc = qf_store_write(s, s_prod_load, &po);
	if (rc) {
		if (!err[0])
			snprintf(err, n, "cannot load producer state: %s", qf_strerror(rc));
		goto fail;
	}
	p->pub = zmq_socket(zctx, ZMQ_PUB);
	p->router = zmq_socket(zctx, ZMQ_ROUTER);
	rc = QF_ERR_BUS;
	if (!p->pub || !p->router)
		goto fail;
	int hwm = o->sndhwm > 0 ? o->sndhwm : 10000;
	qf_bus_sock_common(p->pub);
	qf_bus_sock_common(p->router);
	zmq_setsockopt(p->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (qf_bus_curve_apply(p->pub, o->curve, 1) ||
	    qf_bus_curve_apply(p->router, o->curve, 1)) {
		snprintf(err, n, "cannot set CURVE keys");
		goto fail;
	}
	if ((rc = s_bind(p->pub, o->pub_endpoint, err, n)) ||
	    (rc = s_bind(p->router, o->replay_endpoint, err, n)))
		goto fail;
	p->next_hb = 0;
	qf_id_random(p->id_prefix, sizeof p->id_prefix);
	qf_id_random(&p->id_counter, sizeof p->id_counter);
	*out = p;
	return QF_OK;
fail:
	qf_bus_producer_destroy(&p);
	return rc;
}

void qf_bus_producer_destroy(struct qf_bus_producer **pp)
{
	if (!pp || !*pp)
		return;
	struct qf_bus_producer *p = *pp;
	if (p->pub)
		zmq_close(p->pub);
	if (p->router)
		zmq_close(p->router);
	for (size_t i = 0; i < p->npend; i++) {
		free(p->pend[i].buf);
		free(p->pend[i].priv);
	}
	free(p->pend);
	free(p->high);
	free(p->low);
	free(p->phigh);
	free(p->plow);
	free(p->dirty);
	free(p);
	*pp = NULL;
}

static void s_zfree(void *data, void *hint)
{
	(void)hint;
	free(data);
}

static void s_send_topic(void *sock, char kind, uint32_t part)
{
	uint8_t topic[3] = {(uint8_t)kind, (uint8_t)(part >> 8), (uint8_t)part};
	zmq_send(sock, topic, 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
}

static void s_prod_commit(void *arg, uint64_t data)
{
	(void)data;
	struct qf_bus_producer *p = arg;
	memcpy(p->high, p->phigh, p->parts * 8);
	memcpy(p->low, p->plow, p->parts * 8);
	for (size_t i = 0; i < p->npend; i++) {
		struct pending *e = &p->pend[i];
		zmq_msg_t m, pm;
		s_send_topic(p->pub, QF_BUS_TOPIC_EVENT, e->part);
		if (zmq_msg_init_data(&m, e->buf, e->len, s_zfree, NULL)) {
			free(e->buf);
			free(e->priv);
			continue;
		}
		if (zmq_msg_send(&m, p->pub, ZMQ_DONTWAIT | (e->priv ? ZMQ_SNDMORE : 0)) < 0)
			zmq_msg_close(&m);
		if (!e->priv)
			continue;
		if (zmq_msg_init_data(&pm, e->priv, e->priv_len, s_zfree, NULL)) {
			free(e->priv);
			continue;
		}
		if (zmq_msg_send(&pm, p->pub, ZMQ_DONTWAIT) < 0)
			zmq_msg_close(&pm);
	}
	qf_metric_add(p->m_published, (double)p->npend);
	p->npend = 0;
}

static void s_prod_abort(void *arg, uint64_t data)
{
	(void)data;
	struct qf_bus_producer *p = arg;
	for (size_t i = 0; i < p->npend; i++) {
		free(p->pend[i].buf);
		free(p->pend[i].priv);
	}
	p->npend = 0;
}

/* Once per transaction: write the heads of touched partitions and trim the
 * outbox to the retention limit (bounded work per commit). */
static int s_prod_precommit(struct qf_txn *t, void *arg)
{
	struct qf_bus_producer *p = arg;
	for (uint32_t i = 0; i < p->parts; i++) {
		if (!p->dirty[i])
			continue;
		if (p->retain && p->phigh[i] >= p->plow[i] + p->retain) {
			uint64_t upto = p->phigh[i] - p->retain + 1; /* new low */
			unsigned budget = 4096;
			while (p->plow[i] < upto && budget--) {
				uint8_t k[12];
				s_key_outbox(k, i, p->plow[i]);
				int rc = qf_txn_del(t, p->outbox, k, 12);
				if (rc && rc != QF_ERR_NOTFOUND)
					return rc;
				p->plow[i]++;
			}
		}
		uint8_t k[4], v[16];
		qf_be32_put(k, i);
		qf_be64_put(v, p->phigh[i]);
		qf_be64_put(v + 8, p->plow[i]);
		int rc = qf_txn_put(t, p->heads, k, 4, v, 16, 0);
		if (rc)
			return rc;
	}
	return QF_OK;
}

int qf_bus_emit(struct qf_bus_producer *p, struct qf_txn *t,
		const struct qf_bus_event *ev, uint32_t *partition,
		uint64_t *seq_out, uint8_t *event_id)
{
	int rc;
	if (!qf_txn_has_hook(t, s_prod_commit, p)) {
		/* first emit of this transaction (or of this attempt) */
		memcpy(p->phigh, p->high, p->parts * 8);
		memcpy(p->plow, p->low, p->parts * 8);
		memset(p->dirty, 0, p->parts);
		for (size_t i = 0; i < p->npend; i++) {
			free(p->pend[i].buf);
			free(p->pend[i].priv);
		}
		p->npend = 0;
		if ((rc = qf_txn_on_commit(t, s_prod_commit, p, 0)) ||
		    (rc = qf_txn_on_abort(t, s_prod_abort, p, 0)) ||
		    (rc = qf_txn_before_commit(t, s_prod_precommit, p)))
			return rc;
	}
	const char *key = ev->partition_key ? ev->partition_key : "";
	uint32_t part = qf_partition_of(key, p->parts);
	uint64_t seq = p->phigh[part] + 1;
	/* unique without a syscall per event: 64 random bits per process start
	   plus a counter that starts at a random value */
	uint8_t id[16];
	memcpy(id, p->id_prefix, 8);
	qf_be64_put(id + 8, p->id_counter++);

	Qingfeng__V1__Envelope env = QINGFENG__V1__ENVELOPE__INIT;
	env.schema_version = 1;
	env.producer = p->name;
	env.epoch = p->epoch;
	env.partition = part;
	env.seq = seq;
	env.event_id.data = id;
	env.event_id.len = 16;
	env.case_id = (char *)(ev->case_id ? ev->case_id : "");
	env.correlation_id = (char *)(ev->correlation_id ? ev->correlation_id : "");
	env.time_ms = ev->time_ms ? ev->time_ms : qf_now_ms(p->clock);
	env.type = ev->type;
	env.payload.data = (uint8_t *)ev->payload;
	env.payload.len = ev->payload_len;
	env.partition_key = (char *)key;
	/* the private part: committed to in the envelope, sealed at rest */
	uint8_t nonce[32], commitment[32];
	uint8_t *priv = NULL, *box = NULL;
	size_t priv_len = 0, box_len = 0;
	if (ev->private_len) {
		const char *subject = ev->subject && ev->subject[0] ? ev->subject
				      : ev->case_id && ev->case_id[0] ? ev->case_id
								      : "-";
		if (!p->vault)
			return QF_ERR_INVAL;
		if (ev->nonce)
			memcpy(nonce, ev->nonce, 32);
		else
			randombytes_buf(nonce, sizeof nonce);
		Qingfeng__V1__PrivatePart pp = QINGFENG__V1__PRIVATE_PART__INIT;
		pp.nonce.data = nonce;
		pp.nonce.len = 32;
		pp.payload.data = (uint8_t *)ev->private_payload;
		pp.payload.len = ev->private_len;
		priv_len = qingfeng__v1__private_part__get_packed_size(&pp);
		if (!(priv = malloc(priv_len)))
			return QF_ERR_NOMEM;
		qingfeng__v1__private_part__pack(&pp, priv);
		rc = qf_vault_seal(p->vault, t, subject, id, 16, priv, priv_len, &box,
				   &box_len);
		if (rc == QF_ERR_GONE) { /* retention forgot it: public part only */
			free(priv);
			priv = NULL;
			priv_len = 0;
		} else if (rc) {
			free(priv);
			return rc;
		} else {
			qf_bus_commitment(nonce, ev->private_payload, ev->private_len,
					  commitment);
			env.private_commitment.data = commitment;
			env.private_commitment.len = 32;
		}
	}
	size_t len = qingfeng__v1__envelope__get_packed_size(&env);
	uint8_t *buf = malloc(len ? len : 1);
	size_t rlen = 5 + len + box_len;
	uint8_t *rec = box ? malloc(rlen) : NULL;
	if (!buf || (box && !rec)) {
		free(buf);
		free(rec);
		free(box);
		free(priv);
		return QF_ERR_NOMEM;
	}
	qingfeng__v1__envelope__pack(&env, buf);
	uint8_t k[12];
	s_key_outbox(k, part, seq);
	if (box) {
		rec[0] = 0;
		qf_be32_put(rec + 1, (uint32_t)len);
		memcpy(rec + 5, buf, len);
		memcpy(rec + 5 + len, box, box_len);
		rc = qf_txn_put(t, p->outbox, k, 12, rec, rlen, 0);
		sodium_memzero(rec, rlen);
		free(rec);
		free(box);
	} else {
		rc = qf_txn_put(t, p->outbox, k, 12, buf, len, 0);
	}
	if (rc) {
		free(buf);
		free(priv);
		return rc;
	}
	if (p->npend == p->cappend) {
		size_t nc = p->cappend ? p->cappend * 2 : 64;
		struct pending *np = realloc(p->pend, nc * sizeof *np);
		if (!np) {
			free(buf);
			free(priv);
			return QF_ERR_NOMEM;
		}
		p->pend = np;
		p->cappend = nc;
	}
	p->pend[p->npend++] = (struct pending){part, seq, buf, len, priv, priv_len};
	p->phigh[part] = seq;
	p->dirty[part] = 1;
	qf_metric_inc(p->m_emitted);
	if (partition)
		*partition = part;
	if (seq_out)
		*seq_out = seq;
	if (event_id)
		memcpy(event_id, id, 16);
	return QF_OK;
}

int qf_bus_outbox_get(struct qf_bus_producer *p, struct qf_txn *t,
		      uint32_t partition, uint64_t seq, MDB_val *val)
{
	uint8_t k[12];
	s_key_outbox(k, partition, seq);
	int rc = qf_txn_get(t, p->outbox, k, 12, val);
	if (rc)
		return rc;
	const uint8_t *env, *box;
	size_t el, bl;
	if (qf_bus_record_parse(val->mv_data, val->mv_size, &env, &el, &box, &bl))
		return QF_ERR_PROTO;
	val->mv_data = (void *)env;
	val->mv_size = el;
	return QF_OK;
}

/* Open the sealed private part of a record whose envelope has event id
 * eid (16 bytes, the box's associated data). */
static int s_open_box(struct qf_bus_producer *p, struct qf_txn *t, const uint8_t *env,
		      size_t el, const uint8_t *box, size_t bl, uint8_t **out,
		      size_t *out_len)
{
	if (!box)
		return QF_ERR_NOTFOUND;
	if (!p->vault)
		return QF_ERR_GONE;
	Qingfeng__V1__Envelope *e = qingfeng__v1__envelope__unpack(NULL, el, env);
	if (!e)
		return QF_ERR_PROTO;
	int rc = qf_vault_unseal(p->vault, t, box, bl, e->event_id.data, e->event_id.len,
				 out, out_len);
	qingfeng__v1__envelope__free_unpacked(e, NULL);
	return rc;
}

int qf_bus_outbox_private(struct qf_bus_producer *p, struct qf_txn *t,
			  uint32_t partition, uint64_t seq, uint8_t **out,
			  size_t *out_len)
{
	uint8_t k[12];
	MDB_val v;
	s_key_outbox(k, partition, seq);
	int rc = qf_txn_get(t, p->outbox, k, 12, &v);
	if (rc)
		return rc;
	const uint8_t *env, *box;
	size_t el, bl;
	if (qf_bus_record_parse(v.mv_data, v.mv_size, &env, &el, &box, &bl))
		return QF_ERR_PROTO;
	return s_open_box(p, t, env, el, box, bl, out, out_len);
}

void *qf_bus_producer_replay_socket(struct qf_bus_producer *p)
{
	return p->router;
}

uint64_t qf_bus_producer_epoch(struct qf_bus_producer *p)
{
	return p->epoch;
}

const char *qf_bus_producer_name(struct qf_bus_producer *p)
{
	return p->name;
}

uint32_t qf_bus_producer_partitions(struct qf_bus_producer *p)
{
	return p->parts;
}

uint64_t qf_bus_producer_high(struct qf_bus_producer *p, uint32_t part)
{
	return part < p->parts ? p->high[part] : 0;
}

void qf_bus_producer_metrics(struct qf_bus_producer *p, struct qf_metrics *m)
{
	char l[128];
	snprintf(l, sizeof l, "producer=\"%s\"", p->name);
	p->m_emitted = qf_metrics_counter(m, "qf_bus_events_emitted_total",
					  "Events written to the outbox", l);
	p->m_published = qf_metrics_counter(m, "qf_bus_events_published_total",
					    "Events sent on PUB after commit", l);
	p->m_replay_req = qf_metrics_counter(m, "qf_bus_replay_requests_total",
					     "Replay requests served", l);
	p->m_replay_ev = qf_metrics_counter(m, "qf_bus_replay_events_total",
					    "Events sent by replay", l);
}

struct fetch_ctx {
	struct qf_bus_producer *p;
	Qingfeng__V1__ReplayRequest *req;
	Qingfeng__V1__ReplayReply *rep;
	ProtobufCBinaryData *evs;
	ProtobufCBinaryData *privs; /* opened private parts (malloc'd each) */
	uint64_t *highs;
	uint8_t *packed;
	size_t packed_len;
};

static void s_read_head(struct qf_bus_producer *p, struct qf_txn *t, uint32_t part,
			uint64_t *high, uint64_t *low)
{
	uint8_t k[4];
	MDB_val v;
	qf_be32_put(k, part);
	if (qf_txn_get(t, p->heads, k, 4, &v) == QF_OK && v.mv_size == 16) {
		*high = qf_be64_get(v.mv_data);
		*low = qf_be64_get((uint8_t *)v.mv_data + 8);
	} else {
		*high = 0;
		*low = 1;
	}
}

static int s_pack_reply(struct fetch_ctx *f)
{
	f->packed_len = qingfeng__v1__replay_reply__get_packed_size(f->rep);
	f->packed = malloc(f->packed_len ? f->packed_len : 1);
	if (!f->packed)
		return QF_ERR_NOMEM;
	qingfeng__v1__replay_reply__pack(f->rep, f->packed);
	return QF_OK;
}

/* Runs in a read transaction: collect the page and pack the reply while the
 * event bytes (pointers into the map) are valid. */
static int s_fetch_read(struct qf_txn *t, void *arg)
{
	struct fetch_ctx *f = arg;
	struct qf_bus_producer *p = f->p;
	Qingfeng__V1__ReplayReply *rep = f->rep;
	if (f->req->op == QINGFENG__V1__REPLAY_OP__REPLAY_STATUS) {
		for (uint32_t i = 0; i < p->parts; i++) {
			uint64_t lo;
			s_read_head(p, t, i, &f->highs[i], &lo);
		}
		rep->n_partition_high = p->parts;
		rep->partition_high = f->highs;
		return s_pack_reply(f);
	}
	uint32_t part = f->req->partition;
	uint64_t high, low;
	s_read_head(p, t, part, &high, &low);
	rep->high_seq = high;
	rep->low_seq = low;
	uint64_t from = f->req->from_seq ? f->req->from_seq : 1;
	if (from < low) {
		rep->status = QINGFENG__V1__REPLAY_STATUS__REPLAY_TRUNCATED;
		rep->error = "requested seq is older than the retained outbox";
		return s_pack_reply(f);
	}
	unsigned max = f->req->max_events ? f->req->max_events : p->replay_max_events;
	if (max > p->replay_max_events)
		max = p->replay_max_events;
	size_t max_bytes = f->req->max_bytes && f->req->max_bytes < p->replay_max_bytes
				   ? f->req->max_bytes
				   : p->replay_max_bytes;
	MDB_cursor *cur;
	if (mdb_cursor_open(qf_txn_mdb(t), p->outbox, &cur))
		return QF_ERR_STORE;
	uint8_t k[12];
	s_key_outbox(k, part, from);
	MDB_val key = {12, k}, val;
	size_t bytes = 0;
	unsigned cnt = 0, nprivs = 0;
	int want_priv = !f->req->public_only;
	int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
	while (rc == 0 && cnt < max) {
		if (key.mv_size != 12 || qf_be32_get(key.mv_data) != part)
			break;
		if (cnt > 0 && bytes + val.mv_size > max_bytes)
			break;
		const uint8_t *env, *box;
		size_t el, bl;
		if (qf_bus_record_parse(val.mv_data, val.mv_size, &env, &el, &box, &bl))
			break; /* a damaged record ends the page; the consumer asks again */
		f->evs[cnt].data = (uint8_t *)env;
		f->evs[cnt].len = el;
		f->privs[cnt].data = NULL;
		f->privs[cnt].len = 0;
		if (want_priv && box &&
		    s_open_box(p, t, env, el, box, bl, &f->privs[cnt].data,
			       &f->privs[cnt].len) == QF_OK)
			nprivs = cnt + 1;
		bytes += val.mv_size;
		cnt++;
		rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	rep->n_events = cnt;
	rep->events = f->evs;
	rep->n_privates = nprivs; /* in step with events; trailing empties left out */
	rep->privates = f->privs;
	qf_metric_add(p->m_replay_ev, cnt);
	return s_pack_reply(f);
}

int qf_bus_replay_answer(struct qf_bus_producer *p, const uint8_t *data, size_t len,
			 uint8_t **out, size_t *out_len)
{
	Qingfeng__V1__ReplayReply rep = QINGFENG__V1__REPLAY_REPLY__INIT;
	rep.producer = p->name;
	rep.epoch = p->epoch;
	rep.partitions = p->parts;
	rep.status = QINGFENG__V1__REPLAY_STATUS__REPLAY_OK;
	Qingfeng__V1__ReplayRequest *req =
		qingfeng__v1__replay_request__unpack(NULL, len, data);
	struct fetch_ctx f = {p, req, &rep, NULL, NULL, NULL, NULL, 0};
	if (!req || (req->op != QINGFENG__V1__REPLAY_OP__REPLAY_FETCH &&
		     req->op != QINGFENG__V1__REPLAY_OP__REPLAY_STATUS)) {
		rep.status = QINGFENG__V1__REPLAY_STATUS__REPLAY_BAD_REQUEST;
		rep.error = "malformed replay request";
	} else if (req->op == QINGFENG__V1__REPLAY_OP__REPLAY_FETCH &&
		   req->partition >= p->parts) {
		rep.status = QINGFENG__V1__REPLAY_STATUS__REPLAY_BAD_PARTITION;
		rep.error = "no such partition";
	}
	if (req) {
		rep.request_id = req->request_id;
		rep.partition = req->partition;
	}
	if (rep.status == QINGFENG__V1__REPLAY_STATUS__REPLAY_OK) {
		f.evs = calloc(p->replay_max_events, sizeof *f.evs);
		f.privs = calloc(p->replay_max_events, sizeof *f.privs);
		f.highs = calloc(p->parts, 8);
		if (!f.evs || !f.privs || !f.highs ||
		    qf_store_read(p->store, s_fetch_read, &f)) {
			rep.status = QINGFENG__V1__REPLAY_STATUS__REPLAY_BAD_REQUEST;
			rep.error = "replay read failed";
			rep.n_events = 0;
			rep.n_privates = 0;
			rep.n_partition_high = 0;
			free(f.packed);
			f.packed = NULL;
		}
	}
	int rc = QF_OK;
	if (!f.packed)
		rc = s_pack_reply(&f);
	if (f.privs)
		for (unsigned i = 0; i < p->replay_max_events; i++)
			if (f.privs[i].data) {
				sodium_memzero(f.privs[i].data, f.privs[i].len);
				free(f.privs[i].data);
			}
	free(f.evs);
	free(f.privs);
	free(f.highs);
	if (req)
		qingfeng__v1__replay_request__free_unpacked(req, NULL);
	if (rc)
		return rc;
	qf_metric_inc(p->m_replay_req);
	*out = f.packed;
	*out_len = f.packed_len;
	return QF_OK;
}

static void s_serve_one(struct qf_bus_producer *p, zmq_msg_t *ident,
			const uint8_t *data, size_t len)
{
	uint8_t *packed;
	size_t plen;
	if (qf_bus_replay_answer(p, data, len, &packed, &plen))
		return;
	if (zmq_msg_send(ident, p->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
		zmq_msg_t m;
		if (zmq_msg_init_data(&m, packed, plen, s_zfree, NULL) == 0) {
			packed = NULL;
			if (zmq_msg_send(&m, p->router, ZMQ_DONTWAIT) < 0)
				zmq_msg_close(&m);
		}
	}
	free(packed);
}

int qf_bus_producer_serve(struct qf_bus_producer *p)
{
	int served = 0;
	for (int i = 0; i < 64; i++) {
		zmq_msg_t ident, part;
		zmq_msg_init(&ident);
		if (zmq_msg_recv(&ident, p->router, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&ident);
			break;
		}
		zmq_msg_init(&part);
		int more = zmq_msg_more(&ident);
		int ok = more && zmq_msg_recv(&part, p->router, 0) >= 0;
		/* tolerate a REQ-style empty delimiter */
		if (ok && zmq_msg_size(&part) == 0 && zmq_msg_more(&part)) {
			zmq_msg_close(&part);
			zmq_msg_init(&part);
			ok = zmq_msg_recv(&part, p->router, 0) >= 0;
		}
		/* drain any extra frames */
		while (ok && zmq_msg_more(&part)) {
			zmq_msg_t extra;
			zmq_msg_init(&extra);
			zmq_msg_recv(&extra, p->router, 0);
			int m = zmq_msg_more(&extra);
			zmq_msg_close(&extra);
			if (!m)
				break;
		}
		if (ok)
			s_serve_one(p, &ident, zmq_msg_data(&part), zmq_msg_size(&part));
		zmq_msg_close(&part);
		zmq_msg_close(&ident);
		served++;
	}
	return served;
}

int qf_bus_producer_tick(struct qf_bus_producer *p)
{
	int64_t now = qf_mono_ms();
	if (now < p->next_hb)
		return (int)(p->next_hb - now);
	p->next_hb = now + p->heartbeat_ms;
	int64_t wall = qf_now_ms(p->clock);
	for (uint32_t i = 0; i < p->parts; i++) {
		Qingfeng__V1__Heartbeat hb = QINGFENG__V1__HEARTBEAT__INIT;
		hb.producer = p->name;
		hb.epoch = p->epoch;
		hb.partition = i;
		hb.high_seq = p->high[i];
		hb.low_seq = p->low[i];
		hb.time_ms = wall;
		hb.partitions = p->parts;
		uint8_t buf[256];
		size_t len = qingfeng__v1__heartbeat__pack(&hb, buf);
		s_send_topic(p->pub, QF_BUS_TOPIC_HEARTBEAT, i);
		zmq_send(p->pub, buf, len, ZMQ_DONTWAIT);
	}
	return p->heartbeat_ms;
}

