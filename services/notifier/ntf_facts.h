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
 */
#ifndef NTF_FACTS_H
#define NTF_FACTS_H

#include <stdint.h>

#include "ntf_conf.h"
#include "ntf_store.h"
#include "ntf_tmpl.h"
#include "qf_community.h"
#include "qingfeng/v1/envelope.pb-c.h"

struct ntf_facts {
	int type;			/* EventType */
	unsigned family;		/* NTF_FAM_* */
	const char *vals[NTF_PH_COUNT]; /* placeholder values (NULL: none) */
	/* attributes (NULL or "" when unknown) */
	const char *case_id, *category, *priority, *building;
	const char *assignee, *previous_assignee, *escalated_to, *duty_staff;
	const char *concerns_staff;
	const char *pkey; /* partition key of outcomes */
	int to_state;	  /* CaseState (case transitions) */
	int breached, deadline_kind, rating, behind;
	int urgent; /* the category is urgent */
	/* owned strings behind the pointers above */
	char **own;
	unsigned nown, capown;
};

/* Build facts for one event. payload is the decoded payload message (its
 * type must match env->type); cr may be NULL when the case is unknown.
 * Returns 0, QF_ERR_INVAL for an event the notifier does not notify about,
 * or QF_ERR_NOMEM. f must be zeroed; free with ntf_facts_free. */
int ntf_facts_build(struct ntf_facts *f, const Qingfeng__V1__Envelope *env,
		    const ProtobufCMessage *payload, const struct ntf_case *cr,
		    const struct ntf_conf *conf, const struct qf_community *com);
void ntf_facts_free(struct ntf_facts *f);

/* Keep a copy of s in f (for values set by callers); NULL on no memory. */
const char *ntf_facts_keep(struct ntf_facts *f, const char *s);

/* Chinese names used in messages. */
const char *ntf_state_cn(int case_state);
const char *ntf_priority_cn(const char *priority);
const char *ntf_event_cn(int type);

#endif
