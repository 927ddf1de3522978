/* auditlink.c: the audit-log lookup worker (auditlink.h). One thread, one
 * curl handle, short timeouts: an unreachable audit service only delays the
 * exact checkpoint link, it never blocks the service. */
#include "auditlink.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS		2000
#define MAX_PENDING	64
#define PAGES_PER_ROUND 16
#define PAGE		1000

struct auditlink {
	struct dp *dp;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop, woken, started;
	CURL *curl;
	char producer[64], epoch[17];
};

struct pending {
	uint32_t partition;
	uint64_t seq;
	uint8_t rec_key[200];
	size_t rec_len;
	int64_t leaf; /* -1: not found yet */
};

/* ------------------------------------------------------------ http */

struct body {
	char *p;
	size_t n;
};

static size_t s_write(char *data, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	size_t add = sz * nm;
	if (b->n + add > (16u << 20))
		return 0;
	char *np = realloc(b->p, b->n + add + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, data, add);
	b->p = np;
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

static json_t *s_get(struct auditlink *a, const char *path)
{
	char url[1024];
	snprintf(url, sizeof url, "%s%s", a->dp->conf->audit_url, path);
	struct body b = {NULL, 0};
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, &b);
	CURLcode rc = curl_easy_perform(a->curl);
	long status = 0;
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	json_t *j = NULL;
	if (rc == CURLE_OK && status == 200 && b.p)
		j = json_loadb(b.p, b.n, 0, NULL);
	else
		qf_debug("audit_lookup_failed", "url=%s status=%ld error=\"%s\"", url,
			 status, curl_easy_strerror(rc));
	free(b.p);
	return j;
}

/* ------------------------------------------------------------ store */

struct scan {
	struct dp *dp;
	struct pending *p;
	unsigned n;
};

static int s_scan(struct qf_txn *t, void *arg)
{
	struct scan *s = arg;
	MDB_cursor *c;
	if (mdb_cursor_open(qf_txn_mdb(t), s->dp->db.snap_pending, &c))
		return QF_ERR_STORE;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && s->n < MAX_PENDING) {
		if (k.mv_size == 12 && v.mv_size <= sizeof s->p[0].rec_key) {
			struct pending *p = &s->p[s->n++];
			p->partition = qf_be32_get(k.mv_data);
			p->seq = qf_be64_get((uint8_t *)k.mv_data + 4);
			memcpy(p->rec_key, v.mv_data, v.mv_size);
			p->rec_len = v.mv_size;
			p->leaf = -1;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return QF_OK;
}

struct found {
	struct dp *dp;
	struct pending *p;
	unsigned n;
};

/* Group-commit job: record the leaves found and drop them from pending. */
static int s_store_found(struct qf_txn *t, void *arg)
{
	struct found *f = arg;
	for (unsigned i = 0; i < f->n; i++) {
		struct pending *p = &f->p[i];
		if (p->leaf < 0)
			continue;
		MDB_val v;
		int rc = qf_txn_get(t, f->dp->db.snap, p->rec_key, p->rec_len, &v);
		if (rc == QF_OK) {
			json_t *rec = json_loadb(v.mv_data, v.mv_size, 0, NULL);
			json_t *an = json_object_get(rec, "announcement");
			if (json_is_object(an)) {
				json_object_set_new(an, "leaf_index",
						    json_integer(p->leaf));
				char *txt =
				    json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
				rc = txt ? qf_txn_put(t, f->dp->db.snap, p->rec_key,
						      p->rec_len, txt, strlen(txt), 0)
					 : QF_ERR_NOMEM;
				free(txt);
			}
			json_decref(rec);
			if (rc)
				return rc;
		} else if (rc != QF_ERR_NOTFOUND) {
			return rc;
		}
		uint8_t k[12];
		qf_be32_put(k, p->partition);
		qf_be64_put(k + 4, p->seq);
		rc = qf_txn_del(t, f->dp->db.snap_pending, k, 12);
		if (rc && rc != QF_ERR_NOTFOUND)
			return rc;
	}
	return QF_OK;
}

struct job {
	struct qf_gc_job job;
	struct found f;
	struct pending pend[MAX_PENDING];
	unsigned found;
};

static int s_job_apply(struct qf_txn *t, void *arg)
{
	struct job *j = arg;
	return s_store_found(t, &j->f);
}

static void s_job_done(void *arg, int rc)
{
	struct job *j = arg;
	if (rc)
		qf_warn("audit_link_store_failed", "error=\"%s\"", qf_strerror(rc));
	else
		qf_info("audit_linked", "announcements=%u", j->found);
	free(j);
}

/* ------------------------------------------------------------ lookup */

/* Our stream's entry in /v1/streams, or NULL (borrowed from streams). */
static json_t *s_stream(struct auditlink *a, json_t *streams, uint32_t partition)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(streams, "streams"), i, s)
	{
		const char *pr = json_string_value(json_object_get(s, "producer"));
		const char *ep = json_string_value(json_object_get(s, "epoch"));
		if (pr && ep && !strcmp(pr, a->producer) && !strcasecmp(ep, a->epoch) &&
		    json_integer_value(json_object_get(s, "partition")) == partition)
			return s;
	}
	return NULL;
}

