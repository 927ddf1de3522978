/* qf_http.c: route table, body buffering, JSON errors, health/metrics and
 * suspend/resume on libmicrohttpd (qf_http.h).
 *
 * A request's life: first callback resolves the route and rejects early
 * (404, 405, 413 by Content-Length, 415); upload callbacks buffer the body;
 * the last callback runs the handler. If the handler suspended, the
 * connection is suspended under the request's lock, and the thread that
 * replies later resumes it under the same lock, so a fast reply cannot race
 * ahead of the suspension. */
#include "qf_http.h"
#include "qf_openapi.h"
#include "qf_policy.h"
#include "qf_id.h"

#include <sodium.h>
#include <strings.h>
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARAMS 8
#define MAX_EXTRA_HEADERS 8

#define MAX_DAEMONS 64

struct qf_http {
	/* one single-threaded daemon per worker, all listening on the same
	   address with SO_REUSEPORT: the kernel spreads connections over them
	   evenly, where one thread pool on a shared socket let whichever worker
	   woke first take most keep-alive connections (one busy core, the
	   others idle: intake's benchmark) */
	struct MHD_Daemon *d[MAX_DAEMONS];
	unsigned nd;
	atomic_int inflight; /* requests begun and not yet completed */
	atomic_int quiesced; /* the listening socket was handed back and closed */
	atomic_int closing;   /* qf_http_close_begin: new requests get 503 */
	atomic_int handlers;  /* handlers running (or deciding to suspend) now */
	atomic_int suspended; /* requests suspended and not yet resumed */
	struct qf_http_opts o;
	uint16_t port;
	struct qf_metric *m_inflight;
	pthread_mutex_t slock;          /* guards streams */
	struct qf_http_stream *streams; /* waiting streams (reply_stream_wait) */
	char *openapi;                  /* the route table's OpenAPI document */
	size_t openapi_len;
};

struct qf_http_req {
	struct qf_http *h;
	struct MHD_Connection *conn;
	const struct qf_http_route *route;
	const char *method;
	char *path;
	char *pname[MAX_PARAMS], *pval[MAX_PARAMS];
	unsigned nparams;
	char *body;
	size_t body_len, body_cap, limit;
	int too_big;
	int started;
	pthread_mutex_t lock;
	int want_suspend, suspended;
	int discard; /* answered early: read and drop any body, then reply */
	struct MHD_Response *resp;
	unsigned status;
	char *hname[MAX_EXTRA_HEADERS], *hval[MAX_EXTRA_HEADERS];
	unsigned nheaders;
	int64_t t0;
	char client[INET6_ADDRSTRLEN];
	const void *user, *world; /* set by the access gate */
	char rid[40];             /* X-Request-Id: the client's, or made here */
};

/* A short title per status (RFC 9457: the same for every occurrence). */
static const char *s_title(unsigned status)
{
	static const struct {
		unsigned status;
		const char *title;
	} t[] = {{400, "请求有误"},	  {401, "需要身份认证"},   {403, "无权操作"},
		 {404, "未找到"},	  {405, "不支持该请求方法"}, {409, "与当前状态冲突"},
		 {410, "已删除"},	  {413, "请求体过大"},	   {415, "不支持的内容类型"},
		 {422, "无法处理的内容"}, {429, "请求过于频繁"},   {500, "服务器内部错误"},
		 {503, "服务暂时不可用"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].status == status)
			return t[i].title;
	return status >= 500 ? "服务器错误" : "请求未能完成";
}

json_t *qf_http_problem_json(unsigned status, const char *code, const char *detail,
			     const char *field)
{
	char type[96];
	snprintf(type, sizeof type, "urn:qingfeng:problem:%s", code ? code : "error");
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:o}", "type", type, "title",
			 s_title(status), "status", (int)status, "detail",
			 detail ? detail : "", "code", code ? code : "error", "field",
			 field ? json_string(field) : json_null());
}

/* ------------------------------------------------------------ replies */

static void s_count(struct qf_http_req *r)
{
	struct qf_metrics *m = r->h->o.metrics;
	if (!m)
		return;
	const char *name = r->route ? (r->route->name ? r->route->name : r->route->pattern)
				    : (r->path ? r->path : "?");
	if (!r->route && strcmp(name, "/healthz") && strcmp(name, "/readyz") &&
	    strcmp(name, "/metrics"))
		name = "unmatched";
	char labels[256];
	snprintf(labels, sizeof labels, "route=\"%s\",code=\"%u\"", name, r->status);
	qf_metric_inc(qf_metrics_counter(m, "qf_http_requests_total",
					 "HTTP requests answered", labels));
	snprintf(labels, sizeof labels, "route=\"%s\"", name);
	qf_metric_observe(qf_metrics_histogram(m, "qf_http_request_seconds",
					       "HTTP request latency", labels),
			  (double)(qf_mono_ns() - r->t0) / 1e9);
}

