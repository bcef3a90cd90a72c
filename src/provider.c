/*
 * provider: module loading, and the host services behind the provider ABI.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "provider.h"
#include "secret.h"

#define MAX_MODS 64

static pthread_mutex_t mods_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ts_provider_mod *mods[MAX_MODS];
static int nmods;

const char *ts_provider_path(void)
{
	const char *p = getenv("TOKENSHIM_PROVIDER_PATH");

	return p && *p ? p : PROVIDERDIR;
}

static int valid_name(const char *name)
{
	const char *c;

	if(!*name || strlen(name) > 64)
		return 0;
	for(c = name; *c; c++)
		if(!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		     *c == '-' || *c == '_'))
			return 0;
	return 1;
}

static struct ts_provider_mod *open_module(const char *name, const char *path,
					   char *errbuf, size_t errlen)
{
	struct ts_provider_mod *m;
	tokenshim_provider_init_fn *init;
	const struct tokenshim_provider *p = NULL;
	int version = 0;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if(!dl) {
		snprintf(errbuf, errlen, "provider %s: cannot load %s: %s", name,
			 path, dlerror());
		return NULL;
	}
	*(void **)&init = dlsym(dl, TOKENSHIM_PROVIDER_INIT);
	if(!init) {
		snprintf(errbuf, errlen, "provider %s: %s has no %s: %s", name,
			 path, TOKENSHIM_PROVIDER_INIT, dlerror());
		dlclose(dl);
		return NULL;
	}
	if(init(TOKENSHIM_PROVIDER_ABI, &version, &p) != TOKENSHIM_OK || !p ||
	   version < 1 || version > TOKENSHIM_PROVIDER_ABI) {
		snprintf(errbuf, errlen,
			 "provider %s: %s does not speak ABI version %d", name,
			 path, TOKENSHIM_PROVIDER_ABI);
		dlclose(dl);
		return NULL;
	}
	if(!p->name || strcmp(p->name, name) || !p->acquire || !p->keys) {
		snprintf(errbuf, errlen,
			 "provider %s: %s describes itself as '%s' or lacks acquire",
			 name, path, p->name ? p->name : "");
		dlclose(dl);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if(!m) {
		dlclose(dl);
		return NULL;
	}
	m->name = strdup(name);
	m->path = strdup(path);
	m->dl = dl;
	m->p = p;
	m->abi = version;
	return m;
}

const struct ts_provider_mod *ts_provider_load(const char *name, char *errbuf,
					       size_t errlen)
{
	struct ts_provider_mod *m = NULL;
	char *dirs, *dir, *save = NULL;
	int i, found = 0;

	if(!valid_name(name)) {
		snprintf(errbuf, errlen, "bad provider name '%s'", name);
		return NULL;
	}
	pthread_mutex_lock(&mods_lock);
	for(i = 0; i < nmods; i++)
		if(!strcmp(mods[i]->name, name)) {
			m = mods[i];
			goto out;
		}
	dirs = strdup(ts_provider_path());
	for(dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s.so", dir, name);
		if(access(path, F_OK))
			continue;
		found = 1;
		m = open_module(name, path, errbuf, errlen);
	}
	free(dirs);
	if(!found)
		snprintf(errbuf, errlen, "unknown provider '%s' (no %s.so in %s)",
			 name, name, ts_provider_path());
	if(m && nmods < MAX_MODS)
		mods[nmods++] = m;
out:
	pthread_mutex_unlock(&mods_lock);
	return m;
}

void ts_provider_each(void (*fn)(void *ctx, const char *name, const char *path),
		      void *ctx)
{
	char *dirs = strdup(ts_provider_path()), *dir, *save = NULL;

	for(dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir;
	    dir = strtok_r(NULL, ":", &save)) {
		struct dirent **list = NULL;
		int n = scandir(dir, &list, NULL, alphasort), i;

		for(i = 0; i < n; i++) {
			size_t len = strlen(list[i]->d_name);
			char name[256], path[4096];

			if(len > 3 && len < sizeof(name) &&
			   !strcmp(list[i]->d_name + len - 3, ".so")) {
				memcpy(name, list[i]->d_name, len - 3);
				name[len - 3] = '\0';
				snprintf(path, sizeof(path), "%s/%s", dir,
					 list[i]->d_name);
				fn(ctx, name, path);
			}
			free(list[i]);
		}
		free(list);
	}
	free(dirs);
}

void ts_provider_unload_all(void)
{
	int i;

	pthread_mutex_lock(&mods_lock);
	for(i = 0; i < nmods; i++) {
		dlclose(mods[i]->dl);
		free(mods[i]->name);
		free(mods[i]->path);
		free(mods[i]);
	}
	nmods = 0;
	pthread_mutex_unlock(&mods_lock);
}

const struct tokenshim_key *ts_provider_key(const struct ts_provider_mod *m,
					    const char *key)
{
	const struct tokenshim_key *k;

	for(k = m->p->keys; k->name; k++)
		if(!strcmp(k->name, key))
			return k;
	return NULL;
}

/* ---- services ---------------------------------------------------------- */

