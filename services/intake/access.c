/* access.c: intake's side of the access policy (qf_access.h): the world
 * the gate decides with, the facts of a case read from intake's records,
 * and the decision on a record a handler already holds (lists, photos,
 * corrections). Nothing here decides anything itself: qf_policy does. */
#include "intake.h"

#include <stdio.h>
#include <string.h>

#include "qf_err.h"

static void s_world(void *svc, const struct qf_community **c, const struct qf_tokens **t)
{
	const struct intake_world *w = intake_world_get(svc);
	*c = w->community;
	*t = w->tokens;
}

static void s_copy(char *dst, size_t n, const json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));
	snprintf(dst, n, "%s", v ? v : "");
}

void intake_case_facts(struct intake *in, const json_t *rec, struct qf_case_facts *f)
{
	memset(f, 0, sizeof *f);
	s_copy(f->id, sizeof f->id, rec, "id");
	s_copy(f->building, sizeof f->building, rec, "building");
	s_copy(f->assignee, sizeof f->assignee, rec, "assignee");
	s_copy(f->owner, sizeof f->owner, rec, "owner");
	s_copy(f->escalated_to, sizeof f->escalated_to, rec, "escalated_to");
	s_copy(f->concerns, sizeof f->concerns, rec, "concerns_staff");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(rec, "parties"), i, v)
	{
		if (f->nparties < QF_FACT_PARTIES && json_is_string(v))
			snprintf(f->parties[f->nparties++], QF_FACT_ID, "%s",
				 json_string_value(v));
	}
	struct qf_privacy pc;
	char key[64];
	intake_case_privacy(in, rec, &pc, key, sizeof key);
	f->sensitive = pc.sensitive;
}

int intake_may(struct intake *in, const struct qf_staff *s, enum qf_action a,
	       const json_t *rec)
{
	struct qf_case_facts f;
	intake_case_facts(in, rec, &f);
	return qf_policy_case(intake_world_get(in)->community, s, a, &f) == QF_ALLOW;
}

struct facts_read {
	struct intake *in;
	const char *id;
	struct qf_case_facts *f;
};

static int s_facts_read(struct qf_txn *t, void *arg)
{
	struct facts_read *fr = arg;
	json_t *rec = intake_case_get(fr->in, t, fr->id);
	if (!rec)
		return QF_ERR_NOTFOUND;
	intake_case_facts(fr->in, rec, fr->f);
	json_decref(rec);
	return QF_OK;
}

static int s_case_facts(void *svc, const char *id, struct qf_case_facts *f)
{
	struct facts_read fr = {svc, id, f};
	return intake_read(svc, s_facts_read, &fr);
}

void intake_access(struct intake *in, struct qf_access *a)
{
	*a = (struct qf_access){s_world, s_case_facts, in, intake_session_gate,
				intake_staff_deny};
}
