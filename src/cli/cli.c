/*
 * The cli layer: the command, over the engine, the providers and the
 * store, as the preload library is over the transfer layer.
 *
 * cli: the tokenshim command. "exec" starts a program with the preload
 * library in front of any existing LD_PRELOAD; the other verbs read the
 * same config with the same engine the library uses, so that what they
 * print is what a preloaded program would get.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "provider/provider.h"
#include "store/seal.h"
#include "store/store.h"
#include "tokenshim_provider.h"
#include "util/buf.h"
#include "util/files.h"
#include "util/json.h"
#include "util/str.h"

static const char usage[] =
"Usage: tokenshim [-c FILE] COMMAND [-c FILE] [ARGS]\n"
"Gives unmodified libcurl programs the login tokens their APIs want.\n"
"\n"
"Commands:\n"
"  exec [-c FILE] [--env NAME=PROFILE]... [--] CMD [ARGS]\n"
"                                run CMD with tokenshim preloaded (and with\n"
"                                a token in NAME, not renewed, for programs\n"
"                                that do not use libcurl)\n"
"  token [--json] [--min-lifetime S] PROFILE\n"
"                                print a fresh token (exit 1 if none), valid\n"
"                                S seconds more at least\n"
"  header PROFILE                print the header, cookie or query that\n"
"                                would be injected\n"
"  match [--json] URL            show which profile applies to URL and how\n"
"                                its token would be injected (redacted)\n"
"  check [--json]                validate the config and its providers, and\n"
"                                try each fleet store (exit 0 good, 2 bad)\n"
"  providers [--json]            list installed providers and their keys\n"
"  status [--json]               one row per profile: state, expiry, logins,\n"
"                                refreshes, where the token came from and\n"
"                                its generation (never the token); and how\n"
"                                each fleet store is\n"
"  login PROFILE | --all         force a new token for every process,\n"
"                                releasing the one it replaces\n"
"  logout PROFILE | --all        release tokens upstream and delete them\n"
"                                from the shared cache and the fleet store\n"
"  keygen                        print a new fleet key (store_key)\n"
"  env [--unset] [--shell sh|fish]\n"
"                                print shell lines that preload tokenshim\n"
"                                into this shell: eval \"$(tokenshim env)\"\n"
"\n"
"Options:\n"
"  -c, --config FILE  config file (sets TOKENSHIM_CONFIG)\n"
"  -h, --help         show this help\n"
"  -V, --version      show the version\n"
"\n"
"Environment: TOKENSHIM_CONFIG, TOKENSHIM_CACHE_DIR, TOKENSHIM_CACHE_KEY_FILE,\n"
"TOKENSHIM_PROVIDER_PATH, TOKENSHIM_DEBUG, TOKENSHIM_LOG, TOKENSHIM_LIBRARY,\n"
"XDG_CONFIG_HOME, XDG_RUNTIME_DIR, XDG_CACHE_HOME. See tokenshim(1),\n"
"tokenshim.conf(5).\n";

static int config_given;	/* -c was given (set_config) */

/* What check --json reports: every line report() was given, in order
   ("file:line: message", NUL-separated). */
static struct ts_buf said;

static void report(void *ctx, const char *msg)
{
	int *count = ctx;

	fprintf(stderr, "tokenshim: %s\n", msg);
	ts_buf_add(&said, msg, strlen(msg) + 1);
	if(count)
		(*count)++;
}

static void json_str(const char *s);

static void forget_said(void)
{
	ts_buf_free(&said);
}

/* Writes "when" as RFC 3339 in UTC. */
static void json_time(time_t when)
{
	char t[32];

	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime(&when));
	printf("\"%s\"", t);
}

static int load(struct ts_engine *e, int *problems)
{
	char *path, searched[8300];
	int rc;

	if(ts_config_searched(searched, sizeof(searched))) {
		char msg[8400];

		/* as the library, which then sees no profiles */
		snprintf(msg, sizeof(msg), "no config found; searched %s "
			 "(or set TOKENSHIM_CONFIG, or use -c FILE)", searched);
		report(NULL, msg);
		path = ts_config_find();
		ts_engine_init(e, path, 0, report, problems);
		free(path);
		return -2;
	}
	path = ts_config_find();
	rc = ts_engine_init(e, path, 1, report, problems);
	free(path);
	return rc;
}

static struct ts_profile *need_profile(struct ts_engine *e, const char *name)
{
	struct ts_profile *p = ts_engine_profile(e, name);

	if(!p)
		fprintf(stderr, "tokenshim: %s: no profile named '%s'\n",
			e->cfg.path ? e->cfg.path : "config", name);
	return p;
}

#define MAX_ENV 32

/* The arguments after the verb, as verb_args read them. */
struct args {
	const char *operand;
	int all, json;
	int unset;		/* env --unset */
	const char *shell;	/* env --shell: "sh" or "fish"; NULL: $SHELL's */
	long minlife;		/* seconds; 0: none asked */
	const char *env[MAX_ENV];	/* "NAME=PROFILE" */
	int nenv;
	int cmd;		/* exec: where the command starts */
};

/* exec --env NAME=PROFILE: a fresh token in the child's environment,
   for programs that do not use libcurl. It is not renewed during the
   child's life. Returns 0, or an exit code after a message. */
