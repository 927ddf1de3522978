/* qf_metrics.h: counters, gauges and histograms in the Prometheus text format.
 *
 * A registry owns its metrics; a metric is found or created by (name, labels)
 * and the returned pointer stays valid until the registry is destroyed, so hot
 * paths look a metric up once and then only do atomic adds. Labels are given
 * preformatted (`route="/v1/petitions",code="201"`). Gauges may instead be
 * computed at scrape time by a callback.
 */
#ifndef QF_METRICS_H
#define QF_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct qf_metrics;
struct qf_metric;

enum qf_metric_type { QF_COUNTER, QF_GAUGE, QF_HISTOGRAM };

typedef double (*qf_gauge_fn)(void *arg);

/* Create a registry; returns 0 or QF_ERR_NOMEM. */
int qf_metrics_new(struct qf_metrics **out);
/* Destroy a registry and every metric in it; accepts NULL; sets *m = NULL. */
void qf_metrics_destroy(struct qf_metrics **m);

/* Find or create. `labels` may be NULL. The registry owns the metric; NULL
 * only when out of memory. Histograms use latency buckets in seconds. */
struct qf_metric *qf_metrics_counter(struct qf_metrics *m, const char *name,
				     const char *help, const char *labels);
struct qf_metric *qf_metrics_gauge(struct qf_metrics *m, const char *name,
				   const char *help, const char *labels);
struct qf_metric *qf_metrics_histogram(struct qf_metrics *m, const char *name,
				       const char *help, const char *labels);
/* A gauge (or counter) computed at scrape time by fn(arg). */
int qf_metrics_gauge_fn(struct qf_metrics *m, const char *name, const char *help,
			const char *labels, qf_gauge_fn fn, void *arg);
int qf_metrics_counter_fn(struct qf_metrics *m, const char *name, const char *help,
			  const char *labels, qf_gauge_fn fn, void *arg);

/* Updates; all accept NULL (then do nothing) and are thread-safe. */
void qf_metric_inc(struct qf_metric *c);
void qf_metric_add(struct qf_metric *c, double v);
void qf_metric_set(struct qf_metric *g, double v);
void qf_metric_observe(struct qf_metric *h, double seconds);
double qf_metric_value(const struct qf_metric *c);

/* Render the whole registry; returns a malloc'd NUL-terminated string the
 * caller frees, length in *len (may be NULL), or NULL when out of memory. */
char *qf_metrics_render(struct qf_metrics *m, size_t *len);

#endif
