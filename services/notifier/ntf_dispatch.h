/* ntf_dispatch.h: the core loop's part of sending: which deliveries go
 * out now, and what their outcomes change.
 *
 * Runs on the service's core thread from the qf_svc tick hook. Each turn it
 * (1) writes the outcomes the sender finished, in one transaction with
 * their DELIVERY_* events, (2) walks each channel's schedule (ntf.due) for
 * deliveries that are due, within the channel's concurrency and rate
 * limits, and hands them to the sender, and (3) returns the time until it
 * needs to run again. Deliveries in flight are remembered in memory only:
 * after a crash they are simply due again, and go out under the same id.
 * Retention (old delivered records, closed cases, unconfirmed follows) is
 * also done here, a bounded amount per turn.
 */
#ifndef NTF_DISPATCH_H
#define NTF_DISPATCH_H

#include "ntf.h"

struct ntf_dispatch;

int ntf_dispatch_new(struct ntf_dispatch **out, struct ntf *n);
void ntf_dispatch_destroy(struct ntf_dispatch **d);
/* One turn; returns ms until the next turn is wanted. */
int ntf_dispatch_tick(struct ntf_dispatch *d);
/* Deliveries in flight now (all channels). */
unsigned ntf_dispatch_inflight(const struct ntf_dispatch *d);
/* Pause or resume starting new attempts (operators, benchmarks). */
void ntf_dispatch_pause(struct ntf_dispatch *d, int paused);
int ntf_dispatch_paused(const struct ntf_dispatch *d);

#endif