/* Locate the leaf of (partition, seq) between first and last leaf of our
 * stream, scanning pages backwards from the end (announcements are looked
 * up soon after they are logged, so the end is where they are). */
static void s_locate(struct auditlink *a, json_t *stream, struct pending *p)
{
	int64_t last_seq = json_integer_value(json_object_get(stream, "last_seq"));
	int64_t first_leaf = json_integer_value(json_object_get(stream, "first_leaf"));
	int64_t last_leaf = json_integer_value(json_object_get(stream, "last_leaf"));
	if ((int64_t)p->seq > last_seq)
		return; /* not logged yet */
	int64_t hi = last_leaf;
	for (int page = 0; page < PAGES_PER_ROUND && hi >= first_leaf; page++) {
		pthread_mutex_lock(&a->lock);
		int stop = a->stop;
		pthread_mutex_unlock(&a->lock);
		if (stop)
			return;
		int64_t from = hi - PAGE + 1 < first_leaf ? first_leaf : hi - PAGE + 1;
		char path[128];
		snprintf(path, sizeof path, "/v1/leaves?from=%lld&limit=%lld",
			 (long long)from, (long long)(hi - from + 1));
		json_t *j = s_get(a, path);
		if (!j)
			return;
		size_t i;
		json_t *l;
		int64_t min_seq = INT64_MAX;
		json_array_foreach(json_object_get(j, "leaves"), i, l)
		{
			const char *pr =
			    json_string_value(json_object_get(l, "producer"));
			const char *ep = json_string_value(json_object_get(l, "epoch"));
			if (!pr || !ep || strcmp(pr, a->producer) ||
			    strcasecmp(ep, a->epoch) ||
			    json_integer_value(json_object_get(l, "partition")) !=
				p->partition)
				continue;
			int64_t sq = json_integer_value(json_object_get(l, "seq"));
			if (sq < min_seq)
				min_seq = sq;
			if (sq == (int64_t)p->seq)
				p->leaf = json_integer_value(json_object_get(l, "index"));
		}
		json_decref(j);
		if (p->leaf >= 0 || min_seq < (int64_t)p->seq)
			return; /* found, or passed it (then it is not there) */
		hi = from - 1;
	}
}

static void s_round(struct auditlink *a)
{
	struct pending pend[MAX_PENDING];
	struct scan sc = {a->dp, pend, 0};
	if (qf_store_read(a->dp->store, s_scan, &sc) || !sc.n)
		return;
	json_t *streams = s_get(a, "/v1/streams");
	if (!streams)
		return;
	unsigned found = 0;
	for (unsigned i = 0; i < sc.n; i++) {
		json_t *st = s_stream(a, streams, pend[i].partition);
		if (st)
			s_locate(a, st, &pend[i]);
		found += pend[i].leaf >= 0;
	}
	json_decref(streams);
	if (!found)
		return;
	/* hand the results to group commit without waiting: a stopping core
	 * loop must never be waited for (the job frees itself) */
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return;
	memcpy(j->pend, pend, sizeof pend);
	j->f = (struct found){a->dp, j->pend, sc.n};
	j->found = found;
	j->job.apply = s_job_apply;
	j->job.done = s_job_done;
	j->job.arg = j;
	j->f.dp = a->dp;
	if (qf_gc_submit(qf_svc_gc(a->dp->svc), &j->job))
		free(j);
}

static void *s_main(void *arg)
{
	struct auditlink *a = arg;
	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		if (!a->woken) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += POLL_MS / 1000;
			ts.tv_nsec += (long)(POLL_MS % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&a->cond, &a->lock, &ts);
		}
		a->woken = 0;
		if (a->stop)
			break;
		pthread_mutex_unlock(&a->lock);
		s_round(a);
		/* at most two rounds a second, however many commits woke us */
		usleep(500000);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int auditlink_start(struct auditlink **out, struct dp *dp)
{
	*out = NULL;
	if (!dp->prod || !dp->conf->audit_url[0])
		return QF_OK;
	struct auditlink *a = calloc(1, sizeof *a);
	if (!a)
		return QF_ERR_NOMEM;
	a->dp = dp;
	snprintf(a->producer, sizeof a->producer, "%s", qf_bus_producer_name(dp->prod));
	uint8_t eb[8];
	qf_be64_put(eb, qf_bus_producer_epoch(dp->prod));
	qf_hex(eb, 8, a->epoch);
	a->curl = curl_easy_init();
	if (!a->curl) {
		free(a);
		return QF_ERR_NOMEM;
	}
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(a->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a->curl, CURLOPT_USERAGENT, "qf-disclosure");
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (pthread_create(&a->thread, NULL, s_main, a)) {
		curl_easy_cleanup(a->curl);
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->cond);
		free(a);
		return QF_ERR_NOMEM;
	}
	a->started = 1;
	*out = a;
	return QF_OK;
}

void auditlink_wake(struct auditlink *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->woken = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

void auditlink_stop(struct auditlink **ap)
{
	if (!ap || !*ap)
		return;
	struct auditlink *a = *ap;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	if (a->started)
		pthread_join(a->thread, NULL);
	curl_easy_cleanup(a->curl);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
	*ap = NULL;
}
