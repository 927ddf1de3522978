/* affairs.h: the three-affairs disclosure (三务公开): the financial ledger
 * per quarter with a running balance reconciled against the published
 * balance statement, party and residential affairs notices, lists (such as
 * medical-aid applicants) and the staff roster.
 *
 * Every record keeps all its versions: a correction (DisclosureSubmitted
 * version n+1 of the same record_id) becomes current and the superseded
 * versions stay readable beside it. Views read the current version of each
 * record; the version history is one call away. Each change republishes the
 * snapshot it belongs to (snapshot.h).
 */
#ifndef DP_AFFAIRS_H
#define DP_AFFAIRS_H

#include <jansson.h>

#include "dp.h"
#include "qingfeng/v1/envelope.pb-c.h"
#include "qingfeng/v1/events.pb-c.h"

/* disc_group kind bytes */
#define AK_LEDGER  'L'
#define AK_BALANCE 'B'
#define AK_NOTICE  'N'
#define AK_LIST	   'T'
#define AK_ROSTER  'R'

int affairs_apply(struct dp *dp, struct qf_txn *t, const Qingfeng__V1__Envelope *env,
		  const Qingfeng__V1__DisclosureSubmitted *d);

/* Every function below returns a new JSON reference (NULL: not found). */

/* One record with all its versions, newest first, each marked current or
 * superseded. */
json_t *affairs_record(struct dp *dp, struct qf_txn *t, const char *record_id);
/* Quarters with entries or a balance statement: totals and reconciliation. */
json_t *affairs_ledger_index(struct dp *dp, struct qf_txn *t);
/* One quarter ("2026Q3"): entries by date with the running balance, the
 * balance statement, the reconciliation, corrections, and its snapshot. */
json_t *affairs_ledger_quarter(struct dp *dp, struct qf_txn *t, const char *quarter);
/* Notices of one affair ("party", "residential", "financial"; NULL: all). */
json_t *affairs_notices(struct dp *dp, struct qf_txn *t, const char *affair);
/* All lists (summaries) and one list with its items. */
json_t *affairs_lists(struct dp *dp, struct qf_txn *t);
json_t *affairs_list(struct dp *dp, struct qf_txn *t, const char *record_id);
/* The current roster (removed entries left out) and its snapshot. */
json_t *affairs_roster(struct dp *dp, struct qf_txn *t);
/* The newest record versions (for the feed), newest first. */
json_t *affairs_recent(struct dp *dp, struct qf_txn *t, unsigned max);
/* "2026Q3" is a quarter? */
int affairs_quarter_ok(const char *q);
/* Chinese name of an affair code ("党务"); the code itself if unknown. */
const char *affairs_affair_label(const char *affair);
/* Chinese name of a record kind ("财务收支"). */
const char *affairs_kind_label(const char *kind);

#endif