static int exec_env(struct ts_engine *e, const struct args *a)
{
	int i;

	for(i = 0; i < a->nenv; i++) {
		const char *eq = strchr(a->env[i], '=');
		char name[256], err[512], *tok = NULL;
		struct ts_profile *p;
		size_t len;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - a->env[i]),
			 a->env[i]);
		p = need_profile(e, eq + 1);
		if(!p)
			return 1;
		if(ts_engine_token(p, NULL, 0, &tok, &len, err, sizeof(err)) !=
		   TS_OK) {
			fprintf(stderr, "tokenshim: exec: %s\n", err);
			return 1;
		}
		if(setenv(name, tok, 1)) {
			fprintf(stderr, "tokenshim: exec: cannot set %s: %s\n", name,
				strerror(errno));
			ts_free_secret(&tok);
			return 1;
		}
		ts_free_secret(&tok);
	}
	return 0;
}

/* The library to preload: $TOKENSHIM_LIBRARY, else the installed one
   (beside the command, for a tree unpacked elsewhere). */
static const char *library(char *buf, size_t len)
{
	const char *lib = getenv("TOKENSHIM_LIBRARY");

	return lib && *lib ? lib : ts_relocated(PKGLIBDIR "/libtokenshim.so", buf,
						 len);
}

/* LD_PRELOAD as it should be: with add, the library first (behind its
   sanitizer runtime, in an instrumented build), then the entries of old
   that are neither; without, old less those. Entries are separated by
   colons or blanks, as ld.so reads them. */
static int preload_list(const char *lib, const char *old, int add,
			struct ts_buf *out)
{
	const char *p = old ? old : "";

	if(add) {
#ifdef SANITIZER_RUNTIME
		/* an instrumented library works only behind its sanitizer runtime */
		ts_buf_printf(out, "%s:", SANITIZER_RUNTIME);
#endif
		ts_buf_adds(out, lib);
	}
	while(*p) {
		size_t n = strcspn(p, ": ");

		if(n && !(n == strlen(lib) && !strncmp(p, lib, n))
#ifdef SANITIZER_RUNTIME
		   && !(n == strlen(SANITIZER_RUNTIME) &&
			!strncmp(p, SANITIZER_RUNTIME, n))
#endif
		  ) {
			if(out->len)
				ts_buf_adds(out, ":");
			ts_buf_add(out, p, n);
		}
		p += n;
		p += strspn(p, ": ");
	}
	ts_buf_add(out, "", 1);
	out->len--;
	return out->oom ? -1 : 0;
}

