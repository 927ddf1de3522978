/* qf_store.c: LMDB environment, write/read transactions with hooks, map
 * growth, and the group-commit writer (qf_store.h).
 *
 * Concurrency: writes are serialised by a mutex (one writer at a time, as
 * LMDB requires anyway); readers hold a writer-preferring rwlock in read mode
 * for the length of their transaction, and map growth takes it in write
 * mode, because mdb_env_set_mapsize() must not run while any transaction of
 * this process is open. */
#include "qf_store.h"
#include "qf_err.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

struct qf_store {
	MDB_env *env;
	pthread_mutex_t wlock;
	pthread_rwlock_t growlock;
	size_t map_size, max_map_size;
	unsigned grow_count;
};

struct hook {
	qf_txn_hook fn;
	void *arg;
	uint64_t data;
};

struct pre {
	qf_txn_precommit fn;
	void *arg;
};

struct qf_txn {
	struct qf_store *store;
	MDB_txn *txn;
	int readonly;
	struct hook *commit, *abort;
	unsigned ncommit, nabort, capcommit, capabort;
	struct pre *pre;
	unsigned npre, cappre;
};

int qf_store_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return QF_OK;
	case MDB_NOTFOUND:
		return QF_ERR_NOTFOUND;
	case MDB_KEYEXIST:
		return QF_ERR_EXISTS;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case MDB_MAP_RESIZED:
		return QF_ERR_MAPFULL;
	case ENOMEM:
		return QF_ERR_NOMEM;
	case EIO:
	case ENOSPC:
		return QF_ERR_IO;
	default:
		return QF_ERR_STORE;
	}
}

int qf_iter_open(struct qf_iter *it, struct qf_txn *t, MDB_dbi dbi, const void *prefix,
		 size_t plen)
{
	it->cur = NULL;
	it->started = 0;
	it->plen = 0;
	if (plen > sizeof it->prefix)
		return QF_ERR_INVAL;
	if (plen)
		memcpy(it->prefix, prefix, plen);
	it->plen = plen;
	int rc = mdb_cursor_open(qf_txn_mdb(t), dbi, &it->cur);
	if (rc) {
		it->cur = NULL;
		return qf_store_err(rc);
	}
	return QF_OK;
}

int qf_iter_next(struct qf_iter *it)
{
	if (!it->cur)
		return 0;
	int rc;
	if (it->started) {
		rc = mdb_cursor_get(it->cur, &it->k, &it->v, MDB_NEXT);
	} else if (it->plen) {
		it->k = (MDB_val){it->plen, it->prefix};
		rc = mdb_cursor_get(it->cur, &it->k, &it->v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(it->cur, &it->k, &it->v, MDB_FIRST);
	}
	it->started = 1;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return qf_store_err(rc);
	if (it->k.mv_size < it->plen || memcmp(it->k.mv_data, it->prefix, it->plen))
		return 0;
	return 1;
}

void qf_iter_close(struct qf_iter *it)
{
	if (it->cur)
		mdb_cursor_close(it->cur);
	it->cur = NULL;
}

static int s_mkdirs(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0750) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(buf, 0750) && errno != EEXIST)
		return -1;
	return 0;
}

