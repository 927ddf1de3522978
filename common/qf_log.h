/* qf_log.h: one line per event, to stderr.
 *
 * Format: `2026-11-25T18:01:10.123Z level=info service=intake event=started
 * key=value ...`. Values with spaces, quotes or control characters are quoted
 * and escaped so each event stays one greppable line. This is the only module
 * of common/ that writes anything; the rest return errors to their callers.
 * The service name and minimum level are process-wide (set once in main).
 */
#ifndef QF_LOG_H
#define QF_LOG_H

#include <stdarg.h>

enum qf_log_level { QF_LOG_DEBUG = 0, QF_LOG_INFO, QF_LOG_WARN, QF_LOG_ERROR };

/* Set the service name printed on every line (copied) and the minimum level. */
void qf_log_init(const char *service, enum qf_log_level min_level);
/* Parse "debug", "info", "warn", "error"; returns -1 if unknown. */
int qf_log_level_parse(const char *s);
/* True if a line at this level would be printed. */
int qf_log_enabled(enum qf_log_level level);

/* Log one event. `kv` is a printf format producing space-separated key=value
 * pairs whose values were already escaped with qf_log_q() where needed. */
void qf_log(enum qf_log_level level, const char *event, const char *kv, ...)
	__attribute__((format(printf, 3, 4)));
void qf_logv(enum qf_log_level level, const char *event, const char *kv,
	     va_list ap);

/* Quote a value for a key=value pair: returns `s` unchanged when it is safe,
 * otherwise a quoted, escaped copy in `buf` (truncated to `n` bytes). */
const char *qf_log_q(const char *s, char *buf, unsigned n);

#define qf_debug(ev, ...) qf_log(QF_LOG_DEBUG, ev, __VA_ARGS__)
#define qf_info(ev, ...) qf_log(QF_LOG_INFO, ev, __VA_ARGS__)
#define qf_warn(ev, ...) qf_log(QF_LOG_WARN, ev, __VA_ARGS__)
#define qf_error(ev, ...) qf_log(QF_LOG_ERROR, ev, __VA_ARGS__)

#endif
