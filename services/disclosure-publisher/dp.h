/* dp.h: the disclosure-publisher service: its configuration, its store
 * (databases and key layouts), and the struct every module receives.
 *
 * Ownership: main.c creates one struct dp and passes it everywhere (no
 * globals). The core thread (qf_svc) is the only writer: event apply runs
 * there inside the consumer's transaction. HTTP handlers only read, through
 * short qf_store_read transactions, and the SSE hub (live.h), which has its
 * own lock. The community file is loaded once; `community` is immutable
 * until reload swaps it under `community_lock`.
 */
#ifndef DP_H
#define DP_H

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

#include "qf_community.h"
#include "qf_svc.h"

struct dp_conf {
	struct qf_svc_conf svc;
	char *title;	     /* disclosure.title: site title ("" = community name) */
	char *public_url;    /* disclosure.public_url: absolute base for feeds */
	char *intake_url;    /* disclosure.intake_url: where residents question items */
	char *question_path; /* disclosure.question_path: intake's petition endpoint */
	char *audit_url;     /* disclosure.audit_url: the audit log as we reach it */
	char *audit_public_url; /* disclosure.audit_public_url: as the public does
				   ("": audit_url); use dp_audit_public() */
	int audit_link;		/* disclosure.audit_link: find announcements there */
	int page_size;		/* disclosure.page_size */
	int max_page_size;	/* disclosure.max_page_size */
	int live_keep;		/* disclosure.live_keep: recent live events kept */
	int sse_max_clients;	/* disclosure.sse_max_clients */
	int sse_keepalive_s;	/* disclosure.sse_keepalive_s */
	int location_decimals;	/* disclosure.location_decimals (0: no location) */
	int satisfied_min;	/* disclosure.satisfied_min_rating */
	int feed_entries;	/* disclosure.feed_entries */
	int export_cases;	/* disclosure.export_cases: cases on the static board */
};

/* Databases of the store (all keys are byte strings; be64 = big-endian). */
struct dp_db {
	MDB_dbi cases;	      /* case id -> compact record (cases.c) */
	MDB_dbi case_names;   /* case id -> keyed hashes of names found in its texts */
	MDB_dbi by_time;      /* be64 submitted_ms | case id -> "" */
	MDB_dbi by_cat;	      /* category \0 be64 submitted | case id -> "" */
	MDB_dbi by_bld;	      /* building \0 be64 submitted | case id -> "" */
	MDB_dbi by_state;     /* state byte | be64 submitted | case id -> "" */
	MDB_dbi by_due;	      /* be64 next due | case id -> "" (open cases only) */
	MDB_dbi by_code;      /* tracking code -> case id */
	MDB_dbi counts;	      /* "c:<cat>" "b:<bld>" "s:<n>" "all" ... -> be64 */
	MDB_dbi disc_ver;     /* record id \0 be32 version -> JSON of the version */
	MDB_dbi disc_cur;     /* record id -> JSON {version, kind, group} */
	MDB_dbi disc_group;   /* kind byte | group \0 record id -> "" */
	MDB_dbi disc_time;    /* be64 submitted | record id \0 be32 version -> "" */
	MDB_dbi snap;	      /* kind \0 key \0 be32 version -> JSON snapshot record */
	MDB_dbi snap_cur;     /* kind \0 key -> be32 version | canonical bytes */
	MDB_dbi snap_pending; /* be32 partition | be64 seq -> snap key (leaf unknown) */
	MDB_dbi ckpt;	      /* be64 signed at | be64 size | origin -> JSON checkpoint */
	MDB_dbi alerts;	      /* be64 at | event id -> JSON alert */
	MDB_dbi hotspots;     /* be64 at | event id -> JSON hotspot */
	MDB_dbi quota;	      /* staff \0 duty \0 month -> JSON duty quota */
	MDB_dbi live;	      /* be64 live seq -> JSON live event (ring) */
	MDB_dbi meta;	      /* counters and the live seq */
};

struct sse_hub;
struct stats_cache;
struct auditlink;
struct case_cache;
struct dp_counts;
struct dp;

/* A module above dp.c that keeps state for a transaction: flush writes it
 * just before commit, end (may be NULL) forgets it after commit or abort.
 * The slots fix the order: cached cases (whose flush adds to counters),
 * then the live ring. */
