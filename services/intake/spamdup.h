/* spamdup.h: how many recent submissions carried the same text.
 *
 * A flood of one advertisement is sent as many petitions with the same
 * words; one text cannot show that. This table remembers keyed hashes
 * (BLAKE2b-64 under a random key made at start, so the table holds no
 * text and its hashes mean nothing outside this process) of recent
 * descriptions' normalised letters, digits and Han characters, with how
 * often each was seen inside the window.
 *
 * Design: a fixed table in memory (no allocation after creation, so a
 * flood of distinct texts cannot exhaust memory); when it is full the entry
 * seen least recently is replaced. A restart forgets it: the signal is a
 * weight among others, never a hold on its own (spam.c). Thread-safe (one
 * mutex).
 */
#ifndef INTAKE_SPAMDUP_H
#define INTAKE_SPAMDUP_H

#include <stddef.h>
#include <stdint.h>

#define INTAKE_SPAMDUP_SLOTS 1024
/* texts shorter than this (code points kept) are not counted: "路灯坏了"
   is written by many people for different lamps */
#define INTAKE_SPAMDUP_MIN 12

struct intake_spamdup;

/* Returns 0 or QF_ERR_NOMEM; window_ms is how long a text is remembered
 * after it was last seen. */
int intake_spamdup_new(struct intake_spamdup **out, int64_t window_ms);
/* Accepts NULL and *d NULL; sets *d to NULL. */
void intake_spamdup_destroy(struct intake_spamdup **d);
/* Count one more submission of text at now_ms; returns how many submissions
 * inside the window carried it, this one included (1: first), or 0 for a
 * text too short to count (or out of memory). */
unsigned intake_spamdup_seen(struct intake_spamdup *d, const char *text, int64_t now_ms);

#endif
