/* testenv.h: a router engine on a real LMDB store in a temporary directory,
 * with a fake clock and an emitter that records every event, plus helpers
 * that play intake's part (petitions, staff actions, feedback, visits).
 *
 * The community is embedded below (same staff, buildings and rules as
 * config/community.cfg), so the tests do not move when the shipped file is
 * edited. Times: T0 is Monday 2026-03-02 09:00 in the community's zone
 * (+08:00), a working day.
 */
#ifndef RT_TESTENV_H
#define RT_TESTENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "duty.h"
#include "engine.h"
#include "fsm.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "rcase.h"
#include "rconf.h"
#include "rdb.h"
#include "retention.h"
#include "routing.h"

#define HOUR  3600000LL
#define DAY   (24 * HOUR)
#define ET(x) QINGFENG__V1__EVENT_TYPE__##x
#define AK(x) QINGFENG__V1__ACTION_KIND__ACTION_##x
#define ST(x) QINGFENG__V1__CASE_STATE__STATE_##x

#define TU static __attribute__((unused))

static const char s_community_text[] =
    "community = { code = \"LSJ\"; name = \"凉水井社区\"; timezone = \"Asia/Shanghai\"; "
    "utc_offset_min = 480; };\n"
    "categories = (\n"
    " { code = \"safety_hazard\"; name = \"安全隐患\"; respond_within_h = 2; "
    "resolve_within_h = 24; "
    "priority = \"urgent\"; clock = \"wall\"; },\n"
    " { code = \"facility_repair\"; name = \"设施报修\"; respond_within_h = 24; "
    "resolve_within_h = 72; "
    "priority = \"normal\"; clock = \"wall\"; },\n"
    " { code = \"neighbor_dispute\"; name = \"邻里纠纷\"; respond_within_h = 24; "
    "resolve_within_h = 168; "
    "priority = \"normal\"; clock = \"wall\"; },\n"
    " { code = \"rental_dispute\"; name = \"房屋租赁纠纷\"; respond_within_h = 24; "
    "resolve_within_h = 168; "
    "priority = \"normal\"; clock = \"wall\"; },\n"
    " { code = \"policy_inquiry\"; name = \"政策咨询\"; respond_within_h = 4; "
    "resolve_within_h = 16; "
    "priority = \"low\"; clock = \"working\"; },\n"
    " { code = \"integrity_report\"; name = \"作风问题举报\"; respond_within_h = 24; "
    "resolve_within_h = 360; "
    "priority = \"sensitive\"; clock = \"wall\"; }\n"
    ");\n"
    "roles = ( { name = \"secretary\"; grants = [ \"case.read:all\", \"case.decide\", "
    "\"case.reopen\" ]; },\n"
    "  { name = \"supervisor\"; grants = [ \"case.read:all\", \"case.reopen\" ]; },\n"
    "  { name = \"staff\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"building_head\"; grants = [ \"case.read:buildings\" ]; } );\n"
    "staff = (\n"
    " { id = \"s01\"; name = \"周明霞\"; post = \"社区党委书记\"; role = \"secretary\"; "
    "supervises = [\"s03\", \"s04\", \"s05\", \"s06\", \"s07\", \"s08\"]; },\n"
    " { id = \"s02\"; name = \"陈立伟\"; post = \"廉勤监督员\"; role = \"supervisor\"; "
    "},\n"
    " { id = \"s03\"; name = \"王桂芳\"; post = \"居委会主任\"; role = \"staff\"; "
    "supervises = [\"s04\", \"s05\", \"s06\"]; },\n"
    " { id = \"s04\"; name = \"李建国\"; post = \"1-4栋楼长\"; role = \"building_head\"; "
    "},\n"
    " { id = \"s05\"; name = \"张秀英\"; post = \"5-8栋楼长\"; role = \"building_head\"; "
    "},\n"
    " { id = \"s06\"; name = \"刘志刚\"; post = \"9-12栋及东院院长\"; role = "
    "\"building_head\"; },\n"
    " { id = \"s07\"; name = \"赵丽娟\"; post = \"民政专干\"; role = \"staff\"; },\n"
    " { id = \"s08\"; name = \"孙强\"; post = \"综治专干\"; role = \"staff\"; }\n"
    ");\n"
    "buildings = (\n"
    " { id = \"B01\"; name = \"1栋\"; head = \"s04\"; },\n"
    " { id = \"B03\"; name = \"3栋\"; head = \"s04\"; },\n"
    " { id = \"B05\"; name = \"5栋\"; head = \"s05\"; },\n"
    " { id = \"B09\"; name = \"9栋\"; head = \"s06\"; }\n"
    ");\n"
    "escalation = [ \"building_head\", \"staff\", \"secretary\" ];\n"
    "special_routes = (\n"
    " { category = \"integrity_report\"; to = \"s02\"; },\n"
    " { category = \"rental_dispute\"; to = \"s08\"; },\n"
    " { category = \"policy_inquiry\"; to = \"s07\"; }\n"
    ");\n"
    "calendar = { workdays = [1, 2, 3, 4, 5]; hours = [\"08:30-12:00\", "
    "\"14:00-17:30\"];\n"
    "  holidays = [\"2026-04-06\", \"2026-05-01\", \"2026-05-04\", \"2026-05-05\"];\n"
    "  workdays_extra = [\"2026-05-09\"]; };\n";

