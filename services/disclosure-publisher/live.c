/* live.c: the live dashboard's recent events and counters, and the
 * Server-Sent Events hub (live.h).
 *
 * The hub is a ring of formatted SSE messages with increasing ids under one
 * mutex. A client is a position in that ring; its stream reader copies what
 * it has not seen and returns 0 when it is up to date, which suspends the
 * connection (qf_http_reply_stream_wait) until the next publish wakes it.
 * Nothing blocks an HTTP thread, and an idle client costs no CPU. */
#include "live.h"
#include "qf_buf.h"

#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"
#include "qf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ pending */

/* A note of the transaction being applied: stored in the ring at commit
 * (only the last live_keep of a transaction, which is what the ring keeps),
 * published to browsers after commit. */
struct live_msg {
	char *event;
	char *data; /* the record as JSON text */
	int64_t seq;
	struct live_msg *next;
};

struct live_pending {
	struct live_msg *head, *tail;
	int64_t first; /* seq of the transaction's first note */
	int64_t n;     /* notes in the list */
};

static void s_pending_clear(struct dp *dp)
{
	if (!dp->pending)
		return;
	struct live_msg *m = dp->pending->head;
	while (m) {
		struct live_msg *n = m->next;
		free(m->event);
		free(m->data);
		free(m);
		m = n;
	}
	dp->pending->head = dp->pending->tail = NULL;
	dp->pending->n = 0;
}

void live_pending_free(struct dp *dp)
{
	s_pending_clear(dp);
	free(dp->pending);
	dp->pending = NULL;
}

static void s_on_commit(void *arg, uint64_t data)
{
	(void)data;
	struct dp *dp = arg;
	dp->counters_dirty = 1;
	if (!dp->pending)
		return;
	for (struct live_msg *m = dp->pending->head; m && dp->ready_seen && dp->hub;
	     m = m->next)
		sse_hub_publish(dp->hub, m->event, m->data);
	s_pending_clear(dp);
}

static void s_on_abort(void *arg, uint64_t data)
{
	(void)data;
	s_pending_clear(arg);
}

int live_flush(struct dp *dp, struct qf_txn *t)
{
	if (!dp->pending || !dp->pending->head)
		return QF_OK;
	int64_t keep = dp->conf->live_keep > 0 ? dp->conf->live_keep : 200;
	int64_t first = dp->pending->first, last = dp->pending->tail->seq;
	uint8_t k[8];
	int rc;
	/* what each note pushed out of the ring, older than this transaction */
	for (int64_t s = first; s <= last; s++) {
		int64_t old = s - keep;
		if (old < 1 || old >= first)
			continue;
		qf_be64_put(k, (uint64_t)old);
		rc = qf_txn_del(t, dp->db.live, k, 8);
		if (rc && rc != QF_ERR_NOTFOUND)
			return rc;
	}
	for (struct live_msg *m = dp->pending->head; m; m = m->next) {
		if (m->seq <= last - keep)
			continue;
		qf_be64_put(k, (uint64_t)m->seq);
		if ((rc = qf_txn_put(t, dp->db.live, k, 8, m->data, strlen(m->data), 0)))
			return rc;
	}
	return QF_OK;
}

/* Local day number of an instant (tz minutes east of UTC). */
static int64_t s_day_of(int64_t ms, int tz)
{
	int64_t l = ms + (int64_t)tz * 60000;
	return l >= 0 ? l / 86400000 : (l - 86399999) / 86400000;
}

/* Day counters ("d:YYYYMMDD:new") in the community's time zone; the day's
 * key is formatted once per day seen, not once per event. */
static int s_day_count(struct dp *dp, struct qf_txn *t, int64_t at, const char *what)
{
	char key[64];
	if (!dp->day_key[0] || at < dp->day_lo || at >= dp->day_hi) {
		int tz = dp_tz(dp);
		char day[32];
		int64_t d = s_day_of(at, tz);
		qf_time_fmt(at, tz, day, sizeof day);
		snprintf(dp->day_key, sizeof dp->day_key, "d:%.4s%.2s%.2s:", day, day + 5,
			 day + 8);
		dp->day_lo = d * 86400000 - (int64_t)tz * 60000;
		dp->day_hi = dp->day_lo + 86400000;
	}
	dp_cat(key, sizeof key, dp->day_key, what);
	return dp_count_add(dp, t, dp->db.meta, key, 1);
}

