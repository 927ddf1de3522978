/* ntf_tmpl.c: template parsing and rendering (ntf_tmpl.h).
 *
 * A parsed template is a list of pieces, each either a literal slice of the
 * (copied) source text or a placeholder id, so rendering is one pass of
 * appends with no parsing at send time. The placeholder catalogue is the
 * X-macro in the header: name, families and meaning kept together. */
#include "ntf_tmpl.h"
#include "ntf_util.h"
#include "qf_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct piece {
	int ph;		 /* -1: literal */
	size_t off, len; /* literal slice of text */
};

struct ntf_tmpl {
	char *text;
	struct piece *p;
	unsigned n;
	uint64_t uses;
};

static const struct {
	const char *name;
	unsigned fam;
	const char *help;
} s_ph[] = {
#define NTF_PH_ROW(id, name, fam, help) {name, fam, help},
    NTF_PLACEHOLDERS(NTF_PH_ROW)
#undef NTF_PH_ROW
};

const char *ntf_ph_name(enum ntf_ph ph)
{
	return (unsigned)ph < NTF_PH_COUNT ? s_ph[ph].name : "?";
}

unsigned ntf_ph_families(enum ntf_ph ph)
{
	return (unsigned)ph < NTF_PH_COUNT ? s_ph[ph].fam : 0;
}

const char *ntf_ph_help(enum ntf_ph ph)
{
	return (unsigned)ph < NTF_PH_COUNT ? s_ph[ph].help : "";
}

int ntf_ph_parse(const char *name, size_t len)
{
	for (int i = 0; i < NTF_PH_COUNT; i++)
		if (strlen(s_ph[i].name) == len && memcmp(s_ph[i].name, name, len) == 0)
			return i;
	return -1;
}

static int s_add(struct ntf_tmpl *t, int ph, size_t off, size_t len, unsigned *cap)
{
	if (ph < 0 && len == 0)
		return 0;
	/* merge adjacent literals ("{{" splits them) */
	if (ph < 0 && t->n && t->p[t->n - 1].ph < 0 &&
	    t->p[t->n - 1].off + t->p[t->n - 1].len == off) {
		t->p[t->n - 1].len += len;
		return 0;
	}
	if (t->n == *cap) {
		unsigned nc = *cap ? *cap * 2 : 8;
		struct piece *np = realloc(t->p, nc * sizeof *np);
		if (!np)
			return QF_ERR_NOMEM;
		t->p = np;
		*cap = nc;
	}
	t->p[t->n++] = (struct piece){ph, off, len};
	return 0;
}

/* lookup: returns the id of name (len bytes) or -1 */
typedef int (*s_lookup_fn)(const void *arg, const char *name, size_t len);

static int s_lookup_ph(const void *arg, const char *name, size_t len)
{
	(void)arg;
	return ntf_ph_parse(name, len);
}

struct names {
	const char *const *names;
	unsigned n;
};

static int s_lookup_names(const void *arg, const char *name, size_t len)
{
	const struct names *nm = arg;
	for (unsigned i = 0; i < nm->n; i++)
		if (strlen(nm->names[i]) == len && memcmp(nm->names[i], name, len) == 0)
			return (int)i;
	return -1;
}

/* Length of a "{name}" at s (name of [a-z0-9_]), or 0. */
static size_t s_name_at(const char *s)
{
	size_t i = 1;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
	       s[i] == '_')
		i++;
	return i > 1 && s[i] == '}' ? i + 1 : 0;
}

/* lenient: a brace that does not open a "{name}" is literal (request
 * templates are often JSON); strict: every single brace must pair. */
static int s_parse(const char *text, s_lookup_fn lookup, const void *arg, int lenient,
		   struct ntf_tmpl **out, char *err, size_t n)
{
	*out = NULL;
	struct ntf_tmpl *t = calloc(1, sizeof *t);
	if (!t || !(t->text = strdup(text ? text : ""))) {
		free(t);
		return QF_ERR_NOMEM;
	}
	unsigned cap = 0;
	const char *s = t->text;
	size_t i = 0, lit = 0, len = strlen(s);
	int rc = 0;
	while (i < len) {
		if (lenient && (s[i] == '}' || (s[i] == '{' && !s_name_at(s + i)))) {
			i++;
		} else if (s[i] == '{' && s[i + 1] == '{') {
			rc = s_add(t, -1, lit, i + 1 - lit, &cap);
			i += 2;
			lit = i;
		} else if (s[i] == '}' && s[i + 1] == '}') {
			rc = s_add(t, -1, lit, i + 1 - lit, &cap);
			i += 2;
			lit = i;
		} else if (s[i] == '{') {
			const char *close = strchr(s + i + 1, '}');
			if (!close) {
				snprintf(err, n, "unclosed '{' at byte %zu", i);
				rc = QF_ERR_CONFIG;
				break;
			}
			size_t nl = (size_t)(close - (s + i + 1));
			int ph = lookup(arg, s + i + 1, nl);
			if (ph < 0) {
				snprintf(err, n, "unknown placeholder {%.*s}",
					 (int)(nl > 40 ? 40 : nl), s + i + 1);
				rc = QF_ERR_CONFIG;
				break;
			}
			if ((rc = s_add(t, -1, lit, i - lit, &cap)) ||
			    (rc = s_add(t, ph, 0, 0, &cap)))
				break;
			if (ph < 64)
				t->uses |= 1ull << ph;
			i += nl + 2;
			lit = i;
		} else if (s[i] == '}') {
			snprintf(err, n,
				 "unmatched '}' at byte %zu (write }} for a brace)", i);
			rc = QF_ERR_CONFIG;
			break;
		} else {
			i++;
		}
		if (rc)
			break;
	}
	if (!rc)
		rc = s_add(t, -1, lit, len - lit, &cap);
	if (rc) {
		ntf_tmpl_free(&t);
		return rc;
	}
	*out = t;
	return 0;
}

int ntf_tmpl_parse(const char *text, struct ntf_tmpl **out, char *err, size_t n)
{
	return s_parse(text, s_lookup_ph, NULL, 0, out, err, n);
}

int ntf_tmpl_parse_names(const char *text, const char *const *names, unsigned n,
			 struct ntf_tmpl **out, char *err, size_t errn)
{
	struct names nm = {names, n};
	return s_parse(text, s_lookup_names, &nm, 1, out, err, errn);
}

void ntf_tmpl_free(struct ntf_tmpl **tp)
{
	if (!tp || !*tp)
		return;
	free((*tp)->text);
	free((*tp)->p);
	free(*tp);
	*tp = NULL;
}

uint64_t ntf_tmpl_uses(const struct ntf_tmpl *t) { return t ? t->uses : 0; }

const char *ntf_tmpl_text(const struct ntf_tmpl *t) { return t ? t->text : ""; }

static void s_put(void *buf, const char *s, size_t len) { ntf_buf_put(buf, s, len); }

void ntf_tmpl_render_to(const struct ntf_tmpl *t, const char *const *vals,
			ntf_tmpl_esc esc, void *buf, ntf_tmpl_put put)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct piece *p = &t->p[i];
		if (p->ph < 0) {
			put(buf, t->text + p->off, p->len);
			continue;
		}
		const char *v = vals[p->ph];
		if (!v)
			continue;
		if (esc)
			esc(buf, put, v);
		else
			put(buf, v, strlen(v));
	}
}

char *ntf_tmpl_render(const struct ntf_tmpl *t, const char *const *vals)
{
	struct ntf_buf b = {0};
	ntf_tmpl_render_to(t, vals, NULL, &b, s_put);
	return ntf_buf_take(&b, NULL);
}
