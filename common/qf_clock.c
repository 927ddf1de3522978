/* qf_clock.c: real and fake clocks, and RFC 3339 formatting (qf_clock.h). */
#include "qf_clock.h"
#include "qf_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t s_real_now(struct qf_clock *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + c->offset_ms;
}

static int64_t s_fake_now(struct qf_clock *c)
{
	return c->fake_ms;
}

void qf_clock_init_real(struct qf_clock *c)
{
	c->now_ms = s_real_now;
	c->fake_ms = 0;
	c->offset_ms = 0;
}

void qf_clock_init_fake(struct qf_clock *c, int64_t start_ms)
{
	c->now_ms = s_fake_now;
	c->fake_ms = start_ms;
	c->offset_ms = 0;
}

void qf_clock_advance(struct qf_clock *c, int64_t delta_ms)
{
	if (c->now_ms == s_fake_now)
		c->fake_ms += delta_ms;
}

void qf_clock_from_env(struct qf_clock *c)
{
	qf_clock_init_real(c);
	const char *off = getenv("QF_CLOCK_OFFSET_MS");
	if (off && *off)
		c->offset_ms = strtoll(off, NULL, 10);
}

int64_t qf_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t qf_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *qf_time_fmt(int64_t ms, int tz_offset_min, char *buf, unsigned n)
{
	time_t t = (time_t)((ms - ((ms % 1000 + 1000) % 1000)) / 1000) +
		   (time_t)tz_offset_min * 60;
	struct tm tm;
	gmtime_r(&t, &tm);
	if (tz_offset_min == 0) {
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	} else {
		int a = tz_offset_min < 0 ? -tz_offset_min : tz_offset_min;
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, tz_offset_min < 0 ? '-' : '+', a / 60,
			 a % 60);
	}
	return buf;
}

static int s_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int qf_time_parse(const char *s, int tz_offset_min, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
	if (!s || strlen(s) < 10 || s_digits(s, 4, &y) || s[4] != '-' ||
	    s_digits(s + 5, 2, &mo) || s[7] != '-' || s_digits(s + 8, 2, &d))
		return QF_ERR_INVAL;
	const char *p = s + 10;
	int off = tz_offset_min;
	if (*p == 'T' || *p == ' ') {
		if (strlen(p) < 9 || s_digits(p + 1, 2, &h) || p[3] != ':' ||
		    s_digits(p + 4, 2, &mi) || p[6] != ':' || s_digits(p + 7, 2, &se))
			return QF_ERR_INVAL;
		p += 9;
		if (*p == '.') {
			p++;
			int k = 0, frac = 0;
			while (*p >= '0' && *p <= '9') {
				if (k < 3) {
					frac = frac * 10 + (*p - '0');
					k++;
				}
				p++;
			}
			if (k == 0)
				return QF_ERR_INVAL;
			while (k++ < 3)
				frac *= 10;
			ms = frac;
		}
		if (*p == 'Z' || *p == 'z') {
			off = 0;
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			if (strlen(p) < 6 || s_digits(p + 1, 2, &oh) || p[3] != ':' ||
			    s_digits(p + 4, 2, &om))
				return QF_ERR_INVAL;
			off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
			p += 6;
		}
	}
	if (*p != '\0')
		return QF_ERR_INVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return QF_ERR_INVAL;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d > mdays[mo - 1])
		return QF_ERR_INVAL;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return QF_ERR_INVAL;
	/* days from civil (Howard Hinnant's algorithm) */
	int yy = y - (mo <= 2);
	int era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
	*out = ((days * 86400 + h * 3600 + mi * 60 + se) - (int64_t)off * 60) * 1000 + ms;
	return QF_OK;
}