/* The transaction's notes are stored in the ring just before commit. */
static const struct dp_txn_part s_txn_part = {live_flush, NULL};

int live_note_text(struct dp *dp, struct qf_txn *t, const char *kind, int64_t at,
		   const char *day, const char *data, size_t n)
{
	int rc = dp_txn_join(dp, t, DP_TXN_LIVE, &s_txn_part);
	if (rc)
		return rc;
	if (!at)
		at = qf_now_ms(dp->clock);
	if (day && (rc = s_day_count(dp, t, at, day)))
		return rc;
	if (!dp->pending && !(dp->pending = calloc(1, sizeof *dp->pending)))
		return QF_ERR_NOMEM;
	struct live_pending *lp = dp->pending;
	/* every note of the transaction adds one: the next follows the last */
	int64_t seq = lp->tail ? lp->tail->seq + 1
			       : dp_count_get(dp, t, dp->db.meta, "live_seq") + 1;
	if ((rc = dp_count_add(dp, t, dp->db.meta, "live_seq", 1)))
		return rc;
	/* the record as json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) of
	   {seq, kind, at_ms, data} writes it */
	char head[96];
	int hl = snprintf(head, sizeof head, "{\"seq\":%lld,\"kind\":\"", (long long)seq);
	size_t kl = strlen(kind);
	char at_s[48];
	int al =
	    snprintf(at_s, sizeof at_s, "\",\"at_ms\":%lld,\"data\":", (long long)at);
	size_t len = (size_t)hl + kl + (size_t)al + n + 1;
	/* Before the first catch-up nothing is published: only the last
	   live_keep notes of the transaction can reach the ring (live_flush),
	   so the oldest note's memory serves the new one. */
	int64_t keep = dp->conf->live_keep > 0 ? dp->conf->live_keep : 200;
	struct live_msg *m = NULL;
	if (!dp->ready_seen && lp->n >= keep && lp->head != lp->tail) {
		m = lp->head;
		lp->head = m->next;
		lp->n--;
		free(m->data);
		m->data = NULL;
		m->next = NULL;
		if (strcmp(m->event, kind)) {
			free(m->event);
			m->event = NULL;
		}
	} else if (!(m = calloc(1, sizeof *m))) {
		return QF_ERR_NOMEM;
	}
	if (!m->event)
		m->event = strdup(kind);
	m->data = malloc(len + 1);
	if (!m->event || !m->data) {
		free(m->event);
		free(m->data);
		free(m);
		return QF_ERR_NOMEM;
	}
	char *w = m->data;
	memcpy(w, head, (size_t)hl);
	w += hl;
	memcpy(w, kind, kl);
	w += kl;
	memcpy(w, at_s, (size_t)al);
	w += al;
	memcpy(w, data, n);
	w += n;
	*w++ = '}';
	*w = '\0';
	m->seq = seq;
	/* kept in memory; stored by live_flush, published on commit only */
	if (lp->tail)
		lp->tail->next = m;
	else
		lp->head = m, lp->first = seq;
	lp->tail = m;
	lp->n++;
	if ((rc = qf_txn_on_commit(t, s_on_commit, dp, 0)) ||
	    (rc = qf_txn_on_abort(t, s_on_abort, dp, 0)))
		return rc;
	return QF_OK;
}

int live_note(struct dp *dp, struct qf_txn *t, const char *kind, json_t *data)
{
	if (!data)
		return QF_OK; /* a field was not valid UTF-8: nothing to show */
	int64_t at = json_integer_value(json_object_get(data, "at_ms"));
	const char *day = NULL;
	if (!strcmp(kind, "case"))
		day = "new";
	else if (!strcmp(kind, "warning"))
		day = "warn";
	else if (!strcmp(kind, "breach"))
		day = "breach";
	else if (!strcmp(kind, "state") &&
		 json_string_value(json_object_get(data, "type")) &&
		 !strcmp(json_string_value(json_object_get(data, "type")),
			 "CASE_RESOLVED"))
		day = "resolved";
	char *txt = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(data);
	if (!txt)
		return QF_ERR_NOMEM;
	int rc = live_note_text(dp, t, kind, at, day, txt, strlen(txt));
	free(txt);
	return rc;
}

