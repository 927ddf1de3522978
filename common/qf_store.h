/* qf_store.h: one LMDB environment per service, short transactions, and a
 * group-commit writer.
 *
 * Design: a service opens its store once (never across fork), names its
 * databases at start, and writes only through qf_store_write(), which runs a
 * caller function inside a synced write transaction. Because that function
 * may be run again (the map grows on MDB_MAP_FULL: abort, grow, retry), it
 * must have no effect outside the transaction except through the commit and
 * abort hooks it registers on the struct qf_txn. Readers use short read
 * transactions from any thread (MDB_NOTLS); a reader/writer lock keeps map
 * growth away from open readers.
 *
 * Group commit (struct qf_gc): many threads submit jobs; the thread that
 * owns the store runs every waiting job in one transaction, commits once
 * (fsync), and only then calls each job's done callback. One fsync answers
 * them all, so throughput does not stop at the disk's sync rate.
 */
#ifndef QF_STORE_H
#define QF_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

struct qf_store;
struct qf_txn;
struct qf_gc;

struct qf_store_opts {
	const char *path;      /* directory; created if missing */
	size_t map_size;       /* initial map size in bytes (default 64 MiB) */
	size_t max_map_size;   /* growth limit (default 64 GiB) */
	unsigned max_dbs;      /* named databases (default 64) */
	unsigned max_readers;  /* reader slots (default 256) */
	int no_sync;           /* benchmarks of the raw cost only: never for
				  data a client was told is accepted */
};

/* Open (creating the directory if needed). Calls mdb_reader_check() to clear
 * reader slots left by killed processes. Returns 0, or QF_ERR_IO /
 * QF_ERR_STORE with a message in err (if non-NULL, n bytes). */
int qf_store_open(struct qf_store **out, const struct qf_store_opts *o,
		  char *err, size_t n);
/* Close; accepts NULL; sets *s = NULL; no transaction may be open. */
void qf_store_destroy(struct qf_store **s);

/* Open (creating) a named database; flags as mdb_dbi_open (MDB_DUPSORT,
 * MDB_INTEGERKEY...). The handle is valid until the store is destroyed.
 * Call at start, before any concurrent use. */
int qf_store_dbi(struct qf_store *s, const char *name, unsigned flags,
		 MDB_dbi *out);

/* The LMDB environment (for mdb_stat, mdb_env_info). Owned by the store. */
MDB_env *qf_store_env(struct qf_store *s);
/* Bytes used by the data file (last page number x page size). */
uint64_t qf_store_used_bytes(struct qf_store *s);
/* Current map size in bytes. */
uint64_t qf_store_map_size(struct qf_store *s);
/* Number of times the map was grown. */
unsigned qf_store_grow_count(struct qf_store *s);

typedef int (*qf_store_fn)(struct qf_txn *t, void *arg);
typedef void (*qf_txn_hook)(void *arg, uint64_t data);
typedef int (*qf_txn_precommit)(struct qf_txn *t, void *arg);

/* Run fn in a write transaction and commit it synchronously. fn returns 0 to
 * commit or an error to abort (returned). QF_ERR_MAPFULL from fn or from the
 * commit grows the map and runs fn again. Commit hooks run after a
 * successful commit, abort hooks after every abort (including before a
 * retry). Only one thread may write at a time (the store serialises). */
int qf_store_write(struct qf_store *s, qf_store_fn fn, void *arg);
/* Run fn in a read-only transaction (any thread). */
int qf_store_read(struct qf_store *s, qf_store_fn fn, void *arg);

/* Register a hook on a write transaction. The same (fn, arg) registered
 * twice is kept once (the first data wins). Returns 0 or QF_ERR_NOMEM. */
int qf_txn_on_commit(struct qf_txn *t, qf_txn_hook fn, void *arg, uint64_t data);
int qf_txn_on_abort(struct qf_txn *t, qf_txn_hook fn, void *arg, uint64_t data);
/* A function run just before commit, inside the transaction (for writing
 * summaries once per transaction, e.g. stream heads). Deduplicated by
 * (fn, arg). */
int qf_txn_before_commit(struct qf_txn *t, qf_txn_precommit fn, void *arg);
/* True if (fn, arg) is already registered as a commit hook. */
int qf_txn_has_hook(struct qf_txn *t, qf_txn_hook fn, void *arg);

/* The underlying LMDB transaction (owned by the qf_txn). */
MDB_txn *qf_txn_mdb(struct qf_txn *t);
struct qf_store *qf_txn_store(struct qf_txn *t);
int qf_txn_readonly(struct qf_txn *t);