static int cmd_exec(int argc, char **argv)
{
	char moved[4300];
	const char *lib = library(moved, sizeof(moved));
	struct ts_buf pre = {0};

	if(argc < 1) {
		fprintf(stderr, "tokenshim: exec: no command given\n%s", usage);
		return 2;
	}
	if(access(lib, R_OK)) {
		fprintf(stderr, "tokenshim: exec: cannot use %s: %s\n", lib,
			strerror(errno));
		return 127;
	}
	if(preload_list(lib, getenv("LD_PRELOAD"), 1, &pre) ||
	   setenv("LD_PRELOAD", pre.p, 1)) {
		fprintf(stderr, "tokenshim: exec: out of memory\n");
		return 127;
	}
	ts_buf_free(&pre);
	execvp(argv[0], argv);
	fprintf(stderr, "tokenshim: exec: %s: %s\n", argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* value quoted for sh (single quotes) or fish (single quotes, where a
   backslash escapes too). */
static void shell_quoted(const char *v, int fish)
{
	putchar('\'');
	for(; *v; v++) {
		if(*v == '\'')
			fputs(fish ? "\\'" : "'\\''", stdout);
		else if(*v == '\\' && fish)
			fputs("\\\\", stdout);
		else
			putchar(*v);
	}
	putchar('\'');
}

static void shell_set(const char *name, const char *value, int fish)
{
	if(!value || !*value)
		printf(fish ? "set -e %s;\n" : "unset %s;\n", name);
	else if(fish) {
		printf("set -gx %s ", name);
		shell_quoted(value, 1);
		printf(";\n");
	}
	else {
		printf("%s=", name);
		shell_quoted(value, 0);
		printf("; export %s;\n", name);
	}
}

/* Prints what puts the library into this shell's LD_PRELOAD (or, with
   --unset, takes it out), for eval "$(tokenshim env)": every program the
   shell starts from then on gets tokens, without an exec of ours. */
static int cmd_env(const struct args *a)
{
	char moved[4300];
	const char *lib = library(moved, sizeof(moved));
	const char *sh = getenv("SHELL"), *base;
	const char *cfg = getenv("TOKENSHIM_CONFIG");
	struct ts_buf pre = {0};
	int fish;

	base = sh && strrchr(sh, '/') ? strrchr(sh, '/') + 1 : sh;
	fish = a->shell ? !strcmp(a->shell, "fish") : base && !strcmp(base, "fish");
	if(!a->unset && access(lib, R_OK)) {
		fprintf(stderr, "tokenshim: env: cannot use %s: %s\n", lib,
			strerror(errno));
		return 1;
	}
	if(preload_list(lib, getenv("LD_PRELOAD"), !a->unset, &pre)) {
		fprintf(stderr, "tokenshim: env: out of memory\n");
		return 1;
	}
	shell_set("LD_PRELOAD", pre.p, fish);
	ts_buf_free(&pre);
	/* -c FILE set TOKENSHIM_CONFIG (as an absolute path) for this
	   shell's programs; --unset forgets it again */
	if(config_given)
		shell_set("TOKENSHIM_CONFIG", a->unset ? NULL : cfg, fish);
	return 0;
}

static int cmd_token(struct ts_engine *e, const char *name, int header,
		     int json, long minlife)
{
	struct ts_profile *p = need_profile(e, name);
	char err[512], *tok = NULL, *value;
	size_t len;
	int rc;

	if(!p)
		return 1;
	rc = ts_engine_token(p, NULL, 0, &tok, &len, err, sizeof(err));
	if(rc == TS_OK && minlife) {
		struct ts_status st;

		/* renew first when what is held runs out too soon */
		ts_engine_status(p, &st);
		if(st.expires_in < minlife) {
			ts_free_secret(&tok);
			rc = ts_engine_token(p, NULL, 1, &tok, &len, err, sizeof(err));
			ts_engine_status(p, &st);
			if(rc == TS_OK && st.expires_in < minlife) {
				snprintf(err, sizeof(err), "profile %s: a new token "
					 "lives %ld s, less than --min-lifetime %ld",
					 p->name, st.expires_in, minlife);
				ts_free_secret(&tok);
				rc = TS_EPROTO;
			}
		}
	}
	if(rc != TS_OK) {
		fprintf(stderr, "tokenshim: %s\n", err);
		return 1;
	}
	if(json) {
		struct ts_status st;

		ts_engine_status(p, &st);
		printf("{\"profile\":");
		json_str(p->name);
		printf(",\"token\":");
		json_str(tok);
		printf(",\"expires_at\":");
		json_time(time(NULL) + st.expires_in);
		printf(",\"expires_in\":%ld}\n", st.expires_in);
		ts_free_secret(&tok);
		return 0;
	}
	if(!header) {
		printf("%s\n", tok);
		ts_free_secret(&tok);
		return 0;
	}
	value = ts_inject_value(&p->inject, tok, len);
	ts_free_secret(&tok);
	if(!value)
		return 1;
	switch(p->inject.kind) {
	case TS_INJECT_HEADER:
		printf("%s: %s\n", p->inject.name, value);
		break;
	case TS_INJECT_COOKIE:
		printf("Cookie: %s=%s\n", p->inject.name, value);
		break;
	case TS_INJECT_QUERY:
		printf("?%s=%s\n", p->inject.name, value);
		break;
	}
	ts_free_secret(&value);
	return 0;
}

static int cmd_match(struct ts_engine *e, const char *url, int json)
{
	const struct ts_pattern *pat = NULL;
	struct ts_profile *p = ts_engine_match(e, url, &pat);
	struct ts_inject shown_as;
	char safe[512], *shown = NULL;

	ts_safe_url(url, safe, sizeof(safe));
	if(p && p->usable) {
		/* rendered as a header would be, so "<token>" is not
		   %-encoded */
		shown_as = p->inject;
		shown_as.kind = TS_INJECT_HEADER;
		shown = ts_inject_value(&shown_as, "<token>", 7);
	}
	if(json) {
		printf("{\"url\":");
		json_str(safe);
		printf(",\"profile\":");
		if(p) {
			json_str(p->name);
			printf(",\"provider\":");
			json_str(p->prov ? p->prov->name : "");
			printf(",\"pattern\":");
			json_str(pat->text);
			printf(",\"usable\":%s", p->usable ? "true" : "false");
		}
		else
			printf("null");
		if(shown) {
			printf(",\"inject\":{\"kind\":\"%s\",\"name\":",
			       ts_inject_kind_name(p->inject.kind));
			json_str(p->inject.name);
			printf(",\"value\":");
			json_str(shown);
			printf("}");
		}
		printf("}\n");
	}
	else if(!p)
		printf("no profile matches %s\n", safe);
	else {
		printf("profile %s (provider %s) via %s\n", p->name,
		       p->prov ? p->prov->name : "?", pat->text);
		if(!p->usable)
			printf("  unusable: fix the errors reported for it\n");
		else if(p->inject.kind == TS_INJECT_HEADER)
			printf("  header %s: %s\n", p->inject.name, shown);
		else
			printf("  %s %s=%s\n", ts_inject_kind_name(p->inject.kind),
			       p->inject.name, shown);
	}
	free(shown);
	return p && p->usable ? 0 : 1;
}

/* Looks at the secret files a profile names, as a login would read
   them: a file others may read is a problem (the login refuses it), a
   group-readable one is noted, for shared service accounts. */
/* Says one finding about key kv of profile p, as the config's problems
   are said ("file:line: ..."). */
static void finding(const struct ts_profile *p, const struct ts_kv *kv,
		    int note, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void finding(const struct ts_profile *p, const struct ts_kv *kv,
		    int note, const char *fmt, ...)
{
	char what[600], line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s:%d: %sprofile %s: %s", p->file, kv->line,
		 note ? "note: " : "", p->name, what);
	report(NULL, line);
}

static int check_files(const struct ts_profile *p)
{
	size_t i;
	int bad = 0;

	for(i = 0; i < p->nkv; i++) {
		const struct ts_kv *kv = &p->kv[i];
		size_t n = strlen(kv->key);
		struct stat st;

		if(n < 5 || strcmp(kv->key + n - 5, "_file") ||
		   !strcmp(kv->key, "ca_file"))
			continue;
		if(lstat(kv->value, &st)) {
			finding(p, kv, 0, "%s %s: %s", kv->key, kv->value,
				strerror(errno));
			bad++;
		}
		else if(!S_ISREG(st.st_mode)) {
			finding(p, kv, 0, "%s %s is %s, not a regular file", kv->key,
				kv->value, ts_file_kind(&st));
			bad++;
		}
		else if(st.st_mode & S_IROTH) {
			finding(p, kv, 0, "%s %s is readable by others; chmod o-r it",
				kv->key, kv->value);
			bad++;
		}
		else if(st.st_mode & S_IRGRP)
			finding(p, kv, 1, "%s %s is readable by its group (gid %u)",
				kv->key, kv->value, (unsigned)st.st_gid);
	}
	return bad;
}

/* How each secret key of p is given: "literal", "env", "file", "cmd",
   or "default" (never the secret). */
static void json_secrets(const struct ts_profile *p)
{
	static const char *const forms[] = { "", "_env", "_file", "_cmd" };
	static const char *const kinds[] = { "literal", "env", "file", "cmd" };
	const struct tokenshim_key *k;
	int first = 1, i;

	printf("{");
	for(k = p->prov ? p->prov->p->keys : NULL; k && k->name; k++) {
		if(!(k->flags & TOKENSHIM_KEY_SECRET))
			continue;
		for(i = 0; i < 4; i++) {
			char name[96];

			snprintf(name, sizeof(name), "%s%s", k->name, forms[i]);
			if(ts_profile_kv(p, name))
				break;
		}
		if(i == 4 && !k->def)
			continue;
		printf("%s", first ? "" : ",");
		first = 0;
		json_str(k->name);
		printf(":\"%s\"", i < 4 ? kinds[i] : "default");
	}
	printf("}");
}

/* The findings said so far that belong to profile name ("file:line:
   profile NAME: ..." and its notes), or to no profile when name is NULL,
   as a JSON array of {file, line, message}. */
static void json_findings(const char *path, const char *name, int notes)
{
	const char *m = said.p, *end = said.p + said.len;
	size_t plen = path ? strlen(path) : 0;
	int first = 1;

	printf("[");
	for(; m && m < end; m += strlen(m) + 1) {
		const char *rest = m;
		char own[300];
		long line = 0;
		int is_note, mine;

		if(path && !strncmp(m, path, plen) && m[plen] == ':') {
			rest = m + plen + 1;
			line = strtol(rest, (char **)&rest, 10);
			if(*rest == ':')
				rest++;
			while(*rest == ' ')
				rest++;
		}
		is_note = !strncmp(rest, "note: ", 6);
		if(is_note)
			rest += 6;
		if(is_note != notes)
			continue;
		snprintf(own, sizeof(own), "profile %s: ", name ? name : "");
		mine = name ? !strncmp(rest, own, strlen(own)) :
			      strncmp(rest, "profile ", 8) != 0;
		if(!mine)
			continue;
		printf("%s{\"file\":", first ? "" : ",");
		first = 0;
		json_str(path ? path : "");
		printf(",\"line\":");
		if(line)
			printf("%ld", line);
		else
			printf("null");
		printf(",\"message\":");
		json_str(name ? rest + strlen(own) : rest);
		printf("}");
	}
	printf("]");
}

/* The fleet stores of e's usable profiles, each once: n of them in
   out (at most max), with the first profile that uses each. */
static size_t stores_of(struct ts_engine *e, struct ts_store **out,
			struct ts_profile **by, size_t max)
{
	size_t i, j, n = 0;

	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_profile *p = &e->cfg.profiles[i];
		struct ts_store *st = NULL;
		char why[300];

		if(!p->usable || !ts_engine_store(p, &st, why, sizeof(why)) || !st)
			continue;
		for(j = 0; j < n && out[j] != st; j++)
			;
		if(j == n && n < max) {
			by[n] = p;
			out[n++] = st;
		}
	}
	return n;
}

struct saying {
	int json;
	int n;		/* lines said so far, for the JSON commas */
};

static void say_check(void *ctx, int bad, const char *msg)
{
	struct saying *say = ctx;

	if(!say->json) {
		printf("  %s%s\n", bad ? "REFUSED: " : "", msg);
		return;
	}
	printf("%s{\"permitted\":%s,\"message\":", say->n++ ? "," : "",
	       bad ? "false" : "true");
	json_str(msg);
	printf("}");
}

/* Connects to each fleet store, authenticates and tries what tokenshim
   needs of it; with json, as the members of a JSON array. Returns the
   number of stores that fail. */
static int check_stores(struct ts_engine *e, int json)
{
	struct ts_store *st[16];
	struct ts_profile *by[16];
	size_t n = stores_of(e, st, by, 16), i;
	int bad = 0, items = 0;

	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_profile *p = &e->cfg.profiles[i];
		struct ts_store *s = NULL;
		char why[300] = "";
		const char *url;

		/* a store that could not be set up (its key, its password) */
		if(!p->usable || !(url = ts_engine_store(p, &s, why, sizeof(why))) ||
		   s)
			continue;
		bad++;
		if(!json) {
			fprintf(stderr, "tokenshim: profile %s: %s\n", p->name, why);
			continue;
		}
		printf("%s{\"url\":", items++ ? "," : "");
		json_str(url);
		printf(",\"profile\":");
		json_str(p->name);
		printf(",\"ok\":false,\"error\":");
		json_str(why);
		printf(",\"results\":[]}");
	}
	for(i = 0; i < n; i++) {
		struct saying say = { json, 0 };
		int rc;

		if(!json)
			printf("store %s (profile %s%s):\n", ts_store_where(st[i]),
			       by[i]->name, n > 1 ? " and others" : "");
		else {
			printf("%s{\"url\":", items++ ? "," : "");
			json_str(ts_store_where(st[i]));
			printf(",\"profile\":");
			json_str(by[i]->name);
			printf(",\"results\":[");
		}
		rc = ts_store_check(st[i], say_check, &say);
		if(rc != TS_STORE_OK)
			bad++;
		if(json)
			printf("],\"ok\":%s}", rc == TS_STORE_OK ? "true" : "false");
		else if(rc != TS_STORE_OK)
			fprintf(stderr, "tokenshim: store %s: cannot be used as "
				"configured\n", ts_store_where(st[i]));
	}
	return bad;
}

