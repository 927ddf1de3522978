/* ntf_plan.h: from an event's facts to the deliveries it causes.
 *
 * Each rule whose event and filters match names recipients and channels;
 * the planner resolves recipients (assignee, building head, supervisor,
 * secretary, escalation target, a staff member, a group, the petitioner,
 * the followers of the case or building, or the channel itself), finds an
 * address for each channel, renders the rule's template per recipient, and
 * writes one delivery per (recipient, channel) with the stable id
 * hash(event id, recipient, channel). Robot channels (WeCom, DingTalk) get
 * one message per event into their group, mentioning the staff concerned.
 * The staff member an integrity report is about is never told of it;
 * public surfaces (followers, robot groups) are told from the event's
 * public part only, and never of a sensitive case.
 */
#ifndef NTF_PLAN_H
#define NTF_PLAN_H

#include "ntf.h"
#include "ntf_facts.h"

/* Does rule r apply to these facts (event type and every filter)? */
int ntf_rule_matches(const struct ntf_rule *r, const struct ntf_facts *f);

/* Write every delivery the event causes, in t. cr is the case record after
 * this event was applied to it (NULL: no case). Returns the number of
 * deliveries written (>= 0) or a store error. */
int ntf_plan_apply(struct ntf *n, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		   struct ntf_facts *f, const struct ntf_case *cr, int64_t now);

#endif
