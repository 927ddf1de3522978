/* ntf_dispatch.c: scheduling, limits, outcomes and retention on the core
 * thread (ntf_dispatch.h).
 *
 * The schedule is the ntf.due index (channel, due time, id), so each
 * channel's next deliveries are a short cursor walk from its prefix and one
 * saturated channel never delays another. Limits: at most `concurrency`
 * transfers per channel, and a token bucket for `rate_per_s`. A job is
 * built from the record in a read transaction (addresses resolved, sealed
 * boxes copied), and outcomes are written in one transaction per turn, so
 * durable throughput is not bound by fsync. */
#include "ntf_dispatch.h"
#include "ntf_channel.h"
#include "ntf_queue.h"
#include "ntf_sender.h"
#include "ntf_format.h"
#include "ntf_util.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURGE_EVERY_MS 60000
/* Jobs handed to the sender per channel: up to 8 times its concurrency, so the
 * sender starts the next transfer the moment one ends, even while this
 * thread waits for a commit. The sender keeps the concurrency itself. */
#define LOOKAHEAD   8
#define PURGE_BATCH 2000

/* The ids in flight of one channel: an open-addressing set (linear
 * probing, backward-shift deletion); ids are hashes already, so their
 * first hex digits are a fine hash. */
struct iset {
	char (*k)[NTF_ID_LEN];
	uint8_t *used;
	uint32_t mask;
};

static uint32_t s_ih(const char *id)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)id[i]) * 16777619u;
	return h;
}

static int s_iset_init(struct iset *s, unsigned cap)
{
	uint32_t n = 16;
	while (n < cap * 2)
		n <<= 1;
	s->k = calloc(n, sizeof *s->k);
	s->used = calloc(n, 1);
	s->mask = n - 1;
	return s->k && s->used ? 0 : QF_ERR_NOMEM;
}

static void s_iset_free(struct iset *s)
{
	free(s->k);
	free(s->used);
}

static int s_iset_has(const struct iset *s, const char *id)
{
	for (uint32_t i = s_ih(id) & s->mask; s->used[i]; i = (i + 1) & s->mask)
		if (memcmp(s->k[i], id, NTF_ID_LEN) == 0)
			return 1;
	return 0;
}

static void s_iset_add(struct iset *s, const char *id)
{
	uint32_t i = s_ih(id) & s->mask;
	while (s->used[i])
		i = (i + 1) & s->mask;
	memcpy(s->k[i], id, NTF_ID_LEN);
	s->used[i] = 1;
}

static int s_iset_del(struct iset *s, const char *id)
{
	uint32_t i = s_ih(id) & s->mask;
	while (s->used[i] && memcmp(s->k[i], id, NTF_ID_LEN))
		i = (i + 1) & s->mask;
	if (!s->used[i])
		return 0;
	/* backward shift: keep every later entry reachable from its home */
	for (uint32_t j = (i + 1) & s->mask; s->used[j]; j = (j + 1) & s->mask) {
		uint32_t home = s_ih(s->k[j]) & s->mask;
		if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
			memcpy(s->k[i], s->k[j], NTF_ID_LEN);
			i = j;
		}
	}
	s->used[i] = 0;
	return 1;
}

struct chan {
	const struct ntf_channel_conf *cc;
	unsigned inflight;
	struct iset ids; /* in flight (or awaiting their outcome) */
	double tokens;
	int64_t refill_ms; /* monotonic */
	struct qf_metric *m_out[NTF_OUT_CANCEL + 1];
	struct qf_metric *m_seconds;
};

struct ntf_dispatch {
	struct ntf *n;
	struct chan *ch;
	unsigned nch;
	struct ntf_job *ready; /* verdicts reached without a transfer */
	int orphans_done;
	int paused;		 /* atomic: set from HTTP threads */
	unsigned inflight_total; /* atomic: read from HTTP threads */
	int64_t next_purge;	 /* monotonic */
	struct qf_metric *m_inflight;
};