static int cmd_check(struct ts_engine *e, int problems, int json)
{
	size_t i, usable = 0;

	for(i = 0; i < e->cfg.nprofiles; i++)
		if(e->cfg.profiles[i].usable)
			problems += check_files(&e->cfg.profiles[i]);
	if(json)
		printf("{\"stores\":[");
	problems += check_stores(e, json);
	for(i = 0; i < e->cfg.nprofiles; i++)
		usable += e->cfg.profiles[i].usable ? 1 : 0;
	if(json) {
		printf("],\"config\":");
		json_str(e->cfg.path ? e->cfg.path : "");
		printf(",\"ok\":%s,\"problems\":",
		       problems || e->cfg.errors ? "false" : "true");
		json_findings(e->cfg.path, NULL, 0);
		printf(",\"profiles\":[");
		for(i = 0; i < e->cfg.nprofiles; i++) {
			const struct ts_profile *p = &e->cfg.profiles[i];

			printf("%s{\"profile\":", i ? "," : "");
			json_str(p->name);
			printf(",\"provider\":");
			if(p->prov)
				json_str(p->prov->name);
			else
				printf("null");
			printf(",\"usable\":%s,\"secrets\":",
			       p->usable ? "true" : "false");
			json_secrets(p);
			printf(",\"problems\":");
			json_findings(e->cfg.path, p->name, 0);
			printf(",\"notes\":");
			json_findings(e->cfg.path, p->name, 1);
			printf("}");
		}
		printf("]}\n");
		return problems || e->cfg.errors ? 2 : 0;
	}
	if(problems || e->cfg.errors) {
		fprintf(stderr, "tokenshim: %s: %d problem(s); %zu of %zu profile(s) usable\n",
			e->cfg.path ? e->cfg.path : "config",
			problems ? problems : e->cfg.errors, usable,
			e->cfg.nprofiles);
		return 2;
	}
	printf("%s: %zu profile(s), all usable\n", e->cfg.path,
	       e->cfg.nprofiles);
	return 0;
}

