/* cmd_watch.c: `qfctl watch`: subscribe to any set of producers and print
 * every event decoded, one line each, live; --from-start replays history
 * first. It is a real bus consumer (gaps healed by replay, order kept per
 * partition), with its checkpoints in a throw-away store, so what it prints
 * is complete: what a monitoring dashboard or an operator relies on.
 *
 * With CURVE on (deployments across hosts), give this watcher's key pair
 * with --curve PREFIX (PREFIX.pub / PREFIX.key from `qfctl keygen --out`;
 * its public key must be in each producer's allow file) and each source's
 * server key as SOURCE@KEYFILE.
 *
 * --public ENDPOINT subscribes to the audit service's public event stream
 * instead (public parts only, no key, no consumer state): every leaf the log
 * commits, with its index, live. With --url URL (the audit service) the
 * leaves it misses (PUB drops, or published before it connected since the
 * first one it saw) are read from GET /v1/leaves/<index>, so what it prints
 * has no holes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_event.h"
#include "qf_note.h"
#include "qf_svc.h"
#include "http.h"
#include "qfctl.h"

static const struct {
	const char *name;
	int pub;
} s_defaults[] = {{"intake", 5551},   {"router", 5561}, {"notifier", 5571},
		  {"disclosure", 5581}, {"disclosure-publisher", 5581},
		  {"audit", 5591}};

int qfctl_endpoints(const char *spec, char *pub, char *replay, unsigned n)
{
	for (size_t i = 0; i < sizeof s_defaults / sizeof s_defaults[0]; i++)
		if (!strcmp(spec, s_defaults[i].name)) {
			snprintf(pub, n, "tcp://127.0.0.1:%d", s_defaults[i].pub);
			snprintf(replay, n, "tcp://127.0.0.1:%d", s_defaults[i].pub + 1);
			return 0;
		}
	const char *comma = strchr(spec, ',');
	if (comma) {
		snprintf(pub, n, "%.*s", (int)(comma - spec), spec);
		snprintf(replay, n, "%s", comma + 1);
		return 0;
	}
	const char *colon = strrchr(spec, ':');
	if (strncmp(spec, "tcp://", 6) || !colon || colon < spec + 6) {
		fprintf(stderr,
			"qfctl: '%s' is not a service name, tcp://host:port or pub,replay\n",
			spec);
		return -1;
	}
	int port = atoi(colon + 1);
	if (port <= 0 || port >= 65535) {
		fprintf(stderr, "qfctl: bad port in '%s'\n", spec);
		return -1;
	}
	snprintf(pub, n, "%s", spec);
	snprintf(replay, n, "%.*s:%d", (int)(colon - spec), spec, port + 1);
	return 0;
}

struct watch {
	int json;
	int ntypes;
	int types[64];
	uint64_t printed, pending_count;
	uint64_t limit;
	char *out; /* lines of the current transaction, printed at commit */
	size_t len, cap;
};

/* Output goes out only when the batch's transaction commits: if the store
 * retries the batch (map growth), nothing is printed twice. */
static void s_flush(void *arg, uint64_t data)
{
	(void)data;
	struct watch *w = arg;
	if (w->len)
		fwrite(w->out, 1, w->len, stdout);
	fflush(stdout);
	w->printed += w->pending_count;
	w->len = 0;
	w->pending_count = 0;
}

static void s_discard(void *arg, uint64_t data)
{
	(void)data;
	struct watch *w = arg;
	w->len = 0;
	w->pending_count = 0;
}

static void s_append(struct watch *w, const char *line)
{
	size_t n = strlen(line);
	if (w->len + n + 2 > w->cap) {
		size_t nc = (w->cap + n + 2) * 2;
		char *np = realloc(w->out, nc);
		if (!np)
			return;
		w->out = np;
		w->cap = nc;
	}
	memcpy(w->out + w->len, line, n);
	w->len += n;
	w->out[w->len++] = '\n';
	w->pending_count++;
}

static int s_print(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	struct watch *w = app;
	if (qf_txn_on_commit(t, s_flush, w, 0) || qf_txn_on_abort(t, s_discard, w, 0))
		return QF_ERR_NOMEM;
	const Qingfeng__V1__Envelope *e = m->env;
	if (w->ntypes) {
		int ok = 0;
		for (int i = 0; i < w->ntypes; i++)
			ok |= w->types[i] == (int)e->type;
		if (!ok)
			return QF_OK;
	}
	if (w->limit && w->printed + w->pending_count >= w->limit)
		return QF_OK;
	json_t *j = qf_event_json_full(e, m->priv, m->priv_len);
	if (w->json) {
		char *s = json_dumps(j, JSON_COMPACT);
		s_append(w, s ? s : "{}");
		free(s);
	} else {
		char ts[32];
		qf_time_fmt(e->time_ms, 0, ts, sizeof ts);
		const char *tn = qf_event_type_name(e->type);
		json_t *p = json_object_get(j, "payload");
		char *ps = p ? json_dumps(p, JSON_COMPACT) : NULL;
		char *line = NULL;
		if (asprintf(&line, "%s %s p%u #%llu %s%s%s %s", ts, e->producer, e->partition,
			     (unsigned long long)e->seq, tn ? tn : "UNKNOWN",
			     e->case_id[0] ? " case=" : "", e->case_id, ps ? ps : "") > 0)
			s_append(w, line);
		free(line);
		free(ps);
	}
	json_decref(j);
	return QF_OK;
}

