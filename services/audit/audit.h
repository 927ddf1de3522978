/* audit.h: the audit service: a transparency log of the public part of
 * every event of every producer (RFC 9162 Merkle tree, C2SP signed
 * checkpoints and tiles), the private parts kept apart from it, sealed and
 * deletable, plus irregularity alerts.
 *
 * Ownership: main.c owns the struct audit and its configuration; the core
 * thread of qf_svc owns every write (ingest, rules, checkpoints, retention)
 * and the public stream's socket; HTTP threads only read the store (short
 * read transactions) and submit the writes they have (POST /v1/checkpoint,
 * a private read and its PRIVATE_READ event) to group commit.
 *
 * Modules: ingest.c (one leaf per event, stream, case and event indexes),
 * private.c (private parts: sealed store and retention), private_read.c
 * (reading a private part, which logs the read, and who may read),
 * rules.c (case tracking and alerts), checkpoint.c (keys, signing, the
 * schedule), pubstream.c (the public event stream), api.c (HTTP: tiles and
 * JSON), receipt.c (the receipt page), summary.c (one-line Chinese
 * summaries).
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdint.h>

#include "qf_merkle.h"
#include "qf_metrics.h"
#include "qf_note.h"
#include "qf_policy.h"
#include "qf_svc.h"

#define AUDIT_MAX_GAPS	  256
#define AUDIT_MAX_ROLES	  8
#define AUDIT_MAX_PARTIES 8
/* The log format: leaves are public parts with a commitment to the private
 * part (format 2); format 1 logs held whole events (docs/OPERATIONS.md,
 * "Migrating the audit log"). */
#define AUDIT_LOG_FORMAT "2"

struct qf_vault;
struct qf_community;
struct qf_tokens;
struct qf_staff;

struct audit_conf {
	struct qf_svc_conf svc;
	char *origin;	       /* checkpoint.origin ("": the key's name) */
	char *key_file;	       /* checkpoint.key_file ("": development key) */
	int64_t every_entries; /* checkpoint.every_entries */
	int every_seconds;     /* checkpoint.every_seconds */
	int max_transfers;     /* alerts.max_transfers */
	char *view_roles;      /* alerts.contact_view_roles (comma-separated) */
	int view_grace_s;      /* alerts.contact_view_grace_s */
	int view_max_wait_s;   /* alerts.contact_view_max_wait_s */
	int skew_ms;	       /* alerts.clock_skew_ms */
	int gap_alert_s;       /* alerts.gap_alert_s */
	char *public_pub;      /* public.pub ("": no public stream) */
	int public_sndhwm;     /* public.sndhwm */
	char *tokens_file;     /* access.tokens_file ("": no private reads) */
};

/* A stream that knows of events it has not applied (rules.c). */
struct audit_gap {
	char producer[64];
	uint32_t partition;
	uint64_t have, seen; /* applied and heard of */
	int64_t since_ms;    /* monotonic: since when `have` has not moved */
	int alerted;
};

/* An alert waiting for its transaction to commit before it is logged. */
struct audit_alert_log {
	int kind;
	char case_id[64], staff[64], producer[64];
	uint64_t leaf;
};

struct audit {
	struct audit_conf *conf;
	struct qf_svc *svc;
	struct qf_store *store;
	struct qf_bus_producer *prod;
	struct qf_clock *clock;
	struct qf_merkle_log *log;
	MDB_dbi ckpts;	   /* size(be64) -> at_ms(be64) note */
	MDB_dbi cases;	   /* case_id NUL index(be64) -> "" */
	MDB_dbi casestate; /* case_id -> struct case_state (rules.c) */
	MDB_dbi streams;   /* producer NUL epoch(be64) partition(be32) -> 4 x be64 */
	MDB_dbi alerts;	   /* number(be64) -> AuditAlert bytes */
	MDB_dbi alerted;   /* kind(u8) case NUL ref -> "" (raised once) */
	MDB_dbi pending;   /* leaf(be64) -> pending contact view (rules.c) */
	MDB_dbi meta;	   /* "origin" -> text, "format" -> AUDIT_LOG_FORMAT */
	MDB_dbi privates;  /* leaf(be64) -> PrivatePart sealed for its subject */
	MDB_dbi events;	   /* event id -> leaf(be64) */

