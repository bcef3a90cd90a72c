/*
 * log: one-line diagnostics on stderr.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static pthread_once_t debug_once = PTHREAD_ONCE_INIT;
static int debug_on, to_syslog;

static void read_debug(void)
{
	const char *v = getenv("TOKENSHIM_DEBUG");
	const char *where = getenv("TOKENSHIM_LOG");

	debug_on = v && *v && strcmp(v, "0") != 0;
	/* services and cron jobs whose stderr goes nowhere */
	to_syslog = where && !strcmp(where, "syslog");
}

int ts_debug_enabled(void)
{
	pthread_once(&debug_once, read_debug);
	return debug_on;
}

/* A trace line says when and who: parallel processes share a terminal. */
static int trace_head(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return snprintf(out, len, "tokenshim: %02d:%02d:%02d.%03ld [%ld] ",
			tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			(long)getpid());
}

static void vlog(int trace, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	pthread_once(&debug_once, read_debug);
	if(to_syslog) {
		/* no openlog: the host's own ident and options stay as
		   they are, and the PID goes in the text */
		vsnprintf(line, sizeof(line), fmt, ap);
		for(n = 0; line[n]; n++)
			if(line[n] == '\n' || line[n] == '\r')
				line[n] = ' ';
		syslog(LOG_USER | (trace ? LOG_DEBUG : LOG_WARNING),
		       "tokenshim[%ld]: %s", (long)getpid(), line);
		return;
	}
	n = trace ? trace_head(line, sizeof(line)) :
		    snprintf(line, sizeof(line), "tokenshim: ");
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len;
	char *p;

	if(m < 0)
		return;
	len = strlen(line);
	/* One line, whatever a server put in its message. */
	for(p = line; *p; p++)
		if(*p == '\n' || *p == '\r')
			*p = ' ';
	line[len++] = '\n';
	if(write(STDERR_FILENO, line, len) < 0)
		return;
}

void ts_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void ts_debug(const char *fmt, ...)
{
	va_list ap;

	if(!ts_debug_enabled())
		return;
	va_start(ap, fmt);
	vlog(1, fmt, ap);
	va_end(ap);
}
