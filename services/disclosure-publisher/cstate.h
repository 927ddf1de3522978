/* cstate.h: the case vocabulary of the public board: a state's code and
 * Chinese label, whether it is open, a timeline entry's label (cstate.c).
 * Below both the record codec (crec.c) and the case index (cases.c). All
 * strings returned are static. */
#ifndef DP_CSTATE_H
#define DP_CSTATE_H

/* States 0 (unknown) .. CASE_NSTATES - 1 have a code and a label. */
#define CASE_NSTATES 10

/* Open: not resolved, closed, rejected or merged. */
int case_state_open(unsigned state);
/* "submitted", "assigned", ... and the Chinese label; "" / "未知" if unknown. */
const char *case_state_code(unsigned state);
const char *case_state_label(unsigned state);
/* Parse a state code; -1 if unknown. */
int case_state_parse(const char *code);
/* Chinese label of a timeline entry type ("受理"). */
const char *case_event_label(const char *type);

#endif
