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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "provider/provider.h"
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
"  exec [-c FILE] -- CMD [ARGS]  run CMD with tokenshim preloaded\n"
"  token PROFILE                 print a fresh token (exit 1 if none)\n"
"  header PROFILE                print the header, cookie or query that\n"
"                                would be injected\n"
"  match URL                     show which profile applies to URL and how\n"
"                                its token would be injected (redacted)\n"
"  check                         validate the config and its providers\n"
"                                (exit 0 good, 2 bad)\n"
"  providers                     list installed providers and their keys\n"
"  status [--json]               one row per profile: state, expiry, logins\n"
"                                and refreshes (never the token)\n"
"  login PROFILE | --all         force a new token for every process,\n"
"                                releasing the one it replaces\n"
"  logout PROFILE | --all        release tokens upstream and delete them\n"
"                                from the shared cache\n"
"\n"
"Options:\n"
"  -c, --config FILE  config file (sets TOKENSHIM_CONFIG)\n"
"  -h, --help         show this help\n"
"  -V, --version      show the version\n"
"\n"
"Environment: TOKENSHIM_CONFIG, TOKENSHIM_CACHE_DIR, TOKENSHIM_CACHE_KEY_FILE,\n"
"TOKENSHIM_PROVIDER_PATH, TOKENSHIM_DEBUG, TOKENSHIM_LIBRARY, XDG_CONFIG_HOME,\n"
"XDG_RUNTIME_DIR. See tokenshim(1), tokenshim.conf(5).\n";

static void report(void *ctx, const char *msg)
{
	int *count = ctx;

	fprintf(stderr, "tokenshim: %s\n", msg);
	if(count)
		(*count)++;
}

