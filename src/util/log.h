/*
 * log: tokenshim's diagnostics. Each message is one line on stderr,
 * prefixed "tokenshim: ", written with a single write(2) so that lines from
 * threads and processes sharing a terminal do not interleave. Never pass a
 * secret: tokens are logged by length only.
 */
#ifndef TS_LOG_H
#define TS_LOG_H

#include "util/str.h"	/* ts_safe_url, for messages */

/* Prints "tokenshim: <message>\n" on stderr. */
void ts_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like ts_log, but only when TOKENSHIM_DEBUG is set to a non-zero value,
   and with the time (UTC, ms) and the PID after "tokenshim: ". */
void ts_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Non-zero when TOKENSHIM_DEBUG asks for a trace (read once). */
int ts_debug_enabled(void);

#endif
