/* live.h: the live monitoring dashboard's data: recent events (a ring in
 * the store) and the Server-Sent Events hub that pushes them to browsers
 * (/v1/events/stream); the counters, the stream handler and the tick are
 * dash.h's.
 *
 * Flow: apply code calls live_note() inside the event transaction; the note
 * is stored in the ring and queued on the transaction; only the commit hook
 * hands it to the hub (an aborted or retried transaction publishes
 * nothing). The hub keeps the last messages in memory with increasing ids,
 * so a browser that reconnects with Last-Event-ID misses nothing recent.
 *
 * SSE on libmicrohttpd: each client is a qf_http_reply_stream_wait stream;
 * its reader returns 0 when the client has seen everything, which suspends
 * the connection until the hub wakes it (no busy polling, no thread held).
 * A comment line every keepalive period detects clients that went away.
 */
#ifndef DP_LIVE_H
#define DP_LIVE_H

#include <jansson.h>

#include "dp.h"
#include "qf_http.h"

struct live_pending;
struct qf_buf;

/* Record a live event of `kind` ("case", "state", "warning", "breach",
 * "hotspot", "alert", "checkpoint", "disclosure", "spam") with data (the
 * reference is stolen). Returns 0 or a store error. */
int live_note(struct dp *dp, struct qf_txn *t, const char *kind, json_t *data);
/* The same with data already a JSON object's text (n bytes, as json_dumps
 * with JSON_COMPACT | JSON_PRESERVE_ORDER writes it: the apply path's
 * notes are written without building JSON values); at: the event's time
 * (0: now); day: the day counter it adds to ("new", "resolved", "warn",
 * "breach") or NULL. */
int live_note_text(struct dp *dp, struct qf_txn *t, const char *kind, int64_t at,
		   const char *day, const char *data, size_t n);
/* Store the transaction's notes in the ring (the last live_keep of them;
 * dp.c's pre-commit hook calls it). */
int live_flush(struct dp *dp, struct qf_txn *t);
/* The recent live events, newest first (at most max), as a new JSON array. */
json_t *live_recent(struct dp *dp, struct qf_txn *t, unsigned max);
/* Free what a transaction left pending (at shutdown). */
void live_pending_free(struct dp *dp);

/* ------------------------------------------------------------ SSE hub */
int sse_hub_new(struct sse_hub **out, unsigned max_clients, unsigned ring);
/* End every stream and free. Streams must have ended (sse_hub_close, then
 * the HTTP server stopped) before this. Accepts NULL; sets *h = NULL. */
void sse_hub_destroy(struct sse_hub **h);
/* Send an event to every client (data: one line of JSON). Thread-safe. */
void sse_hub_publish(struct sse_hub *h, const char *event, const char *data);
/* A comment to every client (detects closed connections). */
void sse_hub_keepalive(struct sse_hub *h);
/* Ask every stream to end (before stopping HTTP). */
void sse_hub_close(struct sse_hub *h);
unsigned sse_hub_clients(struct sse_hub *h);
/* The id the next published message will get (a page rendered now asks the
 * stream for messages from this id on: nothing between render and connect
 * is missed). */
unsigned long long sse_hub_next(struct sse_hub *h);
/* Subscribe the request r to the hub: its stream starts with pre (taken
 * from the buffer: what the client is greeted with) and resumes after
 * Last-Event-ID or ?since= when the ring still holds what follows. Replies
 * 503 when the hub is full or closing. */
void sse_hub_subscribe(struct sse_hub *h, struct qf_http_req *r, struct qf_buf *pre);



#endif