static double s_inflight_gauge(void *arg) { return ntf_dispatch_inflight(arg); }

static int s_count_due(struct qf_txn *t, void *arg)
{
	struct ntf *n = ((void **)arg)[0];
	uint64_t *out = ((void **)arg)[1];
	*out = ntf_db_count(t, n->db.due);
	return 0;
}

static int s_count_dead(struct qf_txn *t, void *arg)
{
	struct ntf *n = ((void **)arg)[0];
	uint64_t *out = ((void **)arg)[1];
	*out = ntf_db_count(t, n->db.dead);
	return 0;
}

static double s_gauge_db(struct ntf *n, qf_store_fn fn)
{
	uint64_t v = 0;
	void *arg[2] = {n, &v};
	qf_store_read(n->store, fn, arg);
	return (double)v;
}

static double s_queue_gauge(void *arg) { return s_gauge_db(arg, s_count_due); }

static double s_dead_gauge(void *arg) { return s_gauge_db(arg, s_count_dead); }

int ntf_dispatch_new(struct ntf_dispatch **out, struct ntf *n)
{
	struct ntf_dispatch *d = calloc(1, sizeof *d);
	if (!d)
		return QF_ERR_NOMEM;
	d->n = n;
	/* bound to the start's channels for good: every reloaded generation
	   shares them (ntf_conf_keep_channels), so c->cc and j->ch are the
	   channels whichever generation names them */
	d->nch = n->conf->nchannels;
	d->ch = calloc(d->nch + 1, sizeof *d->ch);
	if (!d->ch) {
		free(d);
		return QF_ERR_NOMEM;
	}
	struct qf_metrics *m = n->svc ? qf_svc_metrics(n->svc) : NULL;
	for (unsigned i = 0; i < d->nch; i++) {
		struct chan *c = &d->ch[i];
		c->cc = &n->conf->channels[i];
		if (s_iset_init(&c->ids, (unsigned)c->cc->concurrency * LOOKAHEAD)) {
			ntf_dispatch_destroy(&d);
			return QF_ERR_NOMEM;
		}
		c->tokens = c->cc->rate_per_s > 1 ? c->cc->rate_per_s : 1;
		c->refill_ms = qf_mono_ms();
		if (m) {
			char labels[160];
			for (int o = 0; o <= NTF_OUT_CANCEL; o++) {
				snprintf(labels, sizeof labels,
					 "channel=\"%s\",outcome=\"%s\"", c->cc->name,
					 ntf_outcome_name(o));
				c->m_out[o] = qf_metrics_counter(
				    m, "qf_notifier_attempts_total",
				    "Delivery attempts finished, by channel and outcome",
				    labels);
			}
			snprintf(labels, sizeof labels, "channel=\"%s\"", c->cc->name);
			c->m_seconds =
			    qf_metrics_histogram(m, "qf_notifier_send_seconds",
						 "Time of one delivery attempt", labels);
		}
	}
	if (m) {
		qf_metrics_gauge_fn(m, "qf_notifier_inflight",
				    "Delivery attempts in flight", NULL, s_inflight_gauge,
				    d);
		qf_metrics_gauge_fn(m, "qf_notifier_queue_depth",
				    "Deliveries pending (scheduled, incl. retries)", NULL,
				    s_queue_gauge, n);
		qf_metrics_gauge_fn(m, "qf_notifier_dead_letters",
				    "Deliveries in the dead letters", NULL, s_dead_gauge,
				    n);
	}
	*out = d;
	return 0;
}

void ntf_dispatch_destroy(struct ntf_dispatch **dp)
{
	if (!dp || !*dp)
		return;
	struct ntf_dispatch *d = *dp;
	for (unsigned i = 0; i < d->nch; i++)
		s_iset_free(&d->ch[i].ids);
	free(d->ch);
	while (d->ready) {
		struct ntf_job *j = d->ready;
		d->ready = j->next;
		ntf_job_free(j);
	}
	free(d);
	*dp = NULL;
}

