/* apply.h: the consumer callbacks: every event of every source goes through
 * dp_apply(), which decodes the payload and hands it to the view it
 * concerns. Unknown types and undecodable payloads are skipped with a
 * warning (return 0); only store failures are errors (the batch is then
 * retried by the bus). */
#ifndef DP_APPLY_H
#define DP_APPLY_H

#include "dp.h"

int dp_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m);
int dp_on_incarnation(void *app, struct qf_txn *t, const char *producer,
		      uint64_t old_epoch, uint64_t new_epoch);

#endif