struct listing {
	int broken;
	int json;
	int n;
};

static void list_one(void *ctx, const char *name, const char *path)
{
	struct listing *l = ctx;
	char err[512];
	const struct ts_provider_mod *m = ts_provider_load(name, err, sizeof(err));
	const struct tokenshim_key *k;

	if(!m)
		l->broken++;
	if(l->json) {
		printf("%s{\"name\":", l->n++ ? "," : "");
		json_str(name);
		printf(",\"path\":");
		json_str(path);
		if(!m) {
			printf(",\"broken\":");
			json_str(err);
			printf("}");
			return;
		}
		printf(",\"inject\":");
		json_str(m->p->inject);
		printf(",\"keys\":[");
		for(k = m->p->keys; k->name; k++) {
			printf("%s{\"name\":", k == m->p->keys ? "" : ",");
			json_str(k->name);
			printf(",\"required\":%s,\"secret\":%s,\"default\":",
			       k->flags & TOKENSHIM_KEY_REQUIRED ? "true" : "false",
			       k->flags & TOKENSHIM_KEY_SECRET ? "true" : "false");
			if(k->def)
				json_str(k->def);
			else
				printf("null");
			printf("}");
		}
		printf("]}");
		return;
	}
	if(!m) {
		printf("%s  (broken: %s)\n", name, err);
		return;
	}
	printf("%s  %s\n  keys:", name, m->p->inject);
	for(k = m->p->keys; k->name; k++)
		printf(" %s%s%s", k->name,
		       k->flags & TOKENSHIM_KEY_REQUIRED ? "*" : "",
		       k->flags & TOKENSHIM_KEY_SECRET ? "(secret)" : "");
	printf("\n");
}

static int cmd_providers(int json)
{
	struct listing l = { 0, json, 0 };

	if(json) {
		printf("{\"path\":");
		json_str(ts_provider_path());
		printf(",\"providers\":[");
	}
	else
		printf("providers in %s (* required):\n", ts_provider_path());
	ts_provider_each(list_one, &l);
	if(json)
		printf("]}\n");
	return l.broken ? 2 : 0;
}

static int logout_one(struct ts_profile *p)
{
	char err[512];
	int held = 0;

	if(ts_engine_logout(p, &held, err, sizeof(err)) != TS_OK) {
		fprintf(stderr, "tokenshim: %s\n", err);
		return 1;
	}
	printf("profile %s: %s\n", p->name, held ? "logged out" : "nothing held");
	return 0;
}

static int cmd_logout(struct ts_engine *e, const char *name)
{
	struct ts_profile *p = need_profile(e, name);

	return p ? logout_one(p) : 1;
}

