/* replay_drain: the peer of every "replica rebuild" figure. A fresh qf_bus
 * consumer with an apply that does nothing catches up on the given sources
 * through the real bus (STATUS, paged FETCH, durable checkpoints in synced
 * transactions), exactly as a service's consumer does, so its rate is what
 * the bus delivers to a replica: the ceiling a service's own apply is
 * measured against, in the same run, on the same events.
 *
 *   replay_drain --dir D --source PUB,REPLAY [--source ...] --until N
 *                [--public-only] [--series FILE]
 *
 * Prints one JSON line: events, seconds, events_per_s, cpu_s (this
 * process's user+system time). --series writes "seconds applied" every
 * 100 ms, for the rebuild-over-time plot.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "qf_bus.h"
#include "qf_clock.h"
#include "qf_err.h"
#include "qf_id.h"
#include "qf_store.h"

#define MAX_SOURCES 8

static int s_apply(void *app, struct qf_txn *t, const struct qf_bus_msg *m)
{
	(void)app;
	(void)t;
	(void)m;
	return QF_OK; /* the checkpoint in the same transaction is the effect */
}

static double s_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *series = NULL;
	static char pubs[MAX_SOURCES][256], reps[MAX_SOURCES][256];
	struct qf_bus_source src[MAX_SOURCES];
	unsigned nsrc = 0;
	long long until = 0;
	int public_only = 0;
	static const struct option longs[] = {
	    {"dir", 1, 0, 'd'},		{"source", 1, 0, 's'}, {"until", 1, 0, 'u'},
	    {"public-only", 0, 0, 'p'}, {"series", 1, 0, 'S'}, {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's': {
			const char *comma = strchr(optarg, ',');
			if (nsrc == MAX_SOURCES || !comma ||
			    (size_t)(comma - optarg) >= 256 || strlen(comma + 1) >= 256)
				return 2;
			memcpy(pubs[nsrc], optarg, (size_t)(comma - optarg));
			pubs[nsrc][comma - optarg] = '\0';
			snprintf(reps[nsrc], 256, "%s", comma + 1);
			src[nsrc] =
			    (struct qf_bus_source){pubs[nsrc], reps[nsrc], NULL, NULL, 0};
			nsrc++;
			break;
		}
		case 'u':
			until = strtoll(optarg, NULL, 10);
			break;
		case 'p':
			public_only = 1;
			break;
		case 'S':
			series = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!dir || !nsrc || until <= 0 || qf_id_init()) {
		fprintf(stderr,
			"usage: replay_drain --dir D --source PUB,REPLAY ... --until N "
			"[--public-only] [--series FILE]\n");
		return 2;
	}
	struct qf_clock clock;
	qf_clock_init_real(&clock);
	void *z = zmq_ctx_new();
	struct qf_store *st;
	char err[256];
	struct qf_store_opts so = {.path = dir, .map_size = (size_t)256 << 20};
	if (qf_store_open(&st, &so, err, sizeof err)) {
		fprintf(stderr, "replay_drain: %s\n", err);
		return 1;
	}
	struct qf_bus_consumer_opts co = {.name = "drain",
					  .sources = src,
					  .nsources = nsrc,
					  .public_only = public_only,
					  .apply = s_apply};
	struct qf_bus_consumer *c;
	if (qf_bus_consumer_new(&c, z, st, &clock, &co, err, sizeof err)) {
		fprintf(stderr, "replay_drain: %s\n", err);
		return 1;
	}
	FILE *sf = series ? fopen(series, "w") : NULL;
	double t0 = (double)qf_mono_ns() / 1e9, c0 = s_cpu(), next = 0;
	uint64_t applied = 0;
	while (applied < (uint64_t)until) {
		zmq_pollitem_t it[2 * MAX_SOURCES];
		int n = qf_bus_consumer_pollitems(c, it, 2 * MAX_SOURCES);
		int tmo = qf_bus_consumer_tick(c);
		zmq_poll(it, n, tmo > 50 ? 50 : tmo);
		if (qf_bus_consumer_process(c) < 0)
			break;
		qf_bus_consumer_counts(c, &applied, NULL, NULL, NULL);
		double now = (double)qf_mono_ns() / 1e9 - t0;
		if (sf && now >= next) {
			fprintf(sf, "%.3f %llu\n", now, (unsigned long long)applied);
			next = now + 0.1;
		}
		if (now > 900) {
			fprintf(stderr, "replay_drain: gave up at %llu\n",
				(unsigned long long)applied);
			break;
		}
	}
	double secs = (double)qf_mono_ns() / 1e9 - t0, cpu = s_cpu() - c0;
	if (sf) {
		fprintf(sf, "%.3f %llu\n", secs, (unsigned long long)applied);
		fclose(sf);
	}
	printf(
	    "{\"events\":%llu,\"seconds\":%.3f,\"events_per_s\":%.0f,\"cpu_s\":%.3f}\n",
	    (unsigned long long)applied, secs, secs > 0 ? (double)applied / secs : 0,
	    cpu);
	qf_bus_consumer_destroy(&c);
	zmq_ctx_term(z);
	qf_store_destroy(&st);
	return applied >= (uint64_t)until ? 0 : 1;
}
