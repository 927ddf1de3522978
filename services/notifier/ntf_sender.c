/* ntf_sender.c: the transfer thread (ntf_sender.h).
 *
 * Design: a queue in (mutex), a queue out (mutex), a libcurl multi handle
 * polled with curl_multi_poll and interrupted with curl_multi_wakeup when a
 * job arrives. Requests are built here, just before sending, because that
 * is the only moment a petitioner's contact may be opened; the request
 * bytes are wiped as soon as the transfer ends. Errors reported back are
 * libcurl's generic texts, never the server's words (they could quote an
 * address). */
#include "ntf_sender.h"
#include "qf_err.h"
#include "qf_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

struct xfer {
	CURL *easy;
	struct ntf_request req;
	size_t sent;
	struct curl_slist *hdrs, *rcpt;
	char resp[2048];
	size_t resp_len;
	int64_t retry_after_ms;
	int64_t t0;
};

struct ntf_sender {
	pthread_t th;
	int started;
	CURLM *multi;
	pthread_mutex_t lock;
	struct ntf_job *in_head, *in_tail;
	struct ntf_job *out_head, *out_tail;
	int stop;
	const struct ntf_keys *keys;
	struct qf_clock *clock;
	void (*wake)(void *);
	void *wake_arg;
	struct ntf_job *active; /* transfers running (linked by next) */
	/* per channel (conf index): transfers running, and jobs waiting for a
	   slot: the dispatcher may hand over more than the concurrency, so
	   the next transfer starts the moment one ends, even while the core
	   thread is busy committing outcomes */
	CURL *pool[64]; /* finished easy handles, reset and reused */
	unsigned npool;
	unsigned nch;
	unsigned *running;
	struct ntf_job **wait_head, **wait_tail;
};

static unsigned s_idx(const struct ntf_sender *s, const struct ntf_job *j)
{
	return j->ch->idx < s->nch ? j->ch->idx : 0;
}

static size_t s_write(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm;
	size_t room = sizeof x->resp - 1 - x->resp_len;
	size_t take = n < room ? n : room;
	memcpy(x->resp + x->resp_len, p, take);
	x->resp_len += take;
	x->resp[x->resp_len] = '\0';
	return n;
}

static size_t s_header_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm;
	if (n > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char v[64];
		size_t l = n - 12 < sizeof v - 1 ? n - 12 : sizeof v - 1;
		memcpy(v, p + 12, l);
		v[l] = '\0';
		char *s = v;
		while (*s == ' ' || *s == '\t')
			s++;
		s[strcspn(s, "\r\n")] = '\0';
		char *end;
		long long secs = strtoll(s, &end, 10);
		if (end != s && *end == '\0' && secs >= 0 && secs < 86400 * 7) {
			x->retry_after_ms = secs * 1000;
		} else {
			time_t when = curl_getdate(s, NULL);
			time_t now = time(NULL);
			if (when > now && when - now < 86400 * 7)
				x->retry_after_ms = (int64_t)(when - now) * 1000;
		}
	}
	return n;
}

static size_t s_read(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t room = sz * nm, left = x->req.body_len - x->sent;
	size_t take = left < room ? left : room;
	memcpy(p, x->req.body + x->sent, take);
	x->sent += take;
	return take;
}

static void s_finish(struct ntf_sender *s, struct ntf_job *j)
{
	struct xfer *x = j->priv;
	if (x) {
		if (x->easy) {
			curl_multi_remove_handle(s->multi, x->easy);
			if (s->npool < sizeof s->pool / sizeof s->pool[0]) {
				curl_easy_reset(x->easy);
				s->pool[s->npool++] = x->easy;
			} else {
				curl_easy_cleanup(x->easy);
			}
		}
		curl_slist_free_all(x->hdrs);
		curl_slist_free_all(x->rcpt);
		ntf_request_wipe(&x->req);
		sodium_memzero(x->resp, sizeof x->resp);
		free(x);
		j->priv = NULL;
	}
	pthread_mutex_lock(&s->lock);
	j->next = NULL;
	if (s->out_tail)
		s->out_tail->next = j;
	else
		s->out_head = j;
	s->out_tail = j;
	pthread_mutex_unlock(&s->lock);
}

/* The recipient as the opened contact shows it (masked) is authoritative. */
static void s_set_masked(struct ntf_job *j, const char *m)
{
	if (!m || !m[0] || (j->masked && !strcmp(j->masked, m)))
		return;
	char *c = strdup(m);
	if (c) {
		free(j->masked);
		j->masked = c;
	}
}

/* Start one job: build its request and add the transfer; on a verdict
 * without transfer, finish at once. Returns 1 if finished now. */
