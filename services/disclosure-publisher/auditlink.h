/* auditlink.h: find each snapshot announcement in the audit log.
 *
 * AuditCheckpoint events carry a tree size but not which events it covers,
 * so the service cannot tell from events alone which checkpoint includes
 * its own SNAPSHOT_PUBLISHED. This worker asks the audit service (HTTP,
 * libcurl, a thread of its own): GET /v1/streams says how far our stream
 * (producer, epoch, partition) is logged and at which leaves, and GET
 * /v1/leaves pages locate the exact leaf of each pending announcement. The
 * leaf index is then stored with the snapshot (through group commit), and
 * pages show the first checkpoint whose size exceeds it: a checkpoint that
 * provably includes the announcement, with a link to its inclusion proof.
 * Until then (or with no audit service) pages fall back to the first
 * checkpoint signed after the announcement and say so.
 */
#ifndef DP_AUDITLINK_H
#define DP_AUDITLINK_H

#include "dp.h"

struct auditlink;

/* Start the worker (audit_url from the configuration). 0 or an error. */
int auditlink_start(struct auditlink **out, struct dp *dp);
/* Stop and join; accepts NULL; sets *a = NULL. */
void auditlink_stop(struct auditlink **a);
/* New announcements were committed: look soon. Thread-safe. */
void auditlink_wake(struct auditlink *a);

#endif
