/* audit_bench: the audit log's numbers (bench/bench-audit.sh runs it).
 *
 *   audit_bench core --dir D [--leaves N] [--batch B] [--proofs K]
 *       durable appends to the tiled log (common/qf_merkle.c) beside a
 *       baseline of plain durable LMDB appends of the same bytes, in the same
 *       run; then inclusion and consistency proofs at N leaves, one read
 *       transaction each (as the HTTP handler does); memory and store size.
 *   audit_bench feed --dir D --pub EP --replay EP [--events N]
 *       a producer that commits N realistic events, prints "ready N", and
 *       serves replay until stdin closes (feeds qf-audit end to end).
 *   audit_bench http --url URL --size N [--count K]
 *       inclusion proofs through the service's HTTP API (keep-alive),
 *       each checked against the root.
 *
 * Events are real envelopes: petitions (~250 bytes) and case transitions
 * (~120 bytes), three transitions per petition, as the system makes them.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_merkle.h"
#include "qf_note.h"
#include "qf_store.h"
#include "qf_svc.h"
#include "qingfeng/v1/events.pb-c.h"

static double s_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long s_status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* ------------------------------------------------------------ events */

/* The payload of event i (packed into buf); returns its type. */
static int s_payload(uint64_t i, uint8_t *buf, size_t *len, char *case_id, char *building)
{
	static const char *const desc[] = {
	    "3栋2单元楼道灯坏了一个多星期，晚上上下楼很不方便，请尽快维修。",
	    "小区东门附近的消防通道被电动车长期占用，存在安全隐患。",
	    "楼上住户夜间噪音较大，多次沟通未果，希望社区协调处理。",
	};
	uint64_t c = i / 4;
	snprintf(case_id, 40, "C%026llu", (unsigned long long)c);
	snprintf(building, 8, "B%02llu", (unsigned long long)(c % 12 + 1));
	if (i % 4 == 0) {
		Qingfeng__V1__PetitionSubmitted p =
		    QINGFENG__V1__PETITION_SUBMITTED__INIT;
		char code[16];
		snprintf(code, sizeof code, "LSJ-%06llu",
			 (unsigned long long)c % 1000000);
		p.case_id = case_id;
		p.tracking_code = code;
		p.category = "facility_repair";
		p.building = building;
		p.description = (char *)desc[c % 3];
		p.channel = "app";
		p.name_masked = "张**";
		p.phone_masked = "138****1234";
		p.submitted_ms = 1790000000000LL + (int64_t)i;
		*len = qingfeng__v1__petition_submitted__pack(&p, buf);
		return QINGFENG__V1__EVENT_TYPE__PETITION_SUBMITTED;
	}
	static const int types[] = {QINGFENG__V1__EVENT_TYPE__CASE_ASSIGNED,
				    QINGFENG__V1__EVENT_TYPE__CASE_ACCEPTED,
				    QINGFENG__V1__EVENT_TYPE__CASE_RESOLVED};
	Qingfeng__V1__CaseTransition t = QINGFENG__V1__CASE_TRANSITION__INIT;
	Qingfeng__V1__Actor a = QINGFENG__V1__ACTOR__INIT;
	a.staff_id = "s04";
	a.role = "building_head";
	a.name = "李建国";
	t.case_id = case_id;
	t.actor = &a;
	t.assignee = "s04";
	t.assignee_name = "李建国";
	t.building = building;
	t.category = "facility_repair";
	t.from_state = (Qingfeng__V1__CaseState)(i % 4);
	t.to_state = (Qingfeng__V1__CaseState)(i % 4 + 1);
	t.at_ms = 1790000000000LL + (int64_t)i;
	*len = qingfeng__v1__case_transition__pack(&t, buf);
	return types[i % 4 - 1];
}

/* A whole envelope as a producer would send it (core mode). */
static size_t s_envelope(uint64_t i, uint8_t *out)
{
	uint8_t payload[1024], eid[16];
	size_t plen;
	char case_id[40], building[8];
	int type = s_payload(i, payload, &plen, case_id, building);
	Qingfeng__V1__Envelope e = QINGFENG__V1__ENVELOPE__INIT;
	e.schema_version = 1;
	e.producer = i % 4 ? "router" : "intake";
	e.epoch = 0x1234567890abcdefULL;
	e.partition = qf_partition_of(building, 16);
	e.seq = i + 1;
	qf_id_random(eid, sizeof eid);
	e.event_id.data = eid;
	e.event_id.len = 16;
	e.case_id = case_id;
	e.time_ms = 1790000000000LL + (int64_t)i;
	e.type = (Qingfeng__V1__EventType)type;
	e.payload.data = payload;
	e.payload.len = plen;
	e.partition_key = building;
	return qingfeng__v1__envelope__pack(&e, out);
}