static const char *s_header(const struct qf_http_req *r, const char *name)
{
	for (unsigned i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->hname[i], name))
			return r->hval[i];
	return NULL;
}

static int s_has_header(const struct qf_http_req *r, const char *name)
{
	return s_header(r, name) != NULL;
}

/* A GET (or HEAD) on a route anyone may read, answered for anyone: cacheable
 * and readable from other origins. A handler that answers one reader only
 * (a withheld photo shown to staff) says so with Cache-Control private or
 * no-store, and that answer gets no validator and no CORS. */
static int s_public_get(const struct qf_http_req *r)
{
	if (!r->route || !r->route->action || strcmp(r->route->action, "public") ||
	    (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")))
		return 0;
	const char *cc = s_header(r, "Cache-Control");
	return !cc || (!strstr(cc, "private") && !strstr(cc, "no-store"));
}

/* Install a response: called by whoever replies (handler or another thread). */
static void s_set_response(struct qf_http_req *r, unsigned status,
			   struct MHD_Response *resp)
{
	if (!resp)
		return;
	for (unsigned i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->hname[i], r->hval[i]);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Request-Id", r->rid);
	if (s_public_get(r)) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
		MHD_add_response_header(resp, "Access-Control-Expose-Headers",
					"ETag, Link, X-Request-Id");
	}
	pthread_mutex_lock(&r->lock);
	if (r->resp) { /* a second reply is a programming error: drop it */
		pthread_mutex_unlock(&r->lock);
		MHD_destroy_response(resp);
		return;
	}
	r->resp = resp;
	r->status = status;
	int resume = r->suspended;
	r->suspended = 0;
	struct MHD_Connection *conn = r->conn;
	if (resume)
		atomic_fetch_sub(&r->h->suspended, 1);
	pthread_mutex_unlock(&r->lock);
	/* Resume only after unlocking: once resumed, a pool thread may send the
	   reply and free r (s_completed) at once, so r must not be touched
	   after this call. While suspended, r cannot be freed. */
	if (resume)
		MHD_resume_connection(conn);
}

/* Does If-None-Match name etag (or "*")? */
static int s_etag_matches(struct qf_http_req *r, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						      "If-None-Match");
	if (!inm)
		return 0;
	if (!strcmp(inm, "*"))
		return 1;
	size_t el = strlen(etag);
	for (const char *p = inm; (p = strstr(p, etag)); p += el)
		if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
		    (p[el] == '\0' || p[el] == ',' || p[el] == ' '))
			return 1;
	return 0;
}

void qf_http_reply_take(struct qf_http_req *r, unsigned status, const char *ctype,
			char *body, size_t len)
{
	/* public reads: a strong validator over the body, and 304 when the
	   client already holds it (handlers may set their own). The validator
	   is SipHash-2-4 with a 128-bit output under a fixed key: the same body
	   gives the same ETag on every replica, and it costs a fifth of BLAKE2b
	   (hashing a 12 KB case-list page with BLAKE2b was a third of the
	   request). It tells versions of one resource apart; it signs nothing. */
	if (status == 200 && s_public_get(r) && !s_has_header(r, "ETag")) {
		static const uint8_t key[crypto_shorthash_siphashx24_KEYBYTES] = {
			'q', 'f', '-', 'e', 't', 'a', 'g'};
		uint8_t h[crypto_shorthash_siphashx24_BYTES];
		char etag[40] = "\"";
		crypto_shorthash_siphashx24(h, (const uint8_t *)(body ? body : ""), len,
					    key);
		qf_hex(h, sizeof h, etag + 1);
		strcat(etag, "\"");
		qf_http_add_header(r, "ETag", etag);
		if (!s_has_header(r, "Cache-Control"))
			qf_http_add_header(r, "Cache-Control", "no-cache");
		if (s_etag_matches(r, etag)) {
			free(body);
			body = NULL;
			len = 0;
			status = 304;
			ctype = NULL;
		}
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
						    : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return;
	}
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	s_set_response(r, status, resp);
}

void qf_http_reply(struct qf_http_req *r, unsigned status, const char *ctype,
		   const void *body, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, body, len);
	copy[len] = '\0';
	qf_http_reply_take(r, status, ctype, copy, len);
}

static const char s_oom[] = "{\"type\":\"urn:qingfeng:problem:internal\",\"title\":"
			    "\"out of memory\",\"status\":500,\"detail\":\"out of memory\","
			    "\"code\":\"internal\",\"field\":null}";

