/*
 * test_services: each provider module's request building and answer
 * parsing through the services of src/provider/services.c: the host's
 * real services except HTTP, which is replaced by
 * a stub that records the request and plays back a canned answer. Hostile
 * answers (HTML error pages, empty and truncated bodies, missing fields,
 * wrong types) must each give a clear error, never a token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <CUnit/CUnit.h>

#include "util/buf.h"
#include "engine/profile.h"
#include "provider/provider.h"
#include "../units.h"

/* what the stub received, and what it answers */
static struct {
	char url[1024];
	char method[16];
	char body[4096];
	char headers[2048];
	long status;
	const char *ctype;
	const char *answer;
	int calls;
} wire;

static int fake_http(tokenshim_ctx *ctx, const struct tokenshim_http_req *req,
		     struct tokenshim_http_resp *resp, char *errbuf)
{
	const char *const *h;

	(void)ctx;
	(void)errbuf;
	wire.calls++;
	snprintf(wire.url, sizeof(wire.url), "%s", req->url);
	snprintf(wire.method, sizeof(wire.method), "%s", req->method);
	snprintf(wire.body, sizeof(wire.body), "%.*s", (int)req->body_len,
		 req->body ? req->body : "");
	wire.headers[0] = '\0';
	for(h = req->headers; h && *h; h++) {
		strncat(wire.headers, *h, sizeof(wire.headers) - strlen(wire.headers) - 2);
		strcat(wire.headers, "\n");
	}
	memset(resp, 0, sizeof(*resp));
	resp->status = wire.status;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", wire.ctype);
	resp->len = strlen(wire.answer);
	resp->body = strdup(wire.answer);
	return TOKENSHIM_OK;
}

static struct ts_config cfg;
static struct tokenshim_services svc;

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "config: %s\n", msg);
}

static const char conf_text[] =
	"[profile nb]\nprovider = netbrain\nmatch = https://nb/*\n"
	"url = https://nb/ServicesAPI/API\nusername = u\npassword = p\n"
	"authentication_id = AD\ntenant_id = T\ndomain_id = D\n"
	"[profile rs]\nprovider = resolve\nmatch = https://rs/*\nurl = https://rs/\n"
	"username = u@x\npassword = p&q=\n"
	"[profile aa]\nprovider = automation-anywhere\nmatch = https://aa/*\n"
	"url = https://aa\nusername = jdoe\n"
	"api_key = Vie;Z:IvtAhY0\\1RAD[SWl{NU7baRLYEeIYUJSKO\n"
	"[profile ids]\nprovider = idscan\nmatch = https://ids/*\n"
	"url = https://ids/idscanenterprisesvc\nusername = u\npassword = p\n"
	"area = scanning\n"
	"[profile vr]\nprovider = vrops\nmatch = https://vr/*\n"
	"url = https://vr/suite-api\nusername = u\npassword = p\nauth_source = LDAP\n"
	"[profile o2]\nprovider = oauth2\nmatch = https://o2/*\n"
	"token_url = https://o2/token\nclient_id = id:1\nclient_secret = s e\n"
	"scope = a b\n"
	"[profile portal]\nprovider = netbrain-portal\nmatch = https://nb/portal/*\n"
	"session = nb\n";

static int init(void)
{
	setenv("TOKENSHIM_PROVIDER_PATH", TEST_ALL_PROVIDERS, 1);
	ts_config_parse("p.conf", conf_text, 0, 0600, &cfg, ignore, NULL);
	svc = *ts_services();
	svc.http = fake_http;
	return cfg.errors ? -1 : 0;
}

static int fini(void)
{
	ts_config_free(&cfg);
	ts_provider_unload_all();
	return 0;
}

/* Plays one answer to profile's acquire; returns its code, with the token
   in tok and the error in err. */
static int play(const char *profile, long status, const char *ctype,
		const char *answer, struct tokenshim_token *tok, char *err)
{
	struct ts_profile *p = ts_config_profile(&cfg, profile);
	struct tokenshim_ctx ctx;

	ts_profile_ctx(p, NULL, &ctx);
	memset(&wire, 0, sizeof(wire));
	wire.status = status;
	wire.ctype = ctype;
	wire.answer = answer;
	memset(tok, 0, sizeof(*tok));
	err[0] = '\0';
	return p->prov->p->acquire(&ctx, &svc, tok, err);
}

