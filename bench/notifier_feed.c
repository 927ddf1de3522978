/* notifier_feed: the notifier benchmark's stand-in router: a real bus
 * producer that commits N CASE_ASSIGNED events (1,000 per transaction, over
 * every building, so all partitions are used) and then serves replay and
 * heartbeats until SIGTERM, exactly as the router's stream would be read.
 *
 *   notifier_feed --dir D --pub EP --replay EP --count N [--name router]
 * Prints "ready N" once every event is committed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf_bus.h"
#include "qf_privacy.h"
#include "qf_vault.h"
#include "qf_clock.h"
#include "qf_id.h"
#include "qf_svc.h"

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

static const char *const s_buildings[] = {"B01", "B02", "B03", "B04", "B05",
					  "B06", "B07", "B08", "B09", "B10",
					  "B11", "B12", "Y01", "Y02", "S01"};
static const char *const s_heads[] = {"s04", "s04", "s04", "s04", "s05",
				      "s05", "s05", "s05", "s06", "s06",
				      "s06", "s06", "s06", "s05", "s04"};

struct batch {
	struct qf_bus_producer *p;
	unsigned long from, n;
};

static int s_write(struct qf_txn *t, void *arg)
{
	struct batch *b = arg;
	for (unsigned long i = b->from; i < b->from + b->n; i++) {
		unsigned k = (unsigned)(i % 15);
		char cid[40], tc[24];
		snprintf(cid, sizeof cid, "CBENCH%020lu", i);
		snprintf(tc, sizeof tc, "LSJ-B%06lu", i % 1000000);
		Qingfeng__V1__CaseTransition ct = QINGFENG__V1__CASE_TRANSITION__INIT;
		ct.case_id = cid;
		ct.tracking_code = tc;
		ct.to_state = QINGFENG__V1__CASE_STATE__STATE_ASSIGNED;
		ct.assignee = (char *)s_heads[k];
		ct.category = "facility_repair";
		ct.building = (char *)s_buildings[k];
		ct.priority = "normal";
		ct.respond_due_ms = 1795600800000LL + 86400000LL;
		ct.resolve_due_ms = 1795600800000LL + 3 * 86400000LL;
		int rc = qf_privacy_emit(b->p, t, QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED,
					 s_buildings[k], cid, NULL, &ct.base, &s_consented);
		if (rc)
			return rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *pub = NULL, *replay = NULL, *name = "router";
	unsigned long count = 0;
	static const struct option longs[] = {{"dir", 1, 0, 'd'},    {"pub", 1, 0, 'p'},
					      {"replay", 1, 0, 'r'}, {"count", 1, 0, 'n'},
					      {"name", 1, 0, 'N'},   {0, 0, 0, 0}};
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
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'N':
			name = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!dir || !pub || !replay || qf_id_init()) {
		fprintf(stderr,
			"usage: notifier_feed --dir D --pub EP --replay EP --count N\n");
		return 2;
	}
	qf_svc_signals();
	char err[512];
	struct qf_store *store;
	struct qf_store_opts so = {.path = dir, .map_size = 512u << 20};
	if (qf_store_open(&store, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *zctx = zmq_ctx_new();
	struct qf_bus_producer *prod;
	struct qf_bus_producer_opts po = {.name = name,
					  .partitions = 16,
					  .pub_endpoint = pub,
					  .replay_endpoint = replay,
					  .heartbeat_ms = 200,
					  .sndhwm = 100000,
					  .vault = s_vault_of(store)};
	if (qf_bus_producer_new(&prod, zctx, store, &clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		return 1;
	}
	for (unsigned long from = 0; from < count; from += 1000) {
		struct batch b = {prod, from, count - from < 1000 ? count - from : 1000};
		if (qf_store_write(store, s_write, &b)) {
			fprintf(stderr, "write failed\n");
			return 1;
		}
		/* let PUB drain a little; the consumer heals drops by replay */
		zmq_pollitem_t it = {qf_bus_producer_replay_socket(prod), 0, ZMQ_POLLIN,
				     0};
		if (zmq_poll(&it, 1, 0) > 0)
			qf_bus_producer_serve(prod);
	}
	printf("ready %lu\n", count);
	fflush(stdout);
	while (!qf_svc_stop_flag) {
		int timeout = qf_bus_producer_tick(prod);
		zmq_pollitem_t it = {qf_bus_producer_replay_socket(prod), 0, ZMQ_POLLIN,
				     0};
		if (zmq_poll(&it, 1, timeout) > 0)
			qf_bus_producer_serve(prod);
	}
	qf_bus_producer_destroy(&prod);
	zmq_ctx_term(zctx);
	qf_store_destroy(&store);
	return 0;
}
