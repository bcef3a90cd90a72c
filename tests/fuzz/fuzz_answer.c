/*
 * fuzz_answer: every provider's handling of what its server answers,
 * through the host's real services with HTTP replaced by the stub the
 * unit tests use. The input picks a profile, then holds one answer per
 * request the provider makes, separated by NUL bytes: each answer's
 * first byte picks its status and content type, the rest is its body.
 * With a token, the provider's refresh and release read answers too.
 */
#include <stdio.h>

#include "fuzz.h"
#include "engine/profile.h"
#include "provider/provider.h"

static const char conf_text[] =
	"[profile nb]\nprovider = netbrain\nmatch = https://nb/*\n"
	"url = https://nb/ServicesAPI/API\nusername = u\npassword = p\n"
	"tenant_id = T\ndomain_id = D\n"
	"[profile rs]\nprovider = resolve\nmatch = https://rs/*\nurl = https://rs/\n"
	"username = u@x\npassword = p\n"
	"[profile aa]\nprovider = automation-anywhere\nmatch = https://aa/*\n"
	"url = https://aa\nusername = jdoe\napi_key = k\n"
	"[profile ids]\nprovider = idscan\nmatch = https://ids/*\n"
	"url = https://ids/idscanenterprisesvc\nusername = u\npassword = p\n"
	"area = scanning\n"
	"[profile vr]\nprovider = vrops\nmatch = https://vr/*\n"
	"url = https://vr/suite-api\nusername = u\npassword = p\n"
	"[profile o2]\nprovider = oauth2\nmatch = https://o2/*\n"
	"token_url = https://o2/token\nclient_id = id\nclient_secret = s\n"
	"[profile portal]\nprovider = netbrain-portal\nmatch = https://nb/portal/*\n"
	"session = nb\n";
static const char *const names[] = { "nb", "rs", "aa", "ids", "vr", "o2",
				     "portal" };

static struct ts_config cfg;
static struct tokenshim_services svc;
static const uint8_t *feed, *feed_end;

static int fake_http(tokenshim_ctx *ctx, const struct tokenshim_http_req *req,
		     struct tokenshim_http_resp *resp, char *errbuf)
{
	static const long status[] = { 200, 200, 200, 401, 404, 500, 403, 201 };
	const uint8_t *end;
	uint8_t pick;

	(void)ctx;
	(void)req;
	memset(resp, 0, sizeof(*resp));
	if(feed >= feed_end) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "fuzz: no more answers");
		return TOKENSHIM_ECONNECT;
	}
	pick = *feed++;
	end = memchr(feed, 0, (size_t)(feed_end - feed));
	if(!end)
		end = feed_end;
	resp->status = status[pick & 7];
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
		 pick & 8 ? "text/html" : "application/json");
	resp->len = (size_t)(end - feed);
	resp->body = malloc(resp->len + 1);
	if(!resp->body)
		return TOKENSHIM_ENOMEM;
	memcpy(resp->body, feed, resp->len);
	resp->body[resp->len] = '\0';
	feed = end < feed_end ? end + 1 : end;
	return TOKENSHIM_OK;
}

/* The portal's session, as the engine would hand it over. */
static int peer(struct ts_profile *p, char **out, size_t *len, char *errbuf)
{
	(void)p;
	(void)errbuf;
	*out = strdup("session-token");
	*len = 13;
	return *out ? TOKENSHIM_OK : TOKENSHIM_ENOMEM;
}

static void refused(struct ts_profile *p, const char *tok, size_t len)
{
	(void)p;
	(void)tok;
	(void)len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* run.sh builds the providers beside the targets */
	if(!getenv("TOKENSHIM_PROVIDER_PATH"))
		setenv("TOKENSHIM_PROVIDER_PATH", FUZZ_PROVIDERS, 1);
	ts_config_parse("fuzz.conf", conf_text, 0, 0600, &cfg, NULL, NULL);
	if(cfg.errors) {
		fprintf(stderr, "fuzz_answer: the test config does not load\n");
		abort();
	}
	ts_profile_set_peer_token(peer, refused);
	svc = *ts_services();
	svc.http = fake_http;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_profile *p;
	struct tokenshim_ctx ctx;
	struct tokenshim_token tok = {0}, next = {0};
	char err[TOKENSHIM_ERRBUF_SIZE];
	int rc;

	if(size < 1)
		return 0;
	p = ts_config_profile(&cfg, names[data[0] % 7]);
	feed = data + 1;
	feed_end = data + size;
	ts_profile_ctx(p, NULL, &ctx);
	ctx.url = "https://nb/portal/i/42";
	err[0] = '\0';
	rc = p->prov->p->acquire(&ctx, &svc, &tok, err);
	if(rc == TOKENSHIM_OK && tok.token) {
		if(p->prov->p->refresh) {
			err[0] = '\0';
			if(p->prov->p->refresh(&ctx, &svc, &tok, &next, err) ==
			   TOKENSHIM_OK)
				ts_token_clear(&next);
		}
		if(p->prov->p->release)
			p->prov->p->release(&ctx, &svc, &tok, err);
	}
	ts_token_clear(&tok);
	ts_token_clear(&next);
	return 0;
}