static const char *svc_profile(tokenshim_ctx *ctx)
{
	return ctx->prof->name;
}

static const char *svc_config(tokenshim_ctx *ctx, const char *key)
{
	const struct ts_kv *kv = ts_profile_kv(ctx->prof, key);
	const struct tokenshim_key *k;

	if(kv)
		return kv->value;
	k = ctx->prof->prov ? ts_provider_key(ctx->prof->prov, key) : NULL;
	return k ? k->def : NULL;
}

static int svc_secret(tokenshim_ctx *ctx, const char *key, char **out,
		      char *errbuf)
{
	static const struct { const char *suffix; enum ts_secret_src src; } f[] = {
		{"", TS_SECRET_LITERAL}, {"_env", TS_SECRET_ENV},
		{"_file", TS_SECRET_FILE}, {"_cmd", TS_SECRET_CMD},
	};
	const struct tokenshim_key *k;
	size_t i;

	for(i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		char name[96];
		const struct ts_kv *kv;

		snprintf(name, sizeof(name), "%s%s", key, f[i].suffix);
		kv = ts_profile_kv(ctx->prof, name);
		if(!kv)
			continue;
		if(ts_secret_read(f[i].src, kv->value, ctx->prof->timeout_ms, out,
				  errbuf, TOKENSHIM_ERRBUF_SIZE))
			return -1;
		return 0;
	}
	k = ctx->prof->prov ? ts_provider_key(ctx->prof->prov, key) : NULL;
	if(k && k->def) {
		*out = strdup(k->def);
		return *out ? 0 : -1;
	}
	snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "no %s configured", key);
	return -1;
}

static int svc_http(tokenshim_ctx *ctx, const struct tokenshim_http_req *req,
		    struct tokenshim_http_resp *resp, char *errbuf)
{
	struct ts_http_opts o;

	o.timeout_ms = ctx->prof->timeout_ms;
	o.ca_file = ctx->prof->ca_file;
	o.insecure = ctx->prof->insecure;
	ts_debug("profile %s: %s %s", ctx->prof->name, req->method, req->url);
	return ts_http(&o, req, resp, errbuf);
}

static int svc_json_string(const char *body, size_t len, const char *path,
			   char **out, size_t *outlen, char *errbuf)
{
	struct ts_json j;
	int rc;

	if(ts_json_parse(&j, body, len, errbuf, TOKENSHIM_ERRBUF_SIZE))
		return TS_JSON_BAD;
	rc = ts_json_string(&j, path, out, outlen);
	ts_json_free(&j);
	return rc;
}

static int svc_json_number(const char *body, size_t len, const char *path,
			   double *out, char *errbuf)
{
	struct ts_json j;
	int rc;

	if(ts_json_parse(&j, body, len, errbuf, TOKENSHIM_ERRBUF_SIZE))
		return TS_JSON_BAD;
	rc = ts_json_number(&j, path, out);
	ts_json_free(&j);
	return rc;
}

struct tokenshim_buf {
	struct ts_buf b;
};

static tokenshim_buf *svc_buf_new(void)
{
	return calloc(1, sizeof(tokenshim_buf));
}

static void svc_buf_add(tokenshim_buf *b, const char *s)
{
	ts_buf_adds(&b->b, s);
}

static void svc_buf_json_string(tokenshim_buf *b, const char *s)
{
	ts_json_add_string(&b->b, s);
}

static void svc_buf_form(tokenshim_buf *b, const char *key, const char *val)
{
	if(b->b.len)
		ts_buf_add(&b->b, "&", 1);
	ts_buf_urlencode(&b->b, key, strlen(key));
	ts_buf_add(&b->b, "=", 1);
	ts_buf_urlencode(&b->b, val, strlen(val));
}

static const char *svc_buf_data(tokenshim_buf *b, size_t *len)
{
	if(b->b.oom)
		return NULL;
	if(!b->b.p && ts_buf_add(&b->b, "", 0))
		return NULL;
	*len = b->b.len;
	return b->b.p;
}

static void svc_buf_free(tokenshim_buf **b)
{
	if(!*b)
		return;
	ts_buf_free(&(*b)->b);
	free(*b);
	*b = NULL;
}

static int set_bytes(const char **dst, size_t *dlen, const char *s, size_t n)
{
	char *copy = malloc(n + 1);

	if(!copy)
		return -1;
	memcpy(copy, s, n);
	copy[n] = '\0';
	if(*dst) {
		ts_wipe((void *)*dst, *dlen);
		free((void *)*dst);
	}
	*dst = copy;
	*dlen = n;
	return 0;
}

static int svc_set_token(struct tokenshim_token *t, const char *token,
			 size_t len, time_t expires_at)
{
	if(set_bytes(&t->token, &t->token_len, token, len))
		return -1;
	t->expires_at = expires_at;
	return 0;
}

