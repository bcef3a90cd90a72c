/*
 * profile: building profiles from the config's sections.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/profile.h"
#include "provider/provider.h"
#include "provider/secret.h"
#include "store/store.h"
#include "util/str.h"

/* Keys every profile may set, whatever its provider. */
static const char *const common_keys[] = {
	"provider", "match", "url", "header", "cookie", "query", "lifetime",
	"refresh_ahead", "timeout", "ca_file", "insecure", "on_failure",
	"proxy", NULL
};
/* The fleet store's keys (any profile and [defaults] may set them);
   none decides whose token it is: machines share an entry whatever
   their way to the store. */
static const char *const store_keys[] = {
	"store", "store_prefix", "store_timeout", "store_ca_file",
	"on_store_failure", "store_password", "store_password_env",
	"store_password_file", "store_password_cmd", "store_key",
	"store_key_env", "store_key_file", "store_key_cmd", NULL
};
/* Keys [defaults] may set. */
static const char *const default_keys[] = {
	"lifetime", "refresh_ahead", "timeout", "ca_file", "insecure",
	"on_failure", "proxy", NULL
};
/* Keys that change how a token is used or fetched, not whose token it
   is. */
static const char *const not_identity[] = {
	"match", "header", "cookie", "query", "lifetime", "refresh_ahead",
	"timeout", "on_failure", "ca_file", "insecure", "proxy", NULL
};
/* The proxy schemes libcurl knows. */
static const char *const proxy_schemes[] = {
	"http://", "https://", "socks4://", "socks4a://", "socks5://",
	"socks5h://", NULL
};

struct ctx {
	struct ts_ini *ini;
	ts_report_fn *report;
	void *rctx;
	struct ts_config *cfg;
	int *dlines;		/* [defaults] lines already reported */
	size_t ndlines;
};

#define problem(c, line, ...) \
	ts_ini_problem((c)->ini, (c)->report, (c)->rctx, line, __VA_ARGS__)

/* Non-zero when line is one of [defaults] that was reported already: a
   default is checked in every profile that inherits it, but its problem
   is said once. The line is remembered when it was not. */
static int said_before(struct ctx *c, int line)
{
	size_t i;
	int *n;

	if(!ts_kv_find_line(c->ini->defaults, c->ini->ndefaults, line))
		return 0;
	for(i = 0; i < c->ndlines; i++)
		if(c->dlines[i] == line)
			return 1;
	n = realloc(c->dlines, (c->ndlines + 1) * sizeof(*n));
	if(n) {
		c->dlines = n;
		c->dlines[c->ndlines++] = line;
	}
	return 0;
}

/* A problem with one key of profile p: "profile NAME: ..." for its own
   keys, "[defaults]: ..." (once) for one it inherits. */
static void kproblem(struct ctx *c, const struct ts_profile *p,
		     const struct ts_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void kproblem(struct ctx *c, const struct ts_profile *p,
		     const struct ts_kv *kv, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if(said_before(c, kv->line))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if(ts_kv_find_line(c->ini->defaults, c->ini->ndefaults, kv->line))
		problem(c, kv->line, "[defaults]: %s", msg);
	else
		problem(c, kv->line, "profile %s: %s", p->name, msg);
}

static int in_list(const char *const *list, const char *s)
{
	for(; *list; list++)
		if(!strcmp(*list, s))
			return 1;
	return 0;
}

const struct ts_kv *ts_profile_kv(const struct ts_profile *p, const char *key)
{
	return ts_kv_find(p->kv, p->nkv, key);
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

static int parse_seconds(const char *v, long min, long *out_ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	/* NaN passes every comparison: isfinite first, and no hex */
	if(errno || end == v || *end || !isfinite(d) || strpbrk(v, "xX") ||
	   d < (double)min || d > 86400.0 * 365)
		return -1;
	*out_ms = (long)(d * 1000.0 + 0.5);
	return 0;
}

/* ---- what providers may ask of profiles ------------------------------ */

static ts_peer_token_fn *peer_fn;
static ts_peer_refused_fn *refused_fn;

void ts_profile_set_peer_token(ts_peer_token_fn *fn, ts_peer_refused_fn *rf)
{
	__atomic_store_n(&refused_fn, rf, __ATOMIC_RELEASE);
	__atomic_store_n(&peer_fn, fn, __ATOMIC_RELEASE);
}

static const char *h_config(void *owner, const char *key)
{
	const struct ts_kv *kv = ts_profile_kv(owner, key);

	return kv ? kv->value : NULL;
}

static const char *h_peer_config(void *owner, const char *profile,
				 const char *key)
{
	const struct ts_profile *p = owner;
	struct ts_profile *peer = p->cfg ? ts_config_profile(p->cfg, profile) :
					   NULL;
	const struct ts_kv *kv = peer ? ts_profile_kv(peer, key) : NULL;

	return kv ? kv->value : NULL;
}

static int h_peer_token(void *owner, const char *profile, char **out,
			size_t *len, char *errbuf)
{
	const struct ts_profile *p = owner;
	struct ts_profile *peer = p->cfg ? ts_config_profile(p->cfg, profile) :
					   NULL;
	ts_peer_token_fn *fn = __atomic_load_n(&peer_fn, __ATOMIC_ACQUIRE);

	if(!peer || peer == p || !fn) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "no other profile named '%s'", profile);
		return TOKENSHIM_ECONFIG;
	}
	return fn(peer, out, len, errbuf);
}