/* Runs fn for every usable profile (login --all, logout --all). */
static int cmd_each(struct ts_engine *e,
		    int (*fn)(struct ts_engine *e, const char *name))
{
	size_t i;
	int rc = 0;

	for(i = 0; i < e->cfg.nprofiles; i++)
		if(e->cfg.profiles[i].usable &&
		   !(e->cfg.profiles[i].prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE))
			rc |= fn(e, e->cfg.profiles[i].name);
	return rc;
}

static int cmd_login(struct ts_engine *e, const char *name)
{
	struct ts_profile *p = need_profile(e, name);
	struct ts_status st;
	char err[512], *tok = NULL;
	size_t len;

	if(!p)
		return 1;
	if(ts_engine_token(p, NULL, 1, &tok, &len, err, sizeof(err)) !=
	   TS_OK) {
		fprintf(stderr, "tokenshim: %s\n", err);
		return 1;
	}
	ts_free_secret(&tok);
	ts_engine_status(p, &st);
	printf("profile %s: new token, expires in %lds\n", name, st.expires_in);
	return 0;
}

static void json_str(const char *s)
{
	struct ts_buf b = {0};

	ts_json_add_string(&b, s);
	fputs(b.p ? b.p : "\"\"", stdout);
	ts_buf_free(&b);
}

/* A duration as people read it: "42s", "59m 3s", "5h 59m", "3d 4h". */
static void human(long s, char *out, size_t len)
{
	if(s < 60)
		snprintf(out, len, "%lds", s);
	else if(s < 3600)
		snprintf(out, len, "%ldm %lds", s / 60, s % 60);
	else if(s < 86400)
		snprintf(out, len, "%ldh %ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, len, "%ldd %ldh", s / 86400, s % 86400 / 3600);
}

/* One line per fleet store: reachable or not, its role, one round trip. */
static void print_stores(struct ts_engine *e)
{
	struct ts_store *st[16];
	struct ts_profile *by[16];
	size_t n = stores_of(e, st, by, 16), i;

	for(i = 0; i < n; i++) {
		struct ts_store_health h;

		if(ts_store_health(st[i], &h) == TS_STORE_OK)
			printf("store: %s: reachable, role %s, round trip %.2f ms%s%s\n",
			       ts_store_where(st[i]), h.role[0] ? h.role : "?",
			       h.rtt_us / 1000.0, h.primary[0] ? ", primary " : "",
			       h.primary);
		else
			printf("store: %s: unreachable: %s\n", ts_store_where(st[i]),
			       h.why[0] ? h.why : "no answer");
	}
}

/* p's store for status --json: null, or its URL and health. */
static void json_store(struct ts_profile *p)
{
	struct ts_store *st = NULL;
	struct ts_store_health h;
	char why[300] = "";
	const char *url = ts_engine_store(p, &st, why, sizeof(why));

	if(!url || !p->usable) {
		printf("null");
		return;
	}
	printf("{\"url\":");
	json_str(url);
	if(st && ts_store_health(st, &h) == TS_STORE_OK) {
		printf(",\"reachable\":true,\"role\":");
		json_str(h.role);
		printf(",\"rtt_ms\":%.3f}", h.rtt_us / 1000.0);
		return;
	}
	printf(",\"reachable\":false,\"error\":");
	json_str(st ? h.why : why);
	printf("}");
}

/* A fleet key: 32 random bytes in hex, as store_key_file wants it. */
static int cmd_keygen(void)
{
	unsigned char k[32];
	char hex[65];
	size_t i;

	if(ts_seal_random(k, sizeof(k))) {
		fprintf(stderr, "tokenshim: keygen: no random bytes\n");
		return 1;
	}
	for(i = 0; i < sizeof(k); i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	printf("%s\n", hex);
	ts_wipe(k, sizeof(k));
	ts_wipe(hex, sizeof(hex));
	return 0;
}

static int cmd_status(struct ts_engine *e, int json)
{
	struct ts_store *st_local = ts_store_local();
	const char *where = ts_store_where(st_local);
	size_t i;
	int w = 7;

	for(i = 0; i < e->cfg.nprofiles; i++)
		if((int)strlen(e->cfg.profiles[i].name) > w)
			w = (int)strlen(e->cfg.profiles[i].name);
	if(json)
		printf("[");
	else {
		if(where)
			printf("cache: shared at %s\n", where);
		else
			printf("cache: memory only: %s\n", ts_store_why() ?
			       ts_store_why() : "the shared cache is off");
		print_stores(e);
		printf("%-*s %-20s %-9s %-16s %-20s %6s %9s %-11s %s\n", w, "PROFILE",
		       "PROVIDER", "STATE", "EXPIRES", "OBTAINED", "LOGINS",
		       "REFRESHES", "SOURCE", "GEN");
	}
	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_profile *p = &e->cfg.profiles[i];
		struct ts_status st;
		char when[32] = "-", left[32] = "-";

		ts_engine_status(p, &st);
		if(!p->usable)
			st.state = "unusable";
		if(st.obtained)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
				 gmtime(&st.obtained));
		if(strcmp(st.state, "none") && strcmp(st.state, "unusable"))
			snprintf(left, sizeof(left), "%lds", st.expires_in);
		if(!json) {
			char shown[40] = "-", d[24];

			if(strcmp(left, "-")) {
				human(st.expires_in < 0 ? -st.expires_in : st.expires_in,
				      d, sizeof(d));
				snprintf(shown, sizeof(shown), st.expires_in < 0 ?
					 "expired %s ago" : "in %s", d);
			}
			printf("%-*s %-20s %-9s %-16s %-20s %6u %9u %-11s %llu\n", w,
			       p->name, p->prov ? p->prov->name : "?", st.state, shown,
			       when, st.logins, st.refreshes,
			       st.source ? st.source : "-", st.gen);
			continue;
		}
		printf("%s{\"profile\":", i ? "," : "");
		json_str(p->name);
		printf(",\"provider\":");
		json_str(p->prov ? p->prov->name : "");
		printf(",\"state\":\"%s\",\"expires_in\":", st.state);
		if(strcmp(left, "-"))
			printf("%ld", st.expires_in);
		else
			printf("null");
		printf(",\"expires_at\":");
		if(strcmp(left, "-"))
			json_time(time(NULL) + st.expires_in);
		else
			printf("null");
		printf(",\"obtained_at\":");
		if(st.obtained)
			json_str(when);
		else
			printf("null");
		printf(",\"logins\":%u,\"refreshes\":%u,\"source\":", st.logins,
		       st.refreshes);
		if(st.source)
			json_str(st.source);
		else
			printf("null");
		printf(",\"generation\":%llu,\"store\":", st.gen);
		json_store(p);
		printf("}");
	}
	if(json)
		printf("]\n");
	return 0;
}

