/* qf_page.c: cursor and limit in, next_cursor and Link out (qf_page.h).
 *
 * The Link target is relative (the request's own path), which RFC 8288
 * resolves against the request URI, so it is right behind any proxy that
 * keeps paths. Query arguments are re-encoded with qf_buf_url. */
#include "qf_page.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "qf_buf.h"
#include "qf_err.h"

static int s_bad(struct qf_http_req *r, const char *field, const char *msg)
{
	qf_http_reply_error(r, 400, "bad_parameter", msg, field);
	return -1;
}

int qf_page_bad_cursor(struct qf_http_req *r)
{
	return s_bad(r, "cursor", "无效的分页游标，请从第一页重新开始");
}

static int s_cursor_ok(const char *c)
{
	size_t n = 0;
	for (; c[n]; n++) {
		char ch = c[n];
		if (n >= QF_PAGE_CURSOR_MAX ||
		    !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
		      ch == '~'))
			return 0;
	}
	return 1;
}

/* A decimal 1..max without sign, spaces or leading zeros. */
static int s_limit(const char *v, unsigned max, unsigned *out)
{
	unsigned long x = 0;
	if (!*v || (v[0] == '0') || strlen(v) > 9)
		return -1;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		x = x * 10 + (unsigned long)(*p - '0');
	}
	if (x < 1 || x > max)
		return -1;
	*out = (unsigned)x;
	return 0;
}

int qf_page_parse(struct qf_http_req *r, const struct qf_page_rule *rule,
		  struct qf_page *pg)
{
	pg->limit = rule->def;
	pg->cursor = NULL;
	const char *v = qf_http_query(r, "limit");
	if (v && s_limit(v, rule->max, &pg->limit)) {
		char msg[128];
		snprintf(msg, sizeof msg, "limit 须为 1 至 %u 的整数", rule->max);
		return s_bad(r, "limit", msg);
	}
	const char *c = qf_http_query(r, "cursor");
	if (c && *c) {
		if (!s_cursor_ok(c))
			return qf_page_bad_cursor(r);
		pg->cursor = c;
	}
	return 0;
}

void qf_page_u64_cursor(uint64_t pos, char out[QF_PAGE_U64_LEN])
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--, pos >>= 8)
		b[i] = (uint8_t)pos;
	sodium_bin2base64(out, QF_PAGE_U64_LEN, b, sizeof b,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int qf_page_cursor_u64(const char *cursor, uint64_t *pos)
{
	uint8_t b[8];
	size_t got = 0;
	const char *end = NULL;
	if (!cursor || strlen(cursor) != QF_PAGE_U64_LEN - 1 ||
	    sodium_base642bin(b, sizeof b, cursor, QF_PAGE_U64_LEN - 1, NULL, &got, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    got != sizeof b || *end)
		return QF_ERR_INVAL;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | b[i];
	/* one encoding per position: re-encoding must give the same text */
	char again[QF_PAGE_U64_LEN];
	qf_page_u64_cursor(x, again);
	if (strcmp(again, cursor))
		return QF_ERR_INVAL;
	*pos = x;
	return QF_OK;
}

struct s_link {
	struct qf_buf *b;
	const char *const *drop;
	int n;
};

static int s_link_arg(void *arg, const char *name, const char *value)
{
	struct s_link *l = arg;
	if (!strcmp(name, "cursor"))
		return 0;
	for (const char *const *d = l->drop; d && *d; d++)
		if (!strcmp(name, *d))
			return 0;
	qf_buf_putc(l->b, l->n++ ? '&' : '?');
	qf_buf_url(l->b, name);
	if (value) {
		qf_buf_putc(l->b, '=');
		qf_buf_url(l->b, value);
	}
	return 0;
}

/* The path, each segment percent-encoded, the slashes kept. */
static void s_path(struct qf_buf *b, const char *path)
{
	char seg[256];
	while (*path) {
		size_t n = strcspn(path, "/");
		if (n) {
			snprintf(seg, sizeof seg, "%.*s", (int)n, path);
			qf_buf_url(b, seg);
			path += n;
		}
		if (*path == '/') {
			qf_buf_putc(b, '/');
			path++;
		}
	}
}

int qf_page_link(struct qf_http_req *r, const char *next, const char *const *drop)
{
	if (!next || !*next)
		return QF_OK;
	struct qf_buf b;
	qf_buf_init(&b);
	qf_buf_putc(&b, '<');
	s_path(&b, qf_http_path(r));
	struct s_link l = {&b, drop, 0};
	qf_http_query_each(r, s_link_arg, &l);
	qf_buf_printf(&b, "%ccursor=%s>; rel=\"next\"", l.n ? '&' : '?', next);
	int rc = qf_buf_ok(&b) ? qf_http_add_header(r, "Link", b.p) : QF_ERR_NOMEM;
	qf_buf_free(&b);
	return rc;
}

int qf_page_finish(struct qf_http_req *r, json_t *out, const char *next,
		   const char *const *drop)
{
	int has = next && *next;
	if (json_object_set_new(out, "next_cursor",
				has ? json_string(next) : json_null()))
		return QF_ERR_NOMEM;
	return qf_page_link(r, next, drop);
}
