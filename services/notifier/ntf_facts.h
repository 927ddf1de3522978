/* ntf_facts.h: what an event tells the notifier, in one flat shape.
 *
 * Every notifiable event (PETITION_SUBMITTED, case transitions, warnings,
 * alerts, feedback, duty quotas) is turned into the values of the template
 * placeholders plus the attributes rules filter on and recipients are found
 * by (category, priority, building, assignee, ...). What the event itself
 * lacks comes from the case record the notifier keeps (ntf_case) and from
 * the community file (names of staff, categories, buildings). Building
 * facts is a pure function of its inputs, so it is unit-tested and fuzzed
 * without a store.
 *
 * Privacy: the values are made twice, from the whole event and from its
 * public part (qf_privacy_public with the case's context: what the
 * envelope, the log and every public surface carry). Which set a message
 * is rendered from depends on who reads it (ntf_facts_values): the
 * petitioner and individual staff read the whole event; followers and
 * group channels read the public part only. {address} shows the address
 * where the set has it, else the building: without consent, or on a
 * sensitive case, a public surface never gets more than the building.
 */
#ifndef NTF_FACTS_H
#define NTF_FACTS_H

#include <stdint.h>

#include "ntf_conf.h"
#include "ntf_store.h"
#include "ntf_tmpl.h"
#include "qf_community.h"
#include "qf_privacy.h"
#include "qingfeng/v1/envelope.pb-c.h"

struct ntf_facts {
	int type;			/* EventType */
	unsigned family;		/* NTF_FAM_* */
	const char *vals[NTF_PH_COUNT]; /* placeholder values (NULL: none) */
	const char *pub[NTF_PH_COUNT];	/* the same from the public part */
	int has_pub;			/* pub was made (else nothing public) */
	int sensitive, consent;		/* the case's privacy context */
	/* attributes (NULL or "" when unknown) */
	const char *case_id, *category, *priority, *building;
	const char *assignee, *previous_assignee, *escalated_to, *duty_staff;
	const char *concerns_staff;
	const char *pkey; /* partition key of outcomes */
	int to_state;	  /* CaseState (case transitions) */
	int breached, deadline_kind, rating, behind;
	int by_petitioner; /* the actor is the petitioner (a rating, a supplement) */
	int urgent; /* the category is urgent */
	/* owned strings behind the pointers above */
	char **own;
	unsigned nown, capown;
};

/* Build facts for one event. payload is the decoded whole payload message
 * (its type must match env->type), pub its public part (NULL: none, then
 * nothing may reach a public surface); cr may be NULL when the case is
 * unknown; pc is the context (ntf_facts_context). Returns 0, QF_ERR_INVAL
 * for an event the notifier does not notify about, or QF_ERR_NOMEM. f must
 * be zeroed; free with ntf_facts_free. */
int ntf_facts_build(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
		    const ProtobufCMessage *payload, const ProtobufCMessage *pub,
		    const struct ntf_case *cr, const struct qf_privacy *pc,
		    const struct ntf_conf *conf, const struct qf_community *com);

/* The privacy context of an event, as its producer decides it (one rule for
 * the notifier): consent from the event when it carries it (petition, case
 * transitions), else from the case record; sensitive when the event is
 * keyed "sensitive" (qf_privacy_partition_key), names a staff member it
 * concerns (an integrity report), has a sensitive category, or the case
 * was known sensitive. payload is the whole message; cr may be NULL. */
void ntf_facts_context(const Qingfeng__V1__Envelope *env, const ProtobufCMessage *payload,
		       const struct ntf_case *cr, const struct qf_community *com,
		       struct qf_privacy *pc);

/* The values a message to a recipient of kind `to` (enum ntf_to) is
 * rendered from: the whole event's for the petitioner and staff, the
 * public part's for followers and groups (NULL when there is none). */
const char *const *ntf_facts_values(const struct ntf_facts *f, int to);
/* Is a recipient of kind `to` a public surface (followers, robot groups,
 * a channel's own URL)? */
int ntf_to_public(int to);
void ntf_facts_free(struct ntf_facts *f);

/* Keep a copy of s in f (for values set by callers); NULL on no memory. */
const char *ntf_facts_keep(struct ntf_facts *f, const char *s);

/* Chinese names used in messages. */
const char *ntf_state_cn(int case_state);
const char *ntf_priority_cn(const char *priority);
const char *ntf_event_cn(int type);

#endif
