/* qf_metrics.c: a small Prometheus registry (qf_metrics.h).
 * Metrics live in a linked list guarded by a mutex for creation and
 * rendering; values are C11 atomics so updates take no lock. Doubles are
 * stored as integer micro-units so that atomic add works everywhere. */
#include "qf_metrics.h"
#include "qf_err.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 14
static const double s_bounds[NBUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
					   0.005,  0.01,    0.025,  0.05,  0.1,
					   0.25,   0.5,     1.0,    5.0};

struct qf_metric {
	struct qf_metric *next;
	enum qf_metric_type type;
	char *name, *help, *labels;
	_Atomic int64_t micro; /* counter/gauge value, histogram sum, x 1e6 */
	_Atomic uint64_t count;
	_Atomic uint64_t buckets[NBUCKETS];
	qf_gauge_fn fn;
	void *fn_arg;
};

struct qf_metrics {
	pthread_mutex_t lock;
	struct qf_metric *head, *tail;
};

int qf_metrics_new(struct qf_metrics **out)
{
	struct qf_metrics *m = calloc(1, sizeof *m);
	if (!m)
		return QF_ERR_NOMEM;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

void qf_metrics_destroy(struct qf_metrics **mp)
{
	if (!mp || !*mp)
		return;
	struct qf_metrics *m = *mp;
	for (struct qf_metric *x = m->head, *n; x; x = n) {
		n = x->next;
		free(x->name);
		free(x->help);
		free(x->labels);
		free(x);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
	*mp = NULL;
}

static int s_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static struct qf_metric *s_get(struct qf_metrics *m, enum qf_metric_type t,
			       const char *name, const char *help,
			       const char *labels)
{
	if (!m)
		return NULL;
	pthread_mutex_lock(&m->lock);
	struct qf_metric *x;
	for (x = m->head; x; x = x->next)
		if (x->type == t && strcmp(x->name, name) == 0 && s_same(x->labels, labels))
			goto out;
	x = calloc(1, sizeof *x);
	if (!x)
		goto out;
	x->type = t;
	x->name = strdup(name);
	x->help = strdup(help ? help : name);
	x->labels = strdup(labels ? labels : "");
	if (!x->name || !x->help || !x->labels) {
		free(x->name);
		free(x->help);
		free(x->labels);
		free(x);
		x = NULL;
		goto out;
	}
	if (m->tail)
		m->tail->next = x;
	else
		m->head = x;
	m->tail = x;
out:
	pthread_mutex_unlock(&m->lock);
	return x;
}

struct qf_metric *qf_metrics_counter(struct qf_metrics *m, const char *name,
				     const char *help, const char *labels)
{
	return s_get(m, QF_COUNTER, name, help, labels);
}

struct qf_metric *qf_metrics_gauge(struct qf_metrics *m, const char *name,
				   const char *help, const char *labels)
{
	return s_get(m, QF_GAUGE, name, help, labels);
}

struct qf_metric *qf_metrics_histogram(struct qf_metrics *m, const char *name,
				       const char *help, const char *labels)
{
	return s_get(m, QF_HISTOGRAM, name, help, labels);
}

static int s_fn(struct qf_metrics *m, enum qf_metric_type t, const char *name,
		const char *help, const char *labels, qf_gauge_fn fn, void *arg);

int qf_metrics_gauge_fn(struct qf_metrics *m, const char *name, const char *help,
			const char *labels, qf_gauge_fn fn, void *arg)
{
	return s_fn(m, QF_GAUGE, name, help, labels, fn, arg);
}

int qf_metrics_counter_fn(struct qf_metrics *m, const char *name, const char *help,
			  const char *labels, qf_gauge_fn fn, void *arg)
{
	return s_fn(m, QF_COUNTER, name, help, labels, fn, arg);
}

static int s_fn(struct qf_metrics *m, enum qf_metric_type t, const char *name,
		const char *help, const char *labels, qf_gauge_fn fn, void *arg)
{
	struct qf_metric *g = s_get(m, t, name, help, labels);
	if (!g)
		return QF_ERR_NOMEM;
	pthread_mutex_lock(&m->lock);
	g->fn = fn;
	g->fn_arg = arg;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void qf_metric_inc(struct qf_metric *c)
{
	if (c)
		atomic_fetch_add(&c->micro, 1000000);
}

void qf_metric_add(struct qf_metric *c, double v)
{
	if (c)
		atomic_fetch_add(&c->micro, (int64_t)(v * 1e6));
}

void qf_metric_set(struct qf_metric *g, double v)
{
	if (g)
		atomic_store(&g->micro, (int64_t)(v * 1e6));
}

double qf_metric_value(const struct qf_metric *c)
{
	return c ? (double)atomic_load(&((struct qf_metric *)c)->micro) / 1e6 : 0;
}

void qf_metric_observe(struct qf_metric *h, double seconds)
{
	if (!h)
		return;
	atomic_fetch_add(&h->micro, (int64_t)(seconds * 1e6));
	atomic_fetch_add(&h->count, 1);
	for (int i = 0; i < NBUCKETS; i++)
		if (seconds <= s_bounds[i]) {
			atomic_fetch_add(&h->buckets[i], 1);
			break;
		}
}

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void s_put(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void s_put(struct sbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		size_t nc = b->cap * 2 + (size_t)k;
		char *np = realloc(b->p, nc);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
}

static const char *s_tname(enum qf_metric_type t)
{
	return t == QF_COUNTER ? "counter" : t == QF_GAUGE ? "gauge" : "histogram";
}

char *qf_metrics_render(struct qf_metrics *m, size_t *len)
{
	struct sbuf b = {malloc(4096), 0, 4096, 0};
	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	pthread_mutex_lock(&m->lock);
	/* one group per name (HELP, TYPE, then every sample of that name), in
	   the order names were first registered, as the text format asks */
	for (struct qf_metric *g = m->head; g; g = g->next) {
		int seen = 0;
		for (struct qf_metric *y = m->head; y != g && !seen; y = y->next)
			seen = strcmp(y->name, g->name) == 0;
		if (seen)
			continue;
		s_put(&b, "# HELP %s %s\n# TYPE %s %s\n", g->name, g->help, g->name,
		      s_tname(g->type));
	for (struct qf_metric *x = g; x; x = x->next) {
		if (strcmp(x->name, g->name) != 0)
			continue;
		const char *l = x->labels;
		if (x->type == QF_HISTOGRAM) {
			uint64_t cum = 0;
			for (int i = 0; i < NBUCKETS; i++) {
				cum += atomic_load(&x->buckets[i]);
				s_put(&b, "%s_bucket{%s%sle=\"%g\"} %llu\n", x->name, l,
				      *l ? "," : "", s_bounds[i], (unsigned long long)cum);
			}
			uint64_t cnt = atomic_load(&x->count);
			s_put(&b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", x->name, l,
			      *l ? "," : "", (unsigned long long)cnt);
			s_put(&b, "%s_sum%s%s%s %.6f\n", x->name, *l ? "{" : "", l,
			      *l ? "}" : "", (double)atomic_load(&x->micro) / 1e6);
			s_put(&b, "%s_count%s%s%s %llu\n", x->name, *l ? "{" : "", l,
			      *l ? "}" : "", (unsigned long long)cnt);
		} else {
			double v = x->fn ? x->fn(x->fn_arg)
					 : (double)atomic_load(&x->micro) / 1e6;
			if (v == (double)(long long)v && v < 1e15 && v > -1e15)
				s_put(&b, "%s%s%s%s %lld\n", x->name, *l ? "{" : "", l,
				      *l ? "}" : "", (long long)v);
			else
				s_put(&b, "%s%s%s%s %.9g\n", x->name, *l ? "{" : "", l,
				      *l ? "}" : "", v);
		}
	}
	}
	pthread_mutex_unlock(&m->lock);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.n;
	return b.p;
}