void qf_http_reply_json(struct qf_http_req *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		qf_http_reply(r, 500, "application/problem+json", s_oom, sizeof s_oom - 1);
		return;
	}
	qf_http_reply_take(r, status, "application/json; charset=utf-8", s, strlen(s));
}

void qf_http_reply_error(struct qf_http_req *r, unsigned status, const char *code,
			 const char *message, const char *field)
{
	qf_http_reply_problem(r, qf_http_problem_json(status, code, message, field));
}

void qf_http_reply_problem(struct qf_http_req *r, json_t *j)
{
	unsigned status = (unsigned)json_integer_value(json_object_get(j, "status"));
	if (status < 400 || status > 599)
		status = 500;
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		qf_http_reply(r, 500, "application/problem+json", s_oom, sizeof s_oom - 1);
		return;
	}
	qf_http_reply_take(r, status, "application/problem+json; charset=utf-8", s,
			   strlen(s));
}

struct stream {
	qf_http_reader reader;
	void *arg;
	void (*free_fn)(void *);
};

static ssize_t s_stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	long n = s->reader(s->arg, pos, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n;
}

static void s_stream_free(void *cls)
{
	struct stream *s = cls;
	if (s->free_fn)
		s->free_fn(s->arg);
	free(s);
}

void qf_http_reply_stream(struct qf_http_req *r, unsigned status, const char *ctype,
			  qf_http_reader reader, void *arg, void (*free_fn)(void *))
{
	struct stream *s = malloc(sizeof *s);
	if (!s) {
		if (free_fn)
			free_fn(arg);
		return;
	}
	*s = (struct stream){reader, arg, free_fn};
	struct MHD_Response *resp =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, s_stream_cb, s,
						  s_stream_free);
	if (!resp) {
		s_stream_free(s);
		return;
	}
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	s_set_response(r, status, resp);
}

/* Waiting streams: a reader's 0 suspends the connection (from inside the
 * content reader, as libmicrohttpd requires) instead of being asked again at
 * once; wake resumes it. `pending` records a wake that came while the
 * reader ran, so that no wake-up is lost between the reader's check and the
 * suspension. */
struct qf_http_stream {
	struct qf_http *h;
	struct MHD_Connection *conn;
	qf_http_reader reader;
	void *arg;
	void (*free_fn)(void *);
	pthread_mutex_t lock;
	int suspended, pending, closing;
	struct qf_http_stream *prev, *next;
};

static ssize_t s_wstream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct qf_http_stream *st = cls;
	pthread_mutex_lock(&st->lock);
	int closing = st->closing;
	pthread_mutex_unlock(&st->lock);
	if (closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	long n = st->reader(st->arg, pos, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > 0)
		return n;
	pthread_mutex_lock(&st->lock);
	if (st->pending || st->closing) {
		st->pending = 0; /* data came meanwhile: ask again */
	} else {
		st->suspended = 1;
		MHD_suspend_connection(st->conn);
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static void s_wstream_free(void *cls)
{
	struct qf_http_stream *st = cls;
	struct qf_http *h = st->h;
	pthread_mutex_lock(&h->slock);
	if (st->prev)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	pthread_mutex_unlock(&h->slock);
	if (st->free_fn)
		st->free_fn(st->arg);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void qf_http_reply_stream_wait(struct qf_http_req *r, unsigned status,
			       const char *ctype, qf_http_reader reader, void *arg,
			       void (*free_fn)(void *), struct qf_http_stream **handle)
{
	*handle = NULL;
	struct qf_http_stream *st = calloc(1, sizeof *st);
	if (!st) {
		if (free_fn)
			free_fn(arg);
		return;
	}
	st->h = r->h;
	st->conn = r->conn;
	st->reader = reader;
	st->arg = arg;
	st->free_fn = free_fn;
	pthread_mutex_init(&st->lock, NULL);
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 16384, s_wstream_cb, st, s_wstream_free);
	if (!resp) {
		pthread_mutex_destroy(&st->lock);
		free(st);
		if (free_fn)
			free_fn(arg);
		return;
	}
	pthread_mutex_lock(&r->h->slock);
	st->next = r->h->streams;
	if (st->next)
		st->next->prev = st;
	r->h->streams = st;
	pthread_mutex_unlock(&r->h->slock);
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	*handle = st;
	s_set_response(r, status, resp);
}

void qf_http_stream_wake(struct qf_http_stream *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	if (st->suspended) {
		st->suspended = 0;
		MHD_resume_connection(st->conn);
	} else {
		st->pending = 1;
	}
	pthread_mutex_unlock(&st->lock);
}

/* End every waiting stream (libmicrohttpd must not be stopped while a
 * connection is suspended). */
static void s_streams_close(struct qf_http *h)
{
	pthread_mutex_lock(&h->slock);
	for (struct qf_http_stream *st = h->streams; st; st = st->next) {
		pthread_mutex_lock(&st->lock);
		st->closing = 1;
		if (st->suspended) {
			st->suspended = 0;
			MHD_resume_connection(st->conn);
		}
		pthread_mutex_unlock(&st->lock);
	}
	pthread_mutex_unlock(&h->slock);
}

int qf_http_add_header(struct qf_http_req *r, const char *name, const char *value)
{
	if (r->nheaders >= MAX_EXTRA_HEADERS)
		return QF_ERR_TOOBIG;
	char *n = strdup(name), *v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return QF_ERR_NOMEM;
	}
	r->hname[r->nheaders] = n;
	r->hval[r->nheaders++] = v;
	return QF_OK;
}

void qf_http_suspend(struct qf_http_req *r)
{
	r->want_suspend = 1;
}

/* ------------------------------------------------------------ accessors */

const char *qf_http_method(struct qf_http_req *r)
{
	return r->method;
}

const char *qf_http_path(struct qf_http_req *r)
{
	return r->path;
}

const char *qf_http_action(struct qf_http_req *r)
{
	return r->route ? r->route->action : NULL;
}

const char *qf_http_subject(struct qf_http_req *r)
{
	return r->route && r->route->subject ? qf_http_param(r, r->route->subject) : NULL;
}

void qf_http_set_user(struct qf_http_req *r, const void *user, const void *world)
{
	r->user = user;
	r->world = world;
}

const void *qf_http_user(struct qf_http_req *r)
{
	return r->user;
}

const void *qf_http_world(struct qf_http_req *r)
{
	return r->world;
}

void qf_http_routes_print(const struct qf_http_route *routes, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "method", routes[i].method,
				      "pattern", routes[i].pattern, "action",
				      routes[i].action ? routes[i].action : "",
				      "subject",
				      routes[i].subject ? json_string(routes[i].subject)
							: json_null());
		char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (line)
			fprintf(out, "%s\n", line);
		free(line);
		json_decref(j);
	}
}