static int s_start(struct ntf_sender *s, struct ntf_job *j)
{
	struct xfer *x = calloc(1, sizeof *x);
	if (!x) {
		j->outcome = NTF_OUT_TRANSIENT;
		snprintf(j->err, sizeof j->err, "out of memory");
		s_finish(s, j);
		return 1;
	}
	j->priv = x;
	int rc = ntf_request_build(j, s->keys, qf_now_ms(s->clock), &x->req, j->err,
				   sizeof j->err);
	s_set_masked(j, x->req.masked);
	if (rc != NTF_OUT_OK) {
		j->outcome = rc < 0 ? NTF_OUT_TRANSIENT : rc;
		if (rc < 0)
			snprintf(j->err, sizeof j->err, "out of memory");
		s_finish(s, j);
		return 1;
	}
	const struct ntf_channel_conf *ch = j->ch;
	CURL *e = x->easy = s->npool ? s->pool[--s->npool] : curl_easy_init();
	if (!e) {
		j->outcome = NTF_OUT_TRANSIENT;
		snprintf(j->err, sizeof j->err, "cannot create a transfer");
		s_finish(s, j);
		return 1;
	}
	curl_easy_setopt(e, CURLOPT_URL, x->req.url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, ch->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, ch->tls_verify ? 2L : 0L);
	if (ch->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, ch->ca_file);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	for (unsigned i = 0; i < x->req.nheaders; i++) {
		struct curl_slist *n = curl_slist_append(x->hdrs, x->req.headers[i]);
		if (n)
			x->hdrs = n;
	}
	if (x->req.smtp) {
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, x->req.mail_from);
		x->rcpt = curl_slist_append(NULL, x->req.rcpt);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, s_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)x->req.body_len);
		if (ch->starttls)
			curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		/* a connection upgraded by STARTTLS under one channel's trust
		   (ca_file, tls_verify) must never carry another channel's mail:
		   libcurl 7.88 reuses an idle upgraded connection for a handle
		   with other TLS settings (tests/integration/test_notifier_tls.py
		   caught a certificate nobody trusted being accepted that way).
		   No reuse, no resumed sessions: a handshake per message is
		   affordable at mail volumes. */
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
		if (ch->username[0]) {
			curl_easy_setopt(e, CURLOPT_USERNAME, ch->username);
			curl_easy_setopt(e, CURLOPT_PASSWORD, ch->password);
		}
	} else {
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "qingfeng-notifier/0.1");
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, s_header_cb);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
		/* never wait for 100-continue: receivers answer in one go */
		struct curl_slist *n = curl_slist_append(x->hdrs, "Expect:");
		if (n)
			x->hdrs = n;
		if (!strcmp(x->req.method, "GET")) {
			curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		} else {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->req.body);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)x->req.body_len);
			if (!strcmp(x->req.method, "PUT"))
				curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		}
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	x->t0 = qf_mono_ns();
	if (curl_multi_add_handle(s->multi, e) != CURLM_OK) {
		j->outcome = NTF_OUT_TRANSIENT;
		snprintf(j->err, sizeof j->err, "cannot start the transfer");
		s_finish(s, j);
		return 1;
	}
	return 0;
}

static int s_transport_verdict(CURLcode c)
{
	switch (c) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_TOO_MANY_REDIRECTS:
		return NTF_OUT_PERMANENT;
	default:
		return NTF_OUT_TRANSIENT;
	}
}