unsigned ntf_dispatch_inflight(const struct ntf_dispatch *d)
{
	return __atomic_load_n(&d->inflight_total, __ATOMIC_RELAXED);
}

void ntf_dispatch_pause(struct ntf_dispatch *d, int paused)
{
	__atomic_store_n(&d->paused, paused, __ATOMIC_RELAXED);
}

int ntf_dispatch_paused(const struct ntf_dispatch *d)
{
	return __atomic_load_n(&d->paused, __ATOMIC_RELAXED);
}

static void s_total(struct ntf_dispatch *d)
{
	unsigned n = 0;
	for (unsigned i = 0; i < d->nch; i++)
		n += d->ch[i].inflight;
	__atomic_store_n(&d->inflight_total, n, __ATOMIC_RELAXED);
}

static struct chan *s_chan(struct ntf_dispatch *d, const char *name)
{
	for (unsigned i = 0; i < d->nch; i++)
		if (strcmp(d->ch[i].cc->name, name) == 0)
			return &d->ch[i];
	return NULL;
}

static int s_is_inflight(const struct chan *c, const char *id)
{
	return s_iset_has(&c->ids, id);
}

static void s_inflight_del(struct chan *c, const char *id)
{
	if (s_iset_del(&c->ids, id))
		c->inflight--;
}

/* ------------------------------------------------------------ outcomes */

struct outcomes {
	struct ntf_dispatch *d;
	struct ntf_job *list;
	int64_t now;
};

static int s_outcomes_txn(struct qf_txn *t, void *arg)
{
	struct outcomes *o = arg;
	for (struct ntf_job *j = o->list; j; j = j->next) {
		int rc = ntf_queue_outcome(o->d->n, t, j, o->now);
		if (rc)
			return rc;
	}
	return 0;
}

static void s_log_outcome(const struct ntf_job *j)
{
	char eb[200];
	if (j->outcome == NTF_OUT_OK)
		qf_debug("delivered", "id=%s channel=%s attempt=%d status=%ld", j->id,
			 j->ch->name, j->attempt, j->status);
	else if (j->outcome == NTF_OUT_TRANSIENT)
		qf_info("delivery_failed", "id=%s channel=%s attempt=%d error=%s", j->id,
			j->ch->name, j->attempt, qf_log_q(j->err, eb, sizeof eb));
	else if (j->outcome == NTF_OUT_PERMANENT)
		qf_warn("delivery_refused", "id=%s channel=%s attempt=%d error=%s", j->id,
			j->ch->name, j->attempt, qf_log_q(j->err, eb, sizeof eb));
	else
		qf_info("delivery_not_sent", "id=%s channel=%s outcome=%s reason=%s",
			j->id, j->ch->name, ntf_outcome_name(j->outcome),
			qf_log_q(j->err, eb, sizeof eb));
}

static void s_write_outcomes(struct ntf_dispatch *d, struct ntf_job *list)
{
	if (!list)
		return;
	struct outcomes o = {d, list, qf_now_ms(d->n->clock)};
	int rc = qf_store_write(d->n->store, s_outcomes_txn, &o);
	if (rc)
		/* nothing was recorded: the deliveries stay pending and are sent
		   again (same ids), which receivers deduplicate */
		qf_error("outcomes_not_written", "error=\"%s\"", qf_strerror(rc));
	while (list) {
		struct ntf_job *j = list;
		list = j->next;
		struct chan *c = s_chan(d, j->ch->name);
		if (c) {
			s_inflight_del(c, j->id);
			if (!rc) {
				qf_metric_inc(
				    c->m_out[j->outcome <= NTF_OUT_CANCEL ? j->outcome
									  : 0]);
				if (j->seconds > 0)
					qf_metric_observe(c->m_seconds, j->seconds);
			}
		}
		if (!rc)
			s_log_outcome(j);
		ntf_job_free(j);
	}
}

/* ------------------------------------------------------------ jobs */

static int s_dup(char **dst, const char *v)
{
	if (!v)
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : -1;
}

