/* svg.c: the statistics and ledger charts, drawn as inline SVG (html.h).
 *
 * Charts scale with the page through viewBox, so one drawing serves a
 * phone and a desktop; colours and sizes are attributes (the page's CSP
 * allows no inline style), and every label is escaped. */
#include "html.h"

#include <stdio.h>
#include <string.h>

static void s_open(struct qf_buf *b, int w, int h, const char *title)
{
	qf_buf_printf(b,
		   "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" width=\"100%%\" "
		   "role=\"img\" aria-label=\"",
		   w, h);
	qf_buf_html(b, title);
	qf_buf_puts(b, "\" xmlns=\"http://www.w3.org/2000/svg\"><title>");
	qf_buf_html(b, title);
	qf_buf_puts(b, "</title>");
}

static void s_close(struct qf_buf *b, const char *caption)
{
	qf_buf_puts(b, "</svg><figcaption>");
	qf_buf_html(b, caption);
	qf_buf_puts(b, "</figcaption></figure>");
}

void svg_rate_bars(struct qf_buf *b, const char *title, const struct svg_bar *bars, size_t n)
{
	const int w = 480, row = 32, top = 10, label_w = 118, bar_w = 250;
	int h = top * 2 + (int)n * row + 16;
	s_open(b, w, h, title);
	/* grid: 0, 50, 100% */
	for (int g = 0; g <= 4; g++) {
		int x = label_w + bar_w * g / 4;
		qf_buf_printf(
		    b,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d8e3e0\" "
		    "stroke-width=\"1\"/>",
		    x, top, x, top + (int)n * row);
		qf_buf_printf(b,
			   "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#5b6b68\" "
			   "text-anchor=\"middle\">%d%%</text>",
			   x, top + (int)n * row + 14, g * 25);
	}
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row;
		qf_buf_printf(b,
			   "<text x=\"%d\" y=\"%d\" font-size=\"15\" fill=\"#1f2d2b\" "
			   "text-anchor=\"end\">",
			   label_w - 8, y + 20);
		qf_buf_html(b, bars[i].label);
		qf_buf_puts(b, "</text>");
		if (bars[i].has) {
			double v = bars[i].value < 0   ? 0
				   : bars[i].value > 1 ? 1
						       : bars[i].value;
			int bw = (int)(v * bar_w + 0.5);
			/* white labels inside the bar: on #0f766e 5.47:1, on
			 * #b45309 5.02:1 (was #d97706, 3.19:1), on #b91c1c 6.47:1 */
			const char *fill = v >= 0.9   ? "#0f766e"
					   : v >= 0.7 ? "#b45309"
						      : "#b91c1c";
			qf_buf_printf(
			    b,
			    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" rx=\"3\" "
			    "fill=\"%s\"/>",
			    label_w, y + 5, bw, fill);
			int inside = bw > bar_w * 3 / 5;
			qf_buf_printf(b,
				   "<text x=\"%d\" y=\"%d\" font-size=\"13\" "
				   "fill=\"%s\"%s>%.1f%%",
				   inside ? label_w + bw - 6 : label_w + bw + 6, y + 20,
				   inside ? "#ffffff" : "#1f2d2b",
				   inside ? " text-anchor=\"end\"" : "", v * 100.0);
		} else {
			qf_buf_printf(
			    b,
			    "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#5b6b68\">—",
			    label_w + 6, y + 20);
		}
		if (bars[i].note && *bars[i].note) {
			qf_buf_puts(b, " (");
			qf_buf_html(b, bars[i].note);
			qf_buf_puts(b, ")");
		}
		qf_buf_puts(b, "</text>");
	}
	s_close(b, title);
}

