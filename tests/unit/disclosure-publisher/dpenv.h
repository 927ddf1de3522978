/* dpenv.h: a disclosure-publisher view on a real LMDB store in a temporary
 * directory, with a fake clock and the community embedded below (the same
 * categories, staff and buildings as config/community.cfg, so the tests do
 * not move when the shipped file is edited), plus builders for the events
 * the service consumes. No producer: snapshots are stored, not announced
 * (announcements are covered by the integration tests). */
#ifndef DP_ENV_H
#define DP_ENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "affairs.h"
#include "apply.h"
#include "cases.h"
#include "dp.h"
#include "live.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "snapshot.h"
#include "stats.h"

#define HOUR 3600000LL
#define DAY  (24 * HOUR)
/* Monday 2026-03-02 09:00 +08:00 */
#define T0    1772413200000LL
#define ET(x) QINGFENG__V1__EVENT_TYPE__##x
#define ST(x) QINGFENG__V1__CASE_STATE__STATE_##x
#define TU    static __attribute__((unused))

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
    " { code = \"integrity_report\"; name = \"作风问题举报\"; respond_within_h = 24; "
    "resolve_within_h = 360; priority = \"sensitive\"; clock = \"wall\"; },\n"
    " { code = \"disclosure_query\"; name = \"公开事项质询\"; respond_within_h = 24; "
    "resolve_within_h = 72; priority = \"normal\"; clock = \"wall\"; disclosure_query = "
    "true; }\n"
    ");\n"
    "roles = ( { name = \"secretary\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"supervisor\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"staff\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"building_head\"; grants = [ \"case.read:buildings\" ]; } );\n"
    "staff = (\n"
    " { id = \"s01\"; name = \"周明霞\"; post = \"社区党委书记\"; role = \"secretary\"; "
    "duty = \"工作日\"; "
    "phone = \"0818-2100001\"; responsibilities = \"全面负责\"; },\n"
    " { id = \"s02\"; name = \"陈立伟\"; post = \"廉勤监督员\"; role = \"supervisor\"; "
    "duty = \"每日\"; "
    "phone = \"0818-2100002\"; responsibilities = \"廉勤监督\"; },\n"
    " { id = \"s04\"; name = \"李建国\"; post = \"1-4栋楼长\"; role = \"building_head\"; "
    "duty = \"每日\"; "
    "phone = \"13900000004\"; responsibilities = \"1-4栋\"; },\n"
    " { id = \"s05\"; name = \"张秀英\"; post = \"5-8栋楼长\"; role = \"building_head\"; "
    "duty = \"每日\"; "
    "phone = \"13900000005\"; responsibilities = \"5-8栋\"; }\n"
    ");\n"
    "buildings = (\n"
    " { id = \"B01\"; name = \"1栋\"; head = \"s04\"; },\n"
    " { id = \"B03\"; name = \"3栋\"; head = \"s04\"; },\n"
    " { id = \"B05\"; name = \"5栋\"; head = \"s05\"; }\n"
    ");\n"
    "escalation = [ \"building_head\", \"secretary\" ];\n"
    "special_routes = ( { category = \"integrity_report\"; to = \"s02\"; } );\n"
    "calendar = { workdays = [1, 2, 3, 4, 5]; hours = [\"08:30-12:00\", "
    "\"14:00-17:30\"]; "
    "holidays = []; workdays_extra = []; };\n";

struct env {
	char *dir;
	struct dp dp;
	struct dp_conf conf;
	struct qf_store *store;
	struct qf_clock clock;
	uint64_t seq; /* per fake producer stream */
	/* env_batch_begin .. env_batch_end: events kept, then applied in one
	   transaction, as a replica catching up applies a replay page */
	int batching;
	struct batch_ev {
		Qingfeng__V1__Envelope env;
		char producer[16], case_id[64];
		uint8_t eid[16];
		uint8_t *pb;
		size_t pl;
	} * batch;
	size_t nbatch, capbatch;
};

