/* qf_bus.h: the event backbone: partitioned streams that lose nothing.
 *
 * Producer: qf_bus_emit() gives an event the next gapless seq of its
 * partition and writes it to the outbox inside the caller's write
 * transaction; only after that transaction commits is it sent on PUB
 * (frames: topic "E"+partition(2 bytes BE), Envelope bytes, and a third
 * frame with the PrivatePart when the event has one). A heartbeat per
 * partition (topic "H"+partition, Heartbeat) goes out about once a second
 * with the latest seq. A ROUTER socket serves paged replay (ReplayRequest /
 * ReplayReply in bus.proto) from the outbox. The producer's epoch is random
 * at store creation, so a wiped store shows as a new incarnation.
 *
 * Consumer: keeps, per (producer, epoch, partition), the last seq applied,
 * and writes it in the same transaction as the effect (the application's
 * apply callback). Duplicates are skipped, gaps (PUB drops, restarts) are
 * healed by pulling pages over DEALER, a start begins with replay from the
 * checkpoint, and a new epoch of a known producer is reported through
 * on_incarnation (inside the transaction) and followed under its own
 * checkpoints: reported, never merged silently.
 *
 * Private parts (envelope.proto, common/qf_privacy.h): the Envelope is the
 * public part, byte for byte what the audit log keeps; the PrivatePart (the
 * whole payload and a nonce) is committed to by Envelope.private_commitment,
 * travels beside it on PUB and in replay pages, and is kept in the outbox
 * only sealed under its subject's key (common/qf_vault.h), so retention
 * can delete it. A consumer checks the commitment of every private part it
 * receives; one asked to be public_only never receives them.
 *
 * Threading: a producer or consumer belongs to one thread (the service's core
 * loop), which also runs every write transaction of the store.
 */
#ifndef QF_BUS_H
#define QF_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "qf_store.h"
#include "qingfeng/v1/envelope.pb-c.h"

#define QF_BUS_MAX_PARTITIONS 1024
#define QF_BUS_TOPIC_EVENT 'E'
#define QF_BUS_TOPIC_HEARTBEAT 'H'

struct qf_bus_producer;
struct qf_bus_consumer;
struct qf_vault;
struct qf_metrics;
struct qf_clock;

/* Socket security (CURVE). All NULL: plain TCP. Keys are Z85 (40 chars). */
struct qf_bus_curve {
	const char *public_key;
	const char *secret_key;
	const char *server_key; /* client sockets: the peer's public key */
};

struct qf_bus_producer_opts {
	const char *name;          /* producer id in every envelope */
	uint32_t partitions;       /* default 16 */
	const char *pub_endpoint;  /* bind, e.g. tcp://127.0.0.1:5551 */
	const char *replay_endpoint; /* bind */
	int sndhwm;                /* PUB high-water mark (default 10000) */
	uint64_t retain;           /* events kept per partition (0: all) */
	int heartbeat_ms;          /* default 1000 */
	unsigned replay_max_events;  /* cap per page (default 4096) */
	unsigned replay_max_bytes;   /* cap per page (default 4 MiB) */
	const struct qf_bus_curve *curve; /* server keys, or NULL */
	struct qf_vault *vault;    /* seals private parts in the outbox; an
				      event with a private part needs one */
};

/* Create a producer on store s (creates its databases, loads or makes the
 * epoch) and bind its sockets. Returns 0 or an error with text in err. */
int qf_bus_producer_new(struct qf_bus_producer **out, void *zctx,
			struct qf_store *s, struct qf_clock *clock,
			const struct qf_bus_producer_opts *o, char *err, size_t n);
void qf_bus_producer_destroy(struct qf_bus_producer **p);

struct qf_bus_event {
	Qingfeng__V1__EventType type;
	const char *partition_key; /* building, or staff id; NULL: "" */
	const char *case_id;       /* may be NULL */
	const char *correlation_id; /* may be NULL */
	const void *payload;       /* packed payload message */
	size_t payload_len;
	int64_t time_ms;           /* 0: the producer's clock */
	/* The private part: the whole payload message, or NULL/0 when the
	   event has none (then payload is the whole message). */
	const void *private_payload;
	size_t private_len;
	const char *subject;       /* vault subject; NULL: case_id, or "-" */
	const uint8_t *nonce;      /* 32 bytes for the commitment (a receipt
				      handed out before the commit), or NULL:
				      random */
};

/* Append an event to the outbox in transaction t; it is published after t
 * commits. On success fills seq/partition/event_id (16 bytes) if non-NULL.
 * A private part is committed to in the envelope and sealed in the outbox
 * under the subject's key; when that key was forgotten (retention) the
 * event is stored and sent without its private part. */