int qf_store_open(struct qf_store **out, const struct qf_store_opts *o,
		  char *err, size_t n)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		n = sizeof dummy;
	}
	err[0] = '\0';
	if (!o || !o->path) {
		snprintf(err, n, "no store path");
		return QF_ERR_INVAL;
	}
	if (s_mkdirs(o->path)) {
		snprintf(err, n, "cannot create %s: %s", o->path, strerror(errno));
		return QF_ERR_IO;
	}
	struct qf_store *s = calloc(1, sizeof *s);
	if (!s)
		return QF_ERR_NOMEM;
	s->map_size = o->map_size ? o->map_size : (size_t)64 << 20;
	s->max_map_size = o->max_map_size ? o->max_map_size : (size_t)64 << 30;
	pthread_mutex_init(&s->wlock, NULL);
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->growlock, &ra);
	pthread_rwlockattr_destroy(&ra);
	int rc = mdb_env_create(&s->env);
	if (rc)
		goto fail;
	mdb_env_set_maxdbs(s->env, o->max_dbs ? o->max_dbs : 64);
	mdb_env_set_maxreaders(s->env, o->max_readers ? o->max_readers : 256);
	mdb_env_set_mapsize(s->env, s->map_size);
	rc = mdb_env_open(s->env, o->path, MDB_NOTLS | (o->no_sync ? MDB_NOSYNC : 0),
			  0640);
	if (rc)
		goto fail;
	/* a larger map than asked for may already exist on disk */
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	s->map_size = info.me_mapsize;
	int dead = 0;
	mdb_reader_check(s->env, &dead);
	*out = s;
	return QF_OK;
fail:
	snprintf(err, n, "lmdb open %s: %s", o->path, mdb_strerror(rc));
	if (s->env)
		mdb_env_close(s->env);
	pthread_mutex_destroy(&s->wlock);
	pthread_rwlock_destroy(&s->growlock);
	free(s);
	return rc == ENOENT || rc == EACCES || rc == EIO ? QF_ERR_IO : QF_ERR_STORE;
}

void qf_store_destroy(struct qf_store **sp)
{
	if (!sp || !*sp)
		return;
	struct qf_store *s = *sp;
	mdb_env_close(s->env);
	pthread_mutex_destroy(&s->wlock);
	pthread_rwlock_destroy(&s->growlock);
	free(s);
	*sp = NULL;
}

MDB_env *qf_store_env(struct qf_store *s)
{
	return s->env;
}