struct rec_event {
	int type;
	int consent, sensitive; /* the context its public part is made with */
	char key[64], case_id[64], corr[64];
	uint8_t *payload;
	size_t len;
};

struct tenv {
	char dir[64];
	struct qf_store *store;
	struct qf_community *c;
	struct router_conf conf;
	struct rt_db db;
	struct rt_engine e;
	struct qf_clock clock;
	struct rec_event *ev;
	size_t nev, cap;
	int seq;
	uint64_t outseq[16]; /* the recorder's outbox seq per partition */
};

TU int64_t t_time(const char *s)
{
	int64_t ms = 0;
	assert_int_equal(qf_time_parse(s, 480, &ms), 0);
	return ms;
}

TU int t_emit(void *arg, struct qf_txn *t, const struct qf_bus_event *ev,
	      const struct qf_privacy *c, uint32_t *part, uint64_t *seq)
{
	(void)t;
	struct tenv *te = arg;
	*part = qf_partition_of(ev->partition_key ? ev->partition_key : "", 16);
	*seq = ++te->outseq[*part];
	if (te->nev == te->cap) {
		te->cap = te->cap ? te->cap * 2 : 64;
		te->ev = realloc(te->ev, te->cap * sizeof *te->ev);
	}
	struct rec_event *r = &te->ev[te->nev++];
	memset(r, 0, sizeof *r);
	r->type = ev->type;
	r->consent = c ? c->consent : 0;
	r->sensitive = c ? c->sensitive : 1;
	snprintf(r->key, sizeof r->key, "%s", ev->partition_key ? ev->partition_key : "");
	snprintf(r->case_id, sizeof r->case_id, "%s", ev->case_id ? ev->case_id : "");
	snprintf(r->corr, sizeof r->corr, "%s",
		 ev->correlation_id ? ev->correlation_id : "");
	r->payload = malloc(ev->payload_len + 1);
	memcpy(r->payload, ev->payload, ev->payload_len);
	r->len = ev->payload_len;
	return QF_OK;
}

/* Open an engine on `dir` (existing store kept: a restart). */
TU void t_engine(struct tenv *te)
{
	memset(&te->e, 0, sizeof te->e);
	te->e.community = te->c;
	te->e.conf = &te->conf.rt;
	te->e.clock = &te->clock;
	te->e.db = &te->db;
	te->e.emit = t_emit;
	te->e.emit_arg = te;
	te->e.partitions = 16;
	te->e.instances = 1;
}