int qf_bus_emit(struct qf_bus_producer *p, struct qf_txn *t,
		const struct qf_bus_event *ev, uint32_t *partition,
		uint64_t *seq, uint8_t *event_id);
/* Read one stored event's envelope from this producer's outbox inside
 * transaction t (any kind): *val points into the map, valid until t ends.
 * QF_ERR_NOTFOUND if the seq was never written or is no longer retained. */
int qf_bus_outbox_get(struct qf_bus_producer *p, struct qf_txn *t,
		      uint32_t partition, uint64_t seq, MDB_val *val);
/* The PrivatePart encoding of a stored event, opened from its sealed copy:
 * *out is malloc'd (caller frees). QF_ERR_NOTFOUND when the event has no
 * private part, QF_ERR_GONE when retention forgot it. */
int qf_bus_outbox_private(struct qf_bus_producer *p, struct qf_txn *t,
			  uint32_t partition, uint64_t seq, uint8_t **out,
			  size_t *out_len);

/* An outbox record (a value of bus.outbox as any store reader sees it):
 * the envelope and the sealed private part (NULL/0 when none). Records
 * written before private parts existed are a bare envelope. Returns 0 or
 * QF_ERR_PROTO. */
int qf_bus_record_parse(const void *val, size_t len, const uint8_t **env,
			size_t *env_len, const uint8_t **box, size_t *box_len);

/* The ROUTER socket, to poll for ZMQ_POLLIN. */
void *qf_bus_producer_replay_socket(struct qf_bus_producer *p);
/* Serve waiting replay requests (non-blocking); returns the count served. */
int qf_bus_producer_serve(struct qf_bus_producer *p);
/* Answer one replay request (bytes of a ReplayRequest) from the outbox:
 * *out is a malloc'd ReplayReply encoding the caller frees. Never fails on
 * bad input (answers REPLAY_BAD_REQUEST); QF_ERR_NOMEM only. This is what
 * the ROUTER socket serves, exposed for tests and fuzzing. */
int qf_bus_replay_answer(struct qf_bus_producer *p, const uint8_t *req, size_t len,
			 uint8_t **out, size_t *out_len);
/* Send heartbeats if due; returns ms until the next is due. */
int qf_bus_producer_tick(struct qf_bus_producer *p);

uint64_t qf_bus_producer_epoch(struct qf_bus_producer *p);
const char *qf_bus_producer_name(struct qf_bus_producer *p);
uint32_t qf_bus_producer_partitions(struct qf_bus_producer *p);
/* Latest committed seq of a partition. */
uint64_t qf_bus_producer_high(struct qf_bus_producer *p, uint32_t partition);
/* Register metrics (events emitted, replay served) in m. */
void qf_bus_producer_metrics(struct qf_bus_producer *p, struct qf_metrics *m);

/* ------------------------------------------------------------- consumer */

struct qf_bus_source {
	const char *pub_endpoint;    /* connect */
	const char *replay_endpoint; /* connect */
	const char *server_key;      /* CURVE: producer's public key, or NULL */
	/* The event types this source is granted (its stream): an event of
	   another type is counted, logged and never applied, so a producer
	   can only command what it is trusted for (with CURVE, the source is
	   the holder of server_key). naccepts 0: every type. */
	const int *accepts;
	unsigned naccepts;
};

/* An event handed to the application: decoded envelope plus the exact bytes
 * received (for hashing or storing byte for byte), and the private part
 * when there is one and the consumer is not public_only: its commitment
 * was checked. Valid during the call. */
struct qf_bus_msg {
	const Qingfeng__V1__Envelope *env;
	const uint8_t *raw;
	size_t len;
	const uint8_t *priv;     /* the whole payload message, or NULL */
	size_t priv_len;
	const uint8_t *nonce;    /* 32 bytes when priv is set */
	const uint8_t *private_part; /* the PrivatePart encoding, or NULL */
	size_t private_part_len;
};

