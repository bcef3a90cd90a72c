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
#include "util/files.h"
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

const struct ts_kv *ts_kv_find_line(const struct ts_kv *kv, size_t n,
				    int line)
{
	size_t i;

	for(i = 0; i < n; i++)
		if(kv[i].line == line)
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
	/* a UTF-8 byte-order mark, as some Windows editors write */
	line = copy;
	if(!strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	for(; line; line = next) {
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
				/* never echoed: a line that lost its "]" may
				   as well be a password */
				ts_ini_problem(ini, report, rctx, lineno, !end ?
					       "bad section header: no closing ']'" :
					       "bad section header: text after ']'");
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
					       "unknown section: expected [defaults] or [profile NAME]");
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

/* The default places, in order, into out[0..1]; returns how many. */
static int default_places(char out[2][4096])
{
	const char *v = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n = 0;

	if(v && *v)
		snprintf(out[n++], 4096, "%s/tokenshim/tokenshim.conf", v);
	else if(home && *home)
		snprintf(out[n++], 4096, "%s/.config/tokenshim/tokenshim.conf",
			 home);
	snprintf(out[n++], 4096, "/etc/tokenshim.conf");
	return n;
}

char *ts_config_find(void)
{
	const char *v = getenv("TOKENSHIM_CONFIG");
	char places[2][4096];
	int n, i;

	if(v && *v)
		return strdup(v);
	n = default_places(places);
	for(i = 0; i < n - 1; i++)
		if(access(places[i], F_OK) == 0)
			return strdup(places[i]);
	return strdup(places[n - 1]);
}

void ts_config_places(char *out, size_t len)
{
	const char *v = getenv("TOKENSHIM_CONFIG");
	char places[2][4096];
	int n;

	if(v && *v) {
		snprintf(out, len, "%s (TOKENSHIM_CONFIG)", v);
		return;
	}
	n = default_places(places);
	if(n > 1)
		snprintf(out, len, "%s, then %s", places[0], places[1]);
	else
		snprintf(out, len, "%s", places[0]);
}

int ts_config_searched(char *out, size_t len)
{
	const char *v = getenv("TOKENSHIM_CONFIG");
	char places[2][4096];
	int n, i;

	if(v && *v)
		return 0;
	n = default_places(places);
	for(i = 0; i < n; i++)
		if(access(places[i], F_OK) == 0)
			return 0;
	snprintf(out, len, "%s, %s", n > 1 ? places[0] : "$HOME unset",
		 places[n - 1]);
	return 1;
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
	struct stat st;
	char why[300], msg[400], *text;
	size_t len;
	int rc;

	memset(ini, 0, sizeof(*ini));
	if(ts_read_regular(path, CONFIG_MAX, &text, &len, &st, why,
			   sizeof(why))) {
		if(errno == ENOENT && !must_exist)
			return 0;
		snprintf(msg, sizeof(msg), "cannot read config: %s", why);
		return unreadable(ini, path, report, rctx, msg);
	}
	/* Its _cmd keys run in every preloaded process, and its url decides
	   where passwords go: like ssh, only its owner (or root) may be able
	   to change it. */
	if(st.st_uid != geteuid() && st.st_uid != 0) {
		ts_wipe(text, len);
		free(text);
		snprintf(msg, sizeof(msg), "not used: owned by uid %u, neither you "
			 "nor root", (unsigned)st.st_uid);
		return unreadable(ini, path, report, rctx, msg);
	}
	if(st.st_mode & 022) {
		ts_wipe(text, len);
		free(text);
		return unreadable(ini, path, report, rctx,
				  "not used: writable by group or others; chmod go-w it");
	}
	if(memchr(text, '\0', len)) {
		ts_wipe(text, len);
		free(text);
		return unreadable(ini, path, report, rctx,
				  "config contains a NUL byte");
	}
	rc = ts_ini_parse(path, text, (int)st.st_mode, ini, report, rctx);
	ts_wipe(text, len);
	free(text);
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