TU struct tenv *t_open(void)
{
	struct tenv *te = calloc(1, sizeof *te);
	qf_log_init("router-test", QF_LOG_ERROR);
	assert_int_equal(qf_id_init(), 0);
	snprintf(te->dir, sizeof te->dir, "/tmp/rt-unit-XXXXXX");
	assert_non_null(mkdtemp(te->dir));
	char path[128];
	snprintf(path, sizeof path, "%s/community.cfg", te->dir);
	FILE *f = fopen(path, "w");
	fputs(s_community_text, f);
	fclose(f);
	struct qf_cfg_errors errs = {0};
	int rc = qf_community_load(path, &te->c, &errs);
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	assert_int_equal(rc, 0);
	assert_int_equal(rt_conf_defaults(&te->conf), 0);
	snprintf(path, sizeof path, "%s/store", te->dir);
	struct qf_store_opts so = {.path = path, .map_size = 256u << 20, .no_sync = 1};
	char err[256];
	assert_int_equal(qf_store_open(&te->store, &so, err, sizeof err), 0);
	assert_int_equal(rt_db_open(&te->db, te->store), 0);
	qf_clock_init_fake(&te->clock, t_time("2026-03-02T09:00:00+08:00"));
	t_engine(te);
	return te;
}

TU void t_close(struct tenv *te)
{
	for (size_t i = 0; i < te->nev; i++)
		free(te->ev[i].payload);
	free(te->ev);
	rt_db_close(&te->db);
	qf_store_destroy(&te->store);
	qf_community_free(&te->c);
	rt_conf_free(&te->conf);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", te->dir);
	int rc = system(cmd);
	(void)rc;
	free(te);
}

TU void t_clear(struct tenv *te)
{
	for (size_t i = 0; i < te->nev; i++)
		free(te->ev[i].payload);
	te->nev = 0;
}

/* Count recorded events of a type (for a case, if given). */
TU size_t t_count(struct tenv *te, int type, const char *case_id)
{
	size_t n = 0;
	for (size_t i = 0; i < te->nev; i++)
		if (te->ev[i].type == type &&
		    (!case_id || strcmp(te->ev[i].case_id, case_id) == 0))
			n++;
	return n;
}

/* The last recorded event of a type, decoded (free with
 * protobuf_c_message_free_unpacked), or NULL. */
TU void *t_last(struct tenv *te, int type, const char *case_id)
{
	for (size_t i = te->nev; i-- > 0;)
		if (te->ev[i].type == type &&
		    (!case_id || strcmp(te->ev[i].case_id, case_id) == 0))
			return protobuf_c_message_unpack(
			    qf_event_payload_descriptor(type), NULL, te->ev[i].len,
			    te->ev[i].payload);
	return NULL;
}

#define t_free(m) protobuf_c_message_free_unpacked((ProtobufCMessage *)(m), NULL)

/* The public part of the last recorded event of a type (what its envelope
 * carries: qf_privacy applied with the context it was emitted with),
 * decoded, or NULL. */
TU void *t_last_public(struct tenv *te, int type, const char *case_id)
{
	for (size_t i = te->nev; i-- > 0;) {
		struct rec_event *r = &te->ev[i];
		if (r->type != type || (case_id && strcmp(r->case_id, case_id)))
			continue;
		const ProtobufCMessageDescriptor *d = qf_event_payload_descriptor(type);
		struct qf_privacy pc = {r->consent, r->sensitive, NULL};
		uint8_t *pub = NULL;
		size_t pl = 0;
		int differs = 0;
		assert_int_equal(
		    qf_privacy_public(d, r->payload, r->len, &pc, &pub, &pl, &differs),
		    0);
		void *m = protobuf_c_message_unpack(d, NULL, pl, pub);
		free(pub);
		return m;
	}
	return NULL;
}

/* ---------------------------------------------------------------- intake */

struct t_call {
	struct tenv *te;
	int kind; /* 0 petition, 1 action, 2 feedback, 3 visit, 4 fire */
	Qingfeng__V1__Envelope env;
	const void *msg;
	int64_t now;
	unsigned fired;
	int more;
};