/* Key/value helpers translating LMDB errors. qf_txn_get returns QF_OK with
 * *val pointing into the map (valid until the transaction ends), or
 * QF_ERR_NOTFOUND. Puts return QF_ERR_MAPFULL when the map is full, so that
 * qf_store_write can grow it; QF_ERR_EXISTS for MDB_NOOVERWRITE clashes. */
int qf_txn_get(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen,
	       MDB_val *val);
int qf_txn_put(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen,
	       const void *val, size_t vlen, unsigned flags);
int qf_txn_del(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen);
/* Translate an LMDB return code into the qf_err vocabulary. */
int qf_store_err(int mdb_rc);

/* ------------------------------------------------------------ iteration */

/* "For each key with prefix P, in key order": the loop every service wrote
 * by hand around mdb_cursor_get, with the errors translated once.
 *
 *	struct qf_iter it;
 *	int rc;
 *	for (rc = qf_iter_open(&it, t, dbi, "c", 1);
 *	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK)
 *		if ((rc = use(it.k, it.v)))
 *			break;
 *	qf_iter_close(&it);
 *	if (rc < 0)
 *		return rc;
 *
 * it.k and it.v point into the map, valid until the next qf_iter_next or
 * the transaction's end; the cursor may be used for mdb_cursor_del on the
 * current entry. The prefix is copied (at most QF_ITER_PREFIX_MAX bytes). */
#define QF_ITER_PREFIX_MAX 512
struct qf_iter {
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[QF_ITER_PREFIX_MAX];
	size_t plen;
	int started;
};

/* Open an iteration over dbi, at the first key >= prefix (all keys when
 * plen is 0). QF_OK, QF_ERR_INVAL (prefix too long) or QF_ERR_STORE; on
 * failure it.cur is NULL and qf_iter_close is still safe. */
int qf_iter_open(struct qf_iter *it, struct qf_txn *t, MDB_dbi dbi, const void *prefix,
		 size_t plen);
/* Step: 1 with it->k and it->v set; 0 past the last key with the prefix;
 * a negative QF_ERR on a store error. */
int qf_iter_next(struct qf_iter *it);
/* Close the cursor; accepts a closed or failed iteration, safe twice. */
void qf_iter_close(struct qf_iter *it);

/* Big-endian encoding for sortable keys. */
void qf_be32_put(uint8_t *p, uint32_t v);
void qf_be64_put(uint8_t *p, uint64_t v);
uint32_t qf_be32_get(const uint8_t *p);
uint64_t qf_be64_get(const uint8_t *p);

/* ------------------------------------------------------------ group commit */

struct qf_gc_job;
/* apply runs inside the batch's transaction. It must decide first and write
 * after: return 0 (its own verdict, e.g. a 422, goes in its own struct), or an
 * error before writing anything. An error after writing makes the batch run
 * again without this job. done runs after the commit (or the failure), on
 * the thread that runs the batch; the job memory is the caller's and must
 * stay valid until done is called. */
struct qf_gc_job {
	int (*apply)(struct qf_txn *t, void *arg);
	void (*done)(void *arg, int rc);
	void *arg;
	int rc;                  /* set by the writer */
	struct qf_gc_job *next;  /* writer's use */
};

/* Create a group-commit writer for store s; max_batch jobs per transaction
 * (0: 1024). Returns 0 or QF_ERR_NOMEM / QF_ERR_IO. */
int qf_gc_new(struct qf_gc **out, struct qf_store *s, unsigned max_batch);
/* Stop the thread (if started), fail jobs still queued with QF_ERR_STOPPED,
 * free. Accepts NULL; sets *g = NULL. */
void qf_gc_destroy(struct qf_gc **g);
/* Queue a job (thread-safe). QF_ERR_STOPPED after shutdown began. */
int qf_gc_submit(struct qf_gc *g, struct qf_gc_job *job);
/* An eventfd that is readable while jobs wait; for the owner's poll loop. */
int qf_gc_fd(struct qf_gc *g);
/* Run every waiting job (up to max_batch) in one transaction, on the calling
 * thread; `extra`, if non-NULL, runs first in the same transaction (a
 * service's own work, e.g. consumed events). Returns the number of jobs run,
 * or a negative error when the transaction itself failed (jobs then get it). */
int qf_gc_run(struct qf_gc *g, qf_store_fn extra, void *extra_arg);
/* Run the writer on its own thread (for services without a core loop). */
int qf_gc_start(struct qf_gc *g);
/* Submit and wait for the commit: returns the job's rc (or apply's error). */
int qf_gc_call(struct qf_gc *g, int (*apply)(struct qf_txn *t, void *arg),
	       void *arg);
/* Jobs waiting now (thread-safe), for metrics. */
unsigned qf_gc_queued(struct qf_gc *g);
/* Batches and jobs run so far, for metrics. */
void qf_gc_stats(struct qf_gc *g, uint64_t *batches, uint64_t *jobs);

#endif