const char *qf_http_param(struct qf_http_req *r, const char *name)
{
	for (unsigned i = 0; i < r->nparams; i++)
		if (strcmp(r->pname[i], name) == 0)
			return r->pval[i];
	return NULL;
}

const char *qf_http_query(struct qf_http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct s_each {
	int (*fn)(void *arg, const char *name, const char *value);
	void *arg;
};

static enum MHD_Result s_each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	struct s_each *e = cls;
	return e->fn(e->arg, key, value) ? MHD_NO : MHD_YES;
}

void qf_http_query_each(struct qf_http_req *r,
			int (*fn)(void *arg, const char *name, const char *value),
			void *arg)
{
	struct s_each e = {fn, arg};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, s_each_arg, &e);
}

const char *qf_http_header(struct qf_http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *qf_http_body(struct qf_http_req *r, size_t *len)
{
	if (len)
		*len = r->body_len;
	return r->body ? r->body : "";
}

const char *qf_http_client(struct qf_http_req *r)
{
	return r->client;
}

json_t *qf_http_json_body(struct qf_http_req *r)
{
	json_error_t e;
	if (!r->body_len) {
		qf_http_reply_error(r, 400, "empty_body", "请求体为空，需要一个 JSON 对象",
				    NULL);
		return NULL;
	}
	json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		char msg[320];
		int bad_utf8 = strstr(e.text, "UTF-8") != NULL || strstr(e.text, "unable to decode byte") != NULL;
		snprintf(msg, sizeof msg, "%s (第 %d 行第 %d 列): %s",
			 bad_utf8 ? "请求体不是有效的 UTF-8" : "JSON 格式错误", e.line,
			 e.column, e.text);
		qf_http_reply_error(r, 400, bad_utf8 ? "invalid_utf8" : "malformed_json", msg,
				    NULL);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		qf_http_reply_error(r, 400, "not_an_object", "请求体必须是 JSON 对象", NULL);
		return NULL;
	}
	return j;
}

struct form_walk {
	qf_http_form_fn fn;
	void *arg;
	int stopped;
};

