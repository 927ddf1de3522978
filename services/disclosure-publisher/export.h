/* export.h: `qf-disclosure --export DIR`: the whole public site as static
 * files (board, cases, three affairs, roster, statistics, verification,
 * feeds, CSV, stylesheet) for a notice screen or any web server. Links are
 * relative and end in index.html, so it also works opened from disk. */
#ifndef DP_EXPORT_H
#define DP_EXPORT_H

#include "dp.h"

/* Write the site into dir (created if missing). Returns 0 or an error
 * (logged). Reads the store only; safe while the service runs. */
int dp_export(struct dp *dp, const char *dir);

#endif
