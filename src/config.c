/*
 * config: reading tokenshim.conf into profiles. A small INI reader, since
 * the INI libraries Debian ships cannot say on which line a key stood.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "provider.h"

#define CONFIG_MAX (1024 * 1024)

/* Keys every profile may set, whatever its provider. */
static const char *const common_keys[] = {
	"provider", "match", "url", "header", "cookie", "query", "lifetime",
	"refresh_ahead", "timeout", "ca_file", "insecure", "on_failure", NULL
};
/* Keys [defaults] may set. */
static const char *const default_keys[] = {
	"lifetime", "refresh_ahead", "timeout", "ca_file", "insecure",
	"on_failure", NULL
};
static const char *const secret_suffixes[] = { "_env", "_file", "_cmd", NULL };

struct ctx {
	const char *path;
	ts_report_fn *report;
	void *rctx;
	struct ts_config *cfg;
};

static void problem(struct ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct ctx *c, int line, const char *fmt, ...)
{
	char msg[768];
	char full[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if(line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s", c->path, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", c->path, msg);
	c->cfg->errors++;
	if(c->report)
		c->report(c->rctx, full);
}

static int in_list(const char *const *list, const char *s)
{
	for(; *list; list++)
		if(!strcmp(*list, s))
			return 1;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while(*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while(e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

const struct ts_kv *ts_profile_kv(const struct ts_profile *p, const char *key)
{
	size_t i;

	for(i = 0; i < p->nkv; i++)
		if(!strcmp(p->kv[i].key, key))
			return &p->kv[i];
	return NULL;
}

struct ts_profile *ts_config_profile(const struct ts_config *cfg,
				     const char *name)
{
	size_t i;

	for(i = 0; i < cfg->nprofiles; i++)
		if(!strcmp(cfg->profiles[i].name, name))
			return &cfg->profiles[i];
	return NULL;
}

static int add_kv(struct ts_kv **kv, size_t *n, const char *key,
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
		free(nk[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

/* If key is a secret source (X, X_env, X_file, X_cmd) of a key the
   provider declares secret, returns the declaration and sets *literal. */
static const struct tokenshim_key *secret_base(const struct ts_provider_mod *m,
					       const char *key, int *literal)
{
	const struct tokenshim_key *k = ts_provider_key(m, key);
	const char *const *s;

	if(k) {
		*literal = (k->flags & TOKENSHIM_KEY_SECRET) != 0;
		return k;
	}
	for(s = secret_suffixes; *s; s++) {
		size_t kl = strlen(key), sl = strlen(*s);
		char base[96];

		if(kl <= sl || kl - sl >= sizeof(base) ||
		   strcmp(key + kl - sl, *s))
			continue;
		memcpy(base, key, kl - sl);
		base[kl - sl] = '\0';
		k = ts_provider_key(m, base);
		if(k && (k->flags & TOKENSHIM_KEY_SECRET)) {
			*literal = 0;
			return k;
		}
	}
	return NULL;
}

static int parse_seconds(const char *v, long min, long *out_ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if(errno || end == v || *end || d < (double)min || d > 86400.0 * 365)
		return -1;
	*out_ms = (long)(d * 1000.0 + 0.5);
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if(!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") ||
	   !strcmp(v, "on"))
		*out = 1;
	else if(!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") ||
		!strcmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Checks one profile's keys and fills its settings; marks it unusable on
   any problem. Returns the line of a literal secret, or 0. */
static int build_profile(struct ctx *c, struct ts_profile *p)
{
	char err[256];
	const struct ts_kv *prov_kv = ts_profile_kv(p, "provider");
	int bad = 0, literal_line = 0, have_inject = 0;
	const struct tokenshim_key *k;
	size_t i, j;

	p->timeout_ms = 15000;
	p->refresh_ahead = 60;
	if(!prov_kv) {
		problem(c, p->line, "profile %s: missing required key 'provider'",
			p->name);
		bad = 1;
	}
	else {
		p->prov = ts_provider_load(prov_kv->value, err, sizeof(err));
		if(!p->prov) {
			problem(c, prov_kv->line, "profile %s: %s", p->name, err);
			bad = 1;
		}
	}
	for(i = 0; i < p->nkv; i++) {
		const struct ts_kv *kv = &p->kv[i];
		long ms;
		int lit = 0;

		/* every key but match may appear once */
		for(j = 0; j < i; j++)
			if(strcmp(kv->key, "match") &&
			   !strcmp(p->kv[j].key, kv->key) &&
			   p->kv[j].line != kv->line) {
				problem(c, kv->line,
					"profile %s: duplicate key '%s' (first at line %d)",
					p->name, kv->key, p->kv[j].line);
				bad = 1;
			}
		if(!strcmp(kv->key, "match")) {
			struct ts_pattern pat, *np;

			if(ts_pattern_parse(kv->value, &pat, err, sizeof(err))) {
				problem(c, kv->line, "profile %s: %s", p->name, err);
				bad = 1;
				continue;
			}
			np = realloc(p->patterns,
				     (p->npatterns + 1) * sizeof(*np));
			if(!np) {
				ts_pattern_free(&pat);
				bad = 1;
				continue;
			}
			p->patterns = np;
			p->patterns[p->npatterns++] = pat;
		}
		else if(!strcmp(kv->key, "header") || !strcmp(kv->key, "cookie") ||
			!strcmp(kv->key, "query")) {
			if(have_inject++) {
				problem(c, kv->line,
					"profile %s: only one of header, cookie and query may be set",
					p->name);
				bad = 1;
			}
			else if(ts_inject_parse(kv->key, kv->value, &p->inject,
						err, sizeof(err))) {
				problem(c, kv->line, "profile %s: %s", p->name, err);
				bad = 1;
			}
		}
		else if(!strcmp(kv->key, "lifetime") ||
			!strcmp(kv->key, "refresh_ahead") ||
			!strcmp(kv->key, "timeout")) {
			if(parse_seconds(kv->value, 0, &ms) ||
			   (ms == 0 && strcmp(kv->key, "refresh_ahead"))) {
				problem(c, kv->line,
					"profile %s: %s must be a positive number of seconds, not '%s'",
					p->name, kv->key, kv->value);
				bad = 1;
			}
			else if(!strcmp(kv->key, "timeout"))
				p->timeout_ms = ms;
			else if(!strcmp(kv->key, "lifetime"))
				p->lifetime = ms / 1000 ? ms / 1000 : 1;
			else
				p->refresh_ahead = ms / 1000;
		}
		else if(!strcmp(kv->key, "insecure")) {
			if(parse_bool(kv->value, &p->insecure)) {
				problem(c, kv->line,
					"profile %s: insecure must be true or false, not '%s'",
					p->name, kv->value);
				bad = 1;
			}
		}
		else if(!strcmp(kv->key, "on_failure")) {
			if(!strcmp(kv->value, "pass"))
				p->on_failure_pass = 1;
			else if(strcmp(kv->value, "fail")) {
				problem(c, kv->line,
					"profile %s: on_failure must be fail or pass, not '%s'",
					p->name, kv->value);
				bad = 1;
			}
		}
		else if(!strcmp(kv->key, "ca_file"))
			p->ca_file = kv->value;
		else if(in_list(common_keys, kv->key))
			;	/* provider, url: read where used */
		else if(!p->prov)
			;	/* cannot judge keys of an unknown provider */
		else if(!secret_base(p->prov, kv->key, &lit)) {
			problem(c, kv->line,
				"profile %s: unknown key '%s' for provider %s",
				p->name, kv->key, p->prov->name);
			bad = 1;
		}
		else if(lit && !literal_line)
			literal_line = kv->line;
	}
	if(!p->npatterns && !bad) {
		problem(c, p->line, "profile %s: missing required key 'match'",
			p->name);
		bad = 1;
	}
	if(p->prov) {
		for(k = p->prov->p->keys; k->name; k++) {
			const char *const *s;
			int set = ts_profile_kv(p, k->name) != NULL;

			if(!(k->flags & TOKENSHIM_KEY_REQUIRED) || k->def)
				continue;
			for(s = secret_suffixes; !set && *s &&
			    (k->flags & TOKENSHIM_KEY_SECRET); s++) {
				char name[96];

				snprintf(name, sizeof(name), "%s%s", k->name, *s);
				set = ts_profile_kv(p, name) != NULL;
			}
			if(!set) {
				problem(c, p->line,
					"profile %s: missing required key '%s' for provider %s",
					p->name, k->name, p->prov->name);
				bad = 1;
			}
		}
		if(!have_inject && ts_inject_parse_line(p->prov->p->inject ?
				p->prov->p->inject : "header = Authorization: Bearer {token}",
				&p->inject, err, sizeof(err))) {
			problem(c, p->line, "profile %s: provider %s: %s", p->name,
				p->prov->name, err);
			bad = 1;
		}
		if(!p->lifetime)
			p->lifetime = p->prov->p->lifetime > 0 ?
				      p->prov->p->lifetime : 3600;
		if(!bad && p->prov->p->validate) {
			struct tokenshim_ctx vctx = { p, c->cfg, NULL };
			char verr[TOKENSHIM_ERRBUF_SIZE] = "";

			if(p->prov->p->validate(&vctx, ts_services(), verr) !=
			   TOKENSHIM_OK) {
				problem(c, p->line, "profile %s: %s", p->name,
					verr[0] ? verr : "invalid settings");
				bad = 1;
			}
		}
	}
	p->usable = !bad;
	return literal_line;
}

static struct ts_profile *new_profile(struct ctx *c, const char *name,
				      int line)
{
	struct ts_config *cfg = c->cfg;
	struct ts_profile *np;

	if(ts_config_profile(cfg, name)) {
		problem(c, line, "profile %s is defined twice", name);
		return NULL;
	}
	np = realloc(cfg->profiles, (cfg->nprofiles + 1) * sizeof(*np));
	if(!np)
		return NULL;
	cfg->profiles = np;
	np = &cfg->profiles[cfg->nprofiles++];
	memset(np, 0, sizeof(*np));
	np->name = strdup(name);
	np->cfg = cfg;
	np->file = cfg->path;
	np->line = line;
	return np;
}

int ts_config_parse(const char *path, const char *text, int check_mode,
		    int mode, struct ts_config *cfg, ts_report_fn *report,
		    void *rctx)
{
	struct ctx c = { NULL, report, rctx, cfg };
	struct ts_kv *defs = NULL;
	size_t ndefs = 0, i, j;
	char *copy = strdup(text), *line, *next;
	struct ts_profile *cur = NULL;
	int lineno = 0, in_defaults = 0, in_bad = 0, literal = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = strdup(path);
	c.path = cfg->path;
	if(!copy || !cfg->path) {
		free(copy);
		return -1;
	}
	for(line = copy; line; line = next) {
		char *s, *eq;

		next = strchr(line, '\n');
		if(next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if(!*s || *s == '#' || *s == ';')
			continue;
		if(*s == '[') {
			char *end = strchr(s, ']'), *name;

			cur = NULL;
			in_defaults = in_bad = 0;
			if(!end || *trim(end + 1)) {
				problem(&c, lineno, "bad section header '%s'", s);
				in_bad = 1;
				continue;
			}
			*end = '\0';
			name = trim(s + 1);
			if(!strcmp(name, "defaults"))
				in_defaults = 1;
			else if(!strncmp(name, "profile", 7) &&
				(name[7] == ' ' || name[7] == '\t') &&
				*trim(name + 7)) {
				cur = new_profile(&c, trim(name + 7), lineno);
				in_bad = !cur;
			}
			else {
				problem(&c, lineno,
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
			problem(&c, lineno, "expected 'key = value'");
			if(cur)
				cur->usable = -1;
			continue;
		}
		*eq = '\0';
		s = trim(s);
		eq = trim(eq + 1);
		if(!*s) {
			problem(&c, lineno, "missing key before '='");
			continue;
		}
		if(in_bad)
			continue;
		if(in_defaults) {
			if(!in_list(default_keys, s))
				problem(&c, lineno,
					"key '%s' is not allowed in [defaults]", s);
			else
				add_kv(&defs, &ndefs, s, eq, lineno);
		}
		else if(cur)
			add_kv(&cur->kv, &cur->nkv, s, eq, lineno);
		else
			problem(&c, lineno, "key '%s' outside any section", s);
	}
	free(copy);

	for(i = 0; i < cfg->nprofiles; i++) {
		struct ts_profile *p = &cfg->profiles[i];
		int early_bad = p->usable == -1, lit;

		for(j = 0; j < ndefs; j++)
			if(!ts_profile_kv(p, defs[j].key))
				add_kv(&p->kv, &p->nkv, defs[j].key, defs[j].value,
				       defs[j].line);
		lit = build_profile(&c, p);
		if(early_bad)
			p->usable = 0;
		if(lit && !literal)
			literal = lit;
	}
	for(j = 0; j < ndefs; j++) {
		free(defs[j].key);
		free(defs[j].value);
	}
	free(defs);

	/* Like ssh with a private key: a file holding a password in clear
	   that others can read is not used at all. */
	if(check_mode && literal && (mode & 077)) {
		problem(&c, literal,
			"holds a literal secret and is readable by group or others; "
			"chmod 600 it or use password_file/_env/_cmd");
		for(i = 0; i < cfg->nprofiles; i++)
			cfg->profiles[i].usable = 0;
	}
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

int ts_config_load(const char *path, int must_exist, struct ts_config *cfg,
		   ts_report_fn *report, void *rctx)
{
	struct ts_buf b = {0};
	struct stat st;
	char chunk[4096], msg[1024];
	ssize_t n;
	int fd, rc;

	memset(cfg, 0, sizeof(*cfg));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if(fd < 0) {
		if(errno == ENOENT && !must_exist)
			return 0;
		snprintf(msg, sizeof(msg), "%s: cannot read config: %s", path,
			 strerror(errno));
		if(report)
			report(rctx, msg);
		cfg->errors = 1;
		return -1;
	}
	if(fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "%s: not a regular file", path);
		if(report)
			report(rctx, msg);
		close(fd);
		cfg->errors = 1;
		return -1;
	}
	while((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < CONFIG_MAX)
		ts_buf_add(&b, chunk, (size_t)n);
	close(fd);
	ts_wipe(chunk, sizeof(chunk));
	if(n < 0 || b.len >= CONFIG_MAX || b.oom) {
		snprintf(msg, sizeof(msg), "%s: cannot read config%s", path,
			 b.len >= CONFIG_MAX ? ": larger than 1 MiB" : "");
		if(report)
			report(rctx, msg);
		ts_buf_free(&b);
		cfg->errors = 1;
		return -1;
	}
	ts_buf_add(&b, "", 0);
	if(memchr(b.p, '\0', b.len)) {
		snprintf(msg, sizeof(msg), "%s: config contains a NUL byte", path);
		if(report)
			report(rctx, msg);
		ts_buf_free(&b);
		cfg->errors = 1;
		return -1;
	}
	rc = ts_config_parse(path, b.p, 1, (int)st.st_mode, cfg, report, rctx);
	ts_buf_free(&b);
	return rc;
}

void ts_config_free(struct ts_config *cfg)
{
	size_t i, j;

	for(i = 0; i < cfg->nprofiles; i++) {
		struct ts_profile *p = &cfg->profiles[i];

		free(p->name);
		for(j = 0; j < p->npatterns; j++)
			ts_pattern_free(&p->patterns[j]);
		free(p->patterns);
		for(j = 0; j < p->nkv; j++) {
			free(p->kv[j].key);
			ts_free_secret(&p->kv[j].value);
		}
		free(p->kv);
		ts_inject_free(&p->inject);
	}
	free(cfg->profiles);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
