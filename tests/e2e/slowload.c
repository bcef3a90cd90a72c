/*
 * slowload: a test provider that takes its time to load (its constructor
 * sleeps 1.5 s), so that a program can fork while another of its threads
 * is inside the provider loader. Its token is the profile's "token" key,
 * valid for 10 minutes.
 */
#include <time.h>
#include <unistd.h>

#include "tokenshim_provider.h"

__attribute__((constructor)) static void slow(void)
{
	usleep(1500 * 1000);
}

static const struct tokenshim_key keys[] = {
	{ "token", NULL, TOKENSHIM_KEY_REQUIRED },
	{ NULL, NULL, 0 }
};

static int sl_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	const char *t = svc->config(ctx, "token");
	size_t n = 0;

	while(t[n])
		n++;
	return svc->set_token(out, t, n, time(NULL) + 600) ? TOKENSHIM_ENOMEM :
							    TOKENSHIM_OK;
}

static const struct tokenshim_provider provider = {
	.name = "slowload",
	.keys = keys,
	.inject = "header = token: {token}",
	.lifetime = 600,
	.acquire = sl_acquire,
};

__attribute__((visibility("default")))
int tokenshim_provider_init(int max_version, int *out_version,
			    const struct tokenshim_provider **out)
{
	if(max_version < 1)
		return TOKENSHIM_ECONFIG;
	*out_version = 1;
	*out = &provider;
	return TOKENSHIM_OK;
}
