/* qf_procmetrics.c: process_* from /proc/self (qf_procmetrics.h). */
#include "qf_procmetrics.h"
#include "qf_err.h"
#include "qf_version.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Field `field` (1-based, as in proc(5)) of /proc/self/stat, or -1. */
static double s_stat_field(int field)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name (field 2) may hold spaces: count after its ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (int i = 3; i <= field; i++) {
		while (*p == ' ')
			p++;
		if (i == field) {
			double v;
			return sscanf(p, "%lf", &v) == 1 ? v : -1;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -1;
}

static double s_cpu(void *arg)
{
	(void)arg;
	double ut = s_stat_field(14), st = s_stat_field(15);
	long tck = sysconf(_SC_CLK_TCK);
	return ut < 0 || st < 0 || tck <= 0 ? 0 : (ut + st) / (double)tck;
}

static double s_statm(int which)
{
	long pages[2] = {0, 0};
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	int ok = fscanf(f, "%ld %ld", &pages[0], &pages[1]) == 2;
	fclose(f);
	return ok ? (double)pages[which] * (double)sysconf(_SC_PAGESIZE) : 0;
}

static double s_rss(void *arg)
{
	(void)arg;
	return s_statm(1);
}

static double s_vsize(void *arg)
{
	(void)arg;
	return s_statm(0);
}

static double s_fds(void *arg)
{
	(void)arg;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	double n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own */
}

static double s_max_fds(void *arg)
{
	(void)arg;
	struct rlimit rl;
	return getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY
		   ? 0
		   : (double)rl.rlim_cur;
}

/* Boot time (btime of /proc/stat) plus the start in ticks since boot. */
static double s_start(void *arg)
{
	(void)arg;
	double ticks = s_stat_field(22);
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	if (!f || ticks < 0 || tck <= 0) {
		if (f)
			fclose(f);
		return 0;
	}
	char line[256];
	double btime = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "btime %lf", &btime) == 1)
			break;
	fclose(f);
	return btime + ticks / (double)tck;
}

static double s_one(void *arg)
{
	(void)arg;
	return 1;
}

int qf_procmetrics_register(struct qf_metrics *m, const char *service)
{
	char labels[256];
	snprintf(labels, sizeof labels, "service=\"%s\",version=\"%s\",catalogue=\"%s\"",
		 service ? service : "", QF_VERSION, QF_CATALOGUE);
	int rc = 0;
	rc |= qf_metrics_counter_fn(m, "process_cpu_seconds_total",
				    "Total user and system CPU time spent in seconds", NULL, s_cpu,
				    NULL);
	rc |= qf_metrics_gauge_fn(m, "process_resident_memory_bytes",
				  "Resident memory size in bytes", NULL, s_rss, NULL);
	rc |= qf_metrics_gauge_fn(m, "process_virtual_memory_bytes",
				  "Virtual memory size in bytes", NULL, s_vsize, NULL);
	rc |= qf_metrics_gauge_fn(m, "process_open_fds", "Number of open file descriptors",
				  NULL, s_fds, NULL);
	rc |= qf_metrics_gauge_fn(m, "process_max_fds",
				  "Maximum number of open file descriptors", NULL, s_max_fds,
				  NULL);
	rc |= qf_metrics_gauge_fn(m, "process_start_time_seconds",
				  "Start time of the process since the Unix epoch in seconds",
				  NULL, s_start, NULL);
	rc |= qf_metrics_gauge_fn(m, "qf_build_info",
				  "The running build: service, release, event catalogue", labels,
				  s_one, NULL);
	return rc ? QF_ERR_NOMEM : 0;
}
