/* qf_cfg.c: table-driven libconfig loader with file:line errors (qf_cfg.h). */
#include "qf_cfg.h"
#include "qf_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qf_cfg_error(struct qf_cfg_errors *errs, const config_setting_t *s,
		  const char *path, const char *fmt, ...)
{
	if (!errs || errs->n >= QF_CFG_MAX_ERRORS)
		return;
	char pbuf[256], what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	const char *file = errs->file ? errs->file : "(none)";
	unsigned line = 0;
	for (unsigned i = 0; !s && path && i < errs->nlines; i++)
		if (strcmp(errs->lines[i].path, path) == 0)
			line = errs->lines[i].line;
	if (s) {
		const char *f = config_setting_source_file(s);
		if (f)
			file = f;
		line = config_setting_source_line(s);
		path = qf_cfg_path(s, pbuf, sizeof pbuf);
	}
	snprintf(errs->msg[errs->n++], sizeof errs->msg[0],
		 "%s:%u: setting '%s': %s", file, line, path ? path : "", what);
}

const char *qf_cfg_path(const config_setting_t *s, char *buf, size_t n)
{
	const config_setting_t *chain[32];
	int depth = 0;
	for (const config_setting_t *p = s; p && !config_setting_is_root(p) && depth < 32;
	     p = config_setting_parent(p))
		chain[depth++] = p;
	size_t o = 0;
	buf[0] = '\0';
	for (int i = depth - 1; i >= 0 && o < n; i--) {
		const char *name = config_setting_name(chain[i]);
		int k;
		if (name)
			k = snprintf(buf + o, n - o, "%s%s", o ? "." : "", name);
		else
			k = snprintf(buf + o, n - o, "[%d]", config_setting_index(chain[i]));
		if (k < 0)
			break;
		o += (size_t)k;
	}
	return buf;
}

static void *s_field(void *conf, const struct qf_cfg_setting *d)
{
	return (char *)conf + d->offset;
}

/* ------------------------------------------------------------ string lists */

static void s_list_free(struct qf_strlist *l)
{
	for (size_t i = 0; l->v && i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Append one entry, checked; s (may be NULL) names the line of an error. */
static int s_list_add(const struct qf_cfg_setting *d, struct qf_strlist *l,
		      const char *v, size_t len, const config_setting_t *s,
		      struct qf_cfg_errors *errs)
{
	if (!len || len > QF_CFG_STRLIST_ITEM_MAX) {
		qf_cfg_error(errs, s, d->path, "each entry must be a string of 1..%d bytes",
			     QF_CFG_STRLIST_ITEM_MAX);
		return QF_ERR_CONFIG;
	}
	if (d->max > 0 && l->n >= (size_t)d->max) {
		qf_cfg_error(errs, s, d->path, "at most %.0f entries", d->max);
		return QF_ERR_CONFIG;
	}
	char **nv = realloc(l->v, (l->n + 2) * sizeof *nv);
	if (!nv)
		return QF_ERR_NOMEM;
	l->v = nv;
	if (!(nv[l->n] = strndup(v, len)))
		return QF_ERR_NOMEM;
	nv[++l->n] = NULL;
	return QF_OK;
}

/* The default: comma-separated text, "" for an empty list. */
static int s_list_text(const struct qf_cfg_setting *d, void *f, const char *text,
		       const config_setting_t *s, struct qf_cfg_errors *errs)
{
	struct qf_strlist *l = f;
	s_list_free(l);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, ",");
		int rc = s_list_add(d, l, p, n, s, errs);
		if (rc)
			return rc;
		p += n + (p[n] == ',');
	}
	return QF_OK;
}

static int s_list_from(const struct qf_cfg_setting *d, void *f, config_setting_t *s,
		       struct qf_cfg_errors *errs)
{
	struct qf_strlist *l = f;
	s_list_free(l);
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		return s_list_add(d, l, v, strlen(v), s, errs);
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		qf_cfg_error(errs, s, d->path, "must be a list of strings [\"a\", \"b\"]");
		return QF_ERR_CONFIG;
	}
	int n = config_setting_length(s), rc = QF_OK;
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		int r = v ? s_list_add(d, l, v, strlen(v), e, errs)
			  : (qf_cfg_error(errs, e, d->path, "must be a string"), QF_ERR_CONFIG);
		if (r == QF_ERR_NOMEM)
			return r;
		if (r)
			rc = r;
	}
	return rc;
}

