/*
 * log: one-line diagnostics on stderr.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static pthread_once_t debug_once = PTHREAD_ONCE_INIT;
static int debug_on;

static void read_debug(void)
{
	const char *v = getenv("TOKENSHIM_DEBUG");

	debug_on = v && *v && strcmp(v, "0") != 0;
}

int ts_debug_enabled(void)
{
	pthread_once(&debug_once, read_debug);
	return debug_on;
}

static void vlog(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "tokenshim: ");
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
	vlog(fmt, ap);
	va_end(ap);
}

void ts_debug(const char *fmt, ...)
{
	va_list ap;

	if(!ts_debug_enabled())
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
