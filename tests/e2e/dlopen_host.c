/*
 * dlopen_host: a host that cannot run under LD_PRELOAD (a daemon's plugin,
 * a runtime's FFI) loads libtokenshim.so with dlopen and calls its C API
 * through dlsym. Links libcurl itself, like such hosts do.
 *
 * Usage: dlopen_host LIBRARY PROFILE URL
 * Prints what it checked; the shell test asserts on what the server got.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

typedef int token_fn(const char *, char *, size_t, char *);
typedef CURLcode perform_fn(CURL *);
typedef CURLcode setopt_fn(CURL *, CURLoption, ...);
typedef int version_fn(void);

static int failed;

#define CHECK(cond, ...) do { \
	if(cond) printf("ok - " __VA_ARGS__); \
	else { failed++; printf("not ok - " __VA_ARGS__); } \
	printf("\n"); } while(0)

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	*(size_t *)u += s * n;
	return s * n;
}

int main(int argc, char **argv)
{
	char tok[512], err[256], url[1024];
	struct curl_slist *app = NULL;
	token_fn *token;
	perform_fn *perform;
	setopt_fn *setopt;
	version_fn *version;
	size_t got = 0;
	long code = 0;
	CURL *h;
	void *lib;

	if(argc != 4) {
		fprintf(stderr, "usage: dlopen_host LIBRARY PROFILE URL\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if(!lib) {
		printf("not ok - dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&token = dlsym(lib, "tokenshim_token");
	*(void **)&perform = dlsym(lib, "tokenshim_easy_perform");
	*(void **)&setopt = dlsym(lib, "tokenshim_easy_setopt");
	*(void **)&version = dlsym(lib, "tokenshim_api_version");
	CHECK(token && perform && setopt && version, "the C API is exported");
	if(!token || !perform || !setopt || !version)
		return 1;
	CHECK(version() == 1, "API version 1");

	/* tokenshim_token: a token, NUL-terminated, never printed */
	err[0] = '\0';
	CHECK(token(argv[2], tok, sizeof(tok), err) == 0 && strlen(tok) == 36,
	      "tokenshim_token gives a 36-char token (%s)", err);
	memset(tok, 0, sizeof(tok));
	CHECK(token(argv[2], tok, 8, err) != 0 && strstr(err, "buffer holds 8"),
	      "a short buffer is refused: %s", err);
	CHECK(token("nosuch", tok, sizeof(tok), err) != 0 &&
	      !strcmp(err, "no profile named 'nosuch'"),
	      "an unknown profile is refused: %s", err);

	/* tokenshim_easy_perform on a handle set up with libcurl alone */
	h = curl_easy_init();
	snprintf(url, sizeof(url), "%s?step=plain", argv[3]);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
	CHECK(perform(h) == CURLE_OK, "tokenshim_easy_perform succeeds");
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	CHECK(code == 200, "the NetBrain request succeeds (HTTP %ld)", code);
	CHECK(got > 0, "the host's own write callback got the body (%zu bytes)",
	      got);

	/* the app's own headers, set through tokenshim_easy_setopt, are merged
	   and restored */
	app = curl_slist_append(NULL, "X-App: 1");
	snprintf(url, sizeof(url), "%s?step=merged", argv[3]);
	setopt(h, CURLOPT_URL, url);
	setopt(h, CURLOPT_HTTPHEADER, app);
	CHECK(perform(h) == CURLE_OK, "merged request succeeds");
	snprintf(url, sizeof(url), "%s?step=restored", argv[3]);
	setopt(h, CURLOPT_URL, url);
	CHECK(curl_easy_perform(h) == CURLE_OK,
	      "a plain curl_easy_perform afterwards runs on the app's settings");
	curl_easy_cleanup(h);
	curl_slist_free_all(app);
	curl_global_cleanup();
	printf("dlopen_host: %d failed\n", failed);
	return failed ? 1 : 0;
}