json_t *live_recent(struct dp *dp, struct qf_txn *t, unsigned max)
{
	json_t *a = json_array();
	MDB_cursor *c;
	if (!a || mdb_cursor_open(qf_txn_mdb(t), dp->db.live, &c))
		return a;
	MDB_val k, v;
	int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	while (rc == 0 && json_array_size(a) < max) {
		json_t *j = json_loadb(v.mv_data, v.mv_size, 0, NULL);
		if (j)
			json_array_append_new(a, j);
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	}
	mdb_cursor_close(c);
	return a;
}

/* ------------------------------------------------------------ hub */

struct sse_sub {
	struct sse_hub *hub;
	struct qf_http_stream *st;
	uint64_t next; /* id of the next message to send */
	size_t off;    /* bytes of that message already sent */
	char *pre;     /* greeting: retry + counters */
	size_t pre_len, pre_off;
	int ping;
	struct sse_sub *prev, *nxt;
};

struct sse_msg {
	char *text;
	size_t len;
};

struct sse_hub {
	pthread_mutex_t lock;
	struct sse_msg *ring;
	unsigned cap;
	uint64_t first, next; /* ids held: [first, next) */
	struct sse_sub *subs;
	unsigned nsubs, max;
	int closing;
};

int sse_hub_new(struct sse_hub **out, unsigned max_clients, unsigned ring)
{
	struct sse_hub *h = calloc(1, sizeof *h);
	if (!h)
		return QF_ERR_NOMEM;
	h->cap = ring ? ring : 256;
	h->ring = calloc(h->cap, sizeof *h->ring);
	if (!h->ring) {
		free(h);
		return QF_ERR_NOMEM;
	}
	h->max = max_clients;
	/* ids continue across restarts of the process: a browser resuming with
	 * an id of an earlier run is below the ring and is told to reload */
	struct qf_clock rc;
	qf_clock_init_real(&rc);
	h->first = h->next = (uint64_t)qf_now_ms(&rc) * 1000;
	pthread_mutex_init(&h->lock, NULL);
	*out = h;
	return QF_OK;
}

void sse_hub_destroy(struct sse_hub **hp)
{
	if (!hp || !*hp)
		return;
	struct sse_hub *h = *hp;
	for (unsigned i = 0; i < h->cap; i++)
		free(h->ring[i].text);
	free(h->ring);
	pthread_mutex_destroy(&h->lock);
	free(h);
	*hp = NULL;
}

unsigned sse_hub_clients(struct sse_hub *h)
{
	pthread_mutex_lock(&h->lock);
	unsigned n = h->nsubs;
	pthread_mutex_unlock(&h->lock);
	return n;
}

unsigned long long sse_hub_next(struct sse_hub *h)
{
	pthread_mutex_lock(&h->lock);
	unsigned long long n = h->next;
	pthread_mutex_unlock(&h->lock);
	return n;
}

static void s_wake_all(struct sse_hub *h)
{
	for (struct sse_sub *s = h->subs; s; s = s->nxt)
		if (s->st)
			qf_http_stream_wake(s->st);
}

void sse_hub_publish(struct sse_hub *h, const char *event, const char *data)
{
	struct qf_buf b;
	qf_buf_init(&b);
	pthread_mutex_lock(&h->lock);
	uint64_t id = h->next;
	qf_buf_printf(&b, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)id,
		      event, data);
	size_t len;
	char *txt = qf_buf_take(&b, &len);
	if (txt) {
		struct sse_msg *m = &h->ring[id % h->cap];
		free(m->text);
		m->text = txt;
		m->len = len;
		h->next++;
		if (h->next - h->first > h->cap)
			h->first = h->next - h->cap;
		s_wake_all(h);
	}
	pthread_mutex_unlock(&h->lock);
}

void sse_hub_keepalive(struct sse_hub *h)
{
	pthread_mutex_lock(&h->lock);
	for (struct sse_sub *s = h->subs; s; s = s->nxt)
		s->ping = 1;
	s_wake_all(h);
	pthread_mutex_unlock(&h->lock);
}

void sse_hub_close(struct sse_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = 1;
	s_wake_all(h);
	pthread_mutex_unlock(&h->lock);
}