TU struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof *e);
	assert_non_null(e);
	qf_log_init("dp-test", QF_LOG_ERROR);
	assert_int_equal(qf_id_init(), 0);
	e->dir = malloc(128);
	snprintf(e->dir, 128, "/tmp/qf-unit-dp-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	char path[256];
	snprintf(path, sizeof path, "%s/community.cfg", e->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s_community_text, f);
	fclose(f);
	struct qf_cfg_errors errs = {0};
	int rc = qf_community_load(path, &e->dp.community, &errs);
	if (rc)
		for (unsigned i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
	assert_int_equal(rc, 0);
	snprintf(path, sizeof path, "%s/store", e->dir);
	struct qf_store_opts so = {.path = path, .map_size = 8 << 20};
	char err[256];
	assert_int_equal(qf_store_open(&e->store, &so, err, sizeof err), 0);
	qf_clock_init_fake(&e->clock, T0);
	e->conf.satisfied_min = 4;
	e->conf.live_keep = 50;
	e->conf.location_decimals = 3;
	e->conf.page_size = 20;
	e->conf.max_page_size = 100;
	e->dp.conf = &e->conf;
	e->dp.store = e->store;
	e->dp.clock = &e->clock;
	pthread_rwlock_init(&e->dp.community_lock, NULL);
	pthread_mutex_init(&e->dp.cache_lock, NULL);
	assert_int_equal(dp_db_open(&e->dp), 0);
	return e;
}

TU void env_free(struct env *e)
{
	live_pending_free(&e->dp);
	cases_cache_release(&e->dp); /* a large batch keeps its case cache */
	qf_store_destroy(&e->store);
	qf_community_free(&e->dp.community);
	pthread_rwlock_destroy(&e->dp.community_lock);
	pthread_mutex_destroy(&e->dp.cache_lock);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
	free(e->dir);
	free(e);
}

/* One event through dp_apply in its own transaction, as the bus would. */
struct apply_arg {
	struct env *e;
	Qingfeng__V1__Envelope *env;
	uint8_t *raw;
	size_t len;
};

static int s_env_apply(struct qf_txn *t, void *arg)
{
	struct apply_arg *a = arg;
	struct qf_bus_msg m = {a->env, a->raw, a->len};
	return dp_apply(&a->e->dp, t, &m);
}

/* Apply an event with payload message `msg` (any protobuf-c message). */
TU int env_emit(struct env *e, const char *producer, uint32_t partition, uint64_t seq,
		int type, const char *case_id, const ProtobufCMessage *msg)
{
	Qingfeng__V1__Envelope env = QINGFENG__V1__ENVELOPE__INIT;
	size_t pl = protobuf_c_message_get_packed_size(msg);
	uint8_t *pb = malloc(pl + 1);
	protobuf_c_message_pack(msg, pb);
	uint8_t eid[16] = {0};
	memcpy(eid, &seq, sizeof seq);
	env.schema_version = 1;
	env.producer = (char *)producer;
	env.epoch = 1;
	env.partition = partition;
	env.seq = seq;
	env.event_id.data = eid;
	env.event_id.len = 16;
	env.case_id = (char *)(case_id ? case_id : "");
	env.time_ms = qf_now_ms(&e->clock);
	env.type = (Qingfeng__V1__EventType)type;
	env.payload.data = pb;
	env.payload.len = pl;
	if (e->batching) {
		if (e->nbatch == e->capbatch) {
			e->capbatch = e->capbatch ? 2 * e->capbatch : 64;
			e->batch = realloc(e->batch, e->capbatch * sizeof *e->batch);
			assert_non_null(e->batch);
		}
		struct batch_ev *b = &e->batch[e->nbatch++];
		b->env = env;
		snprintf(b->producer, sizeof b->producer, "%s", producer);
		snprintf(b->case_id, sizeof b->case_id, "%s", env.case_id);
		memcpy(b->eid, eid, 16);
		b->pb = pb; /* the envelope's pointers are set when applied */
		b->pl = pl;
		return QF_OK;
	}
	struct apply_arg a = {e, &env, pb, pl};
	int rc = qf_store_write(e->store, s_env_apply, &a);
	free(pb);
	return rc;
}

TU void env_batch_begin(struct env *e) { e->batching = 1; }

static int s_env_apply_batch(struct qf_txn *t, void *arg)
{
	struct env *e = arg;
	for (size_t i = 0; i < e->nbatch; i++) {
		struct batch_ev *b = &e->batch[i]; /* the array may have moved */
		b->env.producer = b->producer;
		b->env.case_id = b->case_id;
		b->env.event_id.data = b->eid;
		b->env.payload.data = b->pb;
		struct qf_bus_msg m = {&b->env, b->pb, b->pl};
		int rc = dp_apply(&e->dp, t, &m);
		if (rc)
			return rc;
	}
	return QF_OK;
}

/* Apply the events kept since env_batch_begin in one transaction. */
TU int env_batch_end(struct env *e)
{
	int rc = qf_store_write(e->store, s_env_apply_batch, e);
	for (size_t i = 0; i < e->nbatch; i++)
		free(e->batch[i].pb);
	free(e->batch);
	e->batch = NULL;
	e->nbatch = e->capbatch = 0;
	e->batching = 0;
	return rc;
}

TU void env_petition(struct env *e, uint64_t seq, const char *id, const char *cat,
		     const char *bld, const char *desc, int64_t at)
{
	Qingfeng__V1__PetitionSubmitted p = QINGFENG__V1__PETITION_SUBMITTED__INIT;
	char code[32];
	snprintf(code, sizeof code, "LSJ-%s", id + strlen(id) - 4);
	p.case_id = (char *)id;
	p.tracking_code = code;
	p.category = (char *)cat;
	p.building = (char *)bld;
	p.description = (char *)desc;
	p.consent_public = 1;
	p.name_masked = "徐**";
	p.phone_masked = "138****5678";
	p.submitted_ms = at;
	assert_int_equal(env_emit(e, "intake", 1, seq, ET(PETITION_SUBMITTED), id,
				  (ProtobufCMessage *)&p),
			 0);
}

/* A router transition; due times relative to `sub` (0: none). */
TU void env_transition(struct env *e, uint64_t seq, int type, const char *id, int to,
		       const char *assignee, int64_t at, int64_t respond_due,
		       int64_t resolve_due, const char *note, uint32_t rating)
{
	Qingfeng__V1__CaseTransition t = QINGFENG__V1__CASE_TRANSITION__INIT;
	Qingfeng__V1__Actor a = QINGFENG__V1__ACTOR__INIT;
	a.staff_id = (char *)(assignee ? assignee : "");
	a.role = assignee ? "building_head" : "system";
	a.name = assignee ? "李建国" : "";
	t.case_id = (char *)id;
	t.to_state = (Qingfeng__V1__CaseState)to;
	t.actor = &a;
	t.assignee = (char *)(assignee ? assignee : "");
	t.assignee_name = assignee ? "李建国" : "";
	t.assignee_post = assignee ? "1-4栋楼长" : "";
	t.at_ms = at;
	t.respond_due_ms = respond_due;
	t.resolve_due_ms = resolve_due;
	t.progress = (char *)(note ? note : "");
	t.rating = rating;
	assert_int_equal(env_emit(e, "router", 2, seq, type, id, (ProtobufCMessage *)&t),
			 0);
}

/* Run fn in a read transaction. */
TU void env_read(struct env *e, int (*fn)(struct qf_txn *t, void *arg), void *arg)
{
	assert_int_equal(qf_store_read(e->store, fn, arg), 0);
}

#endif
