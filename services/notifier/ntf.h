/* ntf.h: the notifier service as one struct, passed explicitly to every
 * module (no globals besides the configuration main loads).
 *
 * Ownership: main owns the struct and everything it points to; the
 * configuration, community file and keys are immutable while the service
 * runs, so HTTP threads and the sender thread read them without locks. The
 * store is written only by the core thread (consumer apply, group-commit
 * jobs, dispatch outcomes), as qf_svc requires.
 */
#ifndef NTF_H
#define NTF_H

#include "ntf_conf.h"
#include "ntf_keys.h"
#include "ntf_store.h"
#include "qf_community.h"
#include "qf_metrics.h"
#include "qf_svc.h"
#include "qf_tokens.h"

struct ntf_dispatch;
struct ntf_sender;

struct ntf {
	struct ntf_conf *conf;
	struct qf_community *com;
	struct qf_tokens *tokens;
	struct ntf_keys keys;
	struct qf_svc *svc;	      /* set once qf_svc_open succeeded */
	struct qf_store *store;	      /* the service's store (qf_svc_store) */
	struct qf_bus_producer *prod; /* outcome events (qf_svc_producer) */
	struct qf_clock *clock;	      /* qf_svc_clock: injectable */
	struct ntf_db db;
	struct ntf_dispatch *dispatch;
	struct ntf_sender *sender;
	/* metrics (owned by the service's registry) */
	struct qf_metric *m_created;	 /* deliveries written */
	struct qf_metric *m_unaddressed; /* intended, but no address for it */
	struct qf_metric *m_ignored;	 /* events decoded but malformed */
	struct qf_metric *m_released;
	struct qf_metric *m_follows; /* follows confirmed */
	unsigned pend_created;	     /* deliveries written in the open txn */
};

/* Consumer apply (qf_svc_opts.apply): records what later messages need,
 * turns the event into deliveries by the rules, in the caller's
 * transaction. Returns 0 for ignored or malformed events. */
int ntf_consume_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m);

#endif
