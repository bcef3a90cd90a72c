/*
 * loader: finding, loading and checking provider modules. Modules are
 * loaded through the real dlopen: the library's own dlopen hook is for
 * the application's modules.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fork.h"
#include "curl/real.h"
#include "util/log.h"
#include "provider/provider.h"
#include "util/str.h"

#define MAX_MODS 64

static pthread_mutex_t mods_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ts_provider_mod *mods[MAX_MODS];
static int nmods;

/* Held while a module loads: a fork waits for that, and the child gets
   the list whole and the lock free. */
TS_FORK_HOLDS(mods_lock)

static char root[4200];
static pthread_once_t root_once = PTHREAD_ONCE_INIT;

/* Where this tree was unpacked when that is not where it was built for
   (dpkg -x into a folder, a container layer): the object this code is in
   (libtokenshim.so in PKGLIBDIR, or the CLI in BINDIR) says, by what
   comes before the configured folder in its path. Empty when installed
   as built. */
static void find_root(void)
{
	static const char *const homes[] = { PKGLIBDIR, BINDIR };
	Dl_info info;
	char dir[4200], *slash;
	size_t i, n, h;

	if(!dladdr((void *)find_root, &info) || !info.dli_fname ||
	   info.dli_fname[0] != '/')
		return;
	snprintf(dir, sizeof(dir), "%s", info.dli_fname);
	slash = strrchr(dir, '/');
	if(!slash)
		return;
	*slash = '\0';
	n = strlen(dir);
	for(i = 0; i < 2; i++) {
		h = strlen(homes[i]);
		if(n > h && !strcmp(dir + n - h, homes[i])) {
			snprintf(root, sizeof(root), "%.*s", (int)(n - h), dir);
			return;
		}
	}
}

const char *ts_relocated(const char *path, char *out, size_t len)
{
	struct stat st;

	if(!stat(path, &st))
		return path;
	pthread_once(&root_once, find_root);
	if(!root[0])
		return path;
	snprintf(out, len, "%s%s", root, path);
	return out;
}

const char *ts_provider_path(void)
{
	static char moved[4300];
	const char *p = getenv("TOKENSHIM_PROVIDER_PATH");

	if(p && *p)
		return p;
	return ts_relocated(PROVIDERDIR, moved, sizeof(moved));
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
	void *dl = ts_real_dlopen(path, RTLD_NOW | RTLD_LOCAL);

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

const struct tokenshim_key *ts_provider_secret_key(const struct ts_provider_mod *m,
						   const char *key,
						   int *literal)
{
	static const char *const suffixes[] = TS_SECRET_SUFFIXES;
	const struct tokenshim_key *k = ts_provider_key(m, key);
	const char *const *s;

	if(k) {
		*literal = (k->flags & TOKENSHIM_KEY_SECRET) != 0;
		return k;
	}
	for(s = suffixes; *s; s++) {
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