struct qf_bus_consumer_opts {
	const char *name;            /* for logs and metrics */
	const struct qf_bus_source *sources;
	unsigned nsources;
	uint32_t part_mod, part_rem; /* take partitions p % mod == rem; mod<=1: all */
	int rcvhwm;                  /* SUB receive high-water mark (default 10000) */
	unsigned fetch_max;          /* events per replay page (default 4096) */
	unsigned batch_max;          /* events per transaction (default 4096) */
	const struct qf_bus_curve *curve; /* client keys, or NULL */
	int from_end;                /* a stream never seen starts at its current
					end (live watchers); default: from seq 1 */
	int public_only;             /* never take private parts (public surfaces
					such as the disclosure board) */
	/* Apply one event inside t. Return 0 when applied (or deliberately
	 * ignored); an error aborts the whole batch, which is retried later. */
	int (*apply)(void *app, struct qf_txn *t, const struct qf_bus_msg *m);
	/* A known producer came back with another epoch (its store was wiped or
	 * replaced). Called inside t before any event of the new epoch. */
	int (*on_incarnation)(void *app, struct qf_txn *t, const char *producer,
			      uint64_t old_epoch, uint64_t new_epoch);
	/* A gap was seen (drops or a restart); informational, outside any txn. */
	void (*on_gap)(void *app, const char *producer, uint32_t partition,
		       uint64_t have, uint64_t seen);
	void *app;
};

int qf_bus_consumer_new(struct qf_bus_consumer **out, void *zctx,
			struct qf_store *s, struct qf_clock *clock,
			const struct qf_bus_consumer_opts *o, char *err, size_t n);
void qf_bus_consumer_destroy(struct qf_bus_consumer **c);

/* Fill poll items for the consumer's sockets (at most max); returns count. */
int qf_bus_consumer_pollitems(struct qf_bus_consumer *c, zmq_pollitem_t *items,
			      int max);
/* Receive what is waiting (non-blocking), apply in-order events in one
 * transaction, request replay for gaps. Returns events applied (>= 0) or an
 * error. */
int qf_bus_consumer_process(struct qf_bus_consumer *c);
/* Resend lost replay requests, ask status at start; returns ms to next. */
int qf_bus_consumer_tick(struct qf_bus_consumer *c);

struct qf_bus_stream_state {
	char producer[64];
	uint64_t epoch;
	uint32_t partition;
	uint64_t applied;  /* last seq applied (committed) */
	uint64_t seen;     /* highest seq heard of */
};
/* Snapshot of every stream's position; returns count written (<= max). */
unsigned qf_bus_consumer_streams(struct qf_bus_consumer *c,
				 struct qf_bus_stream_state *out, unsigned max);
/* Events applied so far, duplicates skipped, gaps seen, incarnations. */
void qf_bus_consumer_counts(struct qf_bus_consumer *c, uint64_t *applied,
			    uint64_t *dups, uint64_t *gaps,
			    uint64_t *incarnations);
/* True when every known stream has applied everything it has heard of. */
int qf_bus_consumer_caught_up(struct qf_bus_consumer *c);
void qf_bus_consumer_metrics(struct qf_bus_consumer *c, struct qf_metrics *m);

/* ------------------------------------------------------------- helpers */

/* Decode envelope bytes: returns a protobuf-c object to free with
 * qingfeng__v1__envelope__free_unpacked(e, NULL), or NULL if malformed
 * (also when schema_version is not 1 or required fields are missing). */
Qingfeng__V1__Envelope *qf_bus_decode(const uint8_t *data, size_t len);
/* Read every database of the bus in a store (for qfctl store stat):
 * calls fn for each outbox partition and each consumer checkpoint. */
struct qf_bus_stat_row {
	const char *kind; /* "outbox" or "checkpoint" or "epoch" */
	const char *producer;
	uint64_t epoch;
	uint32_t partition;
	uint64_t low, high; /* outbox: retained range; checkpoint: high=applied */
};
int qf_bus_store_stat(struct qf_store *s,
		      void (*fn)(void *arg, const struct qf_bus_stat_row *r),
		      void *arg);
/* The commitment to a private part: SHA-256 over "qingfeng-private-v1",
 * a zero byte, the 32-byte nonce and the payload. */
void qf_bus_commitment(const uint8_t nonce[32], const uint8_t *payload, size_t len,
		       uint8_t out[32]);
/* Parse a PrivatePart encoding without copying: nonce (32 bytes) and
 * payload point into data. Returns 0 or QF_ERR_PROTO. */
int qf_bus_private_parse(const uint8_t *data, size_t len, const uint8_t **nonce,
			 const uint8_t **payload, size_t *payload_len);
/* Configure CURVE on a socket: server (public+secret) or client
 * (public+secret+server_key). Returns 0 or QF_ERR_BUS. */
int qf_bus_curve_apply(void *sock, const struct qf_bus_curve *c, int server);
/* The options every bus socket gets (no linger), for the producer and the
 * consumer. Returns zmq_setsockopt's result. */
int qf_bus_sock_common(void *sock);

#endif