static int s_set_text(const struct qf_cfg_setting *d, void *conf, const char *text,
		      const config_setting_t *s, struct qf_cfg_errors *errs)
{
	void *f = s_field(conf, d);
	char *end = NULL;
	switch (d->type) {
	case QF_CFG_INT:
	case QF_CFG_INT64: {
		errno = 0;
		long long v = strtoll(text, &end, 10);
		if (errno || !end || *end || end == text) {
			qf_cfg_error(errs, s, d->path, "'%s' is not an integer", text);
			return QF_ERR_CONFIG;
		}
		if ((double)v < d->min || (double)v > d->max) {
			qf_cfg_error(errs, s, d->path, "%lld is outside %.0f..%.0f", v,
				     d->min, d->max);
			return QF_ERR_CONFIG;
		}
		if (d->type == QF_CFG_INT)
			*(int *)f = (int)v;
		else
			*(int64_t *)f = v;
		return QF_OK;
	}
	case QF_CFG_DOUBLE: {
		errno = 0;
		double v = strtod(text, &end);
		if (errno || !end || *end || end == text) {
			qf_cfg_error(errs, s, d->path, "'%s' is not a number", text);
			return QF_ERR_CONFIG;
		}
		if (v < d->min || v > d->max) {
			qf_cfg_error(errs, s, d->path, "%g is outside %g..%g", v, d->min,
				     d->max);
			return QF_ERR_CONFIG;
		}
		*(double *)f = v;
		return QF_OK;
	}
	case QF_CFG_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
			*(int *)f = 1;
		else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
			*(int *)f = 0;
		else {
			qf_cfg_error(errs, s, d->path, "'%s' is not true or false", text);
			return QF_ERR_CONFIG;
		}
		return QF_OK;
	case QF_CFG_STRING: {
		if (d->max > 0 && strlen(text) > (size_t)d->max) {
			qf_cfg_error(errs, s, d->path, "longer than %.0f bytes", d->max);
			return QF_ERR_CONFIG;
		}
		char *c = strdup(text);
		if (!c) {
			qf_cfg_error(errs, s, d->path, "out of memory");
			return QF_ERR_NOMEM;
		}
		free(*(char **)f);
		*(char **)f = c;
		return QF_OK;
	}
	case QF_CFG_STRLIST:
		return s_list_text(d, f, text, s, errs);
	case QF_CFG_CUSTOM:
		break;
	}
	return QF_ERR_INVAL;
}

static int s_apply_default(const struct qf_cfg_setting *d, void *conf,
			   struct qf_cfg_errors *errs)
{
	if (d->type == QF_CFG_CUSTOM)
		return d->parse ? d->parse(d, NULL, conf, errs) : QF_OK;
	if (!d->def) {
		qf_cfg_error(errs, NULL, d->path, "required setting is missing");
		return QF_ERR_CONFIG;
	}
	return s_set_text(d, conf, d->def, NULL, errs);
}

int qf_cfg_defaults(const struct qf_cfg_setting *table, size_t n, void *conf,
		    struct qf_cfg_errors *errs)
{
	int rc = QF_OK;
	for (size_t i = 0; i < n; i++)
		if (s_apply_default(&table[i], conf, errs))
			rc = QF_ERR_CONFIG;
	return rc;
}

static int s_set_from(const struct qf_cfg_setting *d, void *conf,
		      config_setting_t *s, struct qf_cfg_errors *errs)
{
	char text[64];
	int t = config_setting_type(s);
	if (d->type == QF_CFG_CUSTOM)
		return d->parse ? d->parse(d, s, conf, errs) : QF_OK;
	switch (d->type) {
	case QF_CFG_INT:
	case QF_CFG_INT64:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			qf_cfg_error(errs, s, d->path, "must be an integer");
			return QF_ERR_CONFIG;
		}
		snprintf(text, sizeof text, "%lld", config_setting_get_int64(s));
		return s_set_text(d, conf, text, s, errs);
	case QF_CFG_DOUBLE:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64 && t != CONFIG_TYPE_FLOAT) {
			qf_cfg_error(errs, s, d->path, "must be a number");
			return QF_ERR_CONFIG;
		}
		snprintf(text, sizeof text, "%.17g",
			 t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
						: (double)config_setting_get_int64(s));
		return s_set_text(d, conf, text, s, errs);
	case QF_CFG_BOOL:
		if (t != CONFIG_TYPE_BOOL) {
			qf_cfg_error(errs, s, d->path, "must be true or false");
			return QF_ERR_CONFIG;
		}
		return s_set_text(d, conf, config_setting_get_bool(s) ? "true" : "false",
				  s, errs);
	case QF_CFG_STRING:
		if (t != CONFIG_TYPE_STRING) {
			qf_cfg_error(errs, s, d->path, "must be a string in double quotes");
			return QF_ERR_CONFIG;
		}
		return s_set_text(d, conf, config_setting_get_string(s), s, errs);
	case QF_CFG_STRLIST:
		return s_list_from(d, s_field(conf, d), s, errs);
	default:
		return QF_ERR_INVAL;
	}
}

