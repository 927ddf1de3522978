/* ntf_sender.h: the thread that talks to the outside world.
 *
 * One thread owns a libcurl multi handle and runs every transfer (HTTP and
 * SMTP) concurrently on it, so a slow receiver never blocks the core loop,
 * and connections are kept alive per host. The core thread hands it jobs
 * (ntf_sender_submit) and collects finished ones (ntf_sender_take); the
 * sender wakes the core loop when results wait. The sender never touches
 * the store: a job's outcome becomes durable only when the core thread
 * writes it, so a crash mid-send leaves the delivery pending, to be sent
 * again under the same id.
 */
#ifndef NTF_SENDER_H
#define NTF_SENDER_H

#include "ntf_channel.h"
#include "ntf_keys.h"
#include "qf_clock.h"

struct ntf_sender;

/* Start the thread. keys and clock must outlive the sender. nchannels is
 * the number of configured channels: at most each channel's concurrency of
 * transfers run at once, further jobs wait in the sender (in order) for a
 * slot. wake(arg) is called from the sender thread whenever results are
 * ready. */
int ntf_sender_start(struct ntf_sender **out, const struct ntf_keys *keys,
		     struct qf_clock *clock, unsigned nchannels, void (*wake)(void *),
		     void *wake_arg);
/* Stop the thread; jobs not finished are freed (still pending in the
 * store, so they are sent again after a restart). Accepts NULL. */
void ntf_sender_stop(struct ntf_sender **s);
/* Hand over a job (thread-safe); the sender owns it until ntf_sender_take
 * returns it. */
void ntf_sender_submit(struct ntf_sender *s, struct ntf_job *j);
/* Take every finished job (a list linked by ->next, caller frees each with
 * ntf_job_free), or NULL. */
struct ntf_job *ntf_sender_take(struct ntf_sender *s);

#endif
