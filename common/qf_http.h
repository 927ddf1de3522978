/* qf_http.h: the HTTP server every service embeds (libmicrohttpd).
 *
 * Routes are a static table (method, pattern with :captures, handler, body
 * types accepted, body limit). The module buffers the body up to the limit
 * (413 beyond), checks the content type (415), answers 404/405 itself, and
 * serves /healthz, /readyz and /metrics on every port.
 *
 * One HTTP convention for every service (docs/API.md): errors are RFC 9457
 * application/problem+json with `code` and `field` as extension members;
 * every answer carries X-Request-Id (the client's, or a new one), and one
 * access-log line per request names it (method, route pattern, status,
 * time: no path, query or address, so no personal data); public GETs get
 * a strong ETag, Cache-Control: no-cache and 304 on If-None-Match, and are
 * readable from any origin (CORS, with OPTIONS preflight). GET
 * /openapi.json on every port is the OpenAPI 3.1 document of the route
 * table (common/qf_openapi.h).
 *
 * Access: every route names its action of the access policy
 * (common/qf_policy.h, "public" for anyone) and, for actions on a case, the
 * capture that holds the case id. Before a handler runs, the service's gate
 * (common/qf_access.h) answers 401, 403 or 404 from the policy table; a
 * table with a route that names no action, or names one the catalogue does
 * not know, does not start.
 *
 * Threading: `threads` libmicrohttpd daemons, each with one internal thread
 * in poll mode (single-thread epoll in 0.9.75 stalls at >= 128 keep-alive
 * connections), each with its own listening socket on the same address
 * (SO_REUSEPORT), so that the kernel spreads connections evenly over them; a
 * thread pool on one shared socket let the first worker to wake take most
 * keep-alive connections. A handler runs on a worker thread; it either
 * replies before returning, or calls
 * qf_http_suspend() and replies later from any thread (group commit answers
 * after the fsync this way). Accessors (params, headers, body) are valid
 * until the reply is given.
 */
#ifndef QF_HTTP_H
#define QF_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct qf_http;
struct qf_http_req;
struct qf_metrics;

typedef void (*qf_http_handler)(struct qf_http_req *r, void *ctx);

/* What the access log says of a request: nothing personal. */
struct qf_http_log_line {
	const char *request_id, *method, *route; /* route: the pattern */
	unsigned status;
	double ms;
};

/* Body content types a route accepts (for requests that carry a body). */
#define QF_HTTP_JSON 0x1u      /* application/json */
#define QF_HTTP_FORM 0x2u      /* application/x-www-form-urlencoded */
#define QF_HTTP_MULTIPART 0x4u /* multipart/form-data */
#define QF_HTTP_ANY 0x8u       /* anything */

struct qf_http_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/v1/cases/:id"; a final "*" matches the rest */
	qf_http_handler fn;
	unsigned accept;     /* QF_HTTP_* mask; 0: no body expected */
	size_t max_body;     /* 0: the server's default */
	const char *name;    /* metrics label; NULL: the pattern */
	const char *action;  /* the policy's action ("case.read", "public") */
	const char *subject; /* capture holding the case id the action is on,
				or NULL */
};

struct qf_http_opts {
	const char *bind_addr;   /* default 127.0.0.1 */
	uint16_t port;           /* 0: any free port (see qf_http_port) */
	unsigned threads;        /* worker daemons (default 4) */
	size_t max_body;         /* default 1 MiB */
	unsigned conn_limit;     /* default 4096 */
	unsigned conn_timeout_s; /* idle keep-alive timeout (default 60) */
	const struct qf_http_route *routes;
	size_t nroutes;
	void *ctx;               /* passed to handlers */
	struct qf_metrics *metrics; /* served at /metrics; request counters */
	int (*ready)(void *ctx);    /* /readyz: 1 ready, 0 not yet */
	/* /healthz extra detail: fill a JSON object (may be NULL) */
	void (*health)(void *ctx, json_t *obj);
	/* Access gate, run for every routed request before the body is read:
	 * returns 0 to go on (it may attach the caller with qf_http_set_user),
	 * or replies itself and returns non-zero. Required when any route's
	 * action is not "public". */
	int (*gate)(void *gate_ctx, struct qf_http_req *r);
	void *gate_ctx;
	const char *title;       /* the OpenAPI document's title (GET /openapi.json) */
	/* One line per answered request (the service logs it), or NULL. */
	void (*access_log)(void *ctx, const struct qf_http_log_line *l);
};

/* Start serving. Returns 0 or QF_ERR_HTTP with a message in err. */
int qf_http_start(struct qf_http **out, const struct qf_http_opts *o, char *err,
		  size_t n);
/* The bound port (useful with port 0). */
uint16_t qf_http_port(struct qf_http *h);
/* Stop accepting, close connections, free. Accepts NULL; sets *h = NULL.
 * Suspended requests must have been answered first. */
void qf_http_stop(struct qf_http **h);
/* Stop accepting new connections (graceful shutdown first step). */
void qf_http_quiesce(struct qf_http *h);
/* Begin an orderly stop: stop accepting, answer new requests on open
 * connections with 503 (Retry-After), and wait (bounded) for handlers
 * running now to return. After this no handler submits new work, so the
 * service can drain its queues, answer everything, then qf_http_stop(). */
void qf_http_close_begin(struct qf_http *h);

