/* apply.c: event dispatch (apply.h). One switch names every event type this
 * service reads; everything else is ignored on purpose (STAFF_ACTION_
 * REQUESTED and ACTION_RESULT: the router's transitions are the record;
 * FEEDBACK_GIVEN: CASE_RATED carries it; CONTACT_VIEWED and VISIT_RECORDED:
 * personal, never published; deliveries: notifier's business).
 *
 * Payloads are decoded into an arena on the stack, freed with the call: a
 * replica catching up decodes hundreds of thousands of small messages, and
 * protobuf-c's malloc per field was a tenth of the apply path. */
#include "apply.h"
#include "affairs.h"
#include "cases.h"
#include "signals.h"

#include "qf_err.h"
#include "qf_event.h"
#include "qf_log.h"

#include <stdlib.h>
#include <string.h>

#define T(x) QINGFENG__V1__EVENT_TYPE__##x

/* ------------------------------------------------------------ arena */

#define ARENA_BLOCK 16384
struct dp_arena {
	size_t used;
	struct big {
		struct big *next;
	} * big; /* allocations larger than what is left, freed at reset */
	_Alignas(16) unsigned char block[ARENA_BLOCK];
};

static void *s_arena_alloc(void *data, size_t n)
{
	struct dp_arena *a = data;
	n = (n + 15) & ~(size_t)15;
	if (n <= ARENA_BLOCK - a->used) {
		void *p = a->block + a->used;
		a->used += n;
		return p;
	}
	struct big *b = malloc(sizeof(struct big) + 16 + n);
	if (!b)
		return NULL;
	b->next = a->big;
	a->big = b;
	return (unsigned char *)b + 16;
}

static void s_arena_free(void *data, void *p)
{
	(void)data;
	(void)p; /* everything goes at reset */
}

static void s_arena_reset(struct dp_arena *a)
{
	while (a->big) {
		struct big *n = a->big->next;
		free(a->big);
		a->big = n;
	}
	a->used = 0;
}

/* The public payload (what qf_event_payload decodes), in the arena. */
static ProtobufCMessage *s_payload(struct dp_arena *a, const Qingfeng__V1__Envelope *env,
				   ProtobufCAllocator *al)
{
	const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(env->type);
	if (!d)
		return NULL;
	*al = (ProtobufCAllocator){s_arena_alloc, s_arena_free, a};
	return protobuf_c_message_unpack(d, al, env->payload.len, env->payload.data);
}

int dp_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct dp *dp = app;
	const Qingfeng__V1__Envelope *env = m->env;
	switch ((int)env->type) {
	case T(PETITION_SUBMITTED):
	case T(DISCLOSURE_SUBMITTED):
	case T(SPAM_HELD):
	case T(SPAM_RELEASED):
	case T(CASE_ASSIGNED):
	case T(CASE_ACCEPTED):
	case T(CASE_TRANSFERRED):
	case T(CASE_PROGRESS):
	case T(CASE_RESOLVED):
	case T(CASE_REJECTED):
	case T(CASE_REOPENED):
	case T(CASE_MERGED):
	case T(CASE_CLOSED):
	case T(CASE_ESCALATED):
	case T(EXTENSION_REQUESTED):
	case T(EXTENSION_DECIDED):
	case T(CASE_RATED):
	case T(DEADLINE_WARNING):
	case T(HOTSPOT_WARNING):
	case T(REPEAT_LINKED):
	case T(DUTY_QUOTA):
	case T(AUDIT_ALERT):
	case T(AUDIT_CHECKPOINT):
		break;
	default:
		return QF_OK; /* not ours, or a type newer than this build */
	}
	ProtobufCAllocator al;
	struct dp_arena arena;
	arena.used = 0;
	arena.big = NULL;
	ProtobufCMessage *pm = s_payload(&arena, env, &al);
	if (!pm) {
		s_arena_reset(&arena);
		qf_warn("event_skipped",
			"type=%s reason=malformed_payload producer=%s seq=%llu",
			qf_event_type_name(env->type), env->producer,
			(unsigned long long)env->seq);
		return QF_OK;
	}
	int rc = QF_OK;
	switch ((int)env->type) {
	case T(PETITION_SUBMITTED):
		rc = cases_apply_petition(dp, t, env, (void *)pm);
		break;
	case T(DISCLOSURE_SUBMITTED):
		rc = affairs_apply(dp, t, env, (void *)pm);
		break;
	case T(SPAM_HELD): {
		const Qingfeng__V1__SpamHeld *s = (void *)pm;
		rc = signals_spam(dp, t, env, 0, s->category, s->building,
				  s->held_ms ? s->held_ms : env->time_ms);
		break;
	}
	case T(SPAM_RELEASED):
		rc = signals_spam(dp, t, env, 1, NULL, NULL, env->time_ms);
		break;
	case T(DEADLINE_WARNING):
		rc = cases_apply_warning(dp, t, env, (void *)pm);
		break;
	case T(HOTSPOT_WARNING):
		rc = signals_hotspot(dp, t, env, (void *)pm);
		break;
	case T(REPEAT_LINKED):
		rc = cases_apply_repeat(dp, t, env, (void *)pm);
		break;
	case T(DUTY_QUOTA):
		rc = signals_quota(dp, t, env, (void *)pm);
		break;
	case T(AUDIT_ALERT):
		rc = signals_alert(dp, t, env, (void *)pm);
		break;
	case T(AUDIT_CHECKPOINT):
		rc = signals_checkpoint(dp, t, env, (void *)pm);
		break;
	default: /* every CaseTransition type */
		rc = cases_apply_transition(dp, t, env, (void *)pm);
		break;
	}
	s_arena_reset(&arena); /* the message and everything in it */
	if (rc && rc != QF_ERR_MAPFULL)
		qf_error("apply_failed", "type=%s producer=%s seq=%llu error=\"%s\"",
			 qf_event_type_name(env->type), env->producer,
			 (unsigned long long)env->seq, qf_strerror(rc));
	return rc;
}

int dp_on_incarnation(void *app, struct qf_txn *t, const char *producer,
		      uint64_t old_epoch, uint64_t new_epoch)
{
	return signals_incarnation(app, t, producer, old_epoch, new_epoch);
}