	/* private parts (private.c) */
	struct qf_vault *vault; /* the store's (qf_svc_vault), or own_vault */
	int own_vault;
	char reads_key[32];		/* partition key of PRIVATE_READ: a partition of
					   its own, every event of which is logged */
	struct qf_community *community; /* staff and roles, for private reads */
	struct qf_tokens *tokens;	/* NULL: private reads are off */

	/* the public event stream (pubstream.c, core thread) */
	void *pub_sock;
	uint64_t pub_next; /* the next leaf to publish */

	/* checkpoint signing (core thread) */
	struct qf_note_signer signer;
	struct qf_note_verifier verifier;
	char origin[QF_NOTE_MAX_NAME + 1];
	char *vkey;	    /* verifier key text */
	int dev_key;	    /* made in the data folder */
	uint64_t ckpt_size; /* last signed (committed) */
	uint8_t ckpt_root[32];
	int have_ckpt;
	uint64_t pend_size; /* signed in the open transaction */
	uint8_t pend_root[32];
	int64_t ckpt_mono; /* when the last one was signed */

	/* rules */
	char *roles[AUDIT_MAX_ROLES]; /* may view any contact */
	unsigned nroles;
	struct audit_gap gaps[AUDIT_MAX_GAPS];
	unsigned ngaps;
	struct audit_alert_log *logq; /* alerts of the open transaction */
	unsigned nlogq, caplogq;
	int64_t next_pending_check;
	struct qf_bus_stream_state *streams_buf; /* for gap healing checks */

	/* metrics */
	struct qf_metric *m_leaves, *m_bytes, *m_ckpts, *m_alerts[8], *m_proofs;
	struct qf_metric *m_published, *m_reads, *m_forgotten;
};

/* ------------------------------------------------------------ ingest.c */
/* Open the databases and the Merkle log. */
int audit_ingest_open(struct audit *a);
/* Append one event as a leaf inside t: the envelope bytes m->raw exactly,
 * its stream, case and event indexes, and its private part (when m has
 * one) sealed apart (private.c). *leaf gets the index. Rules and retention
 * are the caller's (audit_apply). */
int audit_leaf_add(struct audit *a, struct qf_txn *t, const struct qf_bus_msg *m,
		   uint64_t *leaf);
/* qf_svc consumer callbacks. */
int audit_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m);
int audit_on_incarnation(void *app, struct qf_txn *t, const char *producer,
			 uint64_t old_epoch, uint64_t new_epoch);
void audit_on_gap(void *app, const char *producer, uint32_t partition, uint64_t have,
		  uint64_t seen);

/* ------------------------------------------------------------ private.c */
/* Open audit.private and audit.events, the vault (a->vault if set, else
 * the store's own), choose the PRIVATE_READ partition key; load staff
 * tokens when access.tokens_file is set. Logs and returns an error. */
int audit_private_open(struct audit *a);
void audit_private_close(struct audit *a);
/* --check-config: the tokens and community files load, bus.partitions
 * leaves PRIVATE_READ a partition of its own. */
int audit_private_check(struct audit_conf *c, struct qf_cfg_errors *errs);
/* The vault subject of an event: its case id, "visit:<id>" for a visit
 * record (the id is public), else "-". Writes at most n bytes into buf;
 * returns buf. */
const char *audit_subject(const Qingfeng__V1__Envelope *env, char *buf, size_t n);
/* Keep the private part of leaf `leaf` (a PrivatePart encoding) sealed for
 * its subject, bound to the leaf index. Nothing is kept when the subject
 * was forgotten. */
int audit_private_keep(struct audit *a, struct qf_txn *t,
		       const Qingfeng__V1__Envelope *env, const uint8_t *part,
		       size_t part_len, uint64_t leaf);
/* PRIVATE_EXPIRED: forget the subject's key inside t (every private part
 * kept for it becomes unreadable; the log is unchanged). */
int audit_private_expired(struct audit *a, struct qf_txn *t,
			  const Qingfeng__V1__Envelope *env);