#define JSON "application/json"

/* Answers that must never give a token, for a provider whose login step
   is called "login". */
static void hostile(const char *profile)
{
	static const struct { long st; const char *ct, *body, *want; } bad[] = {
		{502, "text/html", "<html><body>Bad Gateway</body></html>",
		 "login: HTTP 502 with an HTML page instead of JSON"},
		{200, "text/html", "<html>login page</html>",
		 "login: HTTP 200 with an HTML page instead of JSON"},
		{200, JSON, "", "empty answer (HTTP 200)"},
		{200, JSON, "{\"token\":\"abc", "truncated JSON"},
		{200, JSON, "{\"access_token\":", "truncated JSON"},
		{200, JSON, "{\"nothing\":1}", "login: "},
		{200, JSON, "{\"token\":42,\"access_token\":42,\"statusCode\":790200}", "login: "},
		{200, "text/plain", "token=abc", "instead of JSON"},
	};
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];
	size_t i;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = play(profile, bad[i].st, bad[i].ct, bad[i].body, &t, err);

		CU_ASSERT(rc != TOKENSHIM_OK);
		CU_ASSERT(t.token == NULL);
		if(!strstr(err, bad[i].want) || !strncmp(err, "login: login:", 13)) {
			fprintf(stderr, "%s: answer %zu gave '%s'\n", profile, i, err);
			CU_FAIL("hostile answer not explained");
		}
		ts_token_clear(&t);
	}
}

static void test_netbrain(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];

	/* the login succeeds and the domain step follows it */
	CU_ASSERT(play("nb", 200, JSON,
		       "{\"token\":\"T1\",\"statusCode\":790200}", &t, err) ==
		  TOKENSHIM_OK);
	CU_ASSERT_STRING_EQUAL(t.token, "T1");
	CU_ASSERT(t.expires_at == 0);	/* undocumented: the host decides */
	CU_ASSERT_STRING_EQUAL(wire.url, "https://nb/ServicesAPI/API/V1/Session/CurrentDomain");
	CU_ASSERT_STRING_EQUAL(wire.method, "PUT");
	CU_ASSERT_STRING_EQUAL(wire.body, "{\"tenantId\":\"T\",\"domainId\":\"D\"}");
	CU_ASSERT(strstr(wire.headers, "token: T1\n") != NULL);
	CU_ASSERT_EQUAL(wire.calls, 2);
	ts_token_clear(&t);
	/* statusCode other than 790200: the description, in its words */
	CU_ASSERT(play("nb", 200, JSON,
		       "{\"statusCode\":795000,\"statusDescription\":\"Invalid username or password.\"}",
		       &t, err) == TOKENSHIM_EDENIED);
	CU_ASSERT_STRING_EQUAL(err, "login: Invalid username or password.");
	CU_ASSERT_STRING_EQUAL(wire.body,
		"{\"username\":\"u\",\"password\":\"p\",\"authentication_id\":\"AD\"}");
	CU_ASSERT(play("nb", 200, JSON, "{\"statusCode\":790200}", &t, err) ==
		  TOKENSHIM_EPROTO);
	CU_ASSERT(strstr(err, "no token") != NULL);
	CU_ASSERT(play("nb", 502, "text/html", "<html>x</html>", &t, err) != 0);
	CU_ASSERT(strstr(err, "login: HTTP 502") != NULL);
	CU_ASSERT(play("nb", 200, JSON, "{\"statusCode\":790200,\"token\":\"a", &t,
		       err) != 0);
	CU_ASSERT(strstr(err, "truncated JSON") != NULL);
}