TU int t_run(struct qf_txn *t, void *arg)
{
	struct t_call *c = arg;
	struct rt_engine *e = &c->te->e;
	switch (c->kind) {
	case 0:
		return rt_engine_petition(e, t, &c->env, c->msg);
	case 1:
		return rt_engine_action(e, t, &c->env, c->msg);
	case 2:
		return rt_engine_feedback(e, t, &c->env, c->msg);
	case 3: {
		int rc = rt_duty_visit(e, t, &c->env, c->msg);
		return rc ? rc : rt_retention_visit(e, t, &c->env, c->msg);
	}
	case 4:
		return rt_engine_fire(e, t, c->now, 100000, &c->fired, &c->more);
	default:
		return rt_duty_schedule(e, t, c->now);
	}
}

TU void t_env(struct tenv *te, Qingfeng__V1__Envelope *env, const char *key,
	      const char *case_id, const char *corr)
{
	qingfeng__v1__envelope__init(env);
	env->schema_version = 1;
	env->producer = "intake";
	env->partition_key = (char *)key;
	env->case_id = (char *)case_id;
	env->correlation_id = (char *)corr;
	env->time_ms = qf_now_ms(&te->clock);
	env->seq = (uint64_t)++te->seq;
}

struct t_petition {
	const char *category, *building, *concerns;
	const char *parties[4];
	const char *pseudonym; /* text used as the pseudonym bytes */
	int64_t submitted_ms;  /* 0: now */
	int anonymous, consent; /* PetitionSubmitted.anonymous, .consent_public */
};

TU void t_petition(struct tenv *te, const char *id, struct t_petition p)
{
	Qingfeng__V1__PetitionSubmitted m = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	char tracking[32];
	snprintf(tracking, sizeof tracking, "LSJ-%s", id);
	m.case_id = (char *)id;
	m.tracking_code = tracking;
	m.category = (char *)(p.category ? p.category : "facility_repair");
	m.building = (char *)(p.building ? p.building : "B03");
	m.description = "测试诉求";
	m.name_masked = "张**";
	m.submitted_ms = p.submitted_ms ? p.submitted_ms : qf_now_ms(&te->clock);
	m.concerns_staff = (char *)(p.concerns ? p.concerns : "");
	m.anonymous = p.anonymous;
	m.consent_public = p.consent;
	char *parties[4];
	for (int i = 0; i < 4 && p.parties[i]; i++)
		parties[m.n_parties++] = (char *)p.parties[i];
	m.parties = parties;
	if (p.pseudonym) {
		m.petitioner_pseudonym.data = (uint8_t *)p.pseudonym;
		m.petitioner_pseudonym.len = strlen(p.pseudonym);
	}
	struct t_call c = {.te = te, .kind = 0, .msg = &m};
	t_env(te, &c.env, m.building, id, "");
	assert_int_equal(qf_store_write(te->store, t_run, &c), 0);
}

struct t_action {
	int kind;
	const char *actor, *target, *reason, *cause, *progress, *result, *related;
	int reject;
	unsigned hours;
	const char *building; /* partition key (default B03) */
};

/* Run a staff action; returns the ActionResult status. */
TU unsigned t_action(struct tenv *te, const char *id, struct t_action a)
{
	Qingfeng__V1__StaffActionRequested m = QINGFENG__V1__STAFF_ACTION_REQUESTED__INIT;
	Qingfeng__V1__Actor act = QINGFENG__V1__ACTOR__INIT;
	char cmd[32];
	snprintf(cmd, sizeof cmd, "K%06d", ++te->seq);
	act.staff_id = (char *)(a.actor ? a.actor : "");
	m.command_id = cmd;
	m.case_id = (char *)id;
	m.actor = &act;
	m.action = (Qingfeng__V1__ActionKind)a.kind;
	m.target_staff = (char *)(a.target ? a.target : "");
	m.reason = (char *)(a.reason ? a.reason : "");
	m.cause = (char *)(a.cause ? a.cause : "");
	m.progress = (char *)(a.progress ? a.progress : "");
	m.result = (char *)(a.result ? a.result : "");
	m.related_case = (char *)(a.related ? a.related : "");
	m.reject_reason = (Qingfeng__V1__RejectReason)a.reject;
	m.extension_hours = a.hours;
	struct t_call c = {.te = te, .kind = 1, .msg = &m};
	t_env(te, &c.env, a.building ? a.building : "B03", id, cmd);
	size_t before = t_count(te, ET(ACTION_RESULT), NULL);
	assert_int_equal(qf_store_write(te->store, t_run, &c), 0);
	assert_int_equal(t_count(te, ET(ACTION_RESULT), NULL), before + 1);
	Qingfeng__V1__ActionResult *r = t_last(te, ET(ACTION_RESULT), NULL);
	assert_string_equal(r->command_id, cmd);
	unsigned st = r->status;
	t_free(r);
	return st;
}