static int s_incarnation(void *app, struct qf_txn *t, const char *producer,
			 uint64_t old_epoch, uint64_t new_epoch)
{
	(void)app;
	(void)t;
	fprintf(stderr,
		"qfctl watch: WARNING producer %s has a new incarnation (epoch %016llx -> "
		"%016llx): its store was wiped or replaced\n",
		producer, (unsigned long long)old_epoch, (unsigned long long)new_epoch);
	return QF_OK;
}

/* The first 40-character word of a key file (Z85; '#' is part of keys). */
static int s_read_z85(const char *path, char out[41])
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "qfctl watch: cannot read key file %s\n", path);
		return -1;
	}
	char line[256];
	int ok = 0;
	while (!ok && fgets(line, sizeof line, f)) {
		size_t l = strcspn(line, " \t\r\n");
		if (l == 40) {
			memcpy(out, line, 40);
			out[40] = '\0';
			ok = 1;
		}
	}
	fclose(f);
	if (!ok)
		fprintf(stderr, "qfctl watch: %s holds no 40-character Z85 key\n", path);
	return ok ? 0 : -1;
}

static void s_rmtree(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

/* ------------------------------------------------------------ public */

struct pubwatch {
	struct watch *w;
	struct qfctl_http http; /* --url: fill gaps */
	int fill;
	int started;
	uint64_t next;	 /* the next leaf index expected */
	uint64_t filled; /* leaves read over HTTP */
};

/* Print one leaf (the envelope bytes); filled: read over HTTP. */
static void s_pub_print(struct pubwatch *pw, uint64_t index, const uint8_t *d, size_t l,
			int filled)
{
	struct watch *w = pw->w;
	Qingfeng__V1__Envelope *e = qf_bus_decode(d, l);
	if (!e) {
		fprintf(stderr, "qfctl watch: leaf %llu is not an envelope\n",
			(unsigned long long)index);
		return;
	}
	int ok = !w->ntypes;
	for (int i = 0; i < w->ntypes; i++)
		ok |= w->types[i] == (int)e->type;
	if (ok && (!w->limit || w->printed < w->limit)) {
		json_t *j = qf_event_json(e);
		json_object_set_new(j, "leaf_index", json_integer((json_int_t)index));
		if (filled)
			json_object_set_new(j, "filled", json_true());
		if (w->json) {
			char *b64 = qf_b64_encode(d, l);
			json_object_set_new(j, "data", b64 ? json_string(b64) : json_null());
			free(b64);
			char *s = json_dumps(j, JSON_COMPACT);
			printf("%s\n", s ? s : "{}");
			free(s);
		} else {
			char ts[32];
			qf_time_fmt(e->time_ms, 0, ts, sizeof ts);
			const char *tn = qf_event_type_name(e->type);
			char *ps = json_dumps(json_object_get(j, "payload"), JSON_COMPACT);
			printf("%s leaf=%llu %s p%u #%llu %s%s%s %s\n", ts,
			       (unsigned long long)index, e->producer, e->partition,
			       (unsigned long long)e->seq, tn ? tn : "UNKNOWN",
			       e->case_id[0] ? " case=" : "", e->case_id, ps ? ps : "");
			free(ps);
		}
		fflush(stdout);
		json_decref(j);
		w->printed++;
	}
	qingfeng__v1__envelope__free_unpacked(e, NULL);
}

/* Leaves [from, to) over HTTP. Returns 0, or -1 when one cannot be read. */
static int s_pub_fill(struct pubwatch *pw, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to && !qf_svc_stop_flag; i++) {
		char path[64];
		long st;
		snprintf(path, sizeof path, "/v1/leaves/%llu", (unsigned long long)i);
		json_t *j = qfctl_http_get_json(&pw->http, path, &st);
		const char *b64 = json_string_value(json_object_get(j, "data"));
		size_t cap = b64 ? strlen(b64) : 0, n = 0;
		uint8_t *d = b64 ? malloc(cap + 1) : NULL;
		if (st != 200 || !d || qf_b64_decode(b64, cap, d, cap + 1, &n)) {
			fprintf(stderr, "qfctl watch: cannot read leaf %llu (HTTP %ld)\n",
				(unsigned long long)i, st);
			free(d);
			json_decref(j);
			return -1;
		}
		s_pub_print(pw, i, d, n, 1);
		pw->filled++;
		free(d);
		json_decref(j);
	}
	return 0;
}

