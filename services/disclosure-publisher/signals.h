/* signals.h: what the dashboard shows beside cases: router's hotspot
 * warnings, audit's irregularity alerts and signed checkpoints, the duty
 * quotas (the supervisor's household visits), and spam-hold counts.
 * Stored from events; read newest first. */
#ifndef DP_SIGNALS_H
#define DP_SIGNALS_H

#include <jansson.h>

#include "dp.h"
#include "qingfeng/v1/envelope.pb-c.h"
#include "qingfeng/v1/events.pb-c.h"

int signals_hotspot(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		    const Qingfeng__V1__HotspotWarning *h);
int signals_alert(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__AuditAlert *a);
int signals_checkpoint(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__AuditCheckpoint *c);
int signals_quota(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__DutyQuota *q);
int signals_spam(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		 int released, const char *category, const char *building, int64_t at);
/* A producer came back with a new epoch (its store was replaced). */
int signals_incarnation(struct dp *dp, struct qf_txn *t, const char *producer,
			uint64_t old_epoch, uint64_t new_epoch);

/* Newest first, at most max (new references). */
json_t *signals_alerts(struct dp *dp, struct qf_txn *t, unsigned max);
json_t *signals_hotspots(struct dp *dp, struct qf_txn *t, unsigned max);
json_t *signals_checkpoints(struct dp *dp, struct qf_txn *t, unsigned max);
/* Chinese label of an alert kind code ("closed_without_feedback"). */
const char *signals_alert_label(const char *kind);

#endif