static int load(struct ts_engine *e, int *problems)
{
	char *path, searched[8300];
	int rc;

	if(ts_config_searched(searched, sizeof(searched))) {
		/* as the library, which then sees no profiles */
		fprintf(stderr, "tokenshim: no config found; searched %s "
			"(or set TOKENSHIM_CONFIG, or use -c FILE)\n", searched);
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

static int cmd_exec(int argc, char **argv)
{
	const char *lib = getenv("TOKENSHIM_LIBRARY");
	const char *old = getenv("LD_PRELOAD");
	struct ts_buf pre = {0};

	if(argc < 1) {
		fprintf(stderr, "tokenshim: exec: no command given\n%s", usage);
		return 2;
	}
	if(!lib || !*lib)
		lib = PKGLIBDIR "/libtokenshim.so";
	if(access(lib, R_OK)) {
		fprintf(stderr, "tokenshim: exec: cannot use %s: %s\n", lib,
			strerror(errno));
		return 127;
	}
#ifdef SANITIZER_RUNTIME
	/* an instrumented library works only behind its sanitizer runtime */
	ts_buf_printf(&pre, "%s:", SANITIZER_RUNTIME);
#endif
	ts_buf_adds(&pre, lib);
	if(old && *old) {
		ts_buf_adds(&pre, ":");
		ts_buf_adds(&pre, old);
	}
	if(pre.oom || setenv("LD_PRELOAD", pre.p, 1)) {
		fprintf(stderr, "tokenshim: exec: out of memory\n");
		return 127;
	}
	ts_buf_free(&pre);
	execvp(argv[0], argv);
	fprintf(stderr, "tokenshim: exec: %s: %s\n", argv[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

static int cmd_token(struct ts_engine *e, const char *name, int header)
{
	struct ts_profile *p = need_profile(e, name);
	char err[512], *tok = NULL, *value;
	size_t len;
	int rc;

	if(!p)
		return 1;
	rc = ts_engine_token(p, NULL, 0, &tok, &len, err, sizeof(err));
	if(rc != TS_OK) {
		fprintf(stderr, "tokenshim: %s\n", err);
		return 1;
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

static int cmd_match(struct ts_engine *e, const char *url)
{
	const struct ts_pattern *pat = NULL;
	struct ts_profile *p = ts_engine_match(e, url, &pat);
	struct ts_inject shown_as;
	char *shown;

	if(!p) {
		char shown[512];

		printf("no profile matches %s\n", ts_safe_url(url, shown,
							    sizeof(shown)));
		return 1;
	}
	printf("profile %s (provider %s) via %s\n", p->name,
	       p->prov ? p->prov->name : "?", pat->text);
	if(!p->usable) {
		printf("  unusable: fix the errors reported for it\n");
		return 1;
	}
	/* rendered as a header would be, so "<token>" is not %-encoded */
	shown_as = p->inject;
	shown_as.kind = TS_INJECT_HEADER;
	shown = ts_inject_value(&shown_as, "<token>", 7);
	switch(p->inject.kind) {
	case TS_INJECT_HEADER:
		printf("  header %s: %s\n", p->inject.name, shown);
		break;
	case TS_INJECT_COOKIE:
		printf("  cookie %s=%s\n", p->inject.name, shown);
		break;
	case TS_INJECT_QUERY:
		printf("  query %s=%s\n", p->inject.name, shown);
		break;
	}
	free(shown);
	return 0;
}

/* Looks at the secret files a profile names, as a login would read
   them: a file others may read is a problem (the login refuses it), a
   group-readable one is noted, for shared service accounts. */
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
			fprintf(stderr, "tokenshim: %s:%d: profile %s: %s %s: %s\n",
				p->file, kv->line, p->name, kv->key, kv->value,
				strerror(errno));
			bad++;
		}
		else if(!S_ISREG(st.st_mode)) {
			fprintf(stderr, "tokenshim: %s:%d: profile %s: %s %s is %s, "
				"not a regular file\n", p->file, kv->line, p->name,
				kv->key, kv->value, ts_file_kind(&st));
			bad++;
		}
		else if(st.st_mode & S_IROTH) {
			fprintf(stderr, "tokenshim: %s:%d: profile %s: %s %s is "
				"readable by others; chmod o-r it\n", p->file,
				kv->line, p->name, kv->key, kv->value);
			bad++;
		}
		else if(st.st_mode & S_IRGRP)
			fprintf(stderr, "tokenshim: %s:%d: note: profile %s: %s %s is "
				"readable by its group (gid %u)\n", p->file, kv->line,
				p->name, kv->key, kv->value, (unsigned)st.st_gid);
	}
	return bad;
}

static int cmd_check(struct ts_engine *e, int problems)
{
	size_t i, usable = 0;

	for(i = 0; i < e->cfg.nprofiles; i++)
		if(e->cfg.profiles[i].usable)
			problems += check_files(&e->cfg.profiles[i]);

	for(i = 0; i < e->cfg.nprofiles; i++)
		usable += e->cfg.profiles[i].usable ? 1 : 0;
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

static void list_one(void *ctx, const char *name, const char *path)
{
	char err[512];
	const struct ts_provider_mod *m = ts_provider_load(name, err, sizeof(err));
	const struct tokenshim_key *k;

	(void)path;
	if(!m) {
		printf("%s  (broken: %s)\n", name, err);
		++*(int *)ctx;
		return;
	}
	printf("%s  %s\n  keys:", name, m->p->inject);
	for(k = m->p->keys; k->name; k++)
		printf(" %s%s%s", k->name,
		       k->flags & TOKENSHIM_KEY_REQUIRED ? "*" : "",
		       k->flags & TOKENSHIM_KEY_SECRET ? "(secret)" : "");
	printf("\n");
}

static int cmd_providers(void)
{
	int broken = 0;

	printf("providers in %s (* required):\n", ts_provider_path());
	ts_provider_each(list_one, &broken);
	return broken ? 2 : 0;
}

static int logout_one(struct ts_profile *p)
{
	char err[512];

	if(ts_engine_logout(p, err, sizeof(err)) != TS_OK) {
		fprintf(stderr, "tokenshim: %s\n", err);
		return 1;
	}
	printf("profile %s: logged out\n", p->name);
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

static int cmd_status(struct ts_engine *e, int json)
{
	size_t i;

	if(json)
		printf("[");
	else
		printf("%-16s %-20s %-9s %11s  %-20s %6s %9s\n", "PROFILE",
		       "PROVIDER", "STATE", "EXPIRES IN", "OBTAINED", "LOGINS",
		       "REFRESHES");
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
			printf("%-16s %-20s %-9s %11s  %-20s %6u %9u\n", p->name,
			       p->prov ? p->prov->name : "?", st.state, left, when,
			       st.logins, st.refreshes);
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
		printf(",\"obtained_at\":");
		if(st.obtained)
			json_str(when);
		else
			printf("null");
		printf(",\"logins\":%u,\"refreshes\":%u}", st.logins,
		       st.refreshes);
	}
	if(json)
		printf("]\n");
	return 0;
}

static int set_config(const char *file)
{
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
struct verb {
	const char *name;
	const char *operand;	/* NULL: none */
	int all;		/* --all instead of the operand */
	int json;		/* --json */
};

static const struct verb verbs[] = {
	{"exec", NULL, 0, 0},
	{"token", "PROFILE", 0, 0},
	{"header", "PROFILE", 0, 0},
	{"match", "URL", 0, 0},
	{"check", NULL, 0, 0},
	{"providers", NULL, 0, 0},
	{"status", NULL, 0, 1},
	{"login", "PROFILE", 1, 0},
	{"logout", "PROFILE", 1, 0},
	{NULL, NULL, 0, 0}
};

/* Reads the arguments after the verb: options in any order (-c FILE,
   --config FILE or --config=FILE, and the verb's own), then its operand;
   "--" ends the options. For exec, the first word that is no option
   starts the command, and *cmd is where. Returns 0, or 2 after a
   message. */
static int verb_args(const struct verb *v, int argc, char **argv, int i,
		     const char **operand, int *all, int *json, int *cmd)
{
	int dashdash = 0;

	*operand = NULL;
	*all = *json = 0;
	for(; i < argc; i++) {
		const char *a = argv[i];

		if(!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
			if(cmd) {
				*cmd = i + 1;
				return 0;
			}
			continue;
		}
		if(!dashdash && a[0] == '-' && a[1]) {
			if(!strcmp(a, "-c") || !strcmp(a, "--config")) {
				if(i + 1 >= argc) {
					fprintf(stderr, "tokenshim: %s: %s needs a FILE\n",
						v->name, a);
					return 2;
				}
				if(set_config(argv[++i]))
					return 2;
			}
			else if(!strncmp(a, "--config=", 9)) {
				if(set_config(a + 9))
					return 2;
			}
			else if(v->all && !strcmp(a, "--all"))
				*all = 1;
			else if(v->json && !strcmp(a, "--json"))
				*json = 1;
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
		if(cmd) {
			*cmd = i;
			return 0;
		}
		if(!v->operand || *operand) {
			fprintf(stderr, "tokenshim: %s: unexpected argument '%s'\n",
				v->name, a);
			return 2;
		}
		*operand = a;
	}
	if(cmd) {
		*cmd = argc;
		return 0;
	}
	if(v->operand && !*operand && !*all) {
		fprintf(stderr, "tokenshim: %s: missing %s\n", v->name, v->operand);
		return 2;
	}
	if(*operand && *all) {
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
	const char *operand;
	int c, rc, problems = 0, all, json, cmd = 0;

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
		case 'V':
			printf("tokenshim %s (provider ABI %d)\n", PACKAGE_VERSION,
			       TOKENSHIM_PROVIDER_ABI);
			return 0;
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
	if(verb_args(v, argc, argv, optind + 1, &operand, &all, &json,
		     !strcmp(v->name, "exec") ? &cmd : NULL))
		return 2;
	if(!strcmp(v->name, "exec"))
		return cmd_exec(argc - cmd, argv + cmd);
	if(!strcmp(v->name, "providers")) {
		rc = cmd_providers();
		ts_provider_unload_all();
		return rc;
	}
	rc = load(&e, &problems);
	if(rc && (rc == -2 || strcmp(v->name, "check"))) {
		ts_engine_free(&e);
		return !strcmp(v->name, "match") || !strcmp(v->name, "check") ? 2 : 1;
	}
	if(!strcmp(v->name, "check"))
		rc = cmd_check(&e, problems);
	else if(!strcmp(v->name, "token"))
		rc = cmd_token(&e, operand, 0);
	else if(!strcmp(v->name, "header"))
		rc = cmd_token(&e, operand, 1);
	else if(!strcmp(v->name, "match"))
		rc = cmd_match(&e, operand);
	else if(!strcmp(v->name, "status"))
		rc = cmd_status(&e, json);
	else if(!strcmp(v->name, "login"))
		rc = all ? cmd_each(&e, cmd_login) : cmd_login(&e, operand);
	else
		rc = all ? cmd_each(&e, cmd_logout) : cmd_logout(&e, operand);
	ts_engine_free(&e);
	ts_provider_unload_all();
	return rc;
}