static void s_pub_message(struct pubwatch *pw, zmq_msg_t *parts, int n)
{
	if (n != 3 || zmq_msg_size(&parts[0]) != 1 ||
	    *(const char *)zmq_msg_data(&parts[0]) != 'L' || zmq_msg_size(&parts[1]) != 8) {
		fprintf(stderr, "qfctl watch: ignored a malformed message\n");
		return;
	}
	uint64_t index = qf_be64_get(zmq_msg_data(&parts[1]));
	if (pw->started && index < pw->next)
		return; /* already printed (filled over HTTP) */
	if (pw->started && index > pw->next) {
		if (!pw->fill || s_pub_fill(pw, pw->next, index))
			fprintf(stderr, "qfctl watch: missed leaves %llu..%llu%s\n",
				(unsigned long long)pw->next, (unsigned long long)index - 1,
				pw->fill ? "" : " (--url URL reads them)");
	}
	pw->started = 1;
	pw->next = index + 1;
	s_pub_print(pw, index, zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]), 0);
}

static int s_watch_public(struct watch *w, const char *endpoint, const char *url,
			  int timeout_ms)
{
	struct pubwatch pw = {.w = w};
	if (url) {
		if (qfctl_http_open(&pw.http, url, "qfctl watch"))
			return 2;
		pw.fill = 1;
	}
	qf_svc_signals();
	void *zctx = zmq_ctx_new();
	void *sub = zmq_socket(zctx, ZMQ_SUB);
	int linger = 0, rc = 0;
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "L", 1);
	if (zmq_connect(sub, endpoint)) {
		fprintf(stderr, "qfctl watch: %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
		rc = 2;
		goto out;
	}
	int64_t end = timeout_ms ? qf_mono_ms() + timeout_ms : 0;
	while (!qf_svc_stop_flag && (!w->limit || w->printed < w->limit) &&
	       (!end || qf_mono_ms() < end)) {
		zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 200) <= 0 || !(it.revents & ZMQ_POLLIN))
			continue;
		zmq_msg_t parts[4];
		int n = 0, more = 1;
		while (more) {
			zmq_msg_t m;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, sub, 0) < 0) {
				zmq_msg_close(&m);
				break;
			}
			more = zmq_msg_more(&m);
			if (n < 4)
				parts[n++] = m;
			else
				zmq_msg_close(&m);
		}
		s_pub_message(&pw, parts, more ? 0 : n);
		for (int i = 0; i < n; i++)
			zmq_msg_close(&parts[i]);
	}
	if (pw.filled)
		fprintf(stderr, "qfctl watch: %llu leaves read over HTTP to fill gaps\n",
			(unsigned long long)pw.filled);
out:
	zmq_close(sub);
	zmq_ctx_term(zctx);
	if (pw.fill)
		qfctl_http_close(&pw.http);
	return rc;
}