enum dp_txn_slot { DP_TXN_CASES, DP_TXN_LIVE, DP_TXN_NSLOTS };
struct dp_txn_part {
	int (*flush)(struct dp *dp, struct qf_txn *t);
	void (*end)(struct dp *dp);
};

struct dp {
	struct dp_conf *conf;
	struct qf_svc *svc;
	struct qf_store *store;
	struct qf_bus_producer *prod; /* SNAPSHOT_PUBLISHED */
	struct qf_clock *clock;
	struct dp_db db;
	pthread_rwlock_t community_lock;
	struct qf_community *community;
	char *community_path;
	char title[256];
	/* staff office phones (digits) kept by the masker */
	char **allow;
	unsigned nallow;
	struct sse_hub *hub;
	struct auditlink *alink; /* finds announcements in the audit log */
	/* live events produced by the transaction being applied; handed to the
	 * hub on commit, dropped on abort (apply may run twice) */
	struct live_pending *pending;
	/* state of the write transaction being applied (core thread only),
	 * written by dp.c's pre-commit hook (through txn_parts) and dropped on abort: cached
	 * cases, counter deltas, the live seq and the day-counter key */
	struct case_cache *ccache;
	struct dp_counts *pcounts;
	const struct dp_txn_part *txn_parts[DP_TXN_NSLOTS]; /* dp_txn_join */
	int64_t day_lo, day_hi; /* [lo, hi) ms of the day in day_key */
	char day_key[16];	/* "d:YYYYMMDD:" */
	int ready_seen;		/* caught up once: live events go to browsers */
	int counters_dirty;	/* events changed the counters since last sent */
	/* consumer positions, copied by the core thread for /v1/status */
	pthread_mutex_t status_lock;
	char *status_json;
	int64_t status_mono;
	/* read-side caches (cache_lock): the overdue count walks every overdue
	 * case, statistics every case of the period; both may be a second or
	 * a few old on a busy board (cases.h, stats.h) */
	pthread_mutex_t cache_lock;
	int64_t overdue_mono;
	uint64_t overdue_val;
	struct stats_cache *stats_cache;
	int64_t counters_sent_mono, keepalive_mono;
};

/* Open every database (at start, before concurrent use). */
int dp_db_open(struct dp *dp);

/* Community lookups under the read lock, copied into out (n bytes): the
 * display name of a category / building / staff member, or the id itself
 * when unknown. */
void dp_category_name(struct dp *dp, const char *code, char *out, size_t n);
void dp_building_name(struct dp *dp, const char *id, char *out, size_t n);
void dp_staff_name(struct dp *dp, const char *id, char *out, size_t n);
/* Community's UTC offset in minutes. */
int dp_tz(struct dp *dp);

/* be64 counters. Inside a write transaction an addition is kept in memory
 * and written once, at commit (dp_txn_track); reading in the same
 * transaction sees it. A counter at or below zero is deleted. */
int dp_count_add(struct dp *dp, struct qf_txn *t, MDB_dbi dbi, const char *key,
		 int64_t delta);
int64_t dp_count_get(struct dp *dp, struct qf_txn *t, MDB_dbi dbi, const char *key);

/* Register, once per write transaction, the hooks that write what the
 * transaction keeps in memory (each part joined below in slot order, then
 * counters) just before commit, and forget it after commit or abort. */
int dp_txn_track(struct dp *dp, struct qf_txn *t);

/* dp_txn_track, with part p in its slot (it stays there: a part with
 * nothing kept flushes nothing). */
int dp_txn_join(struct dp *dp, struct qf_txn *t, enum dp_txn_slot slot,
		const struct dp_txn_part *p);

/* snprintf(out, n, "%s%s", a, b) (a, b may be NULL: "") without the format
 * machinery: the apply path copies ids and keys a dozen times per event.
 * n >= 1. */
void dp_cat(char *out, size_t n, const char *a, const char *b);

/* A short printable id (1..64 of [A-Za-z0-9_.:-]): ids from events must be
 * this before they become keys or URLs. */
int dp_id_ok(const char *s);
/* Valid UTF-8 without NUL? */
int dp_utf8_ok(const char *s, size_t n);

/* The audit log's address for links shown to the public. */
static inline const char *dp_audit_public(const struct dp *dp)
{
	return dp->conf->audit_public_url[0] ? dp->conf->audit_public_url
					     : dp->conf->audit_url;
}

#endif
