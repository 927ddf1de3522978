/* qf_clock.h: an injectable clock.
 *
 * Everything that depends on time (deadlines, warnings, retries, checkpoints)
 * asks a struct qf_clock, never time() directly, so tests drive time forward
 * without sleeping. The real clock reads CLOCK_REALTIME; a fake clock holds a
 * value the test sets. A fake clock can also be selected from outside a
 * process by the environment (see qf_clock_from_env) for integration tests.
 */
#ifndef QF_CLOCK_H
#define QF_CLOCK_H

#include <stdint.h>

struct qf_clock {
	int64_t (*now_ms)(struct qf_clock *c); /* Unix time in milliseconds */
	int64_t fake_ms;                        /* fake clocks: current value */
	int64_t offset_ms;                      /* real clocks: added to now */
};

/* Initialise a clock that reads the system time. */
void qf_clock_init_real(struct qf_clock *c);
/* Initialise a fake clock starting at `start_ms`. */
void qf_clock_init_fake(struct qf_clock *c, int64_t start_ms);
/* Advance a fake clock; no effect on a real one. */
void qf_clock_advance(struct qf_clock *c, int64_t delta_ms);
/* Initialise from the environment: QF_CLOCK_OFFSET_MS shifts a real clock
 * (integration tests of deadlines start a service "in the future"). */
void qf_clock_from_env(struct qf_clock *c);

static inline int64_t qf_now_ms(struct qf_clock *c)
{
	return c->now_ms(c);
}

/* Monotonic milliseconds for measuring intervals (never injectable). */
int64_t qf_mono_ms(void);
/* Monotonic nanoseconds, for latency histograms. */
int64_t qf_mono_ns(void);

/* Format Unix ms as RFC 3339 UTC ("2026-11-25T18:01:10Z") into buf (>= 21
 * bytes) or, with tz_offset_min, in that offset ("...+08:00", >= 26 bytes).
 * Returns buf. */
char *qf_time_fmt(int64_t ms, int tz_offset_min, char *buf, unsigned n);
/* Parse "YYYY-MM-DD" or RFC 3339 ("YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)"):
 * returns 0 and Unix ms in *out, or QF_ERR_INVAL. A bare date is midnight in
 * the given offset. */
int qf_time_parse(const char *s, int tz_offset_min, int64_t *out);

#endif