static int svc_set_extra(struct tokenshim_token *t, const char *extra,
			 size_t len)
{
	return set_bytes(&t->extra, &t->extra_len, extra, len);
}

void ts_token_clear(struct tokenshim_token *t)
{
	if(t->token) {
		ts_wipe((void *)t->token, t->token_len);
		free((void *)t->token);
	}
	if(t->extra) {
		ts_wipe((void *)t->extra, t->extra_len);
		free((void *)t->extra);
	}
	memset(t, 0, sizeof(*t));
}

static void svc_debug(tokenshim_ctx *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if(!ts_debug_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ts_debug("profile %s: %s", ctx->prof->name, line);
}

static void svc_free(char *s)
{
	ts_free_secret(&s);
}

static const char *svc_request_url(tokenshim_ctx *ctx)
{
	return ctx->url;
}

static const char *svc_peer_config(tokenshim_ctx *ctx, const char *profile,
				   const char *key)
{
	struct ts_profile *p = ctx->cfg ? ts_config_profile(ctx->cfg, profile) :
					  NULL;
	const struct ts_kv *kv = p ? ts_profile_kv(p, key) : NULL;

	return kv ? kv->value : NULL;
}

static int svc_peer_token(tokenshim_ctx *ctx, const char *profile, char **out,
			  size_t *len, char *errbuf)
{
	struct ts_profile *p = ctx->cfg ? ts_config_profile(ctx->cfg, profile) :
					  NULL;
	char err[512];
	int rc;

	if(!p || p == ctx->prof) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "no other profile named '%s'", profile);
		return TOKENSHIM_ECONFIG;
	}
	rc = ts_engine_token(p, NULL, 0, out, len, err, sizeof(err));
	if(rc != TOKENSHIM_OK)
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s", err);
	return rc;
}

static int svc_b64url_decode(const char *in, size_t len, char **out,
			     size_t *outlen)
{
	struct ts_buf b = {0};
	unsigned char *dec;
	size_t i;
	int n;

	if(len > 1024 * 1024)
		return -1;
	for(i = 0; i < len; i++) {
		char c = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];

		if(c == '=')
			break;
		if(!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		     (c >= '0' && c <= '9') || c == '+' || c == '/')) {
			ts_buf_free(&b);
			return -1;
		}
		ts_buf_add(&b, &c, 1);
	}
	if(b.len % 4 == 1) {
		ts_buf_free(&b);
		return -1;
	}
	while(b.len % 4)
		ts_buf_add(&b, "=", 1);
	dec = malloc(b.len / 4 * 3 + 1);
	if(!dec || b.oom) {
		free(dec);
		ts_buf_free(&b);
		return -1;
	}
	n = b.len ? EVP_DecodeBlock(dec, (unsigned char *)b.p, (int)b.len) : 0;
	if(n < 0) {
		free(dec);
		ts_buf_free(&b);
		return -1;
	}
	/* EVP_DecodeBlock counts the bytes that padding stands for */
	for(i = b.len; i > 0 && b.p[i - 1] == '='; i--)
		n--;
	dec[n] = '\0';
	ts_buf_free(&b);
	*out = (char *)dec;
	*outlen = (size_t)n;
	return 0;
}

static int svc_run(tokenshim_ctx *ctx, const char *cmdline, char **out,
		   size_t *outlen, char **err, int *status, char *errbuf)
{
	struct ts_buf env = {0};
	char *extra[2] = {NULL, NULL};
	char **argv = ts_argv_split(cmdline, errbuf, TOKENSHIM_ERRBUF_SIZE);
	int rc;

	if(!argv)
		return -1;
	ts_buf_printf(&env, "TOKENSHIM_PROFILE=%s", ctx->prof->name);
	extra[0] = env.p;
	rc = ts_run(argv, extra, ctx->prof->timeout_ms, TS_HTTP_MAX, out, outlen,
		    err, status, errbuf, TOKENSHIM_ERRBUF_SIZE);
	ts_buf_free(&env);
	ts_argv_free(&argv);
	return rc;
}

static const struct tokenshim_services services = {
	.version = TOKENSHIM_PROVIDER_ABI,
	.profile = svc_profile,
	.config = svc_config,
	.secret = svc_secret,
	.http = svc_http,
	.http_free = ts_http_free,
	.json_string = svc_json_string,
	.json_number = svc_json_number,
	.buf_new = svc_buf_new,
	.buf_add = svc_buf_add,
	.buf_json_string = svc_buf_json_string,
	.buf_form = svc_buf_form,
	.buf_data = svc_buf_data,
	.buf_free = svc_buf_free,
	.set_token = svc_set_token,
	.set_extra = svc_set_extra,
	.debug = svc_debug,
	.wipe = ts_wipe,
	.free = svc_free,
	.request_url = svc_request_url,
	.peer_config = svc_peer_config,
	.peer_token = svc_peer_token,
	.b64url_decode = svc_b64url_decode,
	.run = svc_run,
};

const struct tokenshim_services *ts_services(void)
{
	return &services;
}