static void s_done(struct ntf_sender *s, CURL *e, CURLcode code)
{
	struct ntf_job *j = NULL;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	if (!j)
		return;
	struct xfer *x = j->priv;
	long status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	j->status = status;
	j->retry_after_ms = x->retry_after_ms;
	j->seconds = (double)(qf_mono_ns() - x->t0) / 1e9;
	int terr = code == CURLE_OK ? 0 : s_transport_verdict(code);
	j->outcome =
	    ntf_response_classify(j->fmt, terr, curl_easy_strerror(code), status, x->resp,
				  x->resp_len, j->ch->ok_contains, j->err, sizeof j->err);
	/* unlink from the active list */
	for (struct ntf_job **pp = &s->active; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (s->running[s_idx(s, j)])
		s->running[s_idx(s, j)]--;
	s_finish(s, j);
}

static void s_queue(struct ntf_sender *s, struct ntf_job *j)
{
	unsigned i = s_idx(s, j);
	j->next = NULL;
	if (s->wait_tail[i])
		s->wait_tail[i]->next = j;
	else
		s->wait_head[i] = j;
	s->wait_tail[i] = j;
}

/* Start waiting jobs while their channel has free slots; 1 if some job
 * finished without a transfer. */
static int s_start_waiting(struct ntf_sender *s)
{
	int finished = 0;
	for (unsigned i = 0; i < s->nch; i++) {
		while (s->wait_head[i]) {
			struct ntf_job *j = s->wait_head[i];
			if (s->running[i] >= (unsigned)j->ch->concurrency)
				break;
			s->wait_head[i] = j->next;
			if (!s->wait_head[i])
				s->wait_tail[i] = NULL;
			j->next = NULL;
			if (s_start(s, j)) {
				finished = 1;
			} else {
				s->running[i]++;
				j->next = s->active;
				s->active = j;
			}
		}
	}
	return finished;
}

static void *s_main(void *arg)
{
	struct ntf_sender *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		int stop = s->stop;
		struct ntf_job *in = s->in_head;
		s->in_head = s->in_tail = NULL;
		pthread_mutex_unlock(&s->lock);
		if (stop) {
			/* jobs not sent stay pending in the store */
			while (in) {
				struct ntf_job *n = in->next;
				ntf_job_free(in);
				in = n;
			}
			break;
		}
		int finished = 0;
		while (in) {
			struct ntf_job *n = in->next;
			s_queue(s, in);
			in = n;
		}
		finished |= s_start_waiting(s);
		int running = 0;
		curl_multi_perform(s->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(s->multi, &left)))
			if (m->msg == CURLMSG_DONE) {
				s_done(s, m->easy_handle, m->data.result);
				finished = 1;
			}
		if (finished)
			s_start_waiting(s);
		if (finished && s->wake)
			s->wake(s->wake_arg);
		curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
	}
	/* abandon jobs waiting and transfers in flight */
	for (unsigned i = 0; i < s->nch; i++)
		while (s->wait_head[i]) {
			struct ntf_job *j = s->wait_head[i];
			s->wait_head[i] = j->next;
			ntf_job_free(j);
		}
	while (s->active) {
		struct ntf_job *j = s->active;
		s->active = j->next;
		struct xfer *x = j->priv;
		if (x) {
			curl_multi_remove_handle(s->multi, x->easy);
			curl_easy_cleanup(x->easy);
			curl_slist_free_all(x->hdrs);
			curl_slist_free_all(x->rcpt);
			ntf_request_wipe(&x->req);
			free(x);
			j->priv = NULL;
		}
		ntf_job_free(j);
	}
	return NULL;
}

int ntf_sender_start(struct ntf_sender **out, const struct ntf_keys *keys,
		     struct qf_clock *clock, unsigned nchannels, void (*wake)(void *),
		     void *wake_arg)
{
	struct ntf_sender *s = calloc(1, sizeof *s);
	if (!s)
		return QF_ERR_NOMEM;
	s->nch = nchannels ? nchannels : 1;
	s->running = calloc(s->nch, sizeof *s->running);
	s->wait_head = calloc(s->nch, sizeof *s->wait_head);
	s->wait_tail = calloc(s->nch, sizeof *s->wait_tail);
	if (!s->running || !s->wait_head || !s->wait_tail) {
		free(s->running);
		free(s->wait_head);
		free(s->wait_tail);
		free(s);
		return QF_ERR_NOMEM;
	}
	s->keys = keys;
	s->clock = clock;
	s->wake = wake;
	s->wake_arg = wake_arg;
	pthread_mutex_init(&s->lock, NULL);
	s->multi = curl_multi_init();
	if (!s->multi) {
		pthread_mutex_destroy(&s->lock);
		free(s->running);
		free(s->wait_head);
		free(s->wait_tail);
		free(s);
		return QF_ERR_NOMEM;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 256L);
	if (pthread_create(&s->th, NULL, s_main, s)) {
		curl_multi_cleanup(s->multi);
		pthread_mutex_destroy(&s->lock);
		free(s->running);
		free(s->wait_head);
		free(s->wait_tail);
		free(s);
		return QF_ERR_NOMEM;
	}
	s->started = 1;
	*out = s;
	return 0;
}

void ntf_sender_submit(struct ntf_sender *s, struct ntf_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->in_tail)
		s->in_tail->next = j;
	else
		s->in_head = j;
	s->in_tail = j;
	pthread_mutex_unlock(&s->lock);
	curl_multi_wakeup(s->multi);
}

struct ntf_job *ntf_sender_take(struct ntf_sender *s)
{
	pthread_mutex_lock(&s->lock);
	struct ntf_job *j = s->out_head;
	s->out_head = s->out_tail = NULL;
	pthread_mutex_unlock(&s->lock);
	return j;
}

void ntf_sender_stop(struct ntf_sender **sp)
{
	if (!sp || !*sp)
		return;
	struct ntf_sender *s = *sp;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_mutex_unlock(&s->lock);
		curl_multi_wakeup(s->multi);
		pthread_join(s->th, NULL);
	}
	struct ntf_job *j = ntf_sender_take(s);
	while (j) {
		struct ntf_job *n = j->next;
		ntf_job_free(j);
		j = n;
	}
	while (s->npool)
		curl_easy_cleanup(s->pool[--s->npool]);
	curl_multi_cleanup(s->multi);
	pthread_mutex_destroy(&s->lock);
	free(s->running);
	free(s->wait_head);
	free(s->wait_tail);
	free(s);
	*sp = NULL;
}
