/* disclosure_fill: the benchmark's stand-in for intake and router. It writes
 * N cases' events straight into two producers' outboxes (intake:
 * PETITION_SUBMITTED; router: CASE_ASSIGNED, CASE_ACCEPTED, and for two in
 * three CASE_PROGRESS and CASE_RESOLVED), in large transactions without
 * fsync (filling is not what is measured), prints "ready <events>", then
 * serves replay and heartbeats until stdin closes or SIGTERM, so a fresh
 * qf-disclosure catches up through the real bus path.
 *
 *   disclosure_fill --dir D --cases N --intake PUB,REPLAY --router PUB,REPLAY
 */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qf_bus.h"
#include "qf_privacy.h"
#include "qf_vault.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_svc.h"
#include "qingfeng/v1/events.pb-c.h"

/* Events carry private parts as the services' do: the producer seals them
 * in its outbox, so it needs the store's vault. */
static const struct qf_privacy s_consented = {1, 0, NULL};
static struct qf_vault *s_vault;
static struct qf_vault *s_vault_of(struct qf_store *s)
{
	if (!s_vault && qf_vault_open(&s_vault, s))
		return NULL;
	return s_vault;
}

#define ET(x) QINGFENG__V1__EVENT_TYPE__##x
#define ST(x) QINGFENG__V1__CASE_STATE__STATE_##x
#define HOUR  3600000LL

static const char *const s_bld[] = {"B01", "B02", "B03", "B04", "B05",
				    "B06", "B07", "B08", "B09", "B10",
				    "B11", "B12", "Y01", "Y02", "S01"};
static const char *const s_cat[] = {"safety_hazard",	"sanitation_hazard",
				    "neighbor_dispute", "facility_repair",
				    "public_order",	"policy_inquiry"};
static const char *const s_head[] = {"s04", "s04", "s04", "s04", "s05",
				     "s05", "s05", "s05", "s06", "s06",
				     "s06", "s06", "s06", "s05", "s04"};
static const char *const s_text[] = {
    "楼道里堆满了纸箱和旧家具，堵住了消防通道，晚上还有人在楼道抽烟。",
    "垃圾站三天没有清运了，气味很大，还招了很多苍蝇老鼠。",
    "楼上住户每天晚上十二点以后还在拖动家具，严重影响休息，沟通过几次没有效果。",
    "路灯坏了一个多月了，晚上走路黑漆漆的，老人出门很不方便。",
    "每天晚上有人在路边烧烤摆摊到凌晨，吵闹而且油烟很大。",
    "请问高龄补贴怎么申请？需要准备哪些材料？电话13812345678。",
};

struct fill {
	struct qf_bus_producer *intake, *router;
	long from, to, n;
	int64_t t0;
	uint64_t events;
};

static int s_emit(struct qf_bus_producer *p, struct qf_txn *t, int type, const char *key,
		  const char *cid, const ProtobufCMessage *m, uint64_t *count)
{
	int rc = qf_privacy_emit(p, t, type, key, cid, NULL, m, &s_consented);
	if (!rc)
		(*count)++;
	return rc;
}

static int s_intake_txn(struct qf_txn *t, void *arg)
{
	struct fill *f = arg;
	for (long i = f->from; i < f->to; i++) {
		char cid[40], code[32];
		snprintf(cid, sizeof cid, "CBENCH%020ld", i);
		snprintf(code, sizeof code, "LSJ-B%06ld", i);
		Qingfeng__V1__PetitionSubmitted p =
		    QINGFENG__V1__PETITION_SUBMITTED__INIT;
		p.case_id = cid;
		p.tracking_code = code;
		p.category = (char *)s_cat[i % 6];
		p.building = (char *)s_bld[i % 15];
		p.description = (char *)s_text[i % 6];
		p.address = "楼下";
		p.channel = "app";
		p.consent_public = 1;
		p.name_masked = "徐**";
		p.phone_masked = "138****5678";
		p.submitted_ms = f->t0 + i * 10000;
		int rc = s_emit(f->intake, t, ET(PETITION_SUBMITTED), s_bld[i % 15], cid,
				(ProtobufCMessage *)&p, &f->events);
		if (rc)
			return rc;
	}
	return QF_OK;
}