/* ------------------------------------------------------------ core */

struct core {
	struct qf_merkle_log *log;
	MDB_dbi plain;
	uint64_t next, batch, n;
	uint8_t *data; /* all envelopes back to back */
	size_t *off;
	int baseline;
};

static int s_batch(struct qf_txn *t, void *arg)
{
	struct core *c = arg;
	uint64_t end = c->next + c->batch < c->n ? c->next + c->batch : c->n;
	for (uint64_t i = c->next; i < end; i++) {
		const uint8_t *d = c->data + c->off[i];
		size_t l = c->off[i + 1] - c->off[i];
		int rc;
		if (c->baseline) {
			uint8_t k[8];
			qf_be64_put(k, i);
			rc = qf_txn_put(t, c->plain, k, 8, d, l, MDB_APPEND);
		} else {
			rc = qf_merkle_log_append(c->log, t, d, l, NULL, NULL);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static double s_append_run(struct qf_store *s, struct core *c)
{
	c->next = 0;
	double t0 = s_now();
	while (c->next < c->n) {
		int rc = qf_store_write(s, s_batch, c);
		if (rc) {
			fprintf(stderr, "append failed: %s\n", qf_strerror(rc));
			exit(1);
		}
		c->next += c->batch;
	}
	return (double)c->n / (s_now() - t0);
}

struct proofs {
	struct qf_merkle_log *log;
	uint64_t n, a, b;
	uint8_t proof[QF_MERKLE_MAX_PROOF][32];
	size_t np;
	int consistency;
};

static int s_prove(struct qf_txn *t, void *arg)
{
	struct proofs *p = arg;
	if (p->consistency)
		return qf_merkle_log_consistency(p->log, t, p->a, p->n, p->proof, &p->np);
	return qf_merkle_log_inclusion(p->log, t, p->a, p->n, p->proof, &p->np);
}

static int s_root(struct qf_txn *t, void *arg)
{
	struct proofs *p = arg;
	return qf_merkle_log_root(p->log, t, p->b, p->proof[0]);
}

static uint64_t s_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int s_core(const char *dir, uint64_t n, uint64_t batch, uint64_t k)
{
	char p1[4096], p2[4096], err[256];
	snprintf(p1, sizeof p1, "%s/log", dir);
	snprintf(p2, sizeof p2, "%s/plain", dir);
	struct core c = {.n = n, .batch = batch};
	c.off = malloc((n + 1) * sizeof *c.off);
	c.data = malloc(n * 400);
	if (!c.off || !c.data)
		return 1;
	c.off[0] = 0;
	for (uint64_t i = 0; i < n; i++)
		c.off[i + 1] = c.off[i] + s_envelope(i, c.data + c.off[i]);
	printf("events: %llu envelopes, %.0f bytes each on average\n",
	       (unsigned long long)n, (double)c.off[n] / (double)n);
	struct qf_store *plain, *store;
	struct qf_store_opts o1 = {.path = p2}, o2 = {.path = p1};
	if (qf_store_open(&plain, &o1, err, sizeof err) ||
	    qf_store_open(&store, &o2, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	qf_store_dbi(plain, "plain", 0, &c.plain);
	c.baseline = 1;
	double base = s_append_run(plain, &c);
	qf_store_destroy(&plain);
	if (qf_merkle_log_open(&c.log, store, "audit"))
		return 1;
	c.baseline = 0;
	double rate = s_append_run(store, &c);
	printf("append (durable, %llu per transaction, fsync each):\n",
	       (unsigned long long)batch);
	printf("  baseline: plain LMDB append of the same bytes  %10.0f leaves/s\n",
	       base);
	printf("  audit log: leaf + RFC 9162 tiles               %10.0f leaves/s  "
	       "(%.0f%% of "
	       "baseline)\n",
	       rate, 100.0 * rate / base);
	/* proofs */
	struct proofs pr = {.log = c.log, .n = n};
	uint64_t x = 88172645463325252ULL;
	double t0 = s_now();
	for (uint64_t i = 0; i < k; i++) {
		pr.a = s_rand(&x) % n;
		if (qf_store_read(store, s_prove, &pr))
			return 1;
	}
	double inc = (s_now() - t0) / (double)k;
	/* check a sample against the root */
	uint8_t root[32];
	pr.b = n;
	qf_store_read(store, s_root, &pr);
	memcpy(root, pr.proof[0], 32);
	unsigned bad = 0;
	double tv = s_now();
	for (int i = 0; i < 1000; i++) {
		pr.a = s_rand(&x) % n;
		qf_store_read(store, s_prove, &pr);
		uint8_t lh[32];
		qf_merkle_leaf_hash(c.data + c.off[pr.a], c.off[pr.a + 1] - c.off[pr.a],
				    lh);
		bad += qf_merkle_check_inclusion(
			   pr.a, n, lh, (const uint8_t(*)[32])pr.proof, pr.np, root) != 0;
	}
	tv = (s_now() - tv) / 1000;
	pr.consistency = 1;
	t0 = s_now();
	for (uint64_t i = 0; i < k / 2; i++) {
		pr.a = 1 + s_rand(&x) % (n - 1);
		if (qf_store_read(store, s_prove, &pr))
			return 1;
	}
	double con = (s_now() - t0) / (double)(k / 2);
	printf("proofs at %llu leaves (one read transaction each):\n",
	       (unsigned long long)n);
	printf("  inclusion    %8.2f us each  %10.0f proofs/s  (%llu proofs)\n",
	       inc * 1e6, 1 / inc, (unsigned long long)k);
	printf("  consistency  %8.2f us each  %10.0f proofs/s\n", con * 1e6, 1 / con);
	printf("  inclusion proof + its check (1000 sampled): %.2f us, %u failed\n",
	       tv * 1e6, bad);
	double avg = (double)c.off[n] / (double)n;
	free(c.off);
	free(c.data); /* the test envelopes: not the log's memory */
	c.off = NULL;
	c.data = NULL;
	printf("memory at %llu leaves (this process): RSS %ld MiB (anonymous %ld MiB, "
	       "mapped "
	       "store %ld MiB), "
	       "store on disk %.0f MiB (%.0f bytes/leaf incl. the %.0f-byte leaf)\n",
	       (unsigned long long)n, s_status_kb("VmRSS") / 1024,
	       s_status_kb("RssAnon") / 1024, s_status_kb("RssFile") / 1024,
	       (double)qf_store_used_bytes(store) / 1048576.0,
	       (double)qf_store_used_bytes(store) / (double)n, avg);
	qf_merkle_log_destroy(&c.log);
	qf_store_destroy(&store);
	free(c.off);
	free(c.data);
	return bad ? 1 : 0;
}

/* ------------------------------------------------------------ feed */

struct feed {
	struct qf_bus_producer *prod;
	uint64_t from, to;
};

static int s_feed_batch(struct qf_txn *t, void *arg)
{
	struct feed *f = arg;
	for (uint64_t i = f->from; i < f->to; i++) {
		uint8_t payload[1024];
		size_t plen;
		char case_id[40], building[8];
		int type = s_payload(i, payload, &plen, case_id, building);
		struct qf_bus_event ev = {(Qingfeng__V1__EventType)type,
					  building,
					  case_id,
					  NULL,
					  payload,
					  plen,
					  0};
		int rc = qf_bus_emit(f->prod, t, &ev, NULL, NULL, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static int s_feed(const char *dir, const char *pub, const char *replay, uint64_t n,
		  const char *name)
{
	char err[256];
	struct qf_store *s;
	struct qf_store_opts so = {.path = dir};
	if (qf_store_open(&s, &so, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *z = zmq_ctx_new();
	struct qf_bus_producer_opts po = {.name = name,
					  .pub_endpoint = pub,
					  .replay_endpoint = replay,
					  .heartbeat_ms = 200};
	struct feed f = {0};
	if (qf_bus_producer_new(&f.prod, z, s, &clock, &po, err, sizeof err)) {
		fprintf(stderr, "producer: %s\n", err);
		return 1;
	}
	for (f.from = 0; f.from < n; f.from = f.to) {
		f.to = f.from + 10000 < n ? f.from + 10000 : n;
		if (qf_store_write(s, s_feed_batch, &f))
			return 1;
		qf_bus_producer_serve(f.prod);
	}
	printf("ready %llu\n", (unsigned long long)n);
	fflush(stdout);
	qf_svc_signals();
	while (!qf_svc_stop_flag) {
		int timeout = qf_bus_producer_tick(f.prod);
		zmq_pollitem_t it[2] = {
		    {qf_bus_producer_replay_socket(f.prod), 0, ZMQ_POLLIN, 0},
		    {NULL, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(it, 2, timeout) < 0)
			continue;
		if (it[0].revents & ZMQ_POLLIN)
			qf_bus_producer_serve(f.prod);
		if (it[1].revents & ZMQ_POLLIN) {
			char b[64];
			if (read(0, b, sizeof b) <= 0)
				break;
		}
	}
	qf_bus_producer_destroy(&f.prod);
	zmq_ctx_term(z);
	qf_store_destroy(&s);
	return 0;
}

/* ------------------------------------------------------------ http */

struct body {
	char *p;
	size_t n;
};

static size_t s_sink(char *d, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	char *np = realloc(b->p, b->n + sz * nm + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, d, sz * nm);
	b->n += sz * nm;
	b->p[b->n] = 0;
	return sz * nm;
}

static int s_b64_hash(json_t *s, uint8_t out[32])
{
	const char *t = json_string_value(s);
	size_t l;
	return !t || qf_b64_decode(t, strlen(t), out, 32, &l) || l != 32;
}

static int s_http(const char *url, uint64_t size, uint64_t k)
{
	CURL *c = curl_easy_init();
	uint64_t x = 88172645463325252ULL;
	unsigned bad = 0;
	double t0 = s_now();
	for (uint64_t i = 0; i < k; i++) {
		char u[512];
		uint64_t idx = s_rand(&x) % size;
		snprintf(u, sizeof u, "%s/v1/proof/inclusion?index=%llu&size=%llu", url,
			 (unsigned long long)idx, (unsigned long long)size);
		struct body b = {0};
		curl_easy_setopt(c, CURLOPT_URL, u);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_sink);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		if (curl_easy_perform(c) != CURLE_OK) {
			bad++;
			free(b.p);
			continue;
		}
		json_t *j = json_loadb(b.p ? b.p : "", b.n, 0, NULL);
		free(b.p);
		uint8_t leaf[32], root[32], proof[QF_MERKLE_MAX_PROOF][32];
		json_t *pj = json_object_get(j, "proof");
		size_t np = json_array_size(pj);
		int ok = j && np <= QF_MERKLE_MAX_PROOF &&
			 !s_b64_hash(json_object_get(j, "leaf_hash"), leaf) &&
			 !s_b64_hash(json_object_get(j, "root"), root);
		for (size_t p = 0; ok && p < np; p++)
			ok = !s_b64_hash(json_array_get(pj, p), proof[p]);
		if (!ok || qf_merkle_check_inclusion(
			       idx, size, leaf, (const uint8_t(*)[32])proof, np, root))
			bad++;
		json_decref(j);
	}
	double dt = s_now() - t0;
	printf(
	    "  over HTTP (keep-alive, one client, checked): %.0f proofs/s, %.1f us per "
	    "request, %u failed\n",
	    (double)k / dt, dt / (double)k * 1e6, bad);
	curl_easy_cleanup(c);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: audit_bench core|feed|http ...\n");
		return 2;
	}
	const char *mode = argv[1], *dir = NULL, *pub = NULL, *replay = NULL, *url = NULL,
		   *name = "intake";
	uint64_t n = 1000000, batch = 4096, k = 200000, size = 0;
	static const struct option longs[] = {
	    {"dir", 1, 0, 'd'},	  {"leaves", 1, 0, 'n'}, {"events", 1, 0, 'n'},
	    {"batch", 1, 0, 'b'}, {"proofs", 1, 0, 'k'}, {"count", 1, 0, 'k'},
	    {"pub", 1, 0, 'p'},	  {"replay", 1, 0, 'r'}, {"url", 1, 0, 'u'},
	    {"size", 1, 0, 's'},  {"name", 1, 0, 'N'},	 {0, 0, 0, 0}};
	int ch;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			batch = strtoull(optarg, NULL, 10);
			break;
		case 'k':
			k = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			pub = optarg;
			break;
		case 'r':
			replay = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 's':
			size = strtoull(optarg, NULL, 10);
			break;
		case 'N':
			name = optarg;
			break;
		default:
			return 2;
		}
	}
	if (qf_id_init())
		return 1;
	if (!strcmp(mode, "core") && dir && n > 1 && batch > 0)
		return s_core(dir, n, batch, k);
	if (!strcmp(mode, "feed") && dir && pub && replay)
		return s_feed(dir, pub, replay, n, name);
	if (!strcmp(mode, "http") && url && size > 0)
		return s_http(url, size, k);
	fprintf(stderr, "audit_bench: bad arguments for %s\n", mode);
	return 2;
}
