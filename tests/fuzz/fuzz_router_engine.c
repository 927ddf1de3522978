/* fuzz_router_engine: the router's engine driven by arbitrary input, on a
 * real LMDB store. The input is read as a program of operations (petitions,
 * staff actions, feedback, visits, clock jumps that fire timers, and raw
 * payload bytes handed to the consumer's apply), so the fuzzer walks the
 * state machine as deep as it likes. Checked after every operation:
 *   - every staff action is answered by exactly one ACTION_RESULT, with a
 *     status of 200, 403, 404 or 409;
 *   - a refused action leaves the case record byte for byte unchanged;
 *   - apply never fails on bad input (only store failures may fail);
 *   - after timers fire, no case is left with a timer at or before now.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deadline.h"
#include "engine.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"

static const char s_community[] =
    "community = { code = \"LSJ\"; name = \"c\"; utc_offset_min = 480; };\n"
    "categories = (\n"
    " { code = \"safety_hazard\"; name = \"a\"; respond_within_h = 2; resolve_within_h = "
    "24; "
    "priority = \"urgent\"; },\n"
    " { code = \"facility_repair\"; name = \"b\"; respond_within_h = 24; "
    "resolve_within_h = 72; },\n"
    " { code = \"policy_inquiry\"; name = \"c\"; respond_within_h = 4; resolve_within_h "
    "= 16; "
    "clock = \"working\"; },\n"
    " { code = \"integrity_report\"; name = \"d\"; respond_within_h = 24; "
    "resolve_within_h = 360; "
    "priority = \"sensitive\"; }\n"
    ");\n"
    "roles = ( { name = \"secretary\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"supervisor\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"staff\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"building_head\"; grants = [ \"case.read:buildings\" ]; } );\n"
    "staff = (\n"
    " { id = \"s01\"; name = \"a\"; role = \"secretary\"; supervises = [\"s03\", "
    "\"s04\", \"s05\"]; },\n"
    " { id = \"s02\"; name = \"b\"; role = \"supervisor\"; },\n"
    " { id = \"s03\"; name = \"c\"; role = \"staff\"; supervises = [\"s04\", \"s05\"]; "
    "},\n"
    " { id = \"s04\"; name = \"d\"; role = \"building_head\"; },\n"
    " { id = \"s05\"; name = \"e\"; role = \"building_head\"; }\n"
    ");\n"
    "buildings = ( { id = \"B01\"; name = \"1\"; head = \"s04\"; },"
    " { id = \"B02\"; name = \"2\"; head = \"s05\"; } );\n"
    "escalation = [ \"building_head\", \"staff\", \"secretary\" ];\n"
    "special_routes = ( { category = \"integrity_report\"; to = \"s02\"; } );\n"
    "calendar = { workdays = [1, 2, 3, 4, 5]; hours = [\"08:30-12:00\", "
    "\"14:00-17:30\"]; "
    "holidays = [\"2026-04-06\"]; };\n";

static const char *const s_staff[] = {"s01", "s02", "s03", "s04", "s05",
				      "s99", "",    "s01", "s04"};
static const char *const s_cats[] = {"safety_hazard", "facility_repair", "policy_inquiry",
				     "integrity_report", "unknown_cat"};
static const char *const s_blds[] = {"B01", "B02", "B77"};

struct fz {
	char dir[64];
	struct qf_store *store;
	struct qf_community *c;
	struct router_conf conf;
	struct rt_db db;
	struct rt_engine e;
	struct qf_clock clock;
	unsigned results; /* ACTION_RESULTs emitted by the current call */
	unsigned last_status;
	unsigned runs;
};

static struct fz F;

static uint64_t s_outseq;

static int s_emit(void *arg, struct qf_txn *t, const struct qf_bus_event *ev,
		  const struct qf_privacy *c, uint32_t *part, uint64_t *seq)
{
	(void)arg;
	(void)t;
	(void)c;
	*part = 0;
	*seq = ++s_outseq;
	if (ev->type == QINGFENG__V1__EVENT_TYPE__ACTION_RESULT) {
		Qingfeng__V1__ActionResult *r = qingfeng__v1__action_result__unpack(
		    NULL, ev->payload_len, ev->payload);
		if (!r)
			abort();
		F.results++;
		F.last_status = r->status;
		qingfeng__v1__action_result__free_unpacked(r, NULL);
	} else if (!qf_event_payload_descriptor(ev->type)) {
		abort(); /* only catalogue events leave the router */
	}
	return QF_OK;
}