static void test_resolve(void)
{
	struct tokenshim_token t;
	struct ts_profile *p = ts_config_profile(&cfg, "rs");
	struct tokenshim_ctx ctx;
	char err[TOKENSHIM_ERRBUF_SIZE];
	time_t now = time(NULL);

	ts_profile_ctx(p, NULL, &ctx);

	CU_ASSERT(play("rs", 200, JSON,
		       "{\"access_token\":\"A\",\"token_type\":\"bearer\","
		       "\"refresh_token\":\"R\",\"expires_in\":43199,"
		       "\"user\":{\"access_token\":\"nested\"}}", &t, err) == 0);
	CU_ASSERT_STRING_EQUAL(t.token, "A");
	CU_ASSERT_STRING_EQUAL(t.extra, "R");
	CU_ASSERT(t.expires_at >= now + 43199 && t.expires_at <= now + 43201);
	CU_ASSERT_STRING_EQUAL(wire.url, "https://rs/oauth/token");
	CU_ASSERT_STRING_EQUAL(wire.body,
		"grant_type=password&username=u%40x&password=p%26q%3D&"
		"scope=read%20write%20trust&client_id=fixstreamapp&client_secret=fixstream");
	/* refresh keeps the old refresh token when no new one comes */
	memset(&wire, 0, sizeof(wire));
	wire.status = 200;
	wire.ctype = JSON;
	wire.answer = "{\"access_token\":\"A2\",\"expires_in\":60}";
	{
		struct tokenshim_token t2 = {0};

		CU_ASSERT(p->prov->p->refresh(&ctx, &svc, &t, &t2, err) == 0);
		CU_ASSERT_STRING_EQUAL(t2.token, "A2");
		CU_ASSERT_STRING_EQUAL(t2.extra, "R");
		CU_ASSERT(strstr(wire.body, "grant_type=refresh_token&refresh_token=R&") == wire.body);
		ts_token_clear(&t2);
		wire.status = 400;
		wire.answer = "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh token\"}";
		CU_ASSERT(p->prov->p->refresh(&ctx, &svc, &t, &t2, err) ==
			  TOKENSHIM_EDENIED);
		CU_ASSERT_STRING_EQUAL(err, "refresh: invalid_grant: Invalid refresh token");
		ts_token_clear(&t2);
	}
	ts_token_clear(&t);
	CU_ASSERT(play("rs", 400, JSON,
		       "{\"error\":\"invalid_grant\",\"error_description\":\"Bad credentials\"}",
		       &t, err) == TOKENSHIM_EDENIED);
	CU_ASSERT_STRING_EQUAL(err, "login: invalid_grant: Bad credentials");
	CU_ASSERT(play("rs", 401, JSON, "{\"error\":\"unauthorized\"}", &t, err) ==
		  TOKENSHIM_EDENIED);
	CU_ASSERT_STRING_EQUAL(err, "login: unauthorized");
	hostile("rs");
}

static void test_automation_anywhere(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];
	/* header.{"sub":"1","exp":1573109073,"custom":{"a":[1]}}.sig */
	const char *jwt = "{\"token\":\"eyJhbGciOiJSUzUxMiJ9."
		"eyJzdWIiOiIxIiwiZXhwIjoxNTczMTA5MDczLCJjdXN0b20iOnsiYSI6WzFdfX0."
		"c2ln\",\"user\":{\"id\":9}}";

	CU_ASSERT(play("aa", 200, JSON, jwt, &t, err) == 0);
	CU_ASSERT(t.expires_at == 1573109073);
	CU_ASSERT_STRING_EQUAL(wire.url, "https://aa/v1/authentication");
	/* the seed's sample key, escaped exactly */
	CU_ASSERT_STRING_EQUAL(wire.body,
		"{\"username\":\"jdoe\",\"apiKey\":\"Vie;Z:IvtAhY0\\\\1RAD[SWl{NU7baRLYEeIYUJSKO\"}");
	ts_token_clear(&t);
	/* no exp, or a payload that is not base64url JSON: no expiry */
	CU_ASSERT(play("aa", 200, JSON, "{\"token\":\"eyJhIjoxfQ.eyJzdWIiOiIxIn0.x\"}",
		       &t, err) == 0);
	CU_ASSERT(t.expires_at == 0);
	ts_token_clear(&t);
	CU_ASSERT(play("aa", 200, JSON, "{\"token\":\"a.%%%.c\"}", &t, err) == 0);
	CU_ASSERT(t.expires_at == 0);
	ts_token_clear(&t);
	CU_ASSERT(play("aa", 401, JSON, "{\"code\":\"UM1110\",\"message\":\"Invalid credentials.\"}",
		       &t, err) == TOKENSHIM_EDENIED);
	CU_ASSERT_STRING_EQUAL(err, "login: Invalid credentials.");
	hostile("aa");
}