uint64_t qf_store_used_bytes(struct qf_store *s)
{
	MDB_envinfo info;
	MDB_stat st;
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	return (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}

uint64_t qf_store_map_size(struct qf_store *s)
{
	return s->map_size;
}

unsigned qf_store_grow_count(struct qf_store *s)
{
	return s->grow_count;
}

int qf_store_dbi(struct qf_store *s, const char *name, unsigned flags,
		 MDB_dbi *out)
{
	MDB_txn *txn;
	pthread_mutex_lock(&s->wlock);
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (!rc) {
		rc = mdb_dbi_open(txn, name, flags | MDB_CREATE, out);
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
	}
	pthread_mutex_unlock(&s->wlock);
	return qf_store_err(rc);
}

/* Grow the map: called with wlock held and no write transaction open. */
static int s_grow(struct qf_store *s)
{
	size_t want = s->map_size * 2;
	if (want > s->max_map_size)
		want = s->max_map_size;
	if (want <= s->map_size)
		return QF_ERR_MAPFULL;
	pthread_rwlock_wrlock(&s->growlock);
	int rc = mdb_env_set_mapsize(s->env, want);
	pthread_rwlock_unlock(&s->growlock);
	if (rc)
		return qf_store_err(rc);
	s->map_size = want;
	s->grow_count++;
	return QF_OK;
}

static void s_txn_reset(struct qf_txn *t)
{
	t->ncommit = t->nabort = t->npre = 0;
}

static void s_txn_free(struct qf_txn *t)
{
	free(t->commit);
	free(t->abort);
	free(t->pre);
}

static void s_run_hooks(struct hook *h, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		h[i].fn(h[i].arg, h[i].data);
}

static int s_add_hook(struct hook **arr, unsigned *n, unsigned *cap,
		      qf_txn_hook fn, void *arg, uint64_t data)
{
	for (unsigned i = 0; i < *n; i++)
		if ((*arr)[i].fn == fn && (*arr)[i].arg == arg)
			return QF_OK;
	if (*n == *cap) {
		unsigned nc = *cap ? *cap * 2 : 8;
		struct hook *na = realloc(*arr, nc * sizeof *na);
		if (!na)
			return QF_ERR_NOMEM;
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = (struct hook){fn, arg, data};
	return QF_OK;
}

int qf_txn_on_commit(struct qf_txn *t, qf_txn_hook fn, void *arg, uint64_t data)
{
	return s_add_hook(&t->commit, &t->ncommit, &t->capcommit, fn, arg, data);
}

int qf_txn_on_abort(struct qf_txn *t, qf_txn_hook fn, void *arg, uint64_t data)
{
	return s_add_hook(&t->abort, &t->nabort, &t->capabort, fn, arg, data);
}

int qf_txn_has_hook(struct qf_txn *t, qf_txn_hook fn, void *arg)
{
	for (unsigned i = 0; i < t->ncommit; i++)
		if (t->commit[i].fn == fn && t->commit[i].arg == arg)
			return 1;
	return 0;
}

int qf_txn_before_commit(struct qf_txn *t, qf_txn_precommit fn, void *arg)
{
	for (unsigned i = 0; i < t->npre; i++)
		if (t->pre[i].fn == fn && t->pre[i].arg == arg)
			return QF_OK;
	if (t->npre == t->cappre) {
		unsigned nc = t->cappre ? t->cappre * 2 : 4;
		struct pre *np = realloc(t->pre, nc * sizeof *np);
		if (!np)
			return QF_ERR_NOMEM;
		t->pre = np;
		t->cappre = nc;
	}
	t->pre[t->npre++] = (struct pre){fn, arg};
	return QF_OK;
}

MDB_txn *qf_txn_mdb(struct qf_txn *t)
{
	return t->txn;
}

struct qf_store *qf_txn_store(struct qf_txn *t)
{
	return t->store;
}

int qf_txn_readonly(struct qf_txn *t)
{
	return t->readonly;
}

/* One attempt: begin, fn, pre-commit functions, commit. */
static int s_write_once(struct qf_store *s, struct qf_txn *t, qf_store_fn fn,
			void *arg)
{
	int rc = mdb_txn_begin(s->env, NULL, 0, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(s->env, 0);
		rc = mdb_txn_begin(s->env, NULL, 0, &t->txn);
	}
	if (rc)
		return qf_store_err(rc);
	rc = fn(t, arg);
	/* pre-commit functions may register further ones: index loop */
	for (unsigned i = 0; rc == QF_OK && i < t->npre; i++)
		rc = t->pre[i].fn(t, t->pre[i].arg);
	if (rc) {
		mdb_txn_abort(t->txn);
		t->txn = NULL;
		return rc;
	}
	rc = mdb_txn_commit(t->txn);
	t->txn = NULL;
	return qf_store_err(rc);
}

int qf_store_write(struct qf_store *s, qf_store_fn fn, void *arg)
{
	struct qf_txn t = {.store = s};
	int rc;
	pthread_mutex_lock(&s->wlock);
	for (;;) {
		s_txn_reset(&t);
		rc = s_write_once(s, &t, fn, arg);
		if (rc == QF_OK) {
			s_run_hooks(t.commit, t.ncommit);
			break;
		}
		s_run_hooks(t.abort, t.nabort);
		if (rc != QF_ERR_MAPFULL)
			break;
		rc = s_grow(s);
		if (rc)
			break;
	}
	pthread_mutex_unlock(&s->wlock);
	s_txn_free(&t);
	return rc;
}

int qf_store_read(struct qf_store *s, qf_store_fn fn, void *arg)
{
	struct qf_txn t = {.store = s, .readonly = 1};
	pthread_rwlock_rdlock(&s->growlock);
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t.txn);
	if (rc == MDB_MAP_RESIZED) {
		/* cannot resize while holding the read lock; report and let the
		   caller retry (only another process could cause this) */
		pthread_rwlock_unlock(&s->growlock);
		return QF_ERR_AGAIN;
	}
	if (rc) {
		pthread_rwlock_unlock(&s->growlock);
		return qf_store_err(rc);
	}
	rc = fn(&t, arg);
	mdb_txn_abort(t.txn);
	pthread_rwlock_unlock(&s->growlock);
	s_txn_free(&t);
	return rc;
}

int qf_txn_get(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen,
	       MDB_val *val)
{
	MDB_val k = {klen, (void *)key};
	return qf_store_err(mdb_get(t->txn, dbi, &k, val));
}

int qf_txn_put(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen,
	       const void *val, size_t vlen, unsigned flags)
{
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
	return qf_store_err(mdb_put(t->txn, dbi, &k, &v, flags));
}

int qf_txn_del(struct qf_txn *t, MDB_dbi dbi, const void *key, size_t klen)
{
	MDB_val k = {klen, (void *)key};
	return qf_store_err(mdb_del(t->txn, dbi, &k, NULL));
}

void qf_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void qf_be64_put(uint8_t *p, uint64_t v)
{
	qf_be32_put(p, (uint32_t)(v >> 32));
	qf_be32_put(p + 4, (uint32_t)v);
}

uint32_t qf_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t qf_be64_get(const uint8_t *p)
{
	return (uint64_t)qf_be32_get(p) << 32 | qf_be32_get(p + 4);
}

/* ------------------------------------------------------------ group commit */

struct qf_gc {
	struct qf_store *store;
	unsigned max_batch;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct qf_gc_job *head, *tail;
	unsigned queued;
	int efd;
	int stopping;
	int thread_started;
	pthread_t thread;
	uint64_t batches, jobs;
};

int qf_gc_new(struct qf_gc **out, struct qf_store *s, unsigned max_batch)
{
	struct qf_gc *g = calloc(1, sizeof *g);
	if (!g)
		return QF_ERR_NOMEM;
	g->store = s;
	g->max_batch = max_batch ? max_batch : 1024;
	g->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->efd < 0) {
		free(g);
		return QF_ERR_IO;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	*out = g;
	return QF_OK;
}

int qf_gc_fd(struct qf_gc *g)
{
	return g->efd;
}

int qf_gc_submit(struct qf_gc *g, struct qf_gc_job *job)
{
	job->next = NULL;
	job->rc = 0;
	pthread_mutex_lock(&g->lock);
	if (g->stopping) {
		pthread_mutex_unlock(&g->lock);
		return QF_ERR_STOPPED;
	}
	if (g->tail)
		g->tail->next = job;
	else
		g->head = job;
	g->tail = job;
	g->queued++;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	uint64_t one = 1;
	ssize_t w = write(g->efd, &one, sizeof one);
	(void)w;
	return QF_OK;
}

struct batch {
	struct qf_gc_job *jobs;
	qf_store_fn extra;
	void *extra_arg;
	struct qf_gc_job *failed; /* the job whose error aborted the attempt */
};

static int s_batch_apply(struct qf_txn *t, void *arg)
{
	struct batch *b = arg;
	if (b->extra) {
		int rc = b->extra(t, b->extra_arg);
		if (rc)
			return rc;
	}
	for (struct qf_gc_job *j = b->jobs; j; j = j->next) {
		if (j->rc)
			continue; /* failed in an earlier attempt: skip */
		int rc = j->apply(t, j->arg);
		if (rc == QF_ERR_MAPFULL)
			return rc;
		if (rc) {
			j->rc = rc;
			b->failed = j;
			return rc;
		}
	}
	return QF_OK;
}

int qf_gc_run(struct qf_gc *g, qf_store_fn extra, void *extra_arg)
{
	uint64_t v;
	ssize_t r = read(g->efd, &v, sizeof v);
	(void)r;
	pthread_mutex_lock(&g->lock);
	struct qf_gc_job *jobs = g->head, *last = NULL;
	unsigned n = 0;
	for (struct qf_gc_job *j = jobs; j && n < g->max_batch; j = j->next) {
		last = j;
		n++;
	}
	if (last) {
		g->head = last->next;
		if (!g->head)
			g->tail = NULL;
		last->next = NULL;
		g->queued -= n;
	} else {
		jobs = NULL;
	}
	int more = g->head != NULL;
	pthread_mutex_unlock(&g->lock);
	if (more) {
		uint64_t one = 1;
		ssize_t w = write(g->efd, &one, sizeof one);
		(void)w;
	}
	if (!jobs && !extra)
		return 0;

	struct batch b = {jobs, extra, extra_arg, NULL};
	int rc;
	for (;;) {
		b.failed = NULL;
		rc = qf_store_write(g->store, s_batch_apply, &b);
		if (rc == QF_OK || !b.failed)
			break;
		/* a job failed after writing: run the batch again without it */
	}
	/* count before answering, so a caller woken by done() sees the stats */
	g->batches++;
	g->jobs += n;
	for (struct qf_gc_job *j = jobs, *next; j; j = next) {
		next = j->next;
		if (rc && !j->rc)
			j->rc = rc;
		j->done(j->arg, j->rc);
	}
	return rc ? rc : (int)n;
}

static void *s_gc_thread(void *arg)
{
	struct qf_gc *g = arg;
	for (;;) {
		pthread_mutex_lock(&g->lock);
		while (!g->head && !g->stopping)
			pthread_cond_wait(&g->cond, &g->lock);
		int stop = g->stopping && !g->head;
		pthread_mutex_unlock(&g->lock);
		if (stop)
			break;
		qf_gc_run(g, NULL, NULL);
	}
	return NULL;
}

int qf_gc_start(struct qf_gc *g)
{
	if (pthread_create(&g->thread, NULL, s_gc_thread, g))
		return QF_ERR_NOMEM;
	g->thread_started = 1;
	return QF_OK;
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int rc;
};

static void s_wait_done(void *arg, int rc)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->lock);
	w->finished = 1;
	w->rc = rc;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

