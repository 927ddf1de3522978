/* qf_log.c: key=value line logging to stderr (see qf_log.h).
 * Each line is formatted into one buffer and written with a single write(2)
 * so lines from several threads never interleave. */
#include "qf_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char s_service[64] = "qingfeng";
static enum qf_log_level s_min = QF_LOG_INFO;
static const char *const s_names[] = {"debug", "info", "warn", "error"};

void qf_log_init(const char *service, enum qf_log_level min_level)
{
	snprintf(s_service, sizeof s_service, "%s", service ? service : "qingfeng");
	s_min = min_level;
}

int qf_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, s_names[i]) == 0)
			return i;
	return -1;
}

int qf_log_enabled(enum qf_log_level level)
{
	return level >= s_min;
}

const char *qf_log_q(const char *s, char *buf, unsigned n)
{
	if (!s)
		return "\"\"";
	int safe = *s != '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			safe = 0;
	if (safe)
		return s;
	unsigned o = 0;
	if (n < 3)
		return "\"\"";
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < n; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p < ' ' || *p == 0x7f) {
			o += (unsigned)snprintf(buf + o, n - o, "\\x%02x", *p);
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void qf_logv(enum qf_log_level level, const char *event, const char *kv,
	     va_list ap)
{
	if (level < s_min || level > QF_LOG_ERROR)
		return;
	char line[4096];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line,
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s service=%s event=%s",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, s_names[level],
			 s_service, event);
	if (n < 0)
		return;
	if (kv && *kv && (size_t)n < sizeof line - 2) {
		line[n++] = ' ';
		int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, kv, ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n >= sizeof line - 1)
		n = sizeof line - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

void qf_log(enum qf_log_level level, const char *event, const char *kv, ...)
{
	va_list ap;
	va_start(ap, kv);
	qf_logv(level, event, kv, ap);
	va_end(ap);
}
