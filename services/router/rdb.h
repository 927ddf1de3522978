/* rdb.h: the router's databases in its LMDB store, and the few operations
 * that keep them consistent with each other.
 *
 *   router.cases     case id -> encoded struct rt_case
 *   router.petitions case id -> the whole PetitionSubmitted as received
 *                    (its private part), without the sealed contact and
 *                    the pseudonym, sealed under the case's vault key
 *                    (qf_vault.h: retention forgets it)
 *   bus.outbox       (the producer's, read only) partition, seq -> record
 *                    (qf_bus_record_parse): the case timeline lists
 *                    positions in it
 *   router.due       be64 due_ms, tag, id -> ""   (timers; tag 'c' case,
 *                    'd' duty check). One entry per case: its next timer.
 *   router.queue     assignee, 0, be64 resolve_due, case id -> ""  (open cases)
 *   router.alerts    case id -> u8 RT_ALERT_* (open cases warned or overdue)
 *   router.cluster   building, 0, category, 0, be64 ts, case id -> ""
 *   router.hotspots  building, 0, category -> u8 n, last counted key (n
 *                    bytes), be64 warned at (submission time), packed
 *                    HotspotWarning
 *   router.repeats   16-byte tuple hash, be64 ts, case id -> ""
 *   router.duty      staff, 0, duty, 0, "YYYY-MM" -> be32 done, u8 flags
 *   router.visits    visit id -> ""  (each visit counted once)
 *   router.meta      misc keys ("dnext:" staff 0 duty -> be64 next check,
 *                    "repeat:" case id -> its 16-byte tuple hash in
 *                    router.repeats, "retention:indexed")
 *   router.expiry    tag, be64 base_ms, id -> value  (retention: tag 'c' a
 *                    final case, base = when it became final, value "";
 *                    tag 'v' a visit, base = its date, value = the
 *                    partition key of its PRIVATE_EXPIRED). Due at base +
 *                    the tag's retention, read when it fires, so changing
 *                    retention.days applies to every entry.
 *
 * rt_db_case_put() is the only writer of a case record and updates the due,
 * queue, alerts and expiry indexes from the difference between the old and
 * the new record, so no caller can forget one. Every function runs inside the
 * caller's transaction and returns 0 or a qf_err code.
 *
 * Timers are lazy in one direction: a case's timer key moves at once when
 * something becomes due earlier, but when the next due time moves later
 * (accepting stops the respond clock, an extension, closure) the old key is
 * left to fire; the engine then finds nothing due and re-arms the case at
 * the right time. Most actions thus write no timer key at all, and a timer
 * is never late, at worst one wakeup early.
 */
#ifndef RDB_H
#define RDB_H

#include <lmdb.h>
#include <stdint.h>

#include "qf_store.h"
#include "qf_vault.h"
#include "rcase.h"

#define RT_DUE_CASE 'c'
#define RT_DUE_DUTY 'd'

#define RT_EXP_CASE  'c' /* router.expiry: a final case */
#define RT_EXP_VISIT 'v' /* router.expiry: a visit record */

#define RT_ALERT_WARNED	 0x1 /* an early warning was sent */
#define RT_ALERT_OVERDUE 0x2 /* a deadline is breached */

struct rt_db {
	MDB_dbi cases, petitions, due, queue, alerts, cluster, hotspots, repeats, duty,
	    visits, meta, expiry;
	MDB_dbi outbox; /* the router producer's outbox (qf_bus), read only */
	struct qf_vault *vault; /* this store's vault (owned: rt_db_close) */
};

/* Open (create) every database; call once at start. */
int rt_db_open(struct rt_db *db, struct qf_store *s);
/* Release what rt_db_open made (the vault handle). Safe twice. */
void rt_db_close(struct rt_db *db);

/* Read a case: 0, QF_ERR_NOTFOUND, or QF_ERR_PROTO for a damaged record. */
int rt_db_case_get(const struct rt_db *db, struct qf_txn *t, const char *id,
		   struct rt_case *k);
/* Write k (k->updated_ms as the caller set it). `old` is the stored record
 * before this change, or NULL for a new case; indexes follow the change.
 * next_due is the earliest time anything is due for k (0: nothing; < 0:
 * unchanged, for writes that touch no deadline); k->timer_ms is set to the
 * key the due index holds for it afterwards (see above). */
int rt_db_case_put(const struct rt_db *db, struct qf_txn *t, const struct rt_case *old,
		   struct rt_case *k, int64_t next_due);
/* The alert flags a record implies (0 for cases no longer open). */
unsigned rt_case_alerts(const struct rt_case *k);
/* The base of a case's expiry entry: when it became final, or 0 when it
 * has none (not final, or already expired). */
int64_t rt_case_expiry_base(const struct rt_case *k);

/* The petition a case was made from (written once, at creation), sealed
 * under the case's key. get gives a malloc'd copy in *out (caller frees);
 * QF_ERR_NOTFOUND, or QF_ERR_GONE once retention forgot it. */
int rt_db_petition_put(const struct rt_db *db, struct qf_txn *t, const char *id,
		       const void *packed, size_t len);
int rt_db_petition_get(const struct rt_db *db, struct qf_txn *t, const char *id,
		       uint8_t **out, size_t *out_len);
/* An envelope of the router's outbox: 0 with the stored bytes (valid until
 * the transaction ends), or QF_ERR_NOTFOUND (never written, or trimmed by
 * bus.retain). The key layout (be32 partition, be64 seq) is the one
 * docs/ARCHITECTURE.md documents for bus.outbox. */
int rt_db_outbox_get(const struct rt_db *db, struct qf_txn *t, uint32_t partition,
		     uint64_t seq, MDB_val *out);

/* Timers. */
int rt_db_due_put(const struct rt_db *db, struct qf_txn *t, int64_t due_ms, char tag,
		  const char *id);
int rt_db_due_del(const struct rt_db *db, struct qf_txn *t, int64_t due_ms, char tag,
		  const char *id);
/* The earliest timer: 0 with its time, tag and id (copied, at most idcap
 * bytes incl. NUL), or QF_ERR_NOTFOUND when there is none. */
int rt_db_due_first(const struct rt_db *db, struct qf_txn *t, int64_t *due_ms, char *tag,
		    char *id, size_t idcap);

/* Retention entries (router.expiry). put/del return 0 or a store error
 * (del: QF_ERR_NOTFOUND when absent); id at most 200 bytes, val at most 64.
 * first: the earliest entry of a tag, 0 with its base, id and value
 * (copied, NUL-terminated, at most idcap / valcap bytes incl. NUL), or
 * QF_ERR_NOTFOUND. Entries that do not fit or are malformed are skipped. */
int rt_db_expiry_put(const struct rt_db *db, struct qf_txn *t, char tag, int64_t base_ms,
		     const char *id, const char *val);
int rt_db_expiry_del(const struct rt_db *db, struct qf_txn *t, char tag, int64_t base_ms,
		     const char *id);
int rt_db_expiry_first(const struct rt_db *db, struct qf_txn *t, char tag,
		       int64_t *base_ms, char *id, size_t idcap, char *val,
		       size_t valcap);

/* Small typed helpers for router.meta. */
int rt_db_meta_get_i64(const struct rt_db *db, struct qf_txn *t, const char *key,
		       size_t klen, int64_t *out);
int rt_db_meta_put_i64(const struct rt_db *db, struct qf_txn *t, const char *key,
		       size_t klen, int64_t v);

#endif
