/* qf-test-emit: a real bus producer driven by JSON lines on stdin, so that a
 * service can be tested against exactly the events it consumes without
 * running the services that normally produce them.
 *
 *   qf-test-emit --dir D --pub EP --replay EP [--name N] [--partitions P]
 *
 * Each input line: {"type":"PETITION_SUBMITTED","key":"B01","case_id":"..",
 * "correlation_id":"..","time_ms":0,"payload":{...}} (payload fields as in
 * events.proto; bytes and fixed64 in hex; enums by name). Each line is
 * committed in its own transaction and answered on stdout with
 * "ok <partition> <seq>" or "error <reason>". Replay and heartbeats are
 * served until stdin closes and SIGTERM arrives (or stdin closes with
 * --exit-on-eof).
 *
 * With "privacy":{"consent":false,"sensitive":false} the payload is the
 * whole message and goes out as a producer emits it (qf_privacy_emit: the
 * envelope gets the public part, the private part travels beside it,
 * sealed in the outbox), optionally with "subject" and "nonce" (64 hex);
 * the answer is then "ok <partition> <seq> <event id hex> <nonce hex>
 * <whole payload hex>": what a receipt is made of.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_id.h"
#include "qf_privacy.h"
#include "qf_svc.h"
#include "qf_vault.h"

struct emit {
	struct qf_bus_producer *prod;
	struct qf_bus_event ev;
	uint32_t part;
	uint64_t seq;
	const struct qf_privacy *pc; /* NULL: emit as given */
	uint8_t event_id[16];
};

static int s_emit(struct qf_txn *t, void *arg)
{
	struct emit *e = arg;
	if (e->pc)
		return qf_privacy_emit_event(e->prod, t, &e->ev, e->pc, &e->part, &e->seq,
					     e->event_id);
	return qf_bus_emit(e->prod, t, &e->ev, &e->part, &e->seq, NULL);
}