static int set_config(const char *file)
{
	config_given = 1;
	char abs[PATH_MAX];

	/* absolute, so that a child that changes directory still finds it */
	if(!realpath(file, abs)) {
		fprintf(stderr, "tokenshim: %s: %s\n", file, strerror(errno));
		return -1;
	}
	return setenv("TOKENSHIM_CONFIG", abs, 1);
}

/* What a verb takes: its one operand (PROFILE or URL), and the options
   it knows besides -c. */
/* What a verb takes: its one operand (PROFILE or URL), and the options
   it knows besides -c. */
struct verb {
	const char *name;
	const char *operand;	/* NULL: none */
	int all;		/* --all instead of the operand */
	int json;		/* --json */
	int env;		/* --env NAME=PROFILE (exec) */
	int minlife;		/* --min-lifetime SECONDS (token) */
	int shell;		/* --unset, --shell sh|fish (env) */
};

static const struct verb verbs[] = {
	{"exec", NULL, 0, 0, 1, 0, 0},
	{"token", "PROFILE", 0, 1, 0, 1, 0},
	{"header", "PROFILE", 0, 0, 0, 0, 0},
	{"match", "URL", 0, 1, 0, 0, 0},
	{"check", NULL, 0, 1, 0, 0, 0},
	{"providers", NULL, 0, 1, 0, 0, 0},
	{"status", NULL, 0, 1, 0, 0, 0},
	{"login", "PROFILE", 1, 0, 0, 0, 0},
	{"logout", "PROFILE", 1, 0, 0, 0, 0},
	{"keygen", NULL, 0, 0, 0, 0, 0},
	{"env", NULL, 0, 0, 0, 0, 1},
	{NULL, NULL, 0, 0, 0, 0, 0}
};

/* The value of option a at argv[*i] ("--opt VALUE" or "--opt=VALUE"), or
   NULL after a message. */
static const char *opt_value(const struct verb *v, const char *opt, int argc,
			     char **argv, int *i)
{
	const char *a = argv[*i];
	size_t n = strlen(opt);

	if(!strncmp(a, opt, n) && a[n] == '=')
		return a + n + 1;
	if(*i + 1 >= argc) {
		fprintf(stderr, "tokenshim: %s: %s needs a value\n", v->name, opt);
		return NULL;
	}
	return argv[++*i];
}

static int is_opt(const char *a, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(a, opt, n) && (a[n] == '\0' || a[n] == '=');
}

/* Reads the arguments after the verb: options in any order (-c FILE,
   --config FILE or --config=FILE, and the verb's own), then its operand;
   "--" ends the options. For exec, the first word that is no option
   starts the command. Returns 0, or 2 after a message. */
static int verb_args(const struct verb *v, int argc, char **argv, int i,
		     struct args *o)
{
	int dashdash = 0, is_exec = !strcmp(v->name, "exec");
	const char *val;

