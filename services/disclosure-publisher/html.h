/* html.h: the building blocks every page shares: the document frame (head,
 * navigation, footer), time and money formats, rates, the "question this
 * item" link and the tamper-evidence box. Every dynamic string goes through
 * qf_buf_html(); nothing here writes unescaped data. */
#ifndef DP_HTML_H
#define DP_HTML_H

#include <jansson.h>

#include "qf_buf.h"
#include "web.h"

/* Start a page; `active` names the navigation tab ("board", "affairs",
 * "roster", "stats", "live", ""). */
void html_begin(struct qf_buf *b, const struct render *r, const char *title,
		const char *active);
void html_end(struct qf_buf *b, const struct render *r);

/* Local time "2026-11-25 18:01" (community time zone); "—" for 0. */
void html_time(struct qf_buf *b, const struct render *r, int64_t ms);
/* "11-25 18:01" (the live feed's format, as its script writes it). */
void html_time_short(struct qf_buf *b, const struct render *r, int64_t ms);
/* A duration in seconds as "2小时15分" / "3天4小时". */
void html_duration(struct qf_buf *b, int64_t s);
/* A rate 0..1 as "92.3%", "—" for null. */
void html_rate(struct qf_buf *b, json_t *rate);
/* Amount in fen as "¥1,234.56" (sign kept). */
void html_money(struct qf_buf *b, int64_t fen);
/* A link to question an item (ref "case:C01..", "ledger:R1"...). */
void html_question(struct qf_buf *b, const struct render *r, const char *ref,
		   const char *label);
/* The tamper-evidence box of a snapshot record (may be NULL). */
void html_snapshot(struct qf_buf *b, const struct render *r, json_t *snap);
/* Open a box that scrolls a wide table sideways on a phone: a labelled
 * region that takes keyboard focus, so it can be scrolled without a mouse
 * (axe: scrollable-region-focusable). The caller closes it with </div>. */
void html_scroll(struct qf_buf *b, const char *label);
/* A state badge. */
void html_state(struct qf_buf *b, const char *code, const char *label);

static inline const char *html_js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}
static inline int64_t html_ji(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* ------------------------------------------------------------ svg.c */
struct svg_bar {
	const char *label; /* escaped by the chart */
	double value;	   /* rate: 0..1 */
	int has;	   /* 0: no data (drawn as a gap, labelled —) */
	const char *note;  /* right-hand text, e.g. "12/13" (may be NULL) */
};
/* Horizontal bars of rates (0..100%), one row per item. */
void svg_rate_bars(struct qf_buf *b, const char *title, const struct svg_bar *bars,
		   size_t n);
/* Daily new and resolved counts as paired columns. */
void svg_daily(struct qf_buf *b, const char *title, json_t *daily);
/* A running balance as a step line over the entries (fen). */
void svg_balance(struct qf_buf *b, const char *title, json_t *entries, int64_t opening);

#endif
