/*
 * callback_host: sets its own header, write, pre-request, read and seek
 * callbacks on one easy handle and prints every call they get, so that a
 * run under tokenshim can be compared with a run without it.
 *
 * Usage: callback_host URL [TOKEN]
 * With TOKEN the host sends "token: TOKEN" itself (the reference run).
 * It PUTs a 144-byte body to URL?put=1, then GETs URL on the same handle.
 */
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

static const char body[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static size_t sent;

static size_t on_header(char *b, size_t size, size_t n, void *userp)
{
	/* the Date header differs from run to run */
	if(strncmp(b, "Date:", 5))
		printf("header[%s] %.*s", (const char *)userp, (int)(size * n), b);
	return size * n;
}

static size_t on_write(char *b, size_t size, size_t n, void *userp)
{
	printf("write[%s] %zu bytes: %.*s\n", (const char *)userp, size * n,
	       (int)(size * n), b);
	return size * n;
}

static int on_prereq(void *userp, char *ip, char *lip, int port, int lport)
{
	(void)lip;
	(void)lport;
	printf("prereq[%s] %s:%d\n", (const char *)userp, ip, port);
	return CURL_PREREQFUNC_OK;
}

static size_t on_read(char *b, size_t size, size_t n, void *userp)
{
	size_t left = sizeof(body) - 1 - sent, want = size * n;

	if(want > left)
		want = left;
	memcpy(b, body + sent, want);
	sent += want;
	printf("read[%s] %zu\n", (const char *)userp, want);
	return want;
}

static int on_seek(void *userp, curl_off_t off, int origin)
{
	printf("seek[%s] %ld %d\n", (const char *)userp, (long)off, origin);
	if(origin != SEEK_SET || off < 0 || (size_t)off > sizeof(body) - 1)
		return CURL_SEEKFUNC_FAIL;
	sent = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

int main(int argc, char **argv)
{
	struct curl_slist *own = NULL;
	char hdr[256], url[1024];
	CURL *h;
	CURLcode rc;

	if(argc < 2)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	if(argc > 2) {
		snprintf(hdr, sizeof(hdr), "token: %s", argv[2]);
		own = curl_slist_append(NULL, hdr);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, own);
	}
	snprintf(url, sizeof(url), "%s?put=1", argv[1]);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, "h");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, "w");
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, "p");
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE, (long)(sizeof(body) - 1));
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, "r");
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, "s");
	rc = curl_easy_perform(h);
	printf("put: %d\n", (int)rc);

	/* the same handle, now a GET */
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	rc = curl_easy_perform(h);
	printf("get: %d\n", (int)rc);
	curl_easy_cleanup(h);
	curl_slist_free_all(own);
	curl_global_cleanup();
	return 0;
}
