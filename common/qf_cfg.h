/* qf_cfg.h: typed configuration on libconfig, driven by a settings table.
 *
 * A service describes every setting once, in a static const table (path,
 * type, default, bounds, where it goes in the service's config struct).
 * qf_cfg_load() reads the file, applies defaults, checks types and bounds,
 * rejects unknown settings (typos), and collects every error, each naming
 * file, line and setting: `config/intake.cfg:12: setting 'http.port': 70000
 * is above the maximum 65535`. Subtrees with their own shape (lists of
 * categories, rules) are handed to a callback that reports errors the same
 * way. Strings are copied into the config struct; qf_cfg_free() frees them.
 */
#ifndef QF_CFG_H
#define QF_CFG_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define QF_CFG_MAX_ERRORS 64

#define QF_CFG_MAX_LINES 128

struct qf_cfg_errors {
	unsigned n;
	char msg[QF_CFG_MAX_ERRORS][512];
	const char *file; /* the file being loaded (for messages) */
	/* where each table setting was found, so that checks made after loading
	   (qf_cfg_error with s == NULL) still name the line */
	unsigned nlines;
	struct {
		char path[64];
		unsigned line;
	} lines[QF_CFG_MAX_LINES];
};

enum qf_cfg_type {
	QF_CFG_INT,    /* int, bounds min..max */
	QF_CFG_INT64,  /* int64_t, bounds min..max */
	QF_CFG_BOOL,   /* int (0/1) */
	QF_CFG_DOUBLE, /* double, bounds min..max */
	QF_CFG_STRING, /* char * (malloc'd), max = max length in bytes, 0: none */
	QF_CFG_CUSTOM, /* the subtree goes to parse() */
	QF_CFG_STRLIST, /* struct qf_strlist: ["a", "b"] (or one "a"); max =
			   most entries (0: no limit), each 1..255 bytes;
			   the default is comma-separated text ("" = none) */
};

/* A list of strings a QF_CFG_STRLIST setting fills: v[0..n-1], v[n] NULL;
 * owned by the configuration (qf_cfg_free). */
struct qf_strlist {
	char **v;
	size_t n;
};
#define QF_CFG_STRLIST_ITEM_MAX 255

struct qf_cfg_setting;
typedef int (*qf_cfg_parse_fn)(const struct qf_cfg_setting *def,
			       config_setting_t *s, void *conf,
			       struct qf_cfg_errors *errs);

struct qf_cfg_setting {
	const char *path; /* dotted: "http.port" */
	enum qf_cfg_type type;
	size_t offset;    /* where the value goes in the config struct */
	const char *def;  /* default as text; NULL: the setting is required */
	double min, max;  /* bounds (numbers), max length (strings) */
	qf_cfg_parse_fn parse; /* QF_CFG_CUSTOM only; called with s == NULL when
				  the setting is absent */
	const char *help;
};

/* Load `file` into `conf` according to `table`. Returns 0 when there were no
 * errors, QF_ERR_CONFIG otherwise, with every error in errs. String fields
 * are owned by conf; release with qf_cfg_free(). */
int qf_cfg_load(const char *file, const struct qf_cfg_setting *table, size_t n,
		void *conf, struct qf_cfg_errors *errs);
/* Apply only the defaults (no file). Returns 0 or QF_ERR_CONFIG if a setting
 * has no default. */
int qf_cfg_defaults(const struct qf_cfg_setting *table, size_t n, void *conf,
		    struct qf_cfg_errors *errs);
/* Print the table as a Markdown table (setting, type, default, range,
 * meaning) to f: the reference docs/SETTINGS.md is made of, so that the
 * documentation is the table the program checks against. */
void qf_cfg_describe(FILE *f, const struct qf_cfg_setting *table, size_t n);
/* Free the strings and string lists qf_cfg_load() put in conf (safe
 * twice). */
void qf_cfg_free(const struct qf_cfg_setting *table, size_t n, void *conf);

/* Add an error about setting `s` (its file and line are used) or, when s is
 * NULL, about `path` at line 0 of errs->file. */
void qf_cfg_error(struct qf_cfg_errors *errs, const config_setting_t *s,
		  const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Helpers for custom parsers: read a member of a group with a type check.
 * Each returns 0, or adds an error and returns QF_ERR_CONFIG. A missing
 * member is an error unless `optional` (then *out is left unchanged). The
 * string helper returns a pointer owned by libconfig (copy it). */
int qf_cfg_member_str(config_setting_t *g, const char *name, int optional,
		      const char **out, struct qf_cfg_errors *errs);
int qf_cfg_member_int(config_setting_t *g, const char *name, int optional,
		      long long min, long long max, long long *out,
		      struct qf_cfg_errors *errs);
int qf_cfg_member_bool(config_setting_t *g, const char *name, int optional,
		       int *out, struct qf_cfg_errors *errs);

/* The full dotted path of a setting into buf ("categories.[2].code"). */
const char *qf_cfg_path(const config_setting_t *s, char *buf, size_t n);

/* Resolve `rel` against the directory of `base_file` into out (malloc'd);
 * absolute paths are returned as copies. NULL when out of memory. */
char *qf_cfg_resolve(const char *base_file, const char *rel);

#endif