static enum MHD_Result s_form_iter(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *filename,
				   const char *content_type,
				   const char *transfer_encoding, const char *data,
				   uint64_t off, size_t size)
{
	(void)kind;
	(void)transfer_encoding;
	struct form_walk *w = cls;
	if (w->fn(w->arg, key, filename, content_type, data, off, size)) {
		w->stopped = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

int qf_http_form_each(struct qf_http_req *r, qf_http_form_fn fn, void *arg)
{
	struct form_walk w = {fn, arg, 0};
	struct MHD_PostProcessor *pp =
		MHD_create_post_processor(r->conn, 65536, s_form_iter, &w);
	if (!pp)
		return QF_ERR_PROTO;
	enum MHD_Result ok = MHD_YES;
	if (r->body_len)
		ok = MHD_post_process(pp, r->body, r->body_len);
	enum MHD_Result fin = MHD_destroy_post_processor(pp);
	if (w.stopped)
		return QF_OK;
	return ok == MHD_YES && fin == MHD_YES ? QF_OK : QF_ERR_PROTO;
}

/* ------------------------------------------------------------ routing */

/* Match path against pattern; fills captures. 1 on match. */
static int s_match(struct qf_http_req *r, const char *pattern, const char *path)
{
	const char *p = pattern, *u = path;
	unsigned np = 0;
	char *names[MAX_PARAMS], *vals[MAX_PARAMS];
	while (*p && *u) {
		if (*p == '*' && p[1] == '\0') {
			u += strlen(u);
			p++;
			break;
		}
		if (*p == ':') {
			const char *pe = strchr(p, '/');
			size_t pl = pe ? (size_t)(pe - p) : strlen(p);
			const char *ue = strchr(u, '/');
			size_t ul = ue ? (size_t)(ue - u) : strlen(u);
			if (ul == 0 || np >= MAX_PARAMS)
				goto nomatch;
			names[np] = strndup(p + 1, pl - 1);
			vals[np] = strndup(u, ul);
			np++;
			p += pl;
			u += ul;
			continue;
		}
		if (*p != *u)
			goto nomatch;
		p++;
		u++;
	}
	if (*p == '*' && p[1] == '\0')
		p++;
	if (*p || *u)
		goto nomatch;
	for (unsigned i = 0; i < np; i++) {
		r->pname[r->nparams] = names[i];
		r->pval[r->nparams++] = vals[i];
	}
	return 1;
nomatch:
	for (unsigned i = 0; i < np; i++) {
		free(names[i]);
		free(vals[i]);
	}
	return 0;
}

static int s_builtin(struct qf_http_req *r)
{
	struct qf_http *h = r->h;
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return 0;
	if (strcmp(r->path, "/healthz") == 0) {
		json_t *j = json_pack("{s:s}", "status", "ok");
		if (h->o.health)
			h->o.health(h->o.ctx, j);
		qf_http_reply_json(r, 200, j);
		return 1;
	}
	if (strcmp(r->path, "/readyz") == 0) {
		int ready = h->o.ready ? h->o.ready(h->o.ctx) : 1;
		qf_http_reply_json(r, ready ? 200 : 503,
				   json_pack("{s:s}", "status", ready ? "ready" : "starting"));
		return 1;
	}
	if (strcmp(r->path, "/openapi.json") == 0 && h->openapi) {
		qf_http_add_header(r, "Access-Control-Allow-Origin", "*");
		qf_http_reply(r, 200, "application/json; charset=utf-8", h->openapi,
			      h->openapi_len);
		return 1;
	}
	if (strcmp(r->path, "/metrics") == 0 && h->o.metrics) {
		size_t len = 0;
		char *txt = qf_metrics_render(h->o.metrics, &len);
		if (!txt)
			qf_http_reply_error(r, 500, "internal", "out of memory", NULL);
		else
			qf_http_reply_take(r, 200, "text/plain; version=0.0.4", txt, len);
		return 1;
	}
	return 0;
}

/* CORS preflight: only for paths anyone may GET (the public read APIs and
 * the log's tiles); nothing else is readable from another origin. */
static int s_preflight(struct qf_http_req *r)
{
	struct qf_http *h = r->h;
	for (size_t i = 0; i < h->o.nroutes; i++) {
		const struct qf_http_route *rt = &h->o.routes[i];
		if (strcmp(rt->method, "GET") || !rt->action || strcmp(rt->action, "public") ||
		    !s_match(r, rt->pattern, r->path))
			continue;
		while (r->nparams) {
			r->nparams--;
			free(r->pname[r->nparams]);
			free(r->pval[r->nparams]);
		}
		qf_http_add_header(r, "Access-Control-Allow-Origin", "*");
		qf_http_add_header(r, "Access-Control-Allow-Methods", "GET, HEAD");
		qf_http_add_header(r, "Access-Control-Max-Age", "600");
		qf_http_reply(r, 204, NULL, "", 0);
		return 1;
	}
	return 0;
}

/* Resolve the route: 0 found, or an error reply was given. */
static int s_route(struct qf_http_req *r)
{
	struct qf_http *h = r->h;
	int path_matched = 0;
	char allow[128] = "";
	for (size_t i = 0; i < h->o.nroutes; i++) {
		const struct qf_http_route *rt = &h->o.routes[i];
		if (!s_match(r, rt->pattern, r->path))
			continue;
		if (strcmp(rt->method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
			r->route = rt;
			return 0;
		}
		/* forget this pattern's captures and keep looking */
		while (r->nparams) {
			r->nparams--;
			free(r->pname[r->nparams]);
			free(r->pval[r->nparams]);
		}
		path_matched = 1;
		size_t al = strlen(allow);
		snprintf(allow + al, sizeof allow - al, "%s%s", al ? ", " : "", rt->method);
	}
	if (s_builtin(r))
		return 1;
	if (path_matched && !strcmp(r->method, "OPTIONS") && s_preflight(r))
		return 1;
	if (path_matched) {
		qf_http_add_header(r, "Allow", allow);
		qf_http_reply_error(r, 405, "method_not_allowed", "不支持该请求方法", NULL);
	} else {
		qf_http_reply_error(r, 404, "not_found", "没有这个地址", NULL);
	}
	return 1;
}

static int s_ctype_ok(const char *ct, unsigned accept)
{
	if (accept & QF_HTTP_ANY)
		return 1;
	if (!ct)
		return 0;
	size_t l = strcspn(ct, ";");
	while (l && (ct[l - 1] == ' ' || ct[l - 1] == '\t'))
		l--;
	if ((accept & QF_HTTP_JSON) && l == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	if ((accept & QF_HTTP_FORM) && l == 33 &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0)
		return 1;
	if ((accept & QF_HTTP_MULTIPART) && l == 19 &&
	    strncasecmp(ct, "multipart/form-data", 19) == 0)
		return 1;
	return 0;
}

static enum MHD_Result s_queue(struct qf_http_req *r)
{
	struct MHD_Response *resp = r->resp;
	r->resp = NULL;
	s_count(r);
	if (r->h->o.access_log) {
		struct qf_http_log_line l = {
		    r->rid, r->method,
		    r->route ? (r->route->name ? r->route->name : r->route->pattern)
			     : "unmatched",
		    r->status, (double)(qf_mono_ns() - r->t0) / 1e6};
		r->h->o.access_log(r->h->o.ctx, &l);
	}
	enum MHD_Result rc = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* The client's X-Request-Id when it is a plain token (letters, digits,
 * '.', '_', '-'; at most 36), else a new random one: echoed in the answer
 * and on the access-log line, so one request can be followed through
 * proxies and logs. */
static void s_request_id(struct qf_http_req *r)
{
	const char *in = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     "X-Request-Id");
	size_t n = in ? strlen(in) : 0;
	int ok = n >= 1 && n <= 36;
	for (size_t i = 0; ok && i < n; i++) {
		char c = in[i];
		ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		     c == '.' || c == '_' || c == '-';
	}
	if (ok) {
		memcpy(r->rid, in, n + 1);
		return;
	}
	uint8_t b[12];
	qf_id_random(b, sizeof b);
	qf_hex(b, sizeof b, r->rid);
}

static void s_client(struct qf_http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	r->client[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client,
			  sizeof r->client);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client,
			  sizeof r->client);
}

/* An answer decided on the first callback (404, 405, 415, built-ins) goes
 * out on the final one, after any (small) body has been read: queued on
 * the first callback, libmicrohttpd would close the keep-alive connection.
 * A body larger than the server's limit is not read: answer now, close. */
static enum MHD_Result s_answer_early(struct qf_http_req *r)
{
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > r->h->o.max_body)
		return s_queue(r);
	r->started = 1;
	r->discard = 1;
	return MHD_YES;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn,
				const char *url, const char *method,
				const char *version, const char *upload_data,
				size_t *upload_data_size, void **req_cls)
{
	(void)version;
	struct qf_http *h = cls;
	struct qf_http_req *r = *req_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*req_cls = r;
		atomic_fetch_add(&h->inflight, 1);
		r->h = h;
		r->conn = conn;
		r->t0 = qf_mono_ns();
		r->method = method;
		r->path = strdup(url ? url : "/");
		pthread_mutex_init(&r->lock, NULL);
		if (!r->path)
			return MHD_NO;
		s_client(r);
		s_request_id(r);
		if (s_route(r))
			return s_answer_early(r);
		/* who may: decided before any body is read */
		if (h->o.gate && h->o.gate(h->o.gate_ctx, r))
			return s_answer_early(r);
		r->limit = r->route->max_body ? r->route->max_body : h->o.max_body;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     "Content-Length");
		int has_body = (cl && strtoull(cl, NULL, 10) > 0) ||
			       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							   "Transfer-Encoding");
		if (has_body && !r->route->accept) {
			/* bodies on routes that take none are ignored, not fatal */
		} else if (has_body || r->route->accept) {
			const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								     "Content-Type");
			if (has_body && !s_ctype_ok(ct, r->route->accept)) {
				qf_http_reply_error(r, 415, "unsupported_media_type",
						    "不支持的内容类型 (Content-Type)",
						    "Content-Type");
				return s_answer_early(r);
			}
			if (cl && strtoull(cl, NULL, 10) > r->limit) {
				qf_http_reply_error(r, 413, "body_too_large", "请求体过大",
						    NULL);
				return s_queue(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->discard || r->too_big || !r->route->accept)
			return MHD_YES;
		if (r->body_len + n > r->limit) {
			r->too_big = 1;
			return MHD_YES;
		}
		if (r->body_len + n + 1 > r->body_cap) {
			size_t nc = r->body_cap ? r->body_cap : 4096;
			while (nc < r->body_len + n + 1)
				nc *= 2;
			char *nb = realloc(r->body, nc);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			r->body_cap = nc;
		}
		memcpy(r->body + r->body_len, upload_data, n);
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	if (!r->started) {
		r->started = 1;
		/* counted before the closing check (and closing set before the
		   count is read in qf_http_close_begin): a handler either sees the
		   close and answers 503, or is waited for */
		atomic_fetch_add(&h->handlers, 1);
		if (atomic_load(&h->closing)) {
			qf_http_add_header(r, "Connection", "close");
			qf_http_add_header(r, "Retry-After", "1");
			qf_http_reply_error(r, 503, "shutting_down", "服务正在停止，请稍后重试",
					    NULL);
		} else if (r->too_big) {
			qf_http_reply_error(r, 413, "body_too_large", "请求体过大", NULL);
		} else {
			r->route->fn(r, h->o.ctx);
		}
		pthread_mutex_lock(&r->lock);
		if (!r->resp && r->want_suspend) {
			r->suspended = 1;
			atomic_fetch_add(&h->suspended, 1);
			MHD_suspend_connection(conn);
			pthread_mutex_unlock(&r->lock);
			atomic_fetch_sub(&h->handlers, 1);
			return MHD_YES;
		}
		pthread_mutex_unlock(&r->lock);
		atomic_fetch_sub(&h->handlers, 1);
		if (!r->resp)
			qf_http_reply_error(r, 500, "internal", "服务器内部错误：没有应答", NULL);
	}
	if (!r->resp)
		return MHD_YES; /* resumed spuriously: keep waiting */
	return s_queue(r);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct qf_http_req *r = *req_cls;
	if (!r)
		return;
	*req_cls = NULL;
	atomic_fetch_sub(&r->h->inflight, 1);
	if (r->resp)
		MHD_destroy_response(r->resp);
	for (unsigned i = 0; i < r->nparams; i++) {
		free(r->pname[i]);
		free(r->pval[i]);
	}
	for (unsigned i = 0; i < r->nheaders; i++) {
		free(r->hname[i]);
		free(r->hval[i]);
	}
	pthread_mutex_destroy(&r->lock);
	free(r->path);
	free(r->body);
	free(r);
}