/* Is `path` a setting of the table, a group containing settings, or inside a
 * custom subtree? 1: known leaf/custom, 2: a group to descend into, 0: no. */
static int s_known(const struct qf_cfg_setting *table, size_t n, const char *path)
{
	size_t pl = strlen(path);
	int group = 0;
	for (size_t i = 0; i < n; i++) {
		const char *tp = table[i].path;
		size_t tl = strlen(tp);
		if (strcmp(tp, path) == 0)
			return 1;
		if (table[i].type == QF_CFG_CUSTOM && pl > tl &&
		    strncmp(tp, path, tl) == 0 && path[tl] == '.')
			return 1;
		if (tl > pl && strncmp(tp, path, pl) == 0 && tp[pl] == '.')
			group = 2;
	}
	return group;
}

static void s_check_unknown(const struct qf_cfg_setting *table, size_t n,
			    config_setting_t *g, struct qf_cfg_errors *errs)
{
	int count = config_setting_length(g);
	for (int i = 0; i < count; i++) {
		config_setting_t *c = config_setting_get_elem(g, (unsigned)i);
		char path[256];
		qf_cfg_path(c, path, sizeof path);
		int k = s_known(table, n, path);
		if (k == 0)
			qf_cfg_error(errs, c, NULL, "unknown setting (misspelt?)");
		else if (k == 2) {
			if (config_setting_type(c) == CONFIG_TYPE_GROUP)
				s_check_unknown(table, n, c, errs);
			else
				qf_cfg_error(errs, c, NULL, "must be a group { ... }");
		}
	}
}

int qf_cfg_load(const char *file, const struct qf_cfg_setting *table, size_t n,
		void *conf, struct qf_cfg_errors *errs)
{
	config_t cfg;
	int rc = QF_OK;
	errs->file = file;
	config_init(&cfg);
	if (config_read_file(&cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(errs->msg[errs->n++], sizeof errs->msg[0],
				 "%s:0: cannot read the file: %s", file, strerror(errno));
		else
			snprintf(errs->msg[errs->n++], sizeof errs->msg[0],
				 "%s:%d: syntax error: %s",
				 config_error_file(&cfg) ? config_error_file(&cfg) : file,
				 config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		return QF_ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		config_setting_t *s = config_lookup(&cfg, table[i].path);
		if (s && errs->nlines < QF_CFG_MAX_LINES && strlen(table[i].path) < 64) {
			snprintf(errs->lines[errs->nlines].path, 64, "%s", table[i].path);
			errs->lines[errs->nlines++].line = config_setting_source_line(s);
		}
		int r = s ? s_set_from(&table[i], conf, s, errs)
			  : s_apply_default(&table[i], conf, errs);
		if (r)
			rc = QF_ERR_CONFIG;
	}
	unsigned before = errs->n;
	s_check_unknown(table, n, config_root_setting(&cfg), errs);
	if (errs->n != before)
		rc = QF_ERR_CONFIG;
	config_destroy(&cfg);
	return rc;
}

/* A number as the table gives it: integral bounds without decimals. */
static void s_num(char *out, size_t n, double v)
{
	if (v == (double)(long long)v)
		snprintf(out, n, "%lld", (long long)v);
	else
		snprintf(out, n, "%g", v);
}

void qf_cfg_describe(FILE *f, const struct qf_cfg_setting *table, size_t n)
{
	static const char *const types[] = {"integer", "integer",	"boolean",
					    "number",  "string",	"group or list",
					    "list of strings"};
	fprintf(f, "| setting | type | default | range | meaning |\n");
	fprintf(f, "| --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < n; i++) {
		const struct qf_cfg_setting *d = &table[i];
		char range[64] = "", lo[24], hi[24];
		switch (d->type) {
		case QF_CFG_INT:
		case QF_CFG_INT64:
		case QF_CFG_DOUBLE:
			s_num(lo, sizeof lo, d->min);
			s_num(hi, sizeof hi, d->max);
			snprintf(range, sizeof range, "%s to %s", lo, hi);
			break;
		case QF_CFG_STRING:
			if (d->max > 0) {
				s_num(hi, sizeof hi, d->max);
				snprintf(range, sizeof range, "at most %s bytes", hi);
			}
			break;
		case QF_CFG_STRLIST:
			if (d->max > 0) {
				s_num(hi, sizeof hi, d->max);
				snprintf(range, sizeof range, "at most %s entries", hi);
			}
			break;
		default:
			break;
		}
		char def[512];
		if (!d->def)
			snprintf(def, sizeof def, "%s", d->type == QF_CFG_CUSTOM ? "" : "(required)");
		else if (!*d->def)
			snprintf(def, sizeof def, "(empty)");
		else
			snprintf(def, sizeof def, "`%s`", d->def);
		fprintf(f, "| `%s` | %s | %s | %s | ", d->path, types[d->type], def, range);
		/* a | inside the help text would end the cell */
		for (const char *h = d->help ? d->help : ""; *h; h++) {
			if (*h == '|')
				fputc('\\', f);
			fputc(*h, f);
		}
		fprintf(f, " |\n");
	}
}

void qf_cfg_free(const struct qf_cfg_setting *table, size_t n, void *conf)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].type == QF_CFG_STRING) {
			char **f = (char **)s_field(conf, &table[i]);
			free(*f);
			*f = NULL;
		} else if (table[i].type == QF_CFG_STRLIST) {
			s_list_free(s_field(conf, &table[i]));
		}
}

