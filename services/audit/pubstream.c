/* pubstream.c: the public event stream. Every leaf the log commits is
 * published, in log order, on a PUB socket anyone may subscribe to, with no
 * key: frames [topic "L"][leaf index, 8 bytes big-endian][envelope bytes]
 * (the leaf exactly, a qingfeng.v1.Envelope, public parts only).
 *
 * Design decision: it is published from what is committed, not from what a
 * transaction appends. The core loop's tick compares the log's committed
 * size with the next index to publish and sends the difference from a read
 * transaction, so every append path (consumed events, PRIVATE_READ) is
 * covered, nothing uncommitted is ever sent, and an aborted transaction
 * needs no undo. The stream is live only: it starts at the size the log has
 * when the service starts, and a subscriber that misses leaves (PUB drops
 * above the high-water mark, or it was not connected) reads them from
 * GET /v1/leaves/<index>, which is the same bytes. Never CURVE: everything
 * on it is public, and dashboards must not need a key.
 */
#include "audit.h"
#include "qf_err.h"
#include "qf_log.h"

#include <string.h>

#define PUB_BATCH 4096

int audit_pub_open(struct audit *a)
{
	const char *ep = a->conf->public_pub;
	if (!ep || !ep[0])
		return QF_OK;
	void *s = zmq_socket(qf_svc_zctx(a->svc), ZMQ_PUB);
	if (!s)
		return QF_ERR_BUS;
	int linger = 0, hwm = a->conf->public_sndhwm;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (zmq_bind(s, ep)) {
		qf_error("public_stream_failed", "endpoint=%s error=\"%s\"", ep,
			 zmq_strerror(zmq_errno()));
		zmq_close(s);
		return QF_ERR_BUS;
	}
	a->pub_sock = s;
	a->pub_next = qf_merkle_log_committed(a->log);
	qf_info("public_stream", "endpoint=%s from=%llu", ep,
		(unsigned long long)a->pub_next);
	return QF_OK;
}

void audit_pub_close(struct audit *a)
{
	if (a->pub_sock)
		zmq_close(a->pub_sock);
	a->pub_sock = NULL;
}

struct pub_batch {
	struct audit *a;
	uint64_t from, to;
	uint64_t sent;
};

static int s_send(struct qf_txn *t, void *arg)
{
	struct pub_batch *b = arg;
	struct audit *a = b->a;
	for (uint64_t i = b->from; i < b->to; i++) {
		const uint8_t *d;
		size_t l;
		int rc = qf_merkle_log_leaf(a->log, t, i, &d, &l);
		if (rc)
			return rc;
		uint8_t idx[8];
		qf_be64_put(idx, i);
		/* a full queue drops (ZMQ_DONTWAIT): subscribers fill gaps by index */
		if (zmq_send(a->pub_sock, "L", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 1) {
			zmq_send(a->pub_sock, idx, 8, ZMQ_SNDMORE | ZMQ_DONTWAIT);
			zmq_send(a->pub_sock, d, l, ZMQ_DONTWAIT);
		}
		b->sent++;
	}
	return QF_OK;
}

int audit_pub_tick(struct audit *a)
{
	if (!a->pub_sock)
		return 1000;
	uint64_t committed = qf_merkle_log_committed(a->log);
	if (a->pub_next >= committed)
		return 1000;
	struct pub_batch b = {a, a->pub_next, committed, 0};
	if (b.to - b.from > PUB_BATCH)
		b.to = b.from + PUB_BATCH;
	int rc = qf_store_read(a->store, s_send, &b);
	if (rc) {
		qf_error("public_stream_failed", "from=%llu error=\"%s\"",
			 (unsigned long long)b.from, qf_strerror(rc));
		return 1000;
	}
	a->pub_next = b.to;
	qf_metric_add(a->m_published, (double)b.sent);
	return a->pub_next < committed ? 0 : 1000;
}