void svg_daily(struct qf_buf *b, const char *title, json_t *daily)
{
	size_t n = json_array_size(daily);
	if (!n)
		return;
	const int w = 480, h = 220, left = 34, bottom = 32, top = 14;
	int64_t max = 1;
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(daily, i);
		if (html_ji(d, "new") > max)
			max = html_ji(d, "new");
		if (html_ji(d, "resolved") > max)
			max = html_ji(d, "resolved");
	}
	s_open(b, w, h, title);
	int plot_w = w - left - 10, plot_h = h - top - bottom;
	double slot = (double)plot_w / (double)n;
	for (int g = 0; g <= 2; g++) {
		int y = top + plot_h - plot_h * g / 2;
		qf_buf_printf(
		    b,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d8e3e0\"/>"
		    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#5b6b68\" "
		    "text-anchor=\"end\">%lld</text>",
		    left, y, w - 10, y, left - 4, y + 4, (long long)(max * g / 2));
	}
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(daily, i);
		double x = left + slot * (double)i;
		double bw = slot * 0.4 > 1 ? slot * 0.4 : 1;
		int hn = (int)(plot_h * html_ji(d, "new") / max);
		int hr = (int)(plot_h * html_ji(d, "resolved") / max);
		qf_buf_printf(b,
			   "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			   "fill=\"#2563eb\">"
			   "<title>",
			   x + slot * 0.1, top + plot_h - hn, bw, hn);
		qf_buf_html(b, html_js(d, "date"));
		qf_buf_printf(b, " 新增 %lld</title></rect>", (long long)html_ji(d, "new"));
		qf_buf_printf(b,
			   "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			   "fill=\"#0f766e\">"
			   "<title>",
			   x + slot * 0.5, top + plot_h - hr, bw, hr);
		qf_buf_html(b, html_js(d, "date"));
		qf_buf_printf(b, " 办结 %lld</title></rect>",
			   (long long)html_ji(d, "resolved"));
		if (n <= 16 || i % ((n + 7) / 8) == 0) {
			qf_buf_printf(
			    b,
			    "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" fill=\"#5b6b68\" "
			    "text-anchor=\"middle\">",
			    x + slot / 2, h - bottom + 14);
			qf_buf_html(b, html_js(d, "date") + 5);
			qf_buf_puts(b, "</text>");
		}
	}
	qf_buf_printf(
	    b,
	    "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"#2563eb\"/>"
	    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#1f2d2b\">新增</text>"
	    "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"#0f766e\"/>"
	    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#1f2d2b\">办结</text>",
	    left, h - 12, left + 14, h - 3, left + 60, h - 12, left + 74, h - 3);
	s_close(b, title);
}

void svg_balance(struct qf_buf *b, const char *title, json_t *entries, int64_t opening)
{
	size_t n = json_array_size(entries);
	if (!n)
		return;
	const int w = 480, h = 200, left = 78, top = 14, bottom = 24;
	int64_t lo = opening, hi = opening;
	for (size_t i = 0; i < n; i++) {
		int64_t v = html_ji(json_array_get(entries, i), "balance_fen");
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (hi == lo)
		hi = lo + 100;
	s_open(b, w, h, title);
	int plot_w = w - left - 10, plot_h = h - top - bottom;
	for (int g = 0; g <= 2; g++) {
		int y = top + plot_h - plot_h * g / 2;
		qf_buf_printf(
		    b,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d8e3e0\"/>"
		    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#5b6b68\" "
		    "text-anchor=\"end\">",
		    left, y, w - 10, y, left - 4, y + 4);
		qf_buf_yuan(b, lo + (hi - lo) * g / 2);
		qf_buf_puts(b, "</text>");
	}
	qf_buf_puts(
	    b, "<polyline fill=\"none\" stroke=\"#0f766e\" stroke-width=\"2\" points=\"");
	double step = (double)plot_w / (double)n;
	int64_t prev = opening;
	for (size_t i = 0; i <= n; i++) {
		int64_t v =
		    i ? html_ji(json_array_get(entries, i - 1), "balance_fen") : opening;
		double x = left + step * (double)i;
		double yp = top + plot_h -
			    (double)plot_h * (double)(prev - lo) / (double)(hi - lo);
		double y =
		    top + plot_h - (double)plot_h * (double)(v - lo) / (double)(hi - lo);
		if (i)
			qf_buf_printf(b, "%.1f,%.1f ", x, yp);
		qf_buf_printf(b, "%.1f,%.1f ", x, y);
		prev = v;
	}
	qf_buf_puts(b, "\"/>");
	s_close(b, title);
}
