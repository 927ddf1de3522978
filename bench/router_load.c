/* router_load: a stand-in intake for the router benchmark. It writes large
 * batches of intake events (petitions, staff actions) into its own outbox
 * and serves them over PUB and replay like intake does, so the router under
 * test consumes a realistic stream at full speed.
 *
 *   router_load --dir D --pub EP --replay EP [--partitions P]
 *
 * Commands on stdin, answered on stdout with "ok <events in outbox>":
 *   petitions N     N petitions (15 buildings, 6 categories, submitted in the
 *                   last 10 hours, 10% from returning petitioners)
 *   accept          one ACCEPT (by its assignee) for every case so far
 *   progress        one PROGRESS note per case; every tenth by someone who
 *                   may not (refused with 403, the cheap path)
 * The outbox is written without fsync: the producer's durability is not
 * what is measured. It serves until stdin closes.
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
#define BATCH 20000

static const char *const s_buildings[] = {"B01", "B02", "B03", "B04", "B05",
					  "B06", "B07", "B08", "B09", "B10",
					  "B11", "B12", "Y01", "Y02", "S01"};
static const char *const s_cats[] = {"facility_repair",	 "sanitation_hazard",
				     "neighbor_dispute", "rental_dispute",
				     "policy_inquiry",	 "integrity_report"};

struct load {
	struct qf_store *store;
	struct qf_bus_producer *prod;
	struct qf_clock clock;
	uint64_t ncases;   /* cases written so far */
	uint64_t events;   /* events written so far */
	const char *cmd;   /* the command being written */
	uint64_t from, to; /* case range of this batch */
	uint64_t base_ms;
};

/* who the router assigns case i to (config/community.cfg): the actor of
 * its staff actions, so that accepting changes no assignment */
static const char *s_assignee(uint64_t i)
{
	const char *cat = s_cats[(i / 15) % 6];
	const char *b = s_buildings[i % 15];
	if (strcmp(cat, "rental_dispute") == 0)
		return "s08";
	if (strcmp(cat, "policy_inquiry") == 0)
		return "s07";
	if (strcmp(cat, "integrity_report") == 0)
		return "s02";
	if (strcmp(b, "S01") == 0 || (b[0] == 'B' && atoi(b + 1) <= 4))
		return "s04";
	if (strcmp(b, "Y02") == 0 || (b[0] == 'B' && atoi(b + 1) <= 8))
		return "s05";
	return "s06";
}

static void s_case_id(uint64_t i, char out[32])
{
	snprintf(out, 32, "C%026llu", (unsigned long long)i);
}

static int s_write(struct qf_txn *t, void *arg)
{
	struct load *l = arg;
	for (uint64_t i = l->from; i < l->to; i++) {
		char id[32], cmd[40];
		s_case_id(i, id);
		const char *b = s_buildings[i % 15];
		int rc;
		if (strcmp(l->cmd, "petitions") == 0) {
			Qingfeng__V1__PetitionSubmitted p =
			    QINGFENG__V1__PETITION_SUBMITTED__INIT;
			char tracking[32];
			uint8_t pseudo[32];
			snprintf(tracking, sizeof tracking, "LSJ-%06llu",
				 (unsigned long long)i);
			/* 10% come back: their pseudonym repeats one of 1000 people */
			if (i % 10 == 0)
				memset(pseudo, (int)(i / 10 % 251), sizeof pseudo);
			else
				qf_id_random(pseudo, sizeof pseudo);
			p.case_id = id;
			p.tracking_code = tracking;
			p.category = (char *)s_cats[(i / 15) % 6];
			p.building = (char *)b;
			p.address = "1单元";
			p.description = "楼道照明损坏，夜间无法通行，请尽快维修。";
			p.channel = "app";
			p.name_masked = "张**";
			p.phone_masked = "138****1234";
			p.petitioner_pseudonym.data = pseudo;
			p.petitioner_pseudonym.len = sizeof pseudo;
			p.submitted_ms =
			    (int64_t)(l->base_ms - (i * 7919 % 36000) * 1000);
			if (p.category[0] == 'i')
				p.concerns_staff = "s04";
			rc = qf_privacy_emit(l->prod, t, ET(PETITION_SUBMITTED), b, id,
					     "", &p.base, &s_consented);
		} else {
			Qingfeng__V1__StaffActionRequested a =
			    QINGFENG__V1__STAFF_ACTION_REQUESTED__INIT;
			Qingfeng__V1__Actor act = QINGFENG__V1__ACTOR__INIT;
			snprintf(cmd, sizeof cmd, "K%c%025llu", l->cmd[0],
				 (unsigned long long)i);
			int accept = strcmp(l->cmd, "accept") == 0;
			act.staff_id = (char *)(accept || i % 10 ? s_assignee(i) : "s03");
			a.command_id = cmd;
			a.case_id = id;
			a.actor = &act;
			a.action = accept ? QINGFENG__V1__ACTION_KIND__ACTION_ACCEPT
					  : QINGFENG__V1__ACTION_KIND__ACTION_PROGRESS;
			a.progress = "已安排电工上门查看";
			rc = qf_privacy_emit(l->prod, t, ET(STAFF_ACTION_REQUESTED), b,
					     id, cmd, &a.base, &s_consented);
		}
		if (rc)
			return rc;
	}
	return QF_OK;
}