/* The code of the last ActionResult (static buffer). */
TU const char *t_code(struct tenv *te)
{
	static char code[64];
	Qingfeng__V1__ActionResult *r = t_last(te, ET(ACTION_RESULT), NULL);
	snprintf(code, sizeof code, "%s", r ? r->code : "");
	if (r)
		t_free(r);
	return code;
}

TU void t_feedback(struct tenv *te, const char *id, unsigned rating, const char *cmd)
{
	Qingfeng__V1__FeedbackGiven m = QINGFENG__V1__FEEDBACK_GIVEN__INIT;
	m.case_id = (char *)id;
	m.rating = rating;
	m.comment = "谢谢";
	m.given_ms = qf_now_ms(&te->clock);
	m.command_id = (char *)(cmd ? cmd : "");
	struct t_call c = {.te = te, .kind = 2, .msg = &m};
	t_env(te, &c.env, "B03", id, cmd ? cmd : "");
	assert_int_equal(qf_store_write(te->store, t_run, &c), 0);
}

TU void t_visit(struct tenv *te, const char *vid, const char *staff, const char *date,
		int household)
{
	Qingfeng__V1__VisitRecorded m = QINGFENG__V1__VISIT_RECORDED__INIT;
	Qingfeng__V1__Actor act = QINGFENG__V1__ACTOR__INIT;
	act.staff_id = (char *)staff;
	m.visit_id = (char *)vid;
	m.actor = &act;
	m.date = (char *)date;
	m.household = household;
	struct t_call c = {.te = te, .kind = 3, .msg = &m};
	t_env(te, &c.env, staff, "", "");
	assert_int_equal(qf_store_write(te->store, t_run, &c), 0);
}

/* Advance the fake clock to `at` and fire what is due; returns timers fired. */
TU unsigned t_fire_at(struct tenv *te, int64_t at)
{
	te->clock.fake_ms = at;
	struct t_call c = {.te = te, .kind = 4, .now = at};
	assert_int_equal(qf_store_write(te->store, t_run, &c), 0);
	return c.fired;
}

TU void t_schedule(struct tenv *te)
{
	struct t_call c = {.te = te, .kind = 5, .now = qf_now_ms(&te->clock)};
	assert_int_equal(qf_store_write(te->store, t_run, &c), 0);
}

struct t_get {
	struct tenv *te;
	const char *id;
	struct rt_case k;
	int rc;
};

TU int t_get_fn(struct qf_txn *t, void *arg)
{
	struct t_get *g = arg;
	g->rc = rt_db_case_get(&g->te->db, t, g->id, &g->k);
	return QF_OK;
}

/* What is really due next for k (its timer key may be earlier: lazy). */
TU int64_t t_next(struct tenv *te, const struct rt_case *k)
{
	int64_t n = rt_dl_next(te->c, &te->conf.rt, k);
	/* the timer is never late */
	if (n)
		assert_true(k->timer_ms && k->timer_ms <= n);
	return n;
}

TU struct rt_case t_case(struct tenv *te, const char *id)
{
	struct t_get g = {.te = te, .id = id};
	assert_int_equal(qf_store_read(te->store, t_get_fn, &g), 0);
	assert_int_equal(g.rc, 0);
	return g.k;
}

#endif
