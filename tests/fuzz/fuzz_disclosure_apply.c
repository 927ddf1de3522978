/* fuzz_disclosure_apply: arbitrary payloads of every event type this
 * service consumes, applied to a real store, then every view and page that
 * could show them rendered. Events come from other services, so a bad one
 * must be skipped, never crash the process or corrupt what is shown:
 * applying returns 0, and every rendered page is well-formed output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "affairs.h"
#include "apply.h"
#include "cases.h"
#include "dp.h"
#include "html.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_log.h"
#include "signals.h"
#include "snapshot.h"
#include "stats.h"
#include "web.h"

#define ET(x) QINGFENG__V1__EVENT_TYPE__##x

static const int s_types[] = {
    ET(PETITION_SUBMITTED), ET(DISCLOSURE_SUBMITTED), ET(SPAM_HELD),
    ET(CASE_ASSIGNED),	    ET(CASE_ACCEPTED),	      ET(CASE_PROGRESS),
    ET(CASE_RESOLVED),	    ET(CASE_REJECTED),	      ET(CASE_REOPENED),
    ET(CASE_MERGED),	    ET(CASE_RATED),	      ET(DEADLINE_WARNING),
    ET(HOTSPOT_WARNING),    ET(REPEAT_LINKED),	      ET(DUTY_QUOTA),
    ET(AUDIT_ALERT),	    ET(AUDIT_CHECKPOINT),     ET(EXTENSION_DECIDED),
};

static struct dp s_dp;
static struct dp_conf s_conf;
static struct qf_clock s_clock;
static uint64_t s_seq;

static const char s_community[] =
    "community = { code = \"LSJ\"; name = \"凉水井社区\"; timezone = \"Asia/Shanghai\"; "
    "utc_offset_min = 480; };\n"
    "categories = ( { code = \"safety_hazard\"; name = \"安全隐患\"; respond_within_h = "
    "2; "
    "resolve_within_h = 24; priority = \"urgent\"; clock = \"wall\"; } );\n"
    "roles = ( { name = \"secretary\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"supervisor\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"staff\"; grants = [ \"case.read:all\" ]; },\n"
    "  { name = \"building_head\"; grants = [ \"case.read:buildings\" ]; } );\n"
    "staff = ( { id = \"s04\"; name = \"李建国\"; post = \"楼长\"; role = "
    "\"building_head\"; "
    "duty = \"每日\"; phone = \"13900000004\"; responsibilities = \"1栋\"; } );\n"
    "buildings = ( { id = \"B01\"; name = \"1栋\"; head = \"s04\"; } );\n"
    "escalation = [ \"building_head\" ];\n"
    "calendar = { workdays = [1, 2, 3, 4, 5]; hours = [\"08:30-17:30\"]; holidays = []; "
    "workdays_extra = []; };\n";

static char s_dir[] = "/tmp/qf-fuzz-dp-XXXXXX";

/* the store lives for the whole run; remove it at exit */
static void s_cleanup(void)
{
	qf_store_destroy(&s_dp.store);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s_dir);
}

static void s_init(void)
{
	char *dir = s_dir;
	if (!mkdtemp(dir))
		abort();
	atexit(s_cleanup);
	char path[256];
	snprintf(path, sizeof path, "%s/community.cfg", dir);
	FILE *f = fopen(path, "w");
	fputs(s_community, f);
	fclose(f);
	qf_log_init("fuzz", QF_LOG_ERROR);
	qf_id_init();
	struct qf_cfg_errors errs = {0};
	if (qf_community_load(path, &s_dp.community, &errs))
		abort();
	snprintf(path, sizeof path, "%s/store", dir);
	struct qf_store_opts so = {.path = path, .map_size = 64 << 20, .no_sync = 1};
	char err[256];
	if (qf_store_open(&s_dp.store, &so, err, sizeof err))
		abort();
	qf_clock_init_fake(&s_clock, 1772413200000LL);
	s_conf.satisfied_min = 4;
	s_conf.live_keep = 20;
	s_conf.location_decimals = 3;
	s_conf.page_size = 20;
	s_conf.max_page_size = 100;
	s_conf.feed_entries = 20;
	s_conf.export_cases = 20;
	s_conf.public_url = "http://127.0.0.1:8083";
	s_conf.intake_url = "http://127.0.0.1:8080";
	s_conf.audit_url = "http://127.0.0.1:8084";
	s_conf.question_path = "/";
	s_dp.conf = &s_conf;
	s_dp.clock = &s_clock;
	snprintf(s_dp.title, sizeof s_dp.title, "凉水井社区");
	pthread_rwlock_init(&s_dp.community_lock, NULL);
	pthread_mutex_init(&s_dp.cache_lock, NULL);
	if (dp_db_open(&s_dp))
		abort();
}

struct one {
	Qingfeng__V1__Envelope *env;
	const uint8_t *raw;
	size_t len;
};

static int s_apply(struct qf_txn *t, void *arg)
{
	struct one *o = arg;
	struct qf_bus_msg m = {o->env, o->raw, o->len};
	return dp_apply(&s_dp, t, &m);
}

static void s_render(void)
{
	struct render r = {&s_dp, qf_now_ms(&s_clock), 0, 0};
	struct qf_buf b;
	qf_buf_init(&b);
	struct case_filter f;
	memset(&f, 0, sizeof f);
	f.q.state = CQ_STATE_ANY;
	f.q.limit = 5;
	f.page = 1;
	f.page_size = 5;
	if (render_board(&r, &f, &b))
		abort();
	qf_buf_reset(&b);
	render_affairs(&r, &b);
	qf_buf_reset(&b);
	render_roster(&r, &b);
	qf_buf_reset(&b);
	render_live(&r, &b);
	qf_buf_reset(&b);
	render_stats(&r, 0, 0, "全部", &b);
	qf_buf_reset(&b);
	/* the case just touched, the quarters and lists */
	render_case(&r, "FUZZ1", &b);
	qf_buf_reset(&b);
	render_ledger(&r, "2026Q1", &b);
	qf_buf_free(&b);
	feed_cases_render(&s_dp, &b);
	qf_buf_free(&b);
	feed_disclosures_render(&s_dp, &b);
	qf_buf_free(&b);
	csv_ledger_render(&s_dp, NULL, &b);
	qf_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s_dp.store)
		s_init();
	if (size < 2)
		return 0;
	Qingfeng__V1__Envelope env = QINGFENG__V1__ENVELOPE__INIT;
	env.schema_version = 1;
	env.producer = (data[1] & 1) ? "router" : "intake";
	env.epoch = 1;
	env.partition = data[1] >> 4;
	env.seq = ++s_seq;
	env.case_id = (data[1] & 2) ? "FUZZ1" : "";
	env.time_ms = qf_now_ms(&s_clock);
	env.type = (Qingfeng__V1__EventType)
	    s_types[data[0] % (sizeof s_types / sizeof s_types[0])];
	env.payload.data = (uint8_t *)data + 2;
	env.payload.len = size - 2;
	uint8_t eid[16] = {0};
	memcpy(eid, &s_seq, sizeof s_seq);
	env.event_id.data = eid;
	env.event_id.len = 16;
	struct one o = {&env, data, size};
	if (qf_store_write(s_dp.store, s_apply, &o))
		abort(); /* a bad event must be skipped, not fail the batch */
	qf_clock_advance(&s_clock, 60000);
	live_pending_free(&s_dp);
	if ((s_seq & 15) == 0)
		s_render();
	return 0;
}
