/* spamadj.c: the spam judgement of a submission, with the supervisor's past
 * decisions as a per-community adjustment.
 *
 * Every release or dismissal of a hold counts, for each signal the hold
 * carried (its rule and term, e.g. keyword/"团购" or link), one release or
 * one dismissal under the community's code in intake.spam_terms. When a
 * term has been released at least spam.adjust_releases times and more than
 * twice as often as it was dismissed, it stops counting in that
 * community's scores (weight 0): the supervisor has said, repeatedly, that
 * it is how residents there write. A dismissal or two later does not switch
 * it back on at once; enough of them do.
 *
 * Design: counts live in the store (they survive restarts and replicas
 * read the same), written in the review's own transaction, so a count
 * is never kept for a decision that did not happen. The judgement reads
 * them only when a submission would be held: an adjustment can only lower
 * a score. Complaint words and the duplicate signal are never adjusted. */
#include "intake.h"

#include <stdio.h>
#include <string.h>

#include "qf_err.h"
#include "qf_log.h"

#define S_KEY_MAX 256

static size_t s_key(struct intake *in, const char *rule, const char *term, char *out)
{
	int n = snprintf(out, S_KEY_MAX, "%s\x1f%s\x1f%s",
			 intake_world_get(in)->community->code, rule, term ? term : "");
	return n < 0 ? 0 : (size_t)n >= S_KEY_MAX ? S_KEY_MAX - 1 : (size_t)n;
}

static uint32_t s_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void s_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void s_counts(struct intake *in, struct qf_txn *t, const char *rule,
		     const char *term, uint32_t *released, uint32_t *dismissed)
{
	char key[S_KEY_MAX];
	size_t kl = s_key(in, rule, term, key);
	MDB_val v;
	*released = *dismissed = 0;
	if (qf_txn_get(t, in->db.spam_terms, key, kl, &v) == QF_OK && v.mv_size == 8) {
		*released = s_be32(v.mv_data);
		*dismissed = s_be32((const unsigned char *)v.mv_data + 4);
	}
}

static int s_adjustable(enum intake_spam_signal sig)
{
	return sig != INTAKE_SPAM_COMPLAINT && sig != INTAKE_SPAM_DUPLICATE;
}

struct adjust {
	struct intake *in;
	struct intake_spam_verdict *v;
};

static int s_adjust(struct qf_txn *t, void *arg)
{
	struct adjust *a = arg;
	uint32_t min = (uint32_t)a->in->conf->spam.adjust_releases;
	for (unsigned i = 0; i < a->v->n; i++) {
		struct intake_spam_hit *h = &a->v->hit[i];
		if (h->weight <= 0 || !s_adjustable(h->signal))
			continue;
		uint32_t rel, dis;
		s_counts(a->in, t, intake_spam_rule(h->signal), h->term, &rel, &dis);
		if (rel >= min && rel > 2 * (uint64_t)dis)
			intake_spam_set_weight(a->v, i, 0);
	}
	return QF_OK;
}

int intake_spam_judge(struct intake *in, const char *description, const char *address,
		      struct intake_spam_verdict *v, char *rule, size_t rn, char *detail,
		      size_t dn)
{
	const struct intake_spam_conf *c = &in->conf->spam;
	memset(v, 0, sizeof *v);
	if (!c->enabled)
		return 0;
	intake_spam_eval(c, description, v);
	intake_spam_eval(c, address, v);
	if (c->dup_copies > 0 && description) {
		unsigned seen =
		    intake_spamdup_seen(in->spamdup, description, qf_now_ms(in->clock));
		if (seen >= (unsigned)c->dup_copies)
			intake_spam_add(v, INTAKE_SPAM_DUPLICATE, NULL,
					intake_spam_weight(INTAKE_SPAM_DUPLICATE));
	}
	if (v->score >= c->threshold && c->adjust_releases > 0) {
		struct adjust a = {in, v};
		int rc = intake_read(in, s_adjust, &a);
		if (rc)
			qf_warn("spam_adjust_failed", "error=\"%s\"", qf_strerror(rc));
	}
	return intake_spam_decide(c, v, rule, rn, detail, dn);
}

json_t *intake_spam_signals_json(const struct intake_spam_verdict *v)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < v->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "rule",
						   intake_spam_rule(v->hit[i].signal),
						   "term", v->hit[i].term, "weight",
						   v->hit[i].weight));
	return a;
}

int intake_spam_review_count(struct intake *in, struct qf_txn *t, const json_t *h,
			     int released)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(h, "signals"), i, s)
	{
		const char *rule = json_string_value(json_object_get(s, "rule"));
		const char *term = json_string_value(json_object_get(s, "term"));
		if (!rule || !strcmp(rule, intake_spam_rule(INTAKE_SPAM_COMPLAINT)) ||
		    !strcmp(rule, intake_spam_rule(INTAKE_SPAM_DUPLICATE)))
			continue;
		uint32_t rel, dis;
		s_counts(in, t, rule, term, &rel, &dis);
		if (released && rel < UINT32_MAX)
			rel++;
		else if (!released && dis < UINT32_MAX)
			dis++;
		unsigned char val[8];
		s_put32(val, rel);
		s_put32(val + 4, dis);
		char key[S_KEY_MAX];
		int rc = qf_txn_put(t, in->db.spam_terms, key, s_key(in, rule, term, key),
				    val, sizeof val, 0);
		if (rc)
			return rc;
	}
	return QF_OK;
}
