/* fsm.h: the case state machine, as one table.
 *
 * A row is (state, input, guards, next state, effects, outputs): who may
 * take the input in that state (the guards), what it does to the case record
 * (the effects: clocks stopped, restarted or extended, owner and assignee,
 * ratings, links) and which events it emits (the outputs; the notifier, the
 * audit log and the disclosure board act on those). An input that has no
 * row for the case's state is refused with 409 (the state forbids it); a row's
 * guards are checked in a fixed order, permission guards first (403), then
 * rule guards (409). rt_fsm_decide() is pure: it reads the case, the command
 * and the community file and returns a verdict; the engine then applies the
 * row's effect and emits its outputs. The table is exported so the docs and
 * the tests can walk it.
 */
#ifndef FSM_H
#define FSM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qf_community.h"
#include "rcase.h"
#include "rconf.h"

enum rt_input {
	RT_IN_ROUTE = 1, /* petition submitted: route and assign (system) */
	RT_IN_ACCEPT,	 /* staff actions (ActionKind) */
	RT_IN_ASSIGN,
	RT_IN_TRANSFER,
	RT_IN_NOTE, /* progress note */
	RT_IN_RESOLVE,
	RT_IN_REJECT,
	RT_IN_REOPEN,
	RT_IN_EXT_REQUEST,
	RT_IN_EXT_APPROVE,
	RT_IN_EXT_DENY,
	RT_IN_MERGE,
	RT_IN_CLOSE,
	RT_IN_RATE_GOOD, /* petitioner feedback, by rating band */
	RT_IN_RATE_MID,
	RT_IN_RATE_POOR,
	RT_IN_AUTO_CLOSE, /* timer: resolved, no feedback for N days */
	RT_IN_SUPPLEMENT,  /* the petitioner adds words or photos to an open case */
	RT_IN_MAX
};

/* Guards (bits of struct rt_row.guards), in evaluation order. */
#define RT_G_STAFF	 (1u << 0) /* 403: the actor is a known staff member */
#define RT_G_NO_CONFLICT (1u << 1) /* 403: actor not excluded from the case */
#define RT_G_MAY_ACCEPT                                                                  \
	(1u << 2)		 /* 403: owner; else assignee, escalation                \
				    target; or the secretary */
#define RT_G_HANDLER   (1u << 3) /* 403: owner (else assignee) or secretary */
#define RT_G_SECRETARY (1u << 4) /* 403: the secretary */
#define RT_G_REOPENER  (1u << 5) /* 403: the secretary or the supervisor */
#define RT_G_TRANSFER_LIMIT                                                              \
	(1u << 6)	      /* 409: past max_transfers only the                        \
				 secretary transfers */
#define RT_G_REASON (1u << 7) /* 409: a reason is given */
#define RT_G_TARGET                                                                      \
	(1u << 8)	       /* 409: target staff known, other than the                \
				  assignee, not excluded */
#define RT_G_NOTE   (1u << 9)  /* 409: cause, progress, result or media */
#define RT_G_RESULT (1u << 10) /* 409: the result is given */
#define RT_G_REJECT                                                                      \
	(1u << 11) /* 409: a reject reason; duplicates name an                           \
		      open case of the same building */
#define RT_G_RELATED                                                                     \
	(1u << 12)		      /* 409: merge target: an open case of the          \
					 same building, not this one */
#define RT_G_EXT_HOURS	   (1u << 13) /* 409: 1..max_extension_h hours */
#define RT_G_NO_PENDING	   (1u << 14) /* 409: no extension awaiting a decision */
#define RT_G_PENDING	   (1u << 15) /* 409: an extension awaits a decision */
#define RT_G_NOT_REQUESTER (1u << 16) /* 409: nobody approves their own request */
#define RT_G_NOT_RATED	   (1u << 17) /* 409: one rating per resolution */
#define RT_G_RETAINED	   (1u << 18) /* 409: private data not yet expired */
#define RT_G_NBITS	   19

