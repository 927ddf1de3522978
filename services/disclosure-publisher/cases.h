/* cases.h: the public case view: one JSON document per case (masked
 * petition plus the whole handling timeline), a fixed binary head for lists
 * and statistics, and the secondary indexes that make filtered, paged
 * listing cheap.
 *
 * Storage: one compact binary record per case (dp.case; crec.h), rendered
 * as JSON only on read. Within a transaction cases live in a write-back
 * cache; the records, index keys and counters are written once per case,
 * at commit (a catching-up replica applies thousands of events per
 * transaction, several per case).
 *
 * Design: the document is rebuilt by folding its timeline, which is kept
 * sorted by (time, source position). Events of intake and router arrive on
 * independent streams, in any interleaving, so a case's state is a pure
 * function of the set of events seen: two replicas that applied the same
 * events hold byte-identical documents whatever order they came in.
 */
#ifndef DP_CASES_H
#define DP_CASES_H

#include <jansson.h>
#include <stdint.h>

#include "cstate.h"
#include "dp.h"
#include "qingfeng/v1/envelope.pb-c.h"
#include "qingfeng/v1/events.pb-c.h"

/* case_head.flags */
#define CH_PETITION    0x01u /* the petition itself was seen */
#define CH_EXCLUDED    0x02u /* merged, duplicate or spam: out of the rates */
#define CH_SENSITIVE   0x04u /* integrity report: details withheld */
#define CH_REJECTED    0x08u
#define CH_ESCALATED   0x10u
#define CH_NO_FEEDBACK 0x20u /* closed without the petitioner's feedback */
#define CH_BREACHED    0x40u /* a deadline was breached at some point */
#define CH_WITHHELD    0x80u /* no consent to show the description */

/* The fixed part of a case record (a dp.case value, cases.c has the
 * layout): the derived figures lists, statistics and indexes read without
 * rendering anything. Native byte order: the store is this machine's own. */
struct case_head {
	uint32_t version; /* CASE_HEAD_VERSION */
	uint8_t state;	  /* Qingfeng__V1__CaseState */
	uint8_t rating;	  /* latest rating 1..5, 0 none */
	uint16_t flags;
	uint16_t reopen_count, transfer_count;
	uint32_t pad;
	int64_t submitted_ms, first_response_ms, respond_due_ms, resolve_due_ms;
	int64_t resolved_ms, resolved_due_ms, closed_ms, updated_ms;
};
#define CASE_HEAD_VERSION 2u

/* A case as lists read it: pointers into the record (valid during the
 * transaction), and the list summary rendered by cases_query. */
struct case_view {
	struct case_head h;
	const char *id, *category, *building, *handler;
	const char *handler_name, *handler_post, *category_name, *building_name;
	const char *tracking_code;
	const uint8_t *base; /* the petition's members (crec.h) */
	size_t base_len;
	const char *summary; /* not NUL-terminated: summary_len bytes; set by
				cases_query only (a JSON object without its
				closing brace) */
	size_t summary_len;
};

/* Parse a case record (pointers into v). 0 or QF_ERR_PROTO. */
int case_view_parse(const void *v, size_t n, const char *id, size_t idlen,
		    struct case_view *out);
/* A list item's title: the first 40 characters of the masked description,
 * "" when the case is withheld. size >= 200 bytes. */
void case_view_title(const struct case_view *v, char *out, size_t size);
/* Overdue at `now`: open and past the response deadline while not yet
 * responded, or past the resolution deadline. */
int case_overdue(const struct case_head *h, int64_t now);

/* ------------------------------------------------------------ apply */
int cases_apply_petition(struct dp *dp, struct qf_txn *t,
			 const Qingfeng__V1__Envelope *env,
			 const Qingfeng__V1__PetitionSubmitted *p);
int cases_apply_transition(struct dp *dp, struct qf_txn *t,
			   const Qingfeng__V1__Envelope *env,
			   const Qingfeng__V1__CaseTransition *ct);
int cases_apply_warning(struct dp *dp, struct qf_txn *t,
			const Qingfeng__V1__Envelope *env,
			const Qingfeng__V1__DeadlineWarning *w);
int cases_apply_repeat(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		       const Qingfeng__V1__RepeatLinked *r);

/* ------------------------------------------------------------ read */

#define CQ_STATE_ANY  -1
#define CQ_STATE_OPEN -2
#define CQ_STATE_DONE -3

struct case_query {
	const char *category, *building, *handler; /* NULL: any */
	int state;				   /* CQ_STATE_* or a CaseState */
	int64_t from_ms, to_ms; /* submitted in [from, to); 0: unbounded */
	int overdue;		/* only overdue cases (ordered by due time) */
	unsigned offset, limit;
	int no_summary; /* the callback reads no v->summary: do not write it */
};

/* Called per matching case in order (newest first; overdue: most overdue
 * first). Return nonzero to stop. */
typedef int (*case_each_fn)(void *arg, const struct case_view *v, int overdue);

/* Walk the matching cases from `offset`, at most `limit` (0: no limit);
 * *total gets the number of matches (exact). */
int cases_query(struct dp *dp, struct qf_txn *t, const struct case_query *q, int64_t now,
		case_each_fn fn, void *arg, uint64_t *total);
/* The stored document of a case (by id or tracking code) as a new JSON
 * reference, or NULL when unknown. */
json_t *cases_doc(struct dp *dp, struct qf_txn *t, const char *id_or_code);
/* The head of a case; 0 or QF_ERR_NOTFOUND. Pointers valid during t. */
int cases_head(struct dp *dp, struct qf_txn *t, const char *id, struct case_view *v);
/* Counters: total cases, open cases. */
uint64_t cases_count(struct dp *dp, struct qf_txn *t, const char *key);
/* Write the transaction's cached cases (records, index keys, counters);
 * dp.c's pre-commit hook calls it. */
int cases_flush(struct dp *dp, struct qf_txn *t);
/* Forget the transaction's cache (after commit or abort). After a large
 * transaction the cache keeps its memory for the next one. */
void cases_cache_clear(struct dp *dp);
/* Give that memory back (outside a transaction: a replica caught up). */
void cases_cache_release(struct dp *dp);
/* Overdue open cases now (walks the due index up to now). */
uint64_t cases_overdue_count(struct dp *dp, struct qf_txn *t, int64_t now);
/* The same, computed at most once a second (dp->cache_lock). */
uint64_t cases_overdue_cached(struct dp *dp, struct qf_txn *t, int64_t now);

#endif
