/* rcase.h: the router's case record: what the router knows about one case,
 * and its compact, versioned encoding in the `router.cases` database.
 *
 * A record is a plain struct with fixed-size text fields, so the engine can
 * keep one on the stack and never allocates per event. Stored records are
 * encoded field by field (strings length-prefixed, timeline positions as
 * varint deltas), so a record takes only the bytes it uses and the decoder
 * can check every length: a damaged record is reported, never read past its
 * end.
 *
 * The case's timeline is not copied: the record lists where its events sit
 * in the router's own outbox (one partition, since every event about a case
 * uses its building as partition key), and the views read them from there.
 *
 * Deadline hours and the clock kind are copied from the community file when
 * the case is created, so editing the file later never moves the deadlines of
 * cases already running.
 */
#ifndef RCASE_H
#define RCASE_H

#include <stddef.h>
#include <stdint.h>

#include "qingfeng/v1/events.pb-c.h"

#define RT_ID_MAX      48  /* case ids, tracking codes (bytes incl. NUL) */
#define RT_CODE_MAX    48  /* category and building codes */
#define RT_STAFF_MAX   32  /* staff ids */
#define RT_PRIO_MAX    16  /* priority names */
#define RT_MAX_PARTIES 16  /* staff named as parties on one case */
#define RT_TL_MAX      250 /* timeline positions kept per case */

/* Case states: the values of qingfeng.v1.CaseState. */
enum rt_state {
	RT_SUBMITTED = QINGFENG__V1__CASE_STATE__STATE_SUBMITTED,
	RT_ASSIGNED = QINGFENG__V1__CASE_STATE__STATE_ASSIGNED,
	RT_ACCEPTED = QINGFENG__V1__CASE_STATE__STATE_ACCEPTED,
	RT_IN_PROGRESS = QINGFENG__V1__CASE_STATE__STATE_IN_PROGRESS,
	RT_RESOLVED = QINGFENG__V1__CASE_STATE__STATE_RESOLVED,
	RT_CLOSED = QINGFENG__V1__CASE_STATE__STATE_CLOSED,
	RT_REJECTED = QINGFENG__V1__CASE_STATE__STATE_REJECTED,
	RT_REOPENED = QINGFENG__V1__CASE_STATE__STATE_REOPENED,
	RT_MERGED = QINGFENG__V1__CASE_STATE__STATE_MERGED,
	RT_STATE_MAX = RT_MERGED
};

/* The two clocks of a case. */
enum rt_clock { RT_RESPOND = 0, RT_RESOLVE = 1 };

/* One deadline's progress. */
struct rt_deadline {
	int64_t due_ms;		/* current due time (resolve: incl. extensions) */
	int64_t met_ms;		/* when it was met (0: not yet / again open) */
	int64_t last_notice_ms; /* last breach notice or reminder */
	uint16_t reminders;	/* reminders sent while overdue */
	uint8_t stage;		/* early warnings sent (index into warn list) */
	uint8_t breached;	/* breach notice sent */
};

/* Flag bits of struct rt_case.flags. */
#define RT_F_WORKING	 0x01 /* deadlines count working hours */
#define RT_F_FEEDBACK	 0x02 /* the petitioner rated since the last resolve */
#define RT_F_HOTSPOT	 0x04 /* part of a hotspot warning */
#define RT_F_INTEGRITY	 0x08 /* a report about a staff member's conduct */
#define RT_F_UNKNOWN_CAT 0x10 /* category not in the community file */
#define RT_F_CONSENT	 0x20 /* the petitioner consented to public display */
#define RT_F_EXPIRED	 0x40 /* retention forgot its private data (final) */

struct rt_case {
	char id[RT_ID_MAX];
	char tracking[RT_ID_MAX];
	char category[RT_CODE_MAX];
	char building[RT_CODE_MAX];
	char priority[RT_PRIO_MAX];
	char assignee[RT_STAFF_MAX];	  /* responsible now */
	char owner[RT_STAFF_MAX];	  /* first responder (set on accept) */
	char concerns[RT_STAFF_MAX];	  /* integrity report: staff reported */
	char escalated_to[RT_STAFF_MAX];  /* last escalation target */
	char ext_requester[RT_STAFF_MAX]; /* pending extension: who asked */
	char repeat_of[RT_ID_MAX];	  /* earlier case of the same petitioner */
	char related[RT_ID_MAX];	  /* duplicate of / merged into */
	char parties[RT_MAX_PARTIES][RT_STAFF_MAX];
	unsigned nparties;
	int state;		       /* enum rt_state */
	unsigned flags;		       /* RT_F_* */
	uint32_t respond_h, resolve_h; /* frozen at creation */
	uint32_t ext_hours;	       /* approved extensions, total */
	uint32_t ext_pending_h;	       /* requested, undecided (0: none) */
	int32_t esc_level;	       /* escalation chain index reached, -1 none */
	uint32_t transfer_count, reopen_count;
	uint32_t repeat_count;	  /* earlier cases of this petitioner */
	uint32_t repeat_hits;	  /* later repeats linked to this case */
	uint32_t merged_in;	  /* cases merged into this one */
	uint32_t rating;	  /* last rating (0: none) */
	uint32_t nevents;	  /* events the router emitted about it */
	uint32_t tl_part;	  /* their partition in the router's outbox */
	uint64_t tl[RT_TL_MAX];	  /* their outbox seqs, ascending (the first
				     RT_TL_MAX; the rest are not listed) */
	struct rt_deadline dl[2]; /* RT_RESPOND, RT_RESOLVE */
	int64_t submitted_ms, updated_ms, resolved_ms, closed_ms;
	int64_t timer_ms; /* this case's key in the due index (0: none);
			     may be earlier than what is really due next:
			     timers only move earlier eagerly (rdb.h) */
};

/* English name ("in_progress") and Chinese label ("处理中") of a state; never
 * NULL ("unknown" / "未知" for values outside the enum). Static strings. */
const char *rt_state_name(int state);
const char *rt_state_label(int state);
/* Parse an English state name; returns the state or -1. */
int rt_state_parse(const char *name);
/* Open: the case still needs handling (not resolved, closed, rejected,
 * merged). */
int rt_state_open(int state);
/* Terminal for routing purposes: closed, rejected or merged. */
int rt_state_final(int state);

/* Initialise a record (zeroes, esc_level -1). */
void rt_case_init(struct rt_case *k);
/* Is staff id `who` named as a party on the case? */
int rt_case_has_party(const struct rt_case *k, const char *who);

/* Record that an event about k went out at (partition, seq) of the router's
 * outbox (the case's timeline). Counts it even when the list is full. */
void rt_case_add_event(struct rt_case *k, uint32_t partition, uint64_t seq);

/* Copy `src` into a fixed field of `cap` bytes; returns 0, or -1 when it does
 * not fit (the field is then set to ""). NULL copies as "". */
int rt_copy(char *dst, size_t cap, const char *src);

/* Encode into buf (cap bytes); returns the length used, or 0 if cap is too
 * small (RT_CASE_ENC_MAX always suffices). */
#define RT_CASE_ENC_MAX 4096
size_t rt_case_encode(const struct rt_case *k, uint8_t *buf, size_t cap);
/* Decode; returns 0, or QF_ERR_PROTO for a damaged or unknown-version
 * record (k is then unspecified). */
int rt_case_decode(struct rt_case *k, const uint8_t *buf, size_t len);

#endif
