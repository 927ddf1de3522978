/* snapshot.h: tamper evidence for published disclosures.
 *
 * A snapshot is the whole of one published unit (a ledger quarter, a list,
 * the roster, the notices of one affair) in a canonical byte form: JSON with
 * keys sorted, no whitespace, UTF-8, integers only. Its SHA-256 is announced
 * as a SNAPSHOT_PUBLISHED event in the same transaction that changed it, so
 * the audit log holds the hash; anyone can fetch the canonical bytes
 * (/v1/public/snapshots/<kind>/<key>/canonical), hash them and compare.
 * The page shows the audit checkpoint that includes the announcement.
 *
 * Versions count the changes of a unit (1, 2, ...); the hash covers the
 * content only, so equal content always hashes equal.
 */
#ifndef DP_SNAPSHOT_H
#define DP_SNAPSHOT_H

#include <jansson.h>

#include "dp.h"

/* Publish a new version of snapshot (kind, key) with content `canon` (the
 * object is borrowed; "kind" and "key" are added to it): hash its canonical
 * form, store it, and emit SNAPSHOT_PUBLISHED in t. reconciled: -1 not
 * applicable, 0 or 1. Returns 0 or a store/bus error. */
int snapshot_publish(struct dp *dp, struct qf_txn *t, const char *kind, const char *key,
		     json_t *canon, unsigned item_count, int reconciled,
		     int64_t published_ms);
/* The canonical bytes of an object (malloc'd, NUL-terminated). */
char *snapshot_canonical(json_t *canon, size_t *len);
/* The latest snapshot record of (kind, key), with its announcement and the
 * audit checkpoint that covers it when known (new reference or NULL). */
json_t *snapshot_current(struct dp *dp, struct qf_txn *t, const char *kind,
			 const char *key);
/* Every version's record of (kind, key), newest first. */
json_t *snapshot_history(struct dp *dp, struct qf_txn *t, const char *kind,
			 const char *key);
/* All snapshots' current records (kind filter may be NULL). */
json_t *snapshot_list(struct dp *dp, struct qf_txn *t, const char *kind);
/* The current canonical bytes (copied, malloc'd) or NULL. */
char *snapshot_bytes(struct dp *dp, struct qf_txn *t, const char *kind, const char *key,
		     size_t *len);

#endif