struct call {
	int (*apply)(struct qf_txn *t, void *arg);
	void *arg;
	struct waiter w;
};

static int s_call_apply(struct qf_txn *t, void *arg)
{
	struct call *c = arg;
	return c->apply(t, c->arg);
}

static void s_call_done(void *arg, int rc)
{
	struct call *c = arg;
	s_wait_done(&c->w, rc);
}

int qf_gc_call(struct qf_gc *g, int (*apply)(struct qf_txn *t, void *arg),
	       void *arg)
{
	struct call c = {apply, arg, {PTHREAD_MUTEX_INITIALIZER,
				      PTHREAD_COND_INITIALIZER, 0, 0}};
	struct qf_gc_job job = {s_call_apply, s_call_done, &c, 0, NULL};
	int rc = qf_gc_submit(g, &job);
	if (rc)
		return rc;
	pthread_mutex_lock(&c.w.lock);
	while (!c.w.finished)
		pthread_cond_wait(&c.w.cond, &c.w.lock);
	pthread_mutex_unlock(&c.w.lock);
	return c.w.rc;
}

unsigned qf_gc_queued(struct qf_gc *g)
{
	pthread_mutex_lock(&g->lock);
	unsigned n = g->queued;
	pthread_mutex_unlock(&g->lock);
	return n;
}

void qf_gc_stats(struct qf_gc *g, uint64_t *batches, uint64_t *jobs)
{
	if (batches)
		*batches = g->batches;
	if (jobs)
		*jobs = g->jobs;
}

void qf_gc_destroy(struct qf_gc **gp)
{
	if (!gp || !*gp)
		return;
	struct qf_gc *g = *gp;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	if (g->thread_started)
		pthread_join(g->thread, NULL);
	/* fail whatever is still queued */
	for (struct qf_gc_job *j = g->head, *next; j; j = next) {
		next = j->next;
		j->done(j->arg, QF_ERR_STOPPED);
	}
	close(g->efd);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	free(g);
	*gp = NULL;
}
