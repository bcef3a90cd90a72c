/*
 * config: a small INI reader, since the INI libraries Debian ships cannot
 * say on which line a key stood.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/config.h"
#include "util/buf.h"
#include "util/str.h"

#define CONFIG_MAX (1024 * 1024)

void ts_ini_problem(struct ts_ini *ini, ts_report_fn *report, void *rctx,
		    int line, const char *fmt, ...)
{
	char msg[768];
	char full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if(line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", ini->path, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", ini->path, msg);
	ini->errors++;
	if(report)
		report(rctx, full);
}

const struct ts_kv *ts_kv_find(const struct ts_kv *kv, size_t n,
			       const char *key)
{
	size_t i;

	for(i = 0; i < n; i++)
		if(!strcmp(kv[i].key, key))
			return &kv[i];
	return NULL;
}

int ts_kv_add(struct ts_kv **kv, size_t *n, const char *key,
	      const char *value, int line)
{
	struct ts_kv *nk = realloc(*kv, (*n + 1) * sizeof(**kv));

	if(!nk)
		return -1;
	*kv = nk;
	nk[*n].key = strdup(key);
	nk[*n].value = strdup(value);
	nk[*n].line = line;
	if(!nk[*n].key || !nk[*n].value) {
		free(nk[*n].key);
		ts_free_secret(&nk[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

static struct ts_section *new_section(struct ts_ini *ini, ts_report_fn *report,
				      void *rctx, const char *name, int line)
{
	struct ts_section *ns;
	size_t i;

	for(i = 0; i < ini->nsections; i++)
		if(!strcmp(ini->sections[i].name, name)) {
			ts_ini_problem(ini, report, rctx, line,
				       "profile %s is defined twice", name);
			return NULL;
		}
	ns = realloc(ini->sections, (ini->nsections + 1) * sizeof(*ns));
	if(!ns)
		return NULL;
	ini->sections = ns;
	ns = &ini->sections[ini->nsections];
	memset(ns, 0, sizeof(*ns));
	ns->name = strdup(name);
	if(!ns->name)
		return NULL;
	ns->line = line;
	ini->nsections++;
	return ns;
}

int ts_ini_parse(const char *path, const char *text, int mode,
		 struct ts_ini *ini, ts_report_fn *report, void *rctx)
{
	char *copy = strdup(text), *line, *next;
	struct ts_section *cur = NULL;
	int lineno = 0, in_defaults = 0, in_bad = 0;

	memset(ini, 0, sizeof(*ini));
	ini->path = strdup(path);
	ini->mode = mode;
	if(!copy || !ini->path) {
		free(copy);
		return -1;
	}
	for(line = copy; line; line = next) {
		char *s, *eq;

		next = strchr(line, '\n');
		if(next)
			*next++ = '\0';
		lineno++;
		s = ts_trim(line);
		if(!*s || *s == '#' || *s == ';')
			continue;
		if(*s == '[') {
			char *end = strchr(s, ']'), *name;

			cur = NULL;
			in_defaults = in_bad = 0;
			if(!end || *ts_trim(end + 1)) {
				ts_ini_problem(ini, report, rctx, lineno,
					       "bad section header '%s'", s);
				in_bad = 1;
				continue;
			}
			*end = '\0';
			name = ts_trim(s + 1);
			if(!strcmp(name, "defaults"))
				in_defaults = 1;
			else if(!strncmp(name, "profile", 7) &&
				(name[7] == ' ' || name[7] == '\t') &&
				*ts_trim(name + 7)) {
				cur = new_section(ini, report, rctx,
						  ts_trim(name + 7), lineno);
				in_bad = !cur;
			}
			else {
				ts_ini_problem(ini, report, rctx, lineno,
					       "unknown section [%s]: expected [defaults] or [profile NAME]",
					       name);
				in_bad = 1;
			}
			continue;
		}
		eq = strchr(s, '=');
		if(!eq) {
			/* the line itself is not shown: it may be a
			   password that lost its "=" */
			ts_ini_problem(ini, report, rctx, lineno,
				       "expected 'key = value'");
			if(cur)
				cur->broken = 1;
			continue;
		}
		*eq = '\0';
		s = ts_trim(s);
		eq = ts_trim(eq + 1);
		if(!*s) {
			ts_ini_problem(ini, report, rctx, lineno,
				       "missing key before '='");
			continue;
		}
		if(in_bad)
			continue;
		if(in_defaults)
			ts_kv_add(&ini->defaults, &ini->ndefaults, s, eq, lineno);
		else if(cur)
			ts_kv_add(&cur->kv, &cur->nkv, s, eq, lineno);
		else
			ts_ini_problem(ini, report, rctx, lineno,
				       "key '%s' outside any section", s);
	}
	ts_wipe(copy, strlen(text));
	free(copy);
	return 0;
}