/* ----------------------------------------------------------- request */
const char *qf_http_method(struct qf_http_req *r);
const char *qf_http_path(struct qf_http_req *r);
/* A :capture of the matched pattern, or NULL. Owned by the request. */
const char *qf_http_param(struct qf_http_req *r, const char *name);
/* The matched route's action and subject value (the case id captured), for
 * the gate; the subject is NULL when the route has none. */
const char *qf_http_action(struct qf_http_req *r);
const char *qf_http_subject(struct qf_http_req *r);
/* The caller the gate authenticated (opaque to this module: a struct
 * qf_staff and its community for qf_access), or NULL. Valid until the reply
 * is given. */
void qf_http_set_user(struct qf_http_req *r, const void *user, const void *world);
const void *qf_http_user(struct qf_http_req *r);
const void *qf_http_world(struct qf_http_req *r);
/* Print a route table as JSON lines {method, pattern, action, subject} (a
 * service's --routes: the access matrix test reads it). */
void qf_http_routes_print(const struct qf_http_route *routes, size_t n, FILE *out);
/* A query argument (decoded), or NULL. */
const char *qf_http_query(struct qf_http_req *r, const char *name);
/* Call fn for each query argument (decoded name and value; value NULL for
 * "?flag"), in request order, until fn returns non-zero. */
void qf_http_query_each(struct qf_http_req *r,
			int (*fn)(void *arg, const char *name, const char *value),
			void *arg);
/* A request header (case-insensitive), or NULL. */
const char *qf_http_header(struct qf_http_req *r, const char *name);
/* The body (NUL-terminated copy) and its length; "" when none. */
const char *qf_http_body(struct qf_http_req *r, size_t *len);
/* The client's address as text ("127.0.0.1"). */
const char *qf_http_client(struct qf_http_req *r);
/* Parse the body as a JSON object; on failure reply 400 itself and return
 * NULL. The caller owns the returned reference (json_decref). */
json_t *qf_http_json_body(struct qf_http_req *r);
/* Walk a form body (urlencoded or multipart) with libmicrohttpd's post
 * processor: fn is called per field or file chunk (filename and content type
 * are NULL for plain fields; off is the offset within the value). Return
 * nonzero from fn to stop. Returns 0 or QF_ERR_PROTO for a malformed body. */
typedef int (*qf_http_form_fn)(void *arg, const char *key, const char *filename,
			       const char *content_type, const char *data,
			       uint64_t off, size_t size);
int qf_http_form_each(struct qf_http_req *r, qf_http_form_fn fn, void *arg);

/* ----------------------------------------------------------- replies */
/* Each request gets exactly one reply; any thread may give it once the
 * handler has suspended. Headers added before the reply go out with it. */
int qf_http_add_header(struct qf_http_req *r, const char *name, const char *value);
void qf_http_reply(struct qf_http_req *r, unsigned status, const char *ctype,
		   const void *body, size_t len);
/* Takes ownership of a malloc'd body. */
void qf_http_reply_take(struct qf_http_req *r, unsigned status, const char *ctype,
			char *body, size_t len);
/* Steals the reference to j. */
void qf_http_reply_json(struct qf_http_req *r, unsigned status, json_t *j);
/* {"code":code,"message":message,"field":field|null} */
void qf_http_reply_error(struct qf_http_req *r, unsigned status, const char *code,
			 const char *message, const char *field);
/* Stream a response: reader fills buf (at most max bytes) at position pos and
 * returns the count, 0 if nothing is ready yet (it will be asked again), or
 * -1 at the end. free_fn(arg) runs when the connection is done. */
typedef long (*qf_http_reader)(void *arg, uint64_t pos, char *buf, size_t max);
void qf_http_reply_stream(struct qf_http_req *r, unsigned status, const char *ctype,
			  qf_http_reader reader, void *arg, void (*free_fn)(void *));
/* A stream that waits without busy-polling (Server-Sent Events). With
 * qf_http_reply_stream, a reader returning 0 is asked again at once: in
 * libmicrohttpd 0.9.75's internal polling mode that is a busy loop (one core
 * per idle stream). Here a reader returning 0 suspends the connection until
 * qf_http_stream_wake(). The handle stays valid until free_fn(arg) has
 * returned; the caller must not wake it after that (unregister it in
 * free_fn under the same lock it holds while waking). A suspended client's
 * disconnect is only noticed on the next write, so send a comment now and
 * then. qf_http_stop ends every waiting stream first. *handle may be NULL
 * on return when out of memory (free_fn has then been called). */
struct qf_http_stream;
void qf_http_reply_stream_wait(struct qf_http_req *r, unsigned status,
			       const char *ctype, qf_http_reader reader, void *arg,
			       void (*free_fn)(void *), struct qf_http_stream **handle);
/* Data is ready: resume the stream if it waits (any thread). */
void qf_http_stream_wake(struct qf_http_stream *st);

/* Tell the module the handler will reply later (from any thread). */
void qf_http_suspend(struct qf_http_req *r);

/* Build a {code, message, field} object (new reference). */
/* An RFC 9457 problem: {type "urn:qingfeng:problem:<code>", title (per
 * status), status, detail, code, field} (code and field: extension
 * members). New reference. */
json_t *qf_http_problem_json(unsigned status, const char *code, const char *detail,
			     const char *field);
/* Reply with a problem object (qf_http_problem_json, perhaps with more
 * extension members); its "status" is the HTTP status. Takes j. */
void qf_http_reply_problem(struct qf_http_req *r, json_t *j);

#endif