static void test_idscan(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];

	CU_ASSERT(play("ids", 200, JSON, "{\"Token\":\"T\",\"FullName\":\"PSC\"}",
		       &t, err) == 0);
	CU_ASSERT_STRING_EQUAL(t.token, "T");
	CU_ASSERT(t.expires_at == 0);	/* the host applies 10 hours */
	CU_ASSERT_STRING_EQUAL(wire.url, "https://ids/idscanenterprisesvc/token");
	CU_ASSERT_STRING_EQUAL(wire.body,
		"grant_type=password&username=u&password=p&area=scanning");
	ts_token_clear(&t);
	CU_ASSERT(play("ids", 200, JSON, "{\"access_token\":\"A\",\"token\":\"B\",\"expires_in\":\"35999\"}",
		       &t, err) == 0);
	CU_ASSERT_STRING_EQUAL(t.token, "A");
	CU_ASSERT(t.expires_at > time(NULL) + 35990);
	ts_token_clear(&t);
	hostile("ids");
}

static void test_vrops(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];

	CU_ASSERT(play("vr", 200, JSON,
		       "{\"token\":\"x::y\",\"validity\":1900000000000,\"roles\":[]}",
		       &t, err) == 0);
	/* 2030: more than a year from now, so capped at a year */
	CU_ASSERT(t.expires_at <= time(NULL) + 31536000 &&
		  t.expires_at >= time(NULL) + 31536000 - 5);
	CU_ASSERT_STRING_EQUAL(wire.url, "https://vr/suite-api/api/auth/token/acquire");
	CU_ASSERT_STRING_EQUAL(wire.body,
		"{\"username\":\"u\",\"password\":\"p\",\"authSource\":\"LDAP\"}");
	ts_token_clear(&t);
	CU_ASSERT(play("vr", 401, "", "", &t, err) == TOKENSHIM_EDENIED);
	CU_ASSERT_STRING_EQUAL(err, "login: login refused (HTTP 401)");
	hostile("vr");
}

/* Vendor numbers are bounded before they are converted, and a number of
   the wrong type is an error, never a silent default. */
static void test_expiry_numbers(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE], answer[256];
	time_t year = time(NULL) + 31536000;
	long soon = (long)time(NULL) + 3600;

	snprintf(answer, sizeof(answer), "{\"token\":\"v\",\"validity\":%ld000}", soon);
	CU_ASSERT(play("vr", 200, JSON, answer, &t, err) == 0);
	CU_ASSERT(t.expires_at == soon);
	ts_token_clear(&t);
	CU_ASSERT(play("vr", 200, JSON, "{\"token\":\"v\",\"validity\":9e18}", &t, err) == 0);
	CU_ASSERT(t.expires_at >= year - 5 && t.expires_at <= year);
	ts_token_clear(&t);
	CU_ASSERT(play("vr", 200, JSON, "{\"token\":\"v\",\"validity\":-inf}", &t, err) ==
		  TOKENSHIM_EPROTO);
	CU_ASSERT_STRING_EQUAL(err, "login: validity is not a number");
	ts_token_clear(&t);
	CU_ASSERT(play("vr", 200, JSON, "{\"token\":\"v\",\"validity\":\"soon\"}", &t, err) ==
		  TOKENSHIM_EPROTO);
	ts_token_clear(&t);
	CU_ASSERT(play("o2", 200, JSON, "{\"access_token\":\"A\",\"expires_in\":1e300}",
		       &t, err) == TOKENSHIM_EPROTO);
	CU_ASSERT_STRING_EQUAL(err, "login: expires_in is not a number");
	ts_token_clear(&t);
	CU_ASSERT(play("o2", 200, JSON, "{\"access_token\":\"A\",\"expires_in\":\"0x10\"}",
		       &t, err) == TOKENSHIM_EPROTO);
	ts_token_clear(&t);
	CU_ASSERT(play("o2", 200, JSON, "{\"access_token\":\"A\",\"expires_in\":\"3600\"}",
		       &t, err) == 0);
	CU_ASSERT(t.expires_at >= time(NULL) + 3595 && t.expires_at <= time(NULL) + 3600);
	ts_token_clear(&t);
	CU_ASSERT(play("o2", 200, JSON, "{\"access_token\":\"A\",\"expires_in\":9e18}",
		       &t, err) == 0);
	CU_ASSERT(t.expires_at >= year - 5 && t.expires_at <= year);
	ts_token_clear(&t);
	/* a JWT whose exp is no time */
	CU_ASSERT(play("aa", 200, JSON,
		       "{\"token\":\"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiJzb29uIn0.sig\"}",
		       &t, err) == TOKENSHIM_EPROTO);
	CU_ASSERT_STRING_EQUAL(err, "login: the token's exp claim is not a time");
	ts_token_clear(&t);
}