static void h_peer_refused(void *owner, const char *profile, const char *tok,
			   size_t len)
{
	const struct ts_profile *p = owner;
	struct ts_profile *peer = p->cfg ? ts_config_profile(p->cfg, profile) :
					   NULL;
	ts_peer_refused_fn *fn = __atomic_load_n(&refused_fn, __ATOMIC_ACQUIRE);

	if(peer && peer != p && fn)
		fn(peer, tok, len);
}

static const struct ts_provider_host host = {
	h_config, h_peer_config, h_peer_token, h_peer_refused
};
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void set_host(void)
{
	ts_services_init(&host);
}

void ts_profile_ctx(struct ts_profile *p, const struct ts_req *req,
		    struct tokenshim_ctx *ctx)
{
	pthread_once(&host_once, set_host);
	memset(ctx, 0, sizeof(*ctx));
	ctx->profile = p->name;
	ctx->mod = p->prov;
	ctx->timeout_ms = p->timeout_ms;
	/* one budget for the whole call: every request, command and parse */
	ctx->deadline_ms = ts_now_ms() + p->timeout_ms;
	ctx->ca_file = p->ca_file;
	ctx->insecure = p->insecure;
	ctx->url = req ? req->url : NULL;
	ctx->route.proxytype = -1;
	if(p->proxy)
		ctx->route.proxy = p->proxy;
	else if(req && req->proxy) {
		ctx->route.proxy = req->proxy;
		ctx->route.proxytype = req->proxytype;
		ctx->route.userpwd = req->proxyuserpwd;
		ctx->route.noproxy = req->noproxy;
		ctx->route.cainfo = req->proxy_cainfo;
	}
	ctx->owner = p;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Expands a path-valued setting: a leading "~/" to $HOME, and ${VAR} to
   the variable's value ($CREDENTIALS_DIRECTORY under systemd). Returns
   a malloc'ed path, or NULL with why. */
static char *expand_path(const char *v, char *why, size_t whylen)
{
	struct ts_buf b = {0};
	const char *home = getenv("HOME");

	if(v[0] == '~' && v[1] == '/') {
		if(!home || !*home) {
			snprintf(why, whylen, "~/ needs HOME, which is not set");
			return NULL;
		}
		ts_buf_adds(&b, home);
		v++;
	}
	while(*v) {
		const char *end;
		char name[128];

		if(v[0] != '$' || v[1] != '{') {
			ts_buf_add(&b, v++, 1);
			continue;
		}
		end = strchr(v, '}');
		if(!end || end - v - 2 <= 0 || (size_t)(end - v - 2) >= sizeof(name)) {
			snprintf(why, whylen, "bad ${VARIABLE} in the path");
			ts_buf_free(&b);
			return NULL;
		}
		memcpy(name, v + 2, (size_t)(end - v - 2));
		name[end - v - 2] = '\0';
		if(!getenv(name)) {
			snprintf(why, whylen, "${%s} is not set", name);
			ts_buf_free(&b);
			return NULL;
		}
		ts_buf_adds(&b, getenv(name));
		v = end + 1;
	}
	if(ts_buf_add(&b, "", 0)) {
		snprintf(why, whylen, "out of memory");
		ts_buf_free(&b);
		return NULL;
	}
	return ts_buf_steal(&b);
}

/* Non-zero when url starts with http:// or https:// and names a host. */
static int has_scheme(const char *url)
{
	const char *h = !strncasecmp(url, "https://", 8) ? url + 8 :
			!strncasecmp(url, "http://", 7) ? url + 7 : NULL;

	return h && *h && *h != '/';
}

const char *ts_profile_setting(const void *p, const char *key)
{
	const struct ts_kv *kv = ts_profile_kv(p, key);

	return kv ? kv->value : NULL;
}

/* Non-zero when the secret key (X, X_env, X_file or X_cmd) is set. */
static int has_secret(const struct ts_profile *p, const char *key)
{
	enum ts_secret_src src;

	return ts_secret_find(key, ts_profile_setting, p, &src, NULL, 0) != NULL;
}

/* Non-zero when [defaults]' key must not be merged into p: p sets the
   same secret from another source (its store_key_env over the default
   store_key_file), which takes its place. */
static int store_overridden(const struct ts_profile *p, const char *key)
{
	if(!strncmp(key, "store_password", 14))
		return has_secret(p, "store_password");
	if(!strncmp(key, "store_key", 9))
		return has_secret(p, "store_key");
	return 0;
}

/* Reads one of the fleet store's keys into p. Returns 0, or 1 after
   saying what is wrong. */
static int store_key(struct ctx *c, struct ts_profile *p, const struct ts_kv *kv)
{
	char err[256];
	long ms;

	if(!strcmp(kv->key, "store")) {
		if(!strcmp(kv->value, "none")) {
			p->store = NULL;
			return 0;
		}
		if(ts_store_redis_check_url(kv->value, err, sizeof(err))) {
			kproblem(c, p, kv, "%s", err);
			return 1;
		}
		p->store = kv->value;
	}
	else if(!strcmp(kv->key, "store_timeout")) {
		char *end;

		errno = 0;
		ms = strtol(kv->value, &end, 10);
		if(errno || *end || end == kv->value || ms < 1 || ms > 60000) {
			kproblem(c, p, kv, "store_timeout must be milliseconds from 1 "
				 "to 60000, not '%s'", kv->value);
			return 1;
		}
		p->store_timeout_ms = ms;
	}
	else if(!strcmp(kv->key, "store_prefix")) {
		if(strlen(kv->value) > 64 || strpbrk(kv->value, " \t")) {
			kproblem(c, p, kv, "store_prefix must be at most 64 characters, "
				 "without blanks");
			return 1;
		}
		p->store_prefix = kv->value;
	}
	else if(!strcmp(kv->key, "store_ca_file"))
		p->store_ca_file = kv->value;
	else if(!strcmp(kv->key, "on_store_failure")) {
		if(!strcmp(kv->value, "fail"))
			p->on_store_failure_fail = 1;
		else if(strcmp(kv->value, "local")) {
			kproblem(c, p, kv, "on_store_failure must be local or fail, "
				 "not '%s'", kv->value);
			return 1;
		}
		else
			p->on_store_failure_fail = 0;
	}
	/* store_password*, store_key*: read when the store is first used */
	return 0;
}

/* Checks one profile's keys and fills its settings; marks it unusable on
   any problem. Returns the line of a literal secret, or 0. */
static int build_profile(struct ctx *c, struct ts_profile *p)
{
	static const char *const suffixes[] = TS_SECRET_SUFFIXES;
	char err[256];
	const struct ts_kv *prov_kv = ts_profile_kv(p, "provider");
	int bad = 0, literal_line = 0, have_inject = 0, b;
	const struct tokenshim_key *k;
	size_t i, j;

	p->timeout_ms = 15000;
	p->refresh_ahead = 60;
	p->store_timeout_ms = 500;
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
		struct ts_kv *kv = &p->kv[i];
		long ms;
		int lit = 0;

		if(ends_with(kv->key, "_file") &&
		   (strchr(kv->value, '$') || kv->value[0] == '~')) {
			char *x = expand_path(kv->value, err, sizeof(err));

			if(!x) {
				kproblem(c, p, kv, "%s: %s", kv->key, err);
				bad = 1;
				continue;
			}
			free(kv->value);
			kv->value = x;
		}
		if((!strcmp(kv->key, "url") || ends_with(kv->key, "_url")) &&
		   !has_scheme(kv->value)) {
			/* else libcurl guesses http://, and the password goes
			   out in clear */
			kproblem(c, p, kv, "%s must start with https:// (or http://) "
				 "and name a host", kv->key);
			bad = 1;
			continue;
		}

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
				kproblem(c, p, kv,
					 "%s must be a number of seconds from %s to 31536000 (a year), not '%s'",
					 kv->key, strcmp(kv->key, "refresh_ahead") ?
					 "0.001" : "0", kv->value);
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
			if((b = ts_parse_bool(kv->value)) < 0) {
				kproblem(c, p, kv, "insecure must be true or false, not '%s'",
					 kv->value);
				bad = 1;
			}
			else
				p->insecure = b;
		}
		else if(!strcmp(kv->key, "on_failure")) {
			if(!strcmp(kv->value, "pass"))
				p->on_failure_pass = 1;
			else if(strcmp(kv->value, "fail")) {
				kproblem(c, p, kv, "on_failure must be fail or pass, not '%s'",
					 kv->value);
				bad = 1;
			}
		}
		else if(!strcmp(kv->key, "ca_file"))
			p->ca_file = kv->value;
		else if(!strcmp(kv->key, "proxy")) {
			const char *const *sch;

			for(sch = proxy_schemes; *sch; sch++)
				if(!strncasecmp(kv->value, *sch, strlen(*sch)) &&
				   kv->value[strlen(*sch)])
					break;
			if(!strcmp(kv->value, "none"))
				p->proxy = "";
			else if(*sch)
				p->proxy = kv->value;
			else {
				kproblem(c, p, kv,
					 "proxy must be none or an http://, https://, socks4://, socks4a://, socks5:// or socks5h:// URL");
				bad = 1;
			}
		}
		else if(in_list(store_keys, kv->key)) {
			if(store_key(c, p, kv))
				bad = 1;
			else if((!strcmp(kv->key, "store_password") ||
				 !strcmp(kv->key, "store_key")) && !literal_line)
				literal_line = kv->line;
		}
		else if(in_list(common_keys, kv->key))
			;	/* provider, url: read where used */
		else if(!p->prov)
			;	/* cannot judge keys of an unknown provider */
		else if(!ts_provider_secret_key(p->prov, kv->key, &lit)) {
			problem(c, kv->line,
				"profile %s: unknown key '%s' for provider %s",
				p->name, kv->key, p->prov->name);
			bad = 1;
		}
		else if(lit && !literal_line)
			literal_line = kv->line;
	}
	if(p->store && !has_secret(p, "store_key")) {
		const struct ts_kv *skv = ts_profile_kv(p, "store");

		kproblem(c, p, skv, "store needs the fleet key: store_key_file, "
			 "store_key_env or store_key_cmd (tokenshim keygen prints one)");
		bad = 1;
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
			for(s = suffixes; !set && *s &&
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
			struct tokenshim_ctx vctx;
			char verr[TOKENSHIM_ERRBUF_SIZE] = "";

			ts_profile_ctx(p, NULL, &vctx);
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

/* Builds cfg's profiles from ini's sections. */
static void build(struct ctx *c, int check_mode)
{
	struct ts_ini *ini = c->ini;
	struct ts_config *cfg = c->cfg;
	size_t i, j;
	int literal = 0;

	for(j = 0; j < ini->ndefaults; j++)
		if(!in_list(default_keys, ini->defaults[j].key) &&
		   !in_list(store_keys, ini->defaults[j].key))
			problem(c, ini->defaults[j].line,
				"key '%s' is not allowed in [defaults]",
				ini->defaults[j].key);
	cfg->profiles = calloc(ini->nsections ? ini->nsections : 1,
			       sizeof(*cfg->profiles));
	if(!cfg->profiles)
		return;
	for(i = 0; i < ini->nsections; i++) {
		const struct ts_section *sec = &ini->sections[i];
		struct ts_profile *p = &cfg->profiles[cfg->nprofiles];
		int lit;

		p->name = strdup(sec->name);
		if(!p->name)
			continue;
		cfg->nprofiles++;
		p->cfg = cfg;
		p->file = cfg->path;
		p->line = sec->line;
		for(j = 0; j < sec->nkv; j++)
			ts_kv_add(&p->kv, &p->nkv, sec->kv[j].key, sec->kv[j].value,
				  sec->kv[j].line);
		for(j = 0; j < ini->ndefaults; j++)
			if((in_list(default_keys, ini->defaults[j].key) ||
			    in_list(store_keys, ini->defaults[j].key)) &&
			   !ts_profile_kv(p, ini->defaults[j].key) &&
			   !store_overridden(p, ini->defaults[j].key))
				ts_kv_add(&p->kv, &p->nkv, ini->defaults[j].key,
					  ini->defaults[j].value,
					  ini->defaults[j].line);
		lit = build_profile(c, p);
		if(sec->broken)
			p->usable = 0;
		if(lit && !literal)
			literal = lit;
	}

	/* Like ssh with a private key: a file holding a password in clear
	   that others can read is not used at all. */
	if(check_mode && literal && (ini->mode & 077)) {
		problem(c, literal,
			"holds a literal secret and is readable by group or others; "
			"chmod 600 it or use password_file/_env/_cmd");
		for(i = 0; i < cfg->nprofiles; i++)
			cfg->profiles[i].usable = 0;
	}
}

static int finish(struct ts_ini *ini, int rc, int check_mode,
		  struct ts_config *cfg, ts_report_fn *report, void *rctx)
{
	struct ctx c = { ini, report, rctx, cfg, NULL, 0 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = ini->path ? strdup(ini->path) : NULL;
	if(rc == 0 && cfg->path)
		build(&c, check_mode);
	cfg->errors = ini->errors;
	ts_ini_free(ini);
	free(c.dlines);
	return rc;
}

int ts_config_parse(const char *path, const char *text, int check_mode,
		    int mode, struct ts_config *cfg, ts_report_fn *report,
		    void *rctx)
{
	struct ts_ini ini;
	int rc = ts_ini_parse(path, text, mode, &ini, report, rctx);

	return finish(&ini, rc, check_mode, cfg, report, rctx);
}

int ts_config_load(const char *path, int must_exist, struct ts_config *cfg,
		   ts_report_fn *report, void *rctx)
{
	struct ts_ini ini;
	int rc = ts_ini_read(path, must_exist, &ini, report, rctx);

	if(!ini.path)
		ini.path = strdup(path);
	return finish(&ini, rc, 1, cfg, report, rctx);
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

static int not_id(const char *k)
{
	return in_list(not_identity, k) || in_list(store_keys, k);
}

static int by_key(const void *a, const void *b)
{
	const struct ts_kv *x = *(const struct ts_kv *const *)a;
	const struct ts_kv *y = *(const struct ts_kv *const *)b;

	return strcmp(x->key, y->key);
}

int ts_profile_identity(const struct ts_profile *p, struct ts_buf *id)
{
	const struct ts_kv **kv;
	size_t i, n = 0;

	if(!p->prov)
		return -1;
	kv = calloc(p->nkv ? p->nkv : 1, sizeof(*kv));
	if(!kv)
		return -1;
	for(i = 0; i < p->nkv; i++)
		if(!not_id(p->kv[i].key))
			kv[n++] = &p->kv[i];
	qsort(kv, n, sizeof(*kv), by_key);
	/* provider, then every setting that decides whose token this is;
	   a changed password or url is a new identity, hence a new entry.
	   The text is the one earlier versions named their entries by. */
	ts_buf_printf(id, "tokenshim-cache-1\n%s\n", p->prov->name);
	for(i = 0; i < n; i++)
		ts_buf_printf(id, "%s=%s\n", kv[i]->key, kv[i]->value);
	free(kv);
	return id->oom ? -1 : 0;
}