static size_t s_copy(char *buf, size_t max, size_t n, const char *src, size_t len,
		     size_t *off)
{
	size_t k = len - *off;
	if (k > max - n)
		k = max - n;
	memcpy(buf + n, src + *off, k);
	*off += k;
	return k;
}

static long s_reader(void *arg, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct sse_sub *s = arg;
	struct sse_hub *h = s->hub;
	size_t n = 0;
	pthread_mutex_lock(&h->lock);
	if (h->closing) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	if (s->pre_off < s->pre_len)
		n += s_copy(buf, max, n, s->pre, s->pre_len, &s->pre_off);
	if (s->ping && n + 8 <= max) {
		memcpy(buf + n, ": ping\n\n", 8);
		n += 8;
		s->ping = 0;
	}
	if (s->next < h->first) {
		/* fell behind the ring: say so, the page reloads its counters */
		static const char reset[] = "event: reset\ndata: {}\n\n";
		if (n + sizeof reset - 1 <= max) {
			memcpy(buf + n, reset, sizeof reset - 1);
			n += sizeof reset - 1;
			s->next = h->first;
			s->off = 0;
		}
	}
	while (s->next >= h->first && s->next < h->next && n < max) {
		struct sse_msg *m = &h->ring[s->next % h->cap];
		n += s_copy(buf, max, n, m->text, m->len, &s->off);
		if (s->off < m->len)
			break;
		s->off = 0;
		s->next++;
	}
	pthread_mutex_unlock(&h->lock);
	return (long)n;
}

static void s_sub_free(void *arg)
{
	struct sse_sub *s = arg;
	struct sse_hub *h = s->hub;
	pthread_mutex_lock(&h->lock);
	if (s->prev)
		s->prev->nxt = s->nxt;
	else
		h->subs = s->nxt;
	if (s->nxt)
		s->nxt->prev = s->prev;
	h->nsubs--;
	pthread_mutex_unlock(&h->lock);
	free(s->pre);
	free(s);
}

void sse_hub_subscribe(struct sse_hub *h, struct qf_http_req *r, struct qf_buf *pre)
{
	struct sse_sub *s = calloc(1, sizeof *s);
	if (!s || !(s->pre = qf_buf_take(pre, &s->pre_len))) {
		free(s);
		qf_http_reply_error(r, 500, "internal", "服务器内存不足", NULL);
		return;
	}
	s->hub = h;
	/* resume point: Last-Event-ID (a reconnecting EventSource) or ?since=
	 * (the first id a freshly rendered page has not shown) */
	const char *last = qf_http_header(r, "Last-Event-ID");
	const char *since = qf_http_query(r, "since");
	char *end = NULL;
	unsigned long long lid = 0;
	if (last && *last && strspn(last, "0123456789") == strlen(last) &&
	    strlen(last) < 19)
		lid = strtoull(last, &end, 10);
	else if (since && *since && strspn(since, "0123456789") == strlen(since) &&
		 strlen(since) < 19 && strtoull(since, NULL, 10) > 0) {
		lid = strtoull(since, &end, 10) - 1;
		last = since;
	} else
		last = NULL;
	pthread_mutex_lock(&h->lock);
	if (h->closing || (h->max && h->nsubs >= h->max)) {
		pthread_mutex_unlock(&h->lock);
		free(s->pre);
		free(s);
		qf_http_add_header(r, "Retry-After", "30");
		qf_http_reply_error(r, 503, "too_many_viewers",
				    "实时看板观看人数已满，请稍后再试", NULL);
		return;
	}
	/* resume after Last-Event-ID when the ring still holds what follows */
	if (last && end && *end == '\0' && lid < h->next)
		s->next = lid + 1; /* below the ring: the reader says "reset" */
	else
		s->next = h->next;
	s->nxt = h->subs;
	if (h->subs)
		h->subs->prev = s;
	h->subs = s;
	h->nsubs++;
	pthread_mutex_unlock(&h->lock);
	qf_http_add_header(r, "X-Accel-Buffering", "no");
	struct qf_http_stream *st;
	qf_http_reply_stream_wait(r, 200, "text/event-stream; charset=utf-8", s_reader, s,
				  s_sub_free, &st);
	if (!st)
		return; /* s was freed by s_sub_free */
	pthread_mutex_lock(&h->lock);
	s->st = st;
	pthread_mutex_unlock(&h->lock);
}
