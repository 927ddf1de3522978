/* dash.h: the live dashboard above the case index and the live notes:
 * counters, the event stream's handler, /v1/status and the tick (dash.c).
 * The struct dp (dp.h) owns everything these read and write. */
#ifndef DP_DASH_H
#define DP_DASH_H

#include <jansson.h>

#include "dp.h"
#include "qf_http.h"

/* Dashboard counters now, as a new JSON object. */
json_t *live_counters(struct dp *dp, struct qf_txn *t, int64_t now);

/* The GET /v1/events/stream handler (ctx: struct dp). */
void sse_handle(struct qf_http_req *r, void *ctx);

/* GET /v1/status: the consumer's stream positions (copied by live_tick). */
void live_status_handle(struct qf_http_req *r, void *ctx);

/* Core-thread timer: publish counters when events changed them (at most
 * every 250 ms) and every 30 s, and keepalives. Returns ms to next run. */
int live_tick(struct dp *dp);

#endif