char *ts_config_find(void)
{
	const char *v = getenv("TOKENSHIM_CONFIG"), *home;
	char path[4096];

	if(v && *v)
		return strdup(v);
	v = getenv("XDG_CONFIG_HOME");
	home = getenv("HOME");
	if(v && *v)
		snprintf(path, sizeof(path), "%s/tokenshim/tokenshim.conf", v);
	else if(home && *home)
		snprintf(path, sizeof(path), "%s/.config/tokenshim/tokenshim.conf",
			 home);
	else
		path[0] = '\0';
	if(path[0] && access(path, F_OK) == 0)
		return strdup(path);
	return strdup("/etc/tokenshim.conf");
}

/* A problem with the file as a whole. */
static int unreadable(struct ts_ini *ini, const char *path,
		      ts_report_fn *report, void *rctx, const char *why)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s: %s", path, why);
	if(report)
		report(rctx, msg);
	ini->errors = 1;
	return -1;
}

int ts_ini_read(const char *path, int must_exist, struct ts_ini *ini,
		ts_report_fn *report, void *rctx)
{
	struct ts_buf b = {0};
	struct stat st;
	char chunk[4096], why[300];
	ssize_t n;
	int fd, rc;

	memset(ini, 0, sizeof(*ini));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if(fd < 0) {
		if(errno == ENOENT && !must_exist)
			return 0;
		snprintf(why, sizeof(why), "cannot read config: %s",
			 strerror(errno));
		return unreadable(ini, path, report, rctx, why);
	}
	if(fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return unreadable(ini, path, report, rctx, "not a regular file");
	}
	while((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < CONFIG_MAX)
		ts_buf_add(&b, chunk, (size_t)n);
	close(fd);
	ts_wipe(chunk, sizeof(chunk));
	if(n < 0 || b.len >= CONFIG_MAX || b.oom) {
		rc = b.len >= CONFIG_MAX;
		ts_buf_free(&b);
		return unreadable(ini, path, report, rctx, rc ?
				  "cannot read config: larger than 1 MiB" :
				  "cannot read config");
	}
	ts_buf_add(&b, "", 0);
	if(memchr(b.p, '\0', b.len)) {
		ts_buf_free(&b);
		return unreadable(ini, path, report, rctx,
				  "config contains a NUL byte");
	}
	rc = ts_ini_parse(path, b.p, (int)st.st_mode, ini, report, rctx);
	ts_buf_free(&b);
	return rc;
}

static void free_kv(struct ts_kv *kv, size_t n)
{
	size_t i;

	for(i = 0; i < n; i++) {
		free(kv[i].key);
		ts_free_secret(&kv[i].value);
	}
	free(kv);
}

void ts_ini_free(struct ts_ini *ini)
{
	size_t i;

	free_kv(ini->defaults, ini->ndefaults);
	for(i = 0; i < ini->nsections; i++) {
		free(ini->sections[i].name);
		free_kv(ini->sections[i].kv, ini->sections[i].nkv);
	}
	free(ini->sections);
	free(ini->path);
	memset(ini, 0, sizeof(*ini));
}
