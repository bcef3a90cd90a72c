/*
 * real: resolution of the host's libcurl, and of the real dlopen.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "util/fork.h"
#include "util/log.h"
#include "curl/real.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ts_curl table;
static _Atomic(const struct ts_curl *) resolved;
static void *const *hook_addrs;
static int nhooks;

/* The lock is held while libcurl is looked up (a dlopen at worst): a
   fork waits for that, so the child never inherits it held. */
TS_FORK_HOLDS(lock)

void ts_real_set_hooks(void *const *hooks, int n)
{
	/* threads racing to the first libcurl call all register */
	pthread_mutex_lock(&lock);
	hook_addrs = hooks;
	nhooks = n;
	pthread_mutex_unlock(&lock);
}

static int is_hook(void *p)
{
	int i;

	for(i = 0; i < nhooks; i++)
		if(hook_addrs[i] == p)
			return 1;
	return 0;
}

/* RTLD_NEXT finds the libcurl behind us when the program links it; a
   tokenshim that is itself dlopen'ed is not in the global scope and finds
   it with RTLD_DEFAULT. */
static void *lookup(void *lib, const char *name)
{
	void *p;

	if(lib)
		return dlsym(lib, name);
	p = dlsym(RTLD_NEXT, name);
	if(!p || is_hook(p))
		p = dlsym(RTLD_DEFAULT, name);
	if(p && is_hook(p))
		p = NULL;	/* ourselves: libcurl is not in the global scope */
	return p;
}

static int fill(void *lib)
{
	struct ts_curl t;

#define R(f) *(void **)&t.real_##f = lookup(lib, #f)
	R(curl_easy_init);
	R(curl_easy_setopt);
	R(curl_easy_perform);
	R(curl_easy_cleanup);
	R(curl_easy_reset);
	R(curl_easy_duphandle);
	R(curl_easy_getinfo);
	R(curl_easy_strerror);
	R(curl_slist_append);
	R(curl_slist_free_all);
	R(curl_multi_add_handle);
	R(curl_multi_remove_handle);
	R(curl_multi_info_read);
	R(curl_multi_cleanup);
	R(curl_multi_perform);
	R(curl_multi_socket_action);
	R(curl_multi_socket_all);
	R(curl_url);
	R(curl_url_cleanup);
	R(curl_url_set);
	R(curl_url_get);
	R(curl_free);
	R(curl_easy_send);
	R(curl_easy_recv);
#undef R
	if(!t.real_curl_easy_init || !t.real_curl_easy_setopt || !t.real_curl_easy_perform ||
	   !t.real_curl_easy_cleanup || !t.real_curl_easy_getinfo ||
	   !t.real_curl_slist_append || !t.real_curl_slist_free_all)
		return -1;
	table = t;
	return 0;
}

/* A libcurl already loaded, but outside the global scope: the dependency
   of a dlopen'ed module, as with PHP's curl.so or pycurl. */
static int find_curl(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name, *base;

	if(!name || !*name)
		return 0;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if(strncmp(base, "libcurl", 7) || !strstr(base, ".so"))
		return 0;
	snprintf(data, 4096, "%s", name);
	return 1;
}

static void *loaded_curl(void)
{
	char name[4096] = "";

	if(!dl_iterate_phdr(find_curl, name) || !name[0])
		return NULL;
	ts_debug("using %s, loaded outside the global scope", name);
	return ts_real_dlopen(name, RTLD_NOW | RTLD_NOLOAD);
}

const struct ts_curl *ts_real(void)
{
	const struct ts_curl *r = atomic_load_explicit(&resolved,
						       memory_order_acquire);
	void *lib;

	if(r)
		return r;
	pthread_mutex_lock(&lock);
	r = atomic_load_explicit(&resolved, memory_order_relaxed);
	if(!r) {
		lib = NULL;
		if(fill(NULL) == 0)
			r = &table;
		else if((lib = loaded_curl()) != NULL)
			r = fill(lib) == 0 ? &table : NULL;
		/* No libcurl in the process yet (tokenshim_token from a host
		   that has not loaded it): load one privately. It stays loaded
		   for the life of the process, as libcurl expects. */
		else if(((lib = ts_real_dlopen("libcurl.so.4",
					       RTLD_NOW | RTLD_LOCAL)) ||
			 (lib = ts_real_dlopen("libcurl-gnutls.so.4",
					       RTLD_NOW | RTLD_LOCAL))) &&
			fill(lib) == 0)
			r = &table;
		if(r)
			atomic_store_explicit(&resolved, r, memory_order_release);
	}
	pthread_mutex_unlock(&lock);
	return r;
}

/* The library exports a dlopen hook of its own (hook/preload.c), and its
   own calls to dlopen would bind to it: they come here instead. */
void *ts_real_dlopen(const char *file, int mode)
{
	static void *(*real_dlopen)(const char *, int);
	void *(*fn)(const char *, int) = __atomic_load_n(&real_dlopen,
							 __ATOMIC_ACQUIRE);

	if(!fn) {
		*(void **)&fn = dlsym(RTLD_NEXT, "dlopen");
		if(!fn)
			return NULL;
		__atomic_store_n(&real_dlopen, fn, __ATOMIC_RELEASE);
	}
	return fn(file, mode);
}