int qfctl_watch(int argc, char **argv)
{
	static const struct option longs[] = {{"from-start", 0, 0, 'f'},
					      {"json", 0, 0, 'j'},
					      {"type", 1, 0, 't'},
					      {"count", 1, 0, 'n'},
					      {"timeout", 1, 0, 'T'},
					      {"curve", 1, 0, 'c'},
					      {"public", 1, 0, 'P'},
					      {"url", 1, 0, 'u'},
					      {"help", 0, 0, 'h'},
					      {0, 0, 0, 0}};
	struct watch w = {0};
	int from_start = 0, timeout_ms = 0;
	const char *curve_prefix = NULL, *public_ep = NULL, *url = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from_start = 1;
			break;
		case 'j':
			w.json = 1;
			break;
		case 'n':
			w.limit = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			curve_prefix = optarg;
			break;
		case 'P':
			public_ep = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'T':
			timeout_ms = atoi(optarg) * 1000;
			break;
		case 't': {
			char *list = strdup(optarg), *save = NULL;
			for (char *tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int ty = qf_event_type_parse(tok);
				if (ty < 0 || w.ntypes >= 64) {
					fprintf(stderr, "qfctl watch: unknown event type '%s'\n", tok);
					free(list);
					return 2;
				}
				w.types[w.ntypes++] = ty;
			}
			free(list);
			break;
		}
		case 'h':
			printf("usage: qfctl watch [--from-start] [--json] [--type T,...] "
			       "[--count N] [--timeout S] [--curve PREFIX] SOURCE[@SERVER_KEY]...\n"
			       "  SOURCE: intake, router, notifier, disclosure, audit (default\n"
			       "  loopback ports), tcp://host:pubport (replay = port+1), or\n"
			       "  tcp://host:pub,tcp://host:replay\n"
			       "  --curve PREFIX: this watcher's CURVE keys (PREFIX.pub, PREFIX.key);\n"
			       "  then each SOURCE needs @FILE, the producer's public key file\n"
			       "usage: qfctl watch --public ENDPOINT [--url URL] [--json] [--type T,...]\n"
			       "                   [--count N] [--timeout S]\n"
			       "  the audit service's public event stream (public parts, no key):\n"
			       "  every leaf, live, with its index; --url (the audit service)\n"
			       "  reads missed leaves from /v1/leaves\n");
			return 0;
		default:
			return 2;
		}
	}
	if (public_ep || url) {
		if (!public_ep || optind < argc || curve_prefix || from_start) {
			fprintf(stderr, "qfctl watch: --public ENDPOINT takes no SOURCE, "
					"--curve or --from-start (it is live and keyless); "
					"--url needs --public\n");
			return 2;
		}
		int rc = s_watch_public(&w, public_ep, url, timeout_ms);
		free(w.out);
		return rc;
	}
	int nsrc = argc - optind;
	if (nsrc <= 0 || nsrc > QF_SVC_MAX_SOURCES) {
		fprintf(stderr, "qfctl watch: give 1..%d sources (qfctl watch --help)\n",
			QF_SVC_MAX_SOURCES);
		return 2;
	}
	struct qf_bus_source src[QF_SVC_MAX_SOURCES];
	char pub[QF_SVC_MAX_SOURCES][256], rep[QF_SVC_MAX_SOURCES][256];
	char skey[QF_SVC_MAX_SOURCES][41];
	char cpub[41], csec[41], path[4096];
	struct qf_bus_curve curve = {cpub, csec, NULL};
	if (curve_prefix) {
		snprintf(path, sizeof path, "%s.pub", curve_prefix);
		if (s_read_z85(path, cpub))
			return 2;
		snprintf(path, sizeof path, "%s.key", curve_prefix);
		if (s_read_z85(path, csec))
			return 2;
	}
	for (int i = 0; i < nsrc; i++) {
		char spec[512];
		snprintf(spec, sizeof spec, "%s", argv[optind + i]);
		char *at = strchr(spec, '@');
		if (at)
			*at++ = '\0';
		if (!at != !curve_prefix) {
			fprintf(stderr, "qfctl watch: %s: with --curve every source needs "
					"@SERVER_KEY_FILE, and @ needs --curve\n", argv[optind + i]);
			return 2;
		}
		if (qfctl_endpoints(spec, pub[i], rep[i], 256))
			return 2;
		if (at && s_read_z85(at, skey[i]))
			return 2;
		src[i] = (struct qf_bus_source){pub[i], rep[i], at ? skey[i] : NULL};
	}
	char dir[] = "/tmp/qfctl-watch-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("qfctl watch: mkdtemp");
		return 1;
	}
	qf_svc_signals();
	char err[512];
	struct qf_store *store = NULL;
	struct qf_store_opts so = {.path = dir, .no_sync = 1};
	int rc = 1;
	if (qf_store_open(&store, &so, err, sizeof err)) {
		fprintf(stderr, "qfctl watch: %s\n", err);
		goto out;
	}
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *zctx = zmq_ctx_new();
	struct qf_bus_consumer_opts co = {.name = "qfctl-watch", .sources = src,
					  .nsources = (unsigned)nsrc, .from_end = !from_start,
					  .curve = curve_prefix ? &curve : NULL,
					  .apply = s_print, .on_incarnation = s_incarnation,
					  .app = &w};
	struct qf_bus_consumer *c = NULL;
	if (qf_bus_consumer_new(&c, zctx, store, &clock, &co, err, sizeof err)) {
		fprintf(stderr, "qfctl watch: %s\n", err);
		zmq_ctx_term(zctx);
		goto out;
	}
	int64_t end = timeout_ms ? qf_mono_ms() + timeout_ms : 0;
	while (!qf_svc_stop_flag && (!w.limit || w.printed < w.limit) &&
	       (!end || qf_mono_ms() < end)) {
		zmq_pollitem_t items[2 * QF_SVC_MAX_SOURCES];
		int ni = qf_bus_consumer_pollitems(c, items, 2 * QF_SVC_MAX_SOURCES);
		int t = qf_bus_consumer_tick(c);
		zmq_poll(items, ni, t > 200 ? 200 : t);
		int a = qf_bus_consumer_process(c);
		if (a < 0)
			fprintf(stderr, "qfctl watch: %s\n", qf_strerror(a));
	}
	rc = 0;
	free(w.out);
	qf_bus_consumer_destroy(&c);
	zmq_ctx_term(zctx);
out:
	qf_store_destroy(&store);
	s_rmtree(dir);
	return rc;
}