	memset(o, 0, sizeof(*o));
	for(; i < argc; i++) {
		const char *a = argv[i];

		if(!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
			if(is_exec) {
				o->cmd = i + 1;
				return 0;
			}
			continue;
		}
		if(!dashdash && a[0] == '-' && a[1]) {
			if(!strcmp(a, "-c") || is_opt(a, "--config")) {
				if(!(val = opt_value(v, a[1] == 'c' ? "-c" : "--config",
						     argc, argv, &i)) ||
				   set_config(val))
					return 2;
			}
			else if(v->all && !strcmp(a, "--all"))
				o->all = 1;
			else if(v->json && !strcmp(a, "--json"))
				o->json = 1;
			else if(v->env && is_opt(a, "--env")) {
				if(!(val = opt_value(v, "--env", argc, argv, &i)))
					return 2;
				if(!strchr(val, '=') || val[0] == '=' ||
				   !strchr(val, '=')[1] || o->nenv >= MAX_ENV) {
					fprintf(stderr, "tokenshim: exec: --env takes "
						"NAME=PROFILE (at most %d), not '%s'\n",
						MAX_ENV, val);
					return 2;
				}
				o->env[o->nenv++] = val;
			}
			else if(v->minlife && is_opt(a, "--min-lifetime")) {
				char *end;

				if(!(val = opt_value(v, "--min-lifetime", argc, argv, &i)))
					return 2;
				o->minlife = strtol(val, &end, 10);
				if(*end || end == val || o->minlife <= 0 ||
				   o->minlife > 31536000) {
					fprintf(stderr, "tokenshim: token: --min-lifetime "
						"takes seconds from 1 to 31536000, not '%s'\n",
						val);
					return 2;
				}
			}
			else if(v->shell && !strcmp(a, "--unset"))
				o->unset = 1;
			else if(v->shell && is_opt(a, "--shell")) {
				if(!(val = opt_value(v, "--shell", argc, argv, &i)))
					return 2;
				if(strcmp(val, "sh") && strcmp(val, "fish")) {
					fprintf(stderr, "tokenshim: env: --shell takes sh "
						"or fish, not '%s'\n", val);
					return 2;
				}
				o->shell = val;
			}
			else if(!strcmp(a, "-h") || !strcmp(a, "--help")) {
				fputs(usage, stdout);
				exit(0);
			}
			else {
				/* never taken as exec's command: "-x curl"
				   is a typo, not a program called -x */
				fprintf(stderr, "tokenshim: %s: unknown option '%s' "
					"(see tokenshim --help)\n", v->name, a);
				return 2;
			}
			continue;
		}
		if(is_exec) {
			o->cmd = i;
			return 0;
		}
		if(!v->operand || o->operand) {
			fprintf(stderr, "tokenshim: %s: unexpected argument '%s'\n",
				v->name, a);
			return 2;
		}
		o->operand = a;
	}
	if(is_exec) {
		o->cmd = argc;
		return 0;
	}
	if(v->operand && !o->operand && !o->all) {
		fprintf(stderr, "tokenshim: %s: missing %s\n", v->name, v->operand);
		return 2;
	}
	if(o->operand && o->all) {
		fprintf(stderr, "tokenshim: %s: give %s or --all, not both\n",
			v->name, v->operand);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const struct verb *v;
	struct ts_engine e;
	struct args a;
	int c, rc, problems = 0;

	atexit(forget_said);
	/* "+": stop at the verb; verb_args reads the rest */
	while((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch(c) {
		case 'c':
			if(set_config(optarg))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V': {
			const char *lib = getenv("TOKENSHIM_LIBRARY");
			char places[8300], moved[4300];

			ts_config_places(places, sizeof(places));
			printf("tokenshim %s (provider ABI %d)\n", PACKAGE_VERSION,
			       TOKENSHIM_PROVIDER_ABI);
			printf("library:   %s\n", lib && *lib ? lib :
			       ts_relocated(PKGLIBDIR "/libtokenshim.so", moved,
					    sizeof(moved)));
			printf("providers: %s\n", ts_provider_path());
			printf("config:    %s\n", places);
			return 0;
		}
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if(optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	for(v = verbs; v->name && strcmp(v->name, argv[optind]); v++)
		;
	if(!v->name) {
		fprintf(stderr, "tokenshim: unknown command '%s'\n%s", argv[optind],
			usage);
		return 2;
	}
	if(verb_args(v, argc, argv, optind + 1, &a))
		return 2;
	if(!strcmp(v->name, "exec") && !a.nenv)
		return cmd_exec(argc - a.cmd, argv + a.cmd);
	if(!strcmp(v->name, "keygen"))
		return cmd_keygen();
	if(!strcmp(v->name, "env"))
		return cmd_env(&a);
	if(!strcmp(v->name, "providers")) {
		rc = cmd_providers(a.json);
		ts_provider_unload_all();
		return rc;
	}
	rc = load(&e, &problems);
	if(rc == -2 && a.json && !strcmp(v->name, "check")) {
		printf("{\"stores\":[],\"config\":null,\"ok\":false,\"problems\":");
		json_findings(NULL, NULL, 0);
		printf(",\"profiles\":[]}\n");
	}
	if(rc && (rc == -2 || strcmp(v->name, "check"))) {
		ts_engine_free(&e);
		return !strcmp(v->name, "match") || !strcmp(v->name, "check") ? 2 : 1;
	}
	if(!strcmp(v->name, "exec")) {
		rc = exec_env(&e, &a);
		ts_engine_free(&e);
		ts_provider_unload_all();
		return rc ? rc : cmd_exec(argc - a.cmd, argv + a.cmd);
	}
	if(!strcmp(v->name, "check"))
		rc = cmd_check(&e, problems, a.json);
	else if(!strcmp(v->name, "token"))
		rc = cmd_token(&e, a.operand, 0, a.json, a.minlife);
	else if(!strcmp(v->name, "header"))
		rc = cmd_token(&e, a.operand, 1, 0, 0);
	else if(!strcmp(v->name, "match"))
		rc = cmd_match(&e, a.operand, a.json);
	else if(!strcmp(v->name, "status"))
		rc = cmd_status(&e, a.json);
	else if(!strcmp(v->name, "login"))
		rc = a.all ? cmd_each(&e, cmd_login) : cmd_login(&e, a.operand);
	else
		rc = a.all ? cmd_each(&e, cmd_logout) : cmd_logout(&e, a.operand);
	ts_engine_free(&e);
	ts_provider_unload_all();
	return rc;
}