static int s_dupb(uint8_t **dst, size_t *dl, const uint8_t *v, size_t n)
{
	if (!v || !n)
		return 0;
	*dst = malloc(n);
	if (!*dst)
		return -1;
	memcpy(*dst, v, n);
	*dl = n;
	return 0;
}

static const char *s_staff_phone(const struct ntf *n, const char *id)
{
	const struct ntf_staff_contact *c = ntf_conf_contact(n->conf, id);
	if (c && c->phone[0])
		return c->phone;
	const struct qf_staff *s = qf_community_staff(n->com, id);
	return s && s->phone && s->phone[0] ? s->phone : NULL;
}

/* A verdict without a transfer. */
static void s_verdict(struct ntf_job *j, int outcome, const char *why)
{
	j->outcome = outcome;
	snprintf(j->err, sizeof j->err, "%s", why);
}

/* Build the job for delivery dl; returns it (NULL on no memory). Sets
 * *sendable to 0 when a verdict was reached without sending. */
static struct ntf_job *s_job(struct ntf_dispatch *d, struct qf_txn *t,
			     const struct ntf_delivery *dl, struct chan *c, int *sendable)
{
	struct ntf *n = d->n;
	struct ntf_job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	*sendable = 1;
	memcpy(j->id, dl->id, sizeof j->id);
	j->fmt = dl->fmt;
	j->to = dl->to;
	j->ch = c->cc;
	j->attempt = dl->attempts + 1;
	j->created = dl->created;
	if (dl->expired) {
		/* retention forgot the case: the text is unreadable, for good */
		s_verdict(j, NTF_OUT_PERMANENT,
			  "private_expired: the case's private data was deleted");
		*sendable = 0;
		return j;
	}
	char hex[33] = "";
	if (dl->has_event_id)
		qf_hex(dl->event_id, 16, hex);
	if (s_dup(&j->subject, dl->subject) || s_dup(&j->text, dl->text) ||
	    s_dup(&j->markdown, dl->markdown) || s_dup(&j->event, dl->event) ||
	    s_dup(&j->event_id, hex) || s_dup(&j->case_id, dl->case_id) ||
	    s_dup(&j->tracking_code, dl->tracking_code) || s_dup(&j->rule, dl->rule) ||
	    s_dup(&j->rk, dl->rk) || s_dup(&j->rid, dl->rid) ||
	    s_dup(&j->masked, dl->rdisp))
		goto oom;
	switch (dl->to) {
	case NTF_TO_PETITIONER: {
		struct ntf_case cr;
		int rc = ntf_case_get(t, &n->db, dl->case_id, &cr);
		if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO) {
			s_verdict(j, NTF_OUT_TRANSIENT, "store read failed");
			*sendable = 0;
			break;
		}
		if (rc || !cr.petition_seen) {
			/* the router's event came first: wait for the petition */
			if (ntf_fmt_addr(j->fmt) == NTF_ADDR_URL) {
				s_verdict(
				    j, NTF_OUT_TRANSIENT,
				    "contact_pending: the petition has not arrived yet");
				*sendable = 0;
			}
		} else if (ntf_fmt_addr(j->fmt) == NTF_ADDR_URL) {
			if (!cr.pseudonym) {
				s_verdict(j, NTF_OUT_SKIP,
					  "no_address: the petition has no pseudonym");
				*sendable = 0;
			} else {
				free(j->rid);
				j->rid = strdup(cr.pseudonym);
				if (!j->rid) {
					ntf_case_clear(&cr);
					goto oom;
				}
			}
		} else if (cr.expired) {
			s_verdict(j, NTF_OUT_SKIP,
				  "private_expired: the contact was deleted");
			*sendable = 0;
		} else if (!cr.sealed) {
			s_verdict(j, NTF_OUT_SKIP,
				  "no_address: the petitioner left no contact");
			*sendable = 0;
		} else if (s_dupb(&j->sealed, &j->sealed_len, cr.sealed, cr.sealed_len)) {
			ntf_case_clear(&cr);
			goto oom;
		}
		if (!j->masked && ntf_fmt_addr(j->fmt) == NTF_ADDR_PHONE &&
		    cr.phone_masked)
			j->masked = strdup(cr.phone_masked);
		ntf_case_clear(&cr);
		break;
	}
	case NTF_TO_STAFF:
		if (ntf_fmt_addr(j->fmt) == NTF_ADDR_EMAIL) {
			const struct ntf_staff_contact *sc =
			    ntf_conf_contact(n->conf, dl->rid);
			if (!sc || !sc->email[0]) {
				s_verdict(j, NTF_OUT_SKIP,
					  "no_address: no e-mail address configured");
				*sendable = 0;
			} else if (s_dup(&j->to_addr, sc->email)) {
				goto oom;
			}
		} else if (ntf_fmt_addr(j->fmt) == NTF_ADDR_PHONE) {
			const char *ph = s_staff_phone(n, dl->rid);
			if (!ph) {
				s_verdict(j, NTF_OUT_SKIP,
					  "no_address: no phone number configured");
				*sendable = 0;
			} else if (s_dup(&j->to_addr, ph)) {
				goto oom;
			}
		}
		break;
	case NTF_TO_FOLLOWER: {
		struct ntf_sub s;
		int rc = ntf_sub_get(t, &n->db, dl->rid, &s);
		if (rc && rc != QF_ERR_NOTFOUND && rc != QF_ERR_PROTO) {
			s_verdict(j, NTF_OUT_TRANSIENT, "store read failed");
			*sendable = 0;
			break;
		}
		if (rc || s.state == NTF_SUB_REMOVED ||
		    (s.state == NTF_SUB_PENDING && !dl->confirm)) {
			s_verdict(j, NTF_OUT_CANCEL, "the follower has left");
			*sendable = 0;
			if (!rc)
				ntf_sub_clear(&s);
			break;
		}
		if (s_dupb(&j->sealed, &j->sealed_len, s.addr, s.addr_len) ||
		    s_dupb(&j->sealed_secret, &j->sealed_secret_len, s.secret,
			   s.secret_len) ||
		    !(j->unsubscribe = ntf_keys_follow_link(&n->keys, n->conf->base_url,
							    s.id, "unsubscribe"))) {
			ntf_sub_clear(&s);
			goto oom;
		}
		if (!j->masked && s.masked)
			j->masked = strdup(s.masked);
		ntf_sub_clear(&s);
		break;
	}
	default: /* group: mention the staff by phone */
		if (dl->nmentions) {
			j->mentions = calloc(dl->nmentions, sizeof *j->mentions);
			if (!j->mentions)
				goto oom;
			for (unsigned i = 0; i < dl->nmentions; i++) {
				const char *ph = s_staff_phone(n, dl->mentions[i]);
				if (!ph)
					continue;
				if (!(j->mentions[j->nmentions] = strdup(ph)))
					goto oom;
				j->nmentions++;
			}
		}
		break;
	}
	return j;