/* ------------------------------------------------------------ private_read.c */
/* HTTP: GET /v1/leaves/:index/private, GET /v1/events/:id */
void audit_h_private(struct qf_http_req *r, void *ctx);
void audit_h_event(struct qf_http_req *r, void *ctx);

/* ------------------------------------------------------------ pubstream.c */
/* Bind the public stream (public.pub; nothing when empty), never CURVE. */
int audit_pub_open(struct audit *a);
void audit_pub_close(struct audit *a);
/* Publish every leaf committed since the last call (core thread). Returns
 * ms until it wants to run again (0: more to send). */
int audit_pub_tick(struct audit *a);

/* ------------------------------------------------------------ receipt.c */
/* HTTP: GET /receipt (the page), GET /static/receipt.js, /static/receipt.css */
void audit_h_receipt(struct qf_http_req *r, void *ctx);
void audit_h_receipt_js(struct qf_http_req *r, void *ctx);
void audit_h_receipt_css(struct qf_http_req *r, void *ctx);

/* ------------------------------------------------------------ rules.c */
int audit_rules_open(struct audit *a);
void audit_rules_close(struct audit *a);
/* Apply the alert rules to one event appended as leaf `leaf`. */
int audit_rules_apply(struct audit *a, struct qf_txn *t,
		      const Qingfeng__V1__Envelope *env, const uint8_t *priv,
		      size_t priv_len, uint64_t leaf);
/* Raise an alert inside t: AUDIT_ALERT event, stored for /v1/alerts, logged
 * after commit. `once`, when non-NULL, makes it happen once per (kind, case,
 * once). */
int audit_alert(struct audit *a, struct qf_txn *t, int kind, const char *case_id,
		const char *staff, const char *producer, uint64_t leaf, const char *once,
		const char *detail);
/* Timers: unhealed gaps, pending contact views. Returns ms to next. */
int audit_rules_tick(struct audit *a);
/* What the access policy (qf_policy.h) asks of a case, as audit's rules
 * know it: who it concerns, its parties, its current handler (zeroed but
 * for the id when audit knows nothing of it; `sensitive` is the caller's). */
int audit_case_facts(struct audit *a, struct qf_txn *t, const char *case_id,
		     struct qf_case_facts *out);
/* The access gate's callbacks (qf_access.h): the community and tokens
 * loaded for private reads and checkpoint.sign; audit's routes name no case. */
void audit_access(struct audit *a, struct qf_access *out);
/* Retention: forget what the rules kept of a case (who it concerns, its
 * parties and handlers). */
int audit_case_forget(struct audit *a, struct qf_txn *t, const char *case_id);
/* Alert kind name ("closed_without_feedback") for JSON and logs. */
const char *audit_alert_kind_name(int kind);
int audit_alert_kind_parse(const char *name);

/* ------------------------------------------------------------ checkpoint.c */
/* Load or make the signing key; returns 0 or an error (logged). */
int audit_keys_load(struct audit *a);
/* Check checkpoint settings for --check-config. */
int audit_keys_check(struct audit_conf *c, struct qf_cfg_errors *errs);
/* Load the last checkpoint; sign the first one if there is none. */
int audit_ckpt_open(struct audit *a);
/* Sign a checkpoint of the log's current size inside t if it grew since the
 * last one. *signed_size gets the checkpoint's size; returns 0 or an error
 * (QF_ERR_CONFLICT: refused, it would not be consistent). */
int audit_ckpt_sign(struct audit *a, struct qf_txn *t, int *made);
/* Called for every leaf appended in t: signs at the end of t when
 * checkpoint.every_entries entries are new. */
int audit_ckpt_after_append(struct audit *a, struct qf_txn *t);
/* Timer: sign when due. Returns ms until the next check. */
int audit_ckpt_tick(struct audit *a);

/* ------------------------------------------------------------ api.c */
extern const struct qf_http_route audit_routes[];
extern const size_t audit_nroutes;
int audit_ready(void *ctx);

/* ------------------------------------------------------------ summary.c */
/* One line of Chinese describing an event (malloc'd), for case histories. */
char *audit_summary(const Qingfeng__V1__Envelope *env);

#endif