/* Effects (bits of struct rt_row.effects): what a row does to the case
 * record besides its state. The engine applies them in bit order, before it
 * emits the row's outputs. */
#define RT_E_TAKE	  (1u << 0)  /* the actor becomes assignee, and owner if none */
#define RT_E_HAND_OVER	  (1u << 1)  /* the target becomes assignee */
#define RT_E_TRANSFER	  (1u << 2)  /* ownership follows; transfer_count + 1 */
#define RT_E_RESPOND_STOP (1u << 3)  /* the respond clock is met (the first time) */
#define RT_E_RESOLVE_STOP (1u << 4)  /* resolved now, resolve clock met, rating due */
#define RT_E_LINK	  (1u << 5)  /* the related case is remembered */
#define RT_E_END	  (1u << 6)  /* closed_ms = now */
#define RT_E_EXT_PEND	  (1u << 7)  /* the extension request waits for a decision */
#define RT_E_EXT_GRANT	  (1u << 8)  /* the resolve clock gets the pending hours */
#define RT_E_EXT_CLEAR	  (1u << 9)  /* the pending request is decided */
#define RT_E_RATE	  (1u << 10) /* the rating is kept (one per resolution) */
#define RT_E_RESTART	  (1u << 11) /* reopen: counted, the resolve clock runs again */
#define RT_E_UNRATE	  (1u << 12) /* a new rating is due */
#define RT_E_MERGE_INTO	  (1u << 13) /* the target case counts one more merged in */
#define RT_E_NBITS	  14

#define RT_SAME 0 /* next state: unchanged */

struct rt_row {
	uint8_t from;	  /* enum rt_state */
	uint8_t input;	  /* enum rt_input */
	uint32_t guards;  /* RT_G_*: who may, and the rules */
	uint8_t to;	  /* enum rt_state, or RT_SAME */
	uint32_t effects; /* RT_E_* */
	uint16_t out[2];  /* EventType of each CaseTransition emitted (0: none);
			     with two, the first keeps the state, the second
			     moves it */
	const char *why2; /* the reason the second output carries (static), or
			     NULL for the command's reason */
};

/* What the engine knows about a command when it asks for a verdict. */
struct rt_cmd {
	int input;
	const struct qf_staff *actor; /* NULL for the system or the petitioner */
	const char *target;	      /* assign / transfer */
	const char *reason, *cause, *progress, *result;
	size_t nmedia;
	int reject_reason;	       /* RejectReason */
	const char *related_id;	       /* duplicate of / merge into */
	const struct rt_case *related; /* that case, if this router knows it */
	uint32_t ext_hours;
};

struct rt_verdict {
	unsigned status;	  /* 200, 403, 409 */
	const char *code;	  /* machine code ("ok", "not_owner", ...) */
	char message[256];	  /* Chinese, for staff */
	const struct rt_row *row; /* the transition (status 200) */
};

/* Decide a command on case k. Always fills v. */
void rt_fsm_decide(const struct qf_community *c, const struct rt_conf *rc,
		   const struct rt_case *k, const struct rt_cmd *cmd,
		   struct rt_verdict *v);
/* The row for (state, input), or NULL. */
const struct rt_row *rt_fsm_row(int state, int input);
/* The whole table (for documentation and tests). */
const struct rt_row *rt_fsm_table(size_t *n);
/* English names of a guard bit ("handler") and of an effect bit ("take");
 * "unknown" for others. Static strings. */
const char *rt_guard_name(uint32_t guard);
const char *rt_effect_name(uint32_t effect);
/* Print the table as Markdown (docs/services/router.md holds this text
 * between its fsm markers; a unit test compares them). */
void rt_fsm_describe(FILE *out);
/* English name ("transfer") and Chinese verb ("转办") of an input. */
const char *rt_input_name(int input);
const char *rt_input_label(int input);
/* The input of an ActionKind, or 0 for none. */
int rt_input_of_action(int action_kind);

#endif