static void s_line(struct qf_store *store, struct qf_bus_producer *prod, char *line)
{
	json_error_t je;
	json_t *j = json_loads(line, 0, &je);
	if (!j || !json_is_object(j)) {
		printf("error bad json: %s\n", j ? "not an object" : je.text);
		json_decref(j);
		return;
	}
	const char *tn = json_string_value(json_object_get(j, "type"));
	int type = tn ? qf_event_type_parse(tn) : -1;
	const ProtobufCMessageDescriptor *d = type >= 0 ? qf_event_payload_descriptor(type) : NULL;
	if (!d) {
		printf("error unknown type %s\n", tn ? tn : "(none)");
		json_decref(j);
		return;
	}
	char err[256] = "";
	json_t *pj = json_object_get(j, "payload");
	json_t *empty = json_object();
	ProtobufCMessage *m = qf_message_from_json(d, pj ? pj : empty, err, sizeof err);
	json_decref(empty);
	if (!m) {
		printf("error %s\n", err);
		json_decref(j);
		return;
	}
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len + 1);
	protobuf_c_message_pack(m, buf);
	struct emit e = {prod,
			 {(Qingfeng__V1__EventType)type,
			  json_string_value(json_object_get(j, "key")),
			  json_string_value(json_object_get(j, "case_id")),
			  json_string_value(json_object_get(j, "correlation_id")), buf, len,
			  json_integer_value(json_object_get(j, "time_ms"))},
			 0, 0, NULL, {0}};
	json_t *pv = json_object_get(j, "privacy");
	struct qf_privacy pc = {json_is_true(json_object_get(pv, "consent")),
				json_is_true(json_object_get(pv, "sensitive")), NULL};
	uint8_t nonce[32];
	const char *nh = json_string_value(json_object_get(j, "nonce"));
	if (json_is_object(pv)) {
		e.pc = &pc;
		e.ev.subject = json_string_value(json_object_get(j, "subject"));
		if (!nh || strlen(nh) != 64 || qf_unhex(nh, nonce, 32))
			qf_id_random(nonce, sizeof nonce);
		e.ev.nonce = nonce;
	}
	int rc = qf_store_write(store, s_emit, &e);
	if (rc) {
		printf("error %s\n", qf_strerror(rc));
	} else if (e.pc) {
		char id[33], nx[65], *ph = malloc(2 * len + 1);
		printf("ok %u %llu %s %s %s\n", e.part, (unsigned long long)e.seq,
		       qf_hex(e.event_id, 16, id), qf_hex(nonce, 32, nx),
		       ph ? qf_hex(buf, len, ph) : "");
		free(ph);
	} else {
		printf("ok %u %llu\n", e.part, (unsigned long long)e.seq);
	}
	fflush(stdout);
	free(buf);
	protobuf_c_message_free_unpacked(m, NULL);
	json_decref(j);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *pub = NULL, *replay = NULL, *name = "intake";
	uint32_t parts = 16;
	int exit_on_eof = 0;
	static const struct option longs[] = {
		{"dir", 1, 0, 'd'},  {"pub", 1, 0, 'p'},        {"replay", 1, 0, 'r'},
		{"name", 1, 0, 'n'}, {"partitions", 1, 0, 'P'}, {"exit-on-eof", 0, 0, 'x'},
		{0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'p': pub = optarg; break;
		case 'r': replay = optarg; break;
		case 'n': name = optarg; break;
		case 'P': parts = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'x': exit_on_eof = 1; break;
		default: return 2;
		}
	}
	if (!dir || !pub || !replay || qf_id_init()) {
		fprintf(stderr, "usage: qf-test-emit --dir D --pub EP --replay EP\n");
		return 2;
	}
	qf_svc_signals();
	char err[512];
	struct qf_store *store;
	struct qf_store_opts so = {.path = dir};
	if (qf_store_open(&store, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	struct qf_clock clock;
	qf_clock_from_env(&clock);
	void *zctx = zmq_ctx_new();
	struct qf_bus_producer *prod;
	struct qf_vault *vault = NULL;
	if (qf_vault_open(&vault, store)) {
		fprintf(stderr, "vault: cannot open\n");
		return 1;
	}
	struct qf_bus_producer_opts po = {.name = name, .partitions = parts,
					  .pub_endpoint = pub, .replay_endpoint = replay,
					  .heartbeat_ms = 200, .vault = vault};
	if (qf_bus_producer_new(&prod, zctx, store, &clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char buf[1 << 20];
	size_t have = 0;
	int eof = 0;
	while (!qf_svc_stop_flag && !(eof && exit_on_eof)) {
		int timeout = qf_bus_producer_tick(prod);
		zmq_pollitem_t it[2] = {{qf_bus_producer_replay_socket(prod), 0, ZMQ_POLLIN, 0},
					{NULL, 0, ZMQ_POLLIN, 0}};
		int n = eof ? 1 : 2;
		if (zmq_poll(it, n, timeout) < 0)
			continue;
		if (it[0].revents & ZMQ_POLLIN)
			qf_bus_producer_serve(prod);
		/* POLLHUP without POLLIN at end of input: read() then says EOF */
		if (n == 2 && it[1].revents) {
			ssize_t r = read(0, buf + have, sizeof buf - 1 - have);
			if (r <= 0) {
				eof = 1;
				continue;
			}
			have += (size_t)r;
			buf[have] = '\0';
			char *start = buf, *nl;
			while ((nl = strchr(start, '\n'))) {
				*nl = '\0';
				if (nl > start)
					s_line(store, prod, start);
				start = nl + 1;
			}
			have -= (size_t)(start - buf);
			memmove(buf, start, have);
		}
	}
	qf_bus_producer_destroy(&prod);
	zmq_ctx_term(zctx);
	qf_vault_destroy(&vault);
	qf_store_destroy(&store);
	return 0;
}