oom:
	ntf_job_free(j);
	return NULL;
}

/* ------------------------------------------------------------ picking */

struct pick {
	struct ntf_dispatch *d;
	int64_t now;
	int64_t next_due;     /* earliest due seen beyond now (absolute) */
	struct ntf_job *send; /* jobs for the sender */
	unsigned nsend;
};

static void s_refill(struct chan *c)
{
	if (c->cc->rate_per_s <= 0)
		return;
	int64_t now = qf_mono_ms();
	double burst = c->cc->rate_per_s > 1 ? c->cc->rate_per_s : 1;
	c->tokens += (double)(now - c->refill_ms) * c->cc->rate_per_s / 1000.0;
	if (c->tokens > burst)
		c->tokens = burst;
	c->refill_ms = now;
}

static int s_pick_chan(struct pick *p, struct qf_txn *t, struct chan *c)
{
	struct ntf_dispatch *d = p->d;
	struct ntf *n = d->n;
	s_refill(c);
	unsigned free_slots = (unsigned)c->cc->concurrency * LOOKAHEAD - c->inflight;
	unsigned budget = free_slots < (unsigned)n->conf->dispatch_batch
			      ? free_slots
			      : (unsigned)n->conf->dispatch_batch;
	if (c->cc->rate_per_s > 0 && (double)budget > c->tokens)
		budget = (unsigned)c->tokens;
	size_t pl = strlen(c->cc->name) + 1; /* the channel and its NUL */
	unsigned skipped = 0;
	struct qf_iter it;
	int rc;
	for (rc = qf_iter_open(&it, t, n->db.due, c->cc->name, pl);
	     rc == QF_OK && (rc = qf_iter_next(&it)) > 0; rc = QF_OK) {
		if (it.k.mv_size != pl + 8 + NTF_ID_LEN)
			break;
		const uint8_t *kp = it.k.mv_data;
		int64_t due = (int64_t)qf_be64_get(kp + pl);
		char id[NTF_ID_LEN + 1];
		memcpy(id, kp + pl + 8, NTF_ID_LEN);
		id[NTF_ID_LEN] = '\0';
		if (s_is_inflight(c, id)) {
			if (++skipped > (unsigned)c->cc->concurrency * LOOKAHEAD + 1)
				break;
			continue;
		}
		if (due > p->now) {
			if (!p->next_due || due < p->next_due)
				p->next_due = due;
			break;
		}
		if (!budget) {
			/* due now but limited: the result of a running transfer or
			   the next token wakes us */
			if (free_slots && c->cc->rate_per_s > 0) {
				int64_t wait = (int64_t)((1.0 - c->tokens) * 1000.0 /
							 c->cc->rate_per_s) +
					       1;
				if (!p->next_due || p->now + wait < p->next_due)
					p->next_due = p->now + wait;
			}
			break;
		}
		struct ntf_delivery dl;
		int x = ntf_delivery_get(t, &n->db, id, &dl);
		if (x == 0 && dl.state == NTF_ST_PENDING) {
			int sendable = 1;
			struct ntf_job *j = s_job(d, t, &dl, c, &sendable);
			ntf_delivery_clear(&dl);
			if (!j) {
				rc = QF_ERR_NOMEM;
				break;
			}
			s_iset_add(&c->ids, id);
			c->inflight++;
			budget--;
			if (c->cc->rate_per_s > 0 && sendable)
				c->tokens -= 1;
			if (sendable) {
				j->next = p->send;
				p->send = j;
				p->nsend++;
			} else {
				j->next = d->ready;
				d->ready = j;
			}
		} else {
			if (x == 0)
				ntf_delivery_clear(&dl);
			/* a stale schedule entry (record gone or not pending) */
			qf_warn("schedule_stale", "id=%s channel=%s", id, c->cc->name);
		}
	}
	qf_iter_close(&it);
	return rc < 0 ? rc : 0;
}