/* Is something already listening on sa? A socket without SO_REUSEPORT
 * cannot bind beside a listener, whatever options that listener set. */
static int s_port_taken(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* let the daemon report the real failure */
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* TIME_WAIT is fine */
	int taken = bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

int qf_http_start(struct qf_http **out, const struct qf_http_opts *o, char *err,
		  size_t n)
{
	for (size_t i = 0; o->gate && i < o->nroutes; i++) {
		const struct qf_http_route *rt = &o->routes[i];
		if (!rt->action || qf_action_parse(rt->action) < 0) {
			snprintf(err, n, "route %s %s names %s action of the access policy",
				 rt->method, rt->pattern, rt->action ? "an unknown" : "no");
			return QF_ERR_INVAL;
		}
		if (qf_action_resource(qf_action_parse(rt->action)) == QF_RES_C &&
		    rt->subject && !strstr(rt->pattern, rt->subject)) {
			snprintf(err, n, "route %s %s: subject '%s' is not a capture",
				 rt->method, rt->pattern, rt->subject);
			return QF_ERR_INVAL;
		}
	}
	struct qf_http *h = calloc(1, sizeof *h);
	if (!h)
		return QF_ERR_NOMEM;
	h->o = *o;
	json_t *doc = qf_openapi_document(o->title, o->routes, o->nroutes);
	h->openapi = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	h->openapi_len = h->openapi ? strlen(h->openapi) : 0;
	json_decref(doc);
	h->o.title = NULL; /* the caller's: used only here */
	pthread_mutex_init(&h->slock, NULL);
	if (!h->o.threads)
		h->o.threads = 4;
	if (!h->o.max_body)
		h->o.max_body = 1 << 20;
	if (!h->o.conn_limit)
		h->o.conn_limit = 4096;
	if (!h->o.conn_timeout_s)
		h->o.conn_timeout_s = 60;
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(o->port);
	const char *addr = o->bind_addr && *o->bind_addr ? o->bind_addr : "127.0.0.1";
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(err, n, "bad bind address '%s' (IPv4 dotted quad expected)", addr);
		pthread_mutex_destroy(&h->slock);
		free(h->openapi);
		free(h);
		return QF_ERR_INVAL;
	}
	if (h->o.threads > MAX_DAEMONS)
		h->o.threads = MAX_DAEMONS;
	/* SO_REUSEPORT would let a second process join a port already served
	   (another instance, a stale one): a plain bind first says "in use" */
	if (o->port && s_port_taken(&sa)) {
		snprintf(err, n, "cannot listen on %s:%u: address already in use", addr,
			 o->port);
		pthread_mutex_destroy(&h->slock);
		free(h->openapi);
		free(h);
		return QF_ERR_HTTP;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
	unsigned per = h->o.conn_limit / h->o.threads;
	h->port = o->port;
	for (unsigned i = 0; i < h->o.threads; i++) {
		/* the first daemon may have been given port 0: the others join
		   the port it got */
		sa.sin_port = htons(h->port);
		h->d[i] = MHD_start_daemon(flags, h->port, NULL, NULL, s_access, h,
					   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					   MHD_OPTION_CONNECTION_LIMIT, per ? per : 1,
					   MHD_OPTION_CONNECTION_TIMEOUT, h->o.conn_timeout_s,
					   MHD_OPTION_NOTIFY_COMPLETED, s_completed, h,
					   MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
					   MHD_OPTION_END);
		if (!h->d[i]) {
			snprintf(err, n, "cannot listen on %s:%u (port in use?)", addr,
				 h->port);
			for (unsigned k = 0; k < i; k++)
				MHD_stop_daemon(h->d[k]);
			pthread_mutex_destroy(&h->slock);
			free(h->openapi);
			free(h);
			return QF_ERR_HTTP;
		}
		h->nd = i + 1;
		if (i == 0) {
			const union MHD_DaemonInfo *di =
			    MHD_get_daemon_info(h->d[0], MHD_DAEMON_INFO_LISTEN_FD);
			struct sockaddr_in b;
			socklen_t bl = sizeof b;
			if (di && getsockname(di->listen_fd, (struct sockaddr *)&b, &bl) == 0)
				h->port = ntohs(b.sin_port);
		}
	}
	*out = h;
	return QF_OK;
}

uint16_t qf_http_port(struct qf_http *h)
{
	return h->port;
}

void qf_http_close_begin(struct qf_http *h)
{
	if (!h)
		return;
	qf_http_quiesce(h);
	atomic_store(&h->closing, 1);
	for (int i = 0; i < 200 && atomic_load(&h->handlers) > 0; i++) {
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

void qf_http_quiesce(struct qf_http *h)
{
	/* once only: the listening socket is ours to close after the first call */
	if (h && h->nd && !atomic_exchange(&h->quiesced, 1)) {
		for (unsigned i = 0; i < h->nd; i++) {
			MHD_socket s = MHD_quiesce_daemon(h->d[i]);
			if (s != MHD_INVALID_SOCKET)
				close(s);
		}
	}
}

void qf_http_stop(struct qf_http **hp)
{
	if (!hp || !*hp)
		return;
	struct qf_http *h = *hp;
	s_streams_close(h);
	/* let answers already given (e.g. resumed after a group commit) reach
	   their clients: stop accepting, then wait a bounded time for requests
	   in flight to complete before the daemon closes every connection */
	qf_http_quiesce(h);
	atomic_store(&h->closing, 1);
	for (int i = 0; i < 100 && atomic_load(&h->inflight) > 0; i++) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	/* libmicrohttpd aborts the process if stopped with suspended
	   connections. Only a service that never answered a request leaves one
	   (it must drain its queues first, see qf_http_close_begin); then leave
	   the daemon to the exiting process rather than crash. */
	if (atomic_load(&h->suspended) != 0)
		return; /* h stays allocated: its threads may still use it */
	for (unsigned i = 0; i < h->nd; i++)
		MHD_stop_daemon(h->d[i]);
	pthread_mutex_destroy(&h->slock);
	free(h->openapi);
	free(h);
	*hp = NULL;
}