/* NetBrain's token goes into its own domain call: it is checked first. */
static void test_token_checked_first(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];

	CU_ASSERT(play("nb", 200, JSON,
		       "{\"statusCode\":790200,\"token\":\"abc\\r\\nX-Injected: yes\"}",
		       &t, err) == TOKENSHIM_EPROTO);
	CU_ASSERT_STRING_EQUAL(err, "login: the server's token holds a control character; not used");
	CU_ASSERT_EQUAL(wire.calls, 1);	/* the login, and no domain call */
	ts_token_clear(&t);
}

static void test_oauth2(void)
{
	struct tokenshim_token t;
	char err[TOKENSHIM_ERRBUF_SIZE];

	CU_ASSERT(play("o2", 200, JSON, "{\"access_token\":\"A\",\"expires_in\":300}",
		       &t, err) == 0);
	CU_ASSERT_STRING_EQUAL(wire.body, "grant_type=client_credentials&scope=a%20b");
	/* basic: base64("id%3A1:s%20e") */
	CU_ASSERT(strstr(wire.headers, "Authorization: Basic aWQlM0ExOnMlMjBl\n") != NULL);
	ts_token_clear(&t);
	hostile("o2");
}

static void test_portal(void)
{
	struct ts_profile *p = ts_config_profile(&cfg, "portal");
	struct ts_req req = { "https://nb/portal/list", NULL, -1, NULL, NULL, NULL };
	struct tokenshim_ctx ctx;
	struct tokenshim_token t = {0};
	char err[TOKENSHIM_ERRBUF_SIZE];

	ts_profile_ctx(p, &req, &ctx);

	/* tickets are used once: never cached */
	CU_ASSERT(p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE);
	/* no portal id, or no request at all: an error before any call */
	memset(&wire, 0, sizeof(wire));
	CU_ASSERT(p->prov->p->acquire(&ctx, &svc, &t, err) == TOKENSHIM_ECONFIG);
	CU_ASSERT(strstr(err, "the URL has no portal id") != NULL);
	CU_ASSERT_EQUAL(wire.calls, 0);
	ctx.url = NULL;
	CU_ASSERT(p->prov->p->acquire(&ctx, &svc, &t, err) == TOKENSHIM_ECONFIG);
}

/* base64url as JWTs carry it, and base64 with its padding */
static void test_b64url(void)
{
	const struct tokenshim_services *sv = ts_services();
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "", "" }, { "Zg", "f" }, { "Zg==", "f" }, { "Zm8", "fo" },
		{ "Zm9v", "foo" }, { "Zm9vYg", "foob" }, { "Zm9vYmE=", "fooba" },
		{ "eyJleHAiOjF9", "{\"exp\":1}" }, { "-_8", "\xfb\xff" },
		{ "+/8=", "\xfb\xff" },
	};
	static const char *const bad[] = { "Z", "Zm9vY", "Zm9v!", "Zg=x", "Z g" };
	size_t i, n;
	char *out;

	for(i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		out = NULL;
		CU_ASSERT_EQUAL(sv->b64url_decode(ok[i].in, strlen(ok[i].in), &out, &n), 0);
		CU_ASSERT(out && n == strlen(ok[i].out) && !memcmp(out, ok[i].out, n));
		free(out);
	}
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = NULL;
		CU_ASSERT_EQUAL(sv->b64url_decode(bad[i], strlen(bad[i]), &out, &n), -1);
		CU_ASSERT_PTR_NULL(out);
	}
}

void add_services_suite(void)
{
	CU_pSuite s = unit_suite("providers", init, fini);

	unit_test(s, "base64url", test_b64url);
	unit_test(s, "netbrain", test_netbrain);
	unit_test(s, "resolve", test_resolve);
	unit_test(s, "automation-anywhere", test_automation_anywhere);
	unit_test(s, "idscan", test_idscan);
	unit_test(s, "vrops", test_vrops);
	unit_test(s, "oauth2", test_oauth2);
	unit_test(s, "expiry numbers, bounded and typed", test_expiry_numbers);
	unit_test(s, "a token is checked before its first use", test_token_checked_first);
	unit_test(s, "netbrain-portal", test_portal);
}
