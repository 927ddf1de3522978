/* web_qr.c: a QR code as inline SVG (libqrencode), for the resident's
 * receipt: the follow link with its secret, scanned from paper or screen.
 *
 * Design: drawn as one <path> of unit squares in a viewBox with the
 * standard four-module quiet zone, so it scales crisply in print and needs
 * no image request (the secret never leaves the page). */
#include "web.h"

#include <qrencode.h>

int web_qr_svg(struct qf_buf *b, const char *text, const char *label)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return -1;
	int w = q->width, n = w + 8;
	qf_buf_printf(b,
		      "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" "
		      "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		      n, n);
	qf_buf_html(b, label);
	qf_buf_printf(
	    b,
	    "\" shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    n, n);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				qf_buf_printf(b, "M%d %dh1v1h-1z", x + 4, y + 4);
	qf_buf_puts(b, "\"/></svg>");
	QRcode_free(q);
	return 0;
}