static void s_reset(void)
{
	if (F.store) {
		rt_db_close(&F.db); /* the vault handle rt_db_open made */
		qf_store_destroy(&F.store);
	}
	char p[128];
	snprintf(p, sizeof p, "%s/data.mdb", F.dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/lock.mdb", F.dir);
	unlink(p);
	struct qf_store_opts so = {.path = F.dir, .map_size = 64u << 20, .no_sync = 1};
	char err[256];
	if (qf_store_open(&F.store, &so, err, sizeof err) || rt_db_open(&F.db, F.store))
		abort();
	qf_clock_init_fake(&F.clock, 1772413200000LL); /* 2026-03-02 09:00 +08:00 */
}

static void s_cleanup(void)
{
	char p[128];
	qf_store_destroy(&F.store);
	snprintf(p, sizeof p, "%s/data.mdb", F.dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/lock.mdb", F.dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/community.cfg", F.dir);
	unlink(p);
	rmdir(F.dir);
}

static void s_init(void)
{
	qf_log_init("fuzz", (enum qf_log_level)(QF_LOG_ERROR + 1));
	qf_id_init();
	snprintf(F.dir, sizeof F.dir, "/tmp/qf-fuzz-router-%d", getpid());
	mkdir(F.dir, 0700);
	char path[128];
	snprintf(path, sizeof path, "%s/community.cfg", F.dir);
	FILE *f = fopen(path, "w");
	fputs(s_community, f);
	fclose(f);
	struct qf_cfg_errors errs = {0};
	if (qf_community_load(path, &F.c, &errs) || rt_conf_defaults(&F.conf))
		abort();
	F.conf.rt.max_transfers = 3;
	s_reset();
	atexit(s_cleanup);
	F.e.community = F.c;
	F.e.conf = &F.conf.rt;
	F.e.clock = &F.clock;
	F.e.db = &F.db;
	F.e.emit = s_emit;
	F.e.partitions = 16;
	F.e.instances = 1;
}

struct op {
	int kind;
	Qingfeng__V1__Envelope env;
	const void *msg;
	const uint8_t *raw;
	size_t rawlen;
	int64_t now;
};

static int s_run(struct qf_txn *t, void *arg)
{
	struct op *o = arg;
	struct rt_engine *e = &F.e;
	unsigned fired;
	int more;
	switch (o->kind) {
	case 0:
		return rt_engine_petition(e, t, &o->env, o->msg);
	case 1:
		return rt_engine_action(e, t, &o->env, o->msg);
	case 2:
		return rt_engine_feedback(e, t, &o->env, o->msg);
	case 3:
		return rt_engine_fire(e, t, o->now, 100000, &fired, &more);
	default: {
		struct qf_bus_msg m = {&o->env, o->raw, o->rawlen};
		return rt_engine_apply(e, t, &m);
	}
	}
}

struct snap {
	const char *id;
	uint8_t buf[RT_CASE_ENC_MAX];
	size_t n;
	int64_t due;
	int found;
};

static int s_snap(struct qf_txn *t, void *arg)
{
	struct snap *s = arg;
	struct rt_case k;
	s->found = rt_db_case_get(&F.db, t, s->id, &k) == QF_OK;
	s->n = s->found ? rt_case_encode(&k, s->buf, sizeof s->buf) : 0;
	s->due = s->found ? k.timer_ms : 0;
	/* the timer is never late: it is due no later than anything else */
	int64_t next = s->found ? rt_dl_next(F.c, &F.conf.rt, &k) : 0;
	if (next && (!k.timer_ms || k.timer_ms > next))
		abort();
	return QF_OK;
}

static void s_env(Qingfeng__V1__Envelope *env, const char *key, const char *case_id)
{
	qingfeng__v1__envelope__init(env);
	env->schema_version = 1;
	env->producer = "intake";
	env->partition_key = (char *)key;
	env->case_id = (char *)case_id;
	env->correlation_id = "";
	env->time_ms = qf_now_ms(&F.clock);
	env->seq = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!F.c)
		s_init();
	if (++F.runs % 2000 == 0)
		s_reset();
	for (size_t i = 0; i + 8 <= size; i += 8) {
		const uint8_t *b = data + i;
		char id[8], rel[8];
		snprintf(id, sizeof id, "C%u", b[1] % 8);
		snprintf(rel, sizeof rel, "C%u", (b[5] >> 5) % 8);
		struct op o = {.kind = b[0] % 6};
		const char *bld = s_blds[b[6] % 3];
		s_env(&o.env, bld, id);
		struct snap before = {.id = id}, after = {.id = id};
		qf_store_read(F.store, s_snap, &before);
		F.results = 0;
		Qingfeng__V1__PetitionSubmitted p =
		    QINGFENG__V1__PETITION_SUBMITTED__INIT;
		Qingfeng__V1__StaffActionRequested a =
		    QINGFENG__V1__STAFF_ACTION_REQUESTED__INIT;
		Qingfeng__V1__FeedbackGiven fb = QINGFENG__V1__FEEDBACK_GIVEN__INIT;
		Qingfeng__V1__Actor act = QINGFENG__V1__ACTOR__INIT;
		char *parties[1] = {(char *)s_staff[b[4] % 9]};
		switch (o.kind) {
		case 0:
			p.case_id = id;
			p.category = (char *)s_cats[b[3] % 5];
			p.building = (char *)bld;
			p.concerns_staff = (b[5] & 1) ? (char *)s_staff[b[2] % 9] : "";
			p.n_parties = (b[5] & 2) ? 1 : 0;
			p.parties = parties;
			p.petitioner_pseudonym.data = (uint8_t *)b + 7;
			p.petitioner_pseudonym.len = b[5] & 4 ? 1 : 0;
			p.submitted_ms =
			    qf_now_ms(&F.clock) - (int64_t)(b[7] % 4) * 3600000;
			o.msg = &p;
			break;
		case 1:
			act.staff_id = (char *)s_staff[b[2] % 9];
			a.command_id = "K1";
			a.case_id = id;
			a.actor = &act;
			a.action = (Qingfeng__V1__ActionKind)(b[3] % 14);
			a.target_staff = (char *)s_staff[b[4] % 9];
			a.reason = (b[5] & 1) ? "理由" : "";
			a.result = (b[5] & 2) ? "结果" : "";
			a.cause = (b[5] & 4) ? "原因" : "";
			a.reject_reason = (Qingfeng__V1__RejectReason)((b[5] >> 3) & 3);
			a.related_case = rel;
			a.extension_hours = b[7] * 4u;
			o.msg = &a;
			break;
		case 2:
			fb.case_id = id;
			fb.rating = b[7] % 7;
			fb.command_id = (b[5] & 1) ? "F1" : "";
			o.msg = &fb;
			break;
		case 3:
			qf_clock_advance(&F.clock, (int64_t)b[7] * 3600000);
			o.now = qf_now_ms(&F.clock);
			break;
		case 4:
		case 5: {
			static const int types[] = {100, 101, 102, 105};
			o.env.type = (Qingfeng__V1__EventType)types[b[2] % 4];
			/* the rest of the input is this event's payload */
			o.raw = data + i + 8;
			o.rawlen = size - i - 8;
			o.env.payload.data = (uint8_t *)o.raw;
			o.env.payload.len = o.rawlen;
			i = size; /* consumed */
			break;
		}
		}
		int rc = qf_store_write(F.store, s_run, &o);
		if (rc)
			abort(); /* bad input must never fail the transaction */
		qf_store_read(F.store, s_snap, &after);
		if (o.kind == 1) {
			if (F.results != 1)
				abort(); /* exactly one answer per command */
			if (F.last_status != 200 && F.last_status != 403 &&
			    F.last_status != 404 && F.last_status != 409)
				abort();
			if (F.last_status != 200 &&
			    (before.n != after.n ||
			     memcmp(before.buf, after.buf, before.n)))
				abort(); /* a refusal changes nothing */
			if (F.last_status == 404 && before.found)
				abort();
		}
		if (o.kind == 3 && after.found && after.due && after.due <= o.now)
			abort(); /* a timer left behind */
	}
	return 0;
}