static int s_pick_txn(struct qf_txn *t, void *arg)
{
	struct pick *p = arg;
	for (unsigned i = 0; i < p->d->nch; i++) {
		struct chan *c = &p->d->ch[i];
		if (c->inflight >= (unsigned)c->cc->concurrency * LOOKAHEAD)
			continue;
		int rc = s_pick_chan(p, t, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ orphans */

struct orphans {
	struct ntf_dispatch *d;
	char ids[256][NTF_ID_LEN + 1];
	uint8_t key[256][128]; /* the schedule entry */
	size_t klen[256];
	unsigned n;
	int64_t now;
};

static int s_orphans_scan(struct qf_txn *t, void *arg)
{
	struct orphans *o = arg;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(qf_txn_mdb(t), o->d->n->db.due, &cur);
	if (rc)
		return qf_store_err(rc);
	MDB_val k, v;
	int r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (r == 0 && o->n < 256) {
		const char *kp = k.mv_data;
		size_t cl = strnlen(kp, k.mv_size);
		if (cl + 9 + NTF_ID_LEN == k.mv_size) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)cl, kp);
			if (!s_chan(o->d, name)) {
				memcpy(o->ids[o->n], kp + cl + 9, NTF_ID_LEN);
				o->ids[o->n][NTF_ID_LEN] = '\0';
				if (k.mv_size <= sizeof o->key[0]) {
					memcpy(o->key[o->n], kp, k.mv_size);
					o->klen[o->n] = k.mv_size;
					o->n++;
				}
			} else {
				/* jump over this channel's entries */
				uint8_t next[80];
				memcpy(next, kp, cl);
				next[cl] = 1;
				MDB_val nk = {cl + 1, next};
				r = mdb_cursor_get(cur, &nk, &v, MDB_SET_RANGE);
				k = nk;
				continue;
			}
		}
		r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return 0;
}

static int s_orphans_kill(struct qf_txn *t, void *arg)
{
	struct orphans *o = arg;
	for (unsigned i = 0; i < o->n; i++) {
		int rc = ntf_queue_kill(o->d->n, t, o->ids[i],
					"channel_removed: no such channel", o->now);
		if (rc == QF_ERR_NOTFOUND || rc == QF_ERR_CONFLICT ||
		    rc == QF_ERR_PROTO) {
			/* a stale entry: drop it */
			rc = qf_txn_del(t, o->d->n->db.due, o->key[i], o->klen[i]);
			if (rc == QF_ERR_NOTFOUND)
				rc = 0;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Deliveries whose channel left the configuration become dead letters
 * (an operator can release them once the channel is back). */
static void s_orphans(struct ntf_dispatch *d)
{
	struct orphans *o = calloc(1, sizeof *o);
	if (!o)
		return;
	o->d = d;
	for (int round = 0; round < 64; round++) {
		o->n = 0;
		o->now = qf_now_ms(d->n->clock);
		if (qf_store_read(d->n->store, s_orphans_scan, o) || !o->n)
			break;
		int rc = qf_store_write(d->n->store, s_orphans_kill, o);
		if (rc) {
			qf_error("orphans_failed", "error=\"%s\"", qf_strerror(rc));
			break;
		}
		qf_warn("deliveries_orphaned", "count=%u reason=channel_removed", o->n);
	}
	free(o);
}

/* ------------------------------------------------------------ retention */

struct purge {
	struct ntf_dispatch *d;
	int64_t now;
	unsigned n, deleted;
};

static int s_purge_txn(struct qf_txn *t, void *arg)
{
	struct purge *p = arg;
	struct ntf *n = p->d->n;
	p->n = p->deleted = 0;
	struct qf_iter it;
	int rc;
	for (rc = qf_iter_open(&it, t, n->db.expire, NULL, 0);
	     rc == QF_OK && p->n < PURGE_BATCH && (rc = qf_iter_next(&it)) > 0;
	     rc = QF_OK) {
		const MDB_val k = it.k;
		if (k.mv_size < 10)
			continue;
		const uint8_t *kp = k.mv_data;
		if ((int64_t)qf_be64_get(kp) > p->now)
			break;
		char key[160];
		size_t kl =
		    k.mv_size - 9 < sizeof key - 1 ? k.mv_size - 9 : sizeof key - 1;
		memcpy(key, kp + 9, kl);
		key[kl] = '\0';
		char kind = (char)kp[8];
		if (kind == 'd') {
			struct ntf_delivery dl;
			if (ntf_delivery_get(t, &n->db, key, &dl) == 0) {
				if (dl.state != NTF_ST_PENDING &&
				    dl.state != NTF_ST_DEAD &&
				    dl.done_ms +
					    (int64_t)n->conf->retention_days * 86400000 <=
					p->now) {
					if (dl.case_id && dl.case_id[0])
						ntf_by_case_del(t, &n->db, dl.case_id,
								dl.created, dl.id);
					qf_txn_del(t, n->db.deliveries, key, strlen(key));
					p->deleted++;
				}
				ntf_delivery_clear(&dl);
			}
		} else if (kind == 'c') {
			struct ntf_case c;
			if (ntf_case_get(t, &n->db, key, &c) == 0) {
				if (c.closed_ms &&
				    c.closed_ms + (int64_t)n->conf->case_retention_days *
						      86400000 <=
					p->now) {
					if (c.tracking_code)
						qf_txn_del(t, n->db.tracking,
							   c.tracking_code,
							   strlen(c.tracking_code));
					qf_txn_del(t, n->db.cases, key, strlen(key));
					p->deleted++;
				}
				ntf_case_clear(&c);
			}
		} else if (kind == 's') {
			struct ntf_sub s;
			if (ntf_sub_get(t, &n->db, key, &s) == 0) {
				if (s.state == NTF_SUB_PENDING &&
				    s.created + (int64_t)n->conf->follow_confirm_ttl_h *
						    3600000 <=
					p->now) {
					ntf_sub_target_del(t, &n->db, s.target, s.id);
					qf_txn_del(t, n->db.subs, key, strlen(key));
					p->deleted++;
				}
				ntf_sub_clear(&s);
			}
		}
		if ((rc = mdb_cursor_del(it.cur, 0))) {
			rc = qf_store_err(rc);
			break;
		}
		p->n++;
		/* after a delete the cursor already stands on the next entry, and
		   MDB_NEXT returns it (LMDB's C_DEL) */
	}
	qf_iter_close(&it);
	return rc < 0 ? rc : 0;
}

static void s_purge(struct ntf_dispatch *d)
{
	struct purge p = {d, qf_now_ms(d->n->clock), 0, 0};
	for (int round = 0; round < 8; round++) {
		int rc = qf_store_write(d->n->store, s_purge_txn, &p);
		if (rc) {
			qf_error("retention_failed", "error=\"%s\"", qf_strerror(rc));
			return;
		}
		if (p.deleted)
			qf_info("retention", "expired=%u removed=%u", p.n, p.deleted);
		if (p.n < PURGE_BATCH)
			return;
	}
}

/* ------------------------------------------------------------ turn */

int ntf_dispatch_tick(struct ntf_dispatch *d)
{
	struct ntf *n = d->n;
	if (!d->orphans_done) {
		d->orphans_done = 1;
		s_orphans(d);
	}
	/* 1. outcomes: finished transfers and verdicts reached without one */
	struct ntf_job *list = n->sender ? ntf_sender_take(n->sender) : NULL;
	if (d->ready) {
		struct ntf_job *tail = d->ready;
		while (tail->next)
			tail = tail->next;
		tail->next = list;
		list = d->ready;
		d->ready = NULL;
	}
	s_write_outcomes(d, list);
	s_total(d);
	/* 2. retention, now and then */
	int64_t mono = qf_mono_ms();
	if (mono >= d->next_purge) {
		d->next_purge = mono + PURGE_EVERY_MS;
		s_purge(d);
	}
	if (ntf_dispatch_paused(d))
		return 1000;
	/* 3. what is due now */
	struct pick p = {d, qf_now_ms(n->clock), 0, NULL, 0};
	int rc = qf_store_read(n->store, s_pick_txn, &p);
	if (rc && rc != QF_ERR_AGAIN)
		qf_error("schedule_read_failed", "error=\"%s\"", qf_strerror(rc));
	while (p.send) {
		struct ntf_job *j = p.send;
		p.send = j->next;
		if (n->sender) {
			ntf_sender_submit(n->sender, j);
		} else {
			s_verdict(j, NTF_OUT_TRANSIENT, "sender not running");
			j->next = d->ready;
			d->ready = j;
		}
	}
	s_total(d);
	if (d->ready)
		return 0;
	int64_t wait = 1000;
	if (p.next_due) {
		int64_t w = p.next_due - qf_now_ms(n->clock);
		if (w < wait)
			wait = w < 0 ? 0 : w;
	}
	return (int)wait;
}