int qf_cfg_member_str(config_setting_t *g, const char *name, int optional,
		      const char **out, struct qf_cfg_errors *errs)
{
	config_setting_t *m = config_setting_get_member(g, name);
	if (!m) {
		if (optional)
			return QF_OK;
		qf_cfg_error(errs, g, NULL, "missing '%s'", name);
		return QF_ERR_CONFIG;
	}
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		qf_cfg_error(errs, m, NULL, "must be a string in double quotes");
		return QF_ERR_CONFIG;
	}
	*out = config_setting_get_string(m);
	return QF_OK;
}

int qf_cfg_member_int(config_setting_t *g, const char *name, int optional,
		      long long min, long long max, long long *out,
		      struct qf_cfg_errors *errs)
{
	config_setting_t *m = config_setting_get_member(g, name);
	if (!m) {
		if (optional)
			return QF_OK;
		qf_cfg_error(errs, g, NULL, "missing '%s'", name);
		return QF_ERR_CONFIG;
	}
	int t = config_setting_type(m);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		qf_cfg_error(errs, m, NULL, "must be an integer");
		return QF_ERR_CONFIG;
	}
	long long v = config_setting_get_int64(m);
	if (v < min || v > max) {
		qf_cfg_error(errs, m, NULL, "%lld is outside %lld..%lld", v, min, max);
		return QF_ERR_CONFIG;
	}
	*out = v;
	return QF_OK;
}

int qf_cfg_member_bool(config_setting_t *g, const char *name, int optional,
		       int *out, struct qf_cfg_errors *errs)
{
	config_setting_t *m = config_setting_get_member(g, name);
	if (!m) {
		if (optional)
			return QF_OK;
		qf_cfg_error(errs, g, NULL, "missing '%s'", name);
		return QF_ERR_CONFIG;
	}
	if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
		qf_cfg_error(errs, m, NULL, "must be true or false");
		return QF_ERR_CONFIG;
	}
	*out = config_setting_get_bool(m);
	return QF_OK;
}

char *qf_cfg_resolve(const char *base_file, const char *rel)
{
	if (!rel)
		return NULL;
	if (rel[0] == '/' || !base_file || !strchr(base_file, '/'))
		return strdup(rel);
	const char *slash = strrchr(base_file, '/');
	size_t dl = (size_t)(slash - base_file);
	char *out = malloc(dl + 1 + strlen(rel) + 1);
	if (!out)
		return NULL;
	memcpy(out, base_file, dl);
	out[dl] = '/';
	strcpy(out + dl + 1, rel);
	return out;
}
