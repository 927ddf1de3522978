/* ntf_reload.h: the reloadable configuration as generations, loaded at
 * start and again on SIGHUP.
 *
 * A generation (struct ntf_gen, ntf.h) is the configuration file, the
 * community file it names and the staff tokens, loaded and checked
 * together. SIGHUP loads a new generation from the same file with the very
 * checks of the start; if anything is wrong every error is logged and the
 * running generation stays. Otherwise the core thread publishes the new one
 * with an atomic pointer store (release; readers load with acquire) and
 * links the old one behind it: no generation is changed or freed before
 * shutdown, so a reader on any thread (HTTP handlers, the sender's channel
 * pointers, a staff member returned by token authentication) can never see
 * freed or half-built memory. Reloads are rare and a generation is small,
 * so keeping them costs little.
 *
 * What takes effect: rules, templates, groups, staff contacts, quiet
 * hours, links, following, admin roles, retention, dispatch.batch, the
 * community file and the tokens, for events consumed (and deliveries
 * planned) from then on. Deliveries already written keep the text they
 * were rendered with.
 *
 * What needs a restart: channels (the dispatcher and the sender are bound
 * to them; a reloaded configuration always shares the running channels,
 * and a change is logged as refused while the rest applies; a rule naming
 * a channel that is not running is an error), and the settings of
 * service (but community), http, bus, store, curve and
 * contact.secret_key_file / contact.required: a differing value is logged
 * as a warning and the running value is kept.
 */
#ifndef NTF_RELOAD_H
#define NTF_RELOAD_H

#include "ntf.h"

/* Receives each error as "file:line: setting 'path': reason". */
typedef void (*ntf_report_fn)(void *arg, const char *msg);

/* Load and check a generation from `file`. With `run` (a reload) the
 * running channels are kept (ntf_conf_keep_channels) and the settings that
 * need a restart are compared with the running ones (warnings) and left as
 * they run. Every error goes to report. Returns 0 with *out (no and older
 * unset), QF_ERR_CONFIG or QF_ERR_NOMEM. */
int ntf_gen_load(const char *file, const struct ntf_gen *run, ntf_report_fn report,
		 void *arg, struct ntf_gen **out);
/* Free g and every generation behind it (at shutdown, once no thread reads
 * them). Accepts NULL; sets *g = NULL. */
void ntf_gen_free(struct ntf_gen **g);

/* SIGHUP, on the core thread: load the configuration file again and, if
 * it is valid, publish it. Logs reload_ok (generation, counts) or every
 * error and reload_failed, and counts qf_notifier_reloads_total{result}.
 * Returns 0 or the error. */
int ntf_reload(struct ntf *n);

#endif