static int s_router_txn(struct qf_txn *t, void *arg)
{
	struct fill *f = arg;
	for (long i = f->from; i < f->to; i++) {
		char cid[40];
		snprintf(cid, sizeof cid, "CBENCH%020ld", i);
		int64_t sub = f->t0 + i * 10000;
		Qingfeng__V1__Actor a = QINGFENG__V1__ACTOR__INIT;
		a.staff_id = (char *)s_head[i % 15];
		a.role = "building_head";
		a.name = "李建国";
		Qingfeng__V1__CaseTransition c = QINGFENG__V1__CASE_TRANSITION__INIT;
		c.case_id = cid;
		c.actor = &a;
		c.assignee = (char *)s_head[i % 15];
		c.assignee_name = "李建国";
		c.assignee_post = "楼长";
		c.category = (char *)s_cat[i % 6];
		c.building = (char *)s_bld[i % 15];
		c.respond_due_ms = sub + 24 * HOUR;
		c.resolve_due_ms = sub + 72 * HOUR;
		struct {
			int type, to;
			int64_t at;
			const char *note;
		} steps[] = {
		    {ET(CASE_ASSIGNED), ST(ASSIGNED), sub + 60000, NULL},
		    {ET(CASE_ACCEPTED), ST(ACCEPTED), sub + HOUR, NULL},
		    {ET(CASE_PROGRESS), ST(IN_PROGRESS), sub + 5 * HOUR, "已联系责任方"},
		    {ET(CASE_RESOLVED), ST(RESOLVED), sub + 30 * HOUR, "问题已处理"}};
		int nsteps = i % 3 ? 4 : 2;
		for (int s = 0; s < nsteps; s++) {
			c.to_state = steps[s].to;
			c.at_ms = steps[s].at;
			c.progress = (char *)(steps[s].note ? steps[s].note : "");
			int rc = s_emit(f->router, t, steps[s].type, s_bld[i % 15], cid,
					(ProtobufCMessage *)&c, &f->events);
			if (rc)
				return rc;
		}
	}
	return QF_OK;
}

static int s_open(const char *dir, const char *name, const char *eps, void *zctx,
		  struct qf_clock *clock, struct qf_store **st,
		  struct qf_bus_producer **p)
{
	char path[4096], pub[256], rep[256], err[512];
	const char *comma = strchr(eps, ',');
	if (!comma || (size_t)(comma - eps) >= sizeof pub)
		return -1;
	memcpy(pub, eps, (size_t)(comma - eps));
	pub[comma - eps] = '\0';
	snprintf(rep, sizeof rep, "%s", comma + 1);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct qf_store_opts so = {
	    .path = path, .map_size = (size_t)1 << 30, .no_sync = 1};
	if (qf_store_open(st, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return -1;
	}
	struct qf_bus_producer_opts po = {.name = name,
					  .pub_endpoint = pub,
					  .replay_endpoint = rep,
					  .heartbeat_ms = 200,
					  .sndhwm = 1000,
					  .vault = s_vault_of(*st)};
	if (qf_bus_producer_new(p, zctx, *st, clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *in_eps = NULL, *rt_eps = NULL;
	long n = 100000;
	static const struct option longs[] = {{"dir", 1, 0, 'd'},
					      {"cases", 1, 0, 'n'},
					      {"intake", 1, 0, 'i'},
					      {"router", 1, 0, 'r'},
					      {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'i':
			in_eps = optarg;
			break;
		case 'r':
			rt_eps = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!dir || !in_eps || !rt_eps || n <= 0 || qf_id_init()) {
		fprintf(stderr,
			"usage: disclosure_fill --dir D --cases N --intake PUB,REP "
			"--router PUB,REP\n");
		return 2;
	}
	qf_svc_signals();
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *zctx = zmq_ctx_new();
	struct qf_store *is, *rs;
	struct fill f = {0};
	if (s_open(dir, "intake", in_eps, zctx, &clock, &is, &f.intake) ||
	    s_open(dir, "router", rt_eps, zctx, &clock, &rs, &f.router))
		return 1;
	f.n = n;
	f.t0 = qf_now_ms(&clock) - n * 10000 - 100 * HOUR;
	for (long from = 0; from < n; from += 5000) {
		f.from = from;
		f.to = from + 5000 < n ? from + 5000 : n;
		if (qf_store_write(is, s_intake_txn, &f) ||
		    qf_store_write(rs, s_router_txn, &f)) {
			fprintf(stderr, "fill failed\n");
			return 1;
		}
	}
	printf("ready %llu\n", (unsigned long long)f.events);
	fflush(stdout);
	while (!qf_svc_stop_flag) {
		int t1 = qf_bus_producer_tick(f.intake),
		    t2 = qf_bus_producer_tick(f.router);
		zmq_pollitem_t it[3] = {
		    {qf_bus_producer_replay_socket(f.intake), 0, ZMQ_POLLIN, 0},
		    {qf_bus_producer_replay_socket(f.router), 0, ZMQ_POLLIN, 0},
		    {NULL, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(it, 3, t1 < t2 ? t1 : t2) < 0)
			continue;
		if (it[0].revents & ZMQ_POLLIN)
			qf_bus_producer_serve(f.intake);
		if (it[1].revents & ZMQ_POLLIN)
			qf_bus_producer_serve(f.router);
		if (it[2].revents) { /* data, or the other end closed: EOF below */
			char buf[256];
			if (read(0, buf, sizeof buf) <= 0)
				break;
		}
	}
	qf_bus_producer_destroy(&f.intake);
	qf_bus_producer_destroy(&f.router);
	zmq_ctx_term(zctx);
	qf_store_destroy(&is);
	qf_store_destroy(&rs);
	return 0;
}