static void s_command(struct load *l, char *line)
{
	char what[32] = "";
	unsigned long long n = 0;
	if (sscanf(line, "%31s %llu", what, &n) < 1) {
		printf("error bad command\n");
		return;
	}
	uint64_t from = 0, to = l->ncases;
	if (strcmp(what, "petitions") == 0) {
		from = l->ncases;
		to = l->ncases + n;
	} else if (strcmp(what, "accept") && strcmp(what, "progress")) {
		printf("error unknown command %s\n", what);
		return;
	}
	l->cmd = what;
	for (uint64_t a = from; a < to; a += BATCH) {
		l->from = a;
		l->to = a + BATCH < to ? a + BATCH : to;
		int rc = qf_store_write(l->store, s_write, l);
		if (rc) {
			printf("error %s\n", qf_strerror(rc));
			return;
		}
		l->events += l->to - l->from;
		qf_bus_producer_serve(l->prod);
	}
	if (strcmp(what, "petitions") == 0)
		l->ncases = to;
	printf("ok %llu\n", (unsigned long long)l->events);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *pub = NULL, *replay = NULL;
	uint32_t parts = 16;
	static const struct option longs[] = {{"dir", 1, 0, 'd'},
					      {"pub", 1, 0, 'p'},
					      {"replay", 1, 0, 'r'},
					      {"partitions", 1, 0, 'P'},
					      {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'r':
			replay = optarg;
			break;
		case 'P':
			parts = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!dir || !pub || !replay || qf_id_init()) {
		fprintf(stderr, "usage: router_load --dir D --pub EP --replay EP\n");
		return 2;
	}
	qf_svc_signals();
	struct load l = {0};
	char err[256];
	struct qf_store_opts so = {.path = dir, .map_size = 1ull << 30, .no_sync = 1};
	if (qf_store_open(&l.store, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	qf_clock_init_real(&l.clock);
	l.base_ms = (uint64_t)qf_now_ms(&l.clock);
	void *zctx = zmq_ctx_new();
	struct qf_bus_producer_opts po = {.name = "intake",
					  .partitions = parts,
					  .pub_endpoint = pub,
					  .replay_endpoint = replay,
					  .heartbeat_ms = 200,
					  .vault = s_vault_of(l.store)};
	if (qf_bus_producer_new(&l.prod, zctx, l.store, &l.clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char buf[4096];
	size_t have = 0;
	while (!qf_svc_stop_flag) {
		int timeout = qf_bus_producer_tick(l.prod);
		zmq_pollitem_t it[2] = {
		    {qf_bus_producer_replay_socket(l.prod), 0, ZMQ_POLLIN, 0},
		    {NULL, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(it, 2, timeout) < 0)
			continue;
		if (it[0].revents & ZMQ_POLLIN)
			qf_bus_producer_serve(l.prod);
		if (it[1].revents & ZMQ_POLLIN) {
			ssize_t r = read(0, buf + have, sizeof buf - 1 - have);
			if (r <= 0)
				break;
			have += (size_t)r;
			buf[have] = '\0';
			char *start = buf, *nl;
			while ((nl = strchr(start, '\n'))) {
				*nl = '\0';
				if (nl > start)
					s_command(&l, start);
				start = nl + 1;
			}
			have -= (size_t)(start - buf);
			memmove(buf, start, have);
		}
	}
	qf_bus_producer_destroy(&l.prod);
	zmq_ctx_term(zctx);
	qf_store_destroy(&l.store);
	return 0;
}
