#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# oauth2.sh: the generic OAuth2 provider through unmodified curl:
# client_credentials with Basic or body client auth, extras, the password
# grant with refresh, and the OAuth error on failure.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server o2 --user alice:wonder --expires-in 4
P=$o2_PORT
conf "$T/c.conf" <<CONF
[profile cc]
provider = oauth2
match = http://localhost:$P/oauth2-api/cc/*
token_url = http://localhost:$P/oauth2/token
client_id = tokenshim-client
client_secret = client-s3cret
scope = read:things
audience = https://api.example

[profile body]
provider = oauth2
match = http://localhost:$P/oauth2-api/body/*
token_url = http://localhost:$P/oauth2/token
client_id = tokenshim-client
client_secret_env = O2_SECRET
client_auth = body
resource = urn:things

[profile pw]
provider = oauth2
match = http://localhost:$P/oauth2-api/pw/*
token_url = http://localhost:$P/oauth2/token
grant = password
client_id = tokenshim-client
client_secret = client-s3cret
username = alice
password = wonder
refresh_ahead = 2
CONF
export O2_SECRET=client-s3cret

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "http://localhost:$P/oauth2-api/cc/x" \
	"http://localhost:$P/oauth2-api/body/y" 2>"$T/err")
expect_eq "both client auth styles work" "$out" '{"ok": true}{"ok": true}'
reqs=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
from urllib.parse import parse_qs
for r in json.load(sys.stdin):
    if r["path"] != "/oauth2/token": continue
    h = dict((k.lower(), v) for k, v in r["headers"])
    f = parse_qs(r["body"])
    print(h.get("authorization", "-")[:6], ",".join(sorted(f)), f.get("scope", ["-"])[0], f.get("audience", ["-"])[0], f.get("resource", ["-"])[0])')
expect_eq "basic: credentials in the header, scope and audience in the form" \
	"$(echo "$reqs" | head -1)" "Basic  audience,grant_type,scope read:things https://api.example -"
expect_eq "body: credentials and resource in the form" \
	"$(echo "$reqs" | sed -n 2p)" "- client_id,client_secret,grant_type,resource - - urn:things"
expect_match "the token is sent as Bearer" "$(received $P /oauth2-api/cc/x authorization)" '^Bearer [0-9a-f-]{36}$'

# password grant, then a refresh before the 4 s token ends
before=$(counter $P logins)
"$TS" exec -c "$T/c.conf" -- "$PY" -c '
import pycurl, time, sys
for i in (1, 2):
    c = pycurl.Curl(); c.setopt(pycurl.URL, sys.argv[1] + "?r=%d" % i)
    c.setopt(pycurl.WRITEFUNCTION, lambda b: None); c.perform()
    print(c.getinfo(pycurl.RESPONSE_CODE)); c.close()
    if i == 1: time.sleep(3.5)
' "http://localhost:$P/oauth2-api/pw/z" >"$T/out" 2>"$T/err"
expect_eq "password grant: both requests succeed" "$(tr '\n' ' ' <"$T/out")" "200 200 "
expect_eq "the second token came from the refresh grant" "$(counter $P refreshes)" 1
expect_eq "one password login" "$(counter $P logins)" $((before + 1))

sed 's/^client_secret = client-s3cret/client_secret = nope/' "$T/c.conf" | conf "$T/bad.conf"
tsexec -c "$T/bad.conf" -- "$CURL_BIN" -sS "http://localhost:$P/oauth2-api/cc/x" >/dev/null 2>"$T/err"
expect_eq "a bad client secret fails curl (67)" "$?" 67
expect_match "with the OAuth error" "$(cat "$T/err")" \
	'profile cc: login: invalid_client: Client authentication failed\.'
conf "$T/bad2.conf" <<CONF
[profile x]
provider = oauth2
match = http://localhost:$P/x/*
token_url = http://localhost:$P/oauth2/token
grant = password
client_auth = header
CONF
out=$("$TS" -c "$T/bad2.conf" check 2>&1)
expect_match "a bad client_auth is reported" "$out" "client_auth must be basic or body, not 'header'"

# the app's own credentials win over a profile that injects Authorization:
# curl --oauth2-bearer and -u go out as the app gave them, and no login
# happens for them
new_cache
before=$(counter $P logins)
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null --oauth2-bearer app-own-token \
	"http://localhost:$P/oauth2-api/cc/mine?by=bearer"
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -u app:pass \
	"http://localhost:$P/oauth2-api/cc/mine?by=userpwd"
expect_eq "--oauth2-bearer: the app's bearer went out, alone" \
	"$(received $P "/oauth2-api/cc/mine?by=bearer" authorization)" "Bearer app-own-token"
expect_eq "-u: the app's Basic credentials went out, alone" \
	"$(received $P "/oauth2-api/cc/mine?by=userpwd" authorization)" "Basic $(printf 'app:pass' | base64)"
expect_eq "and no login was made for them" "$(counter $P logins)" "$before"
# ... and PHP's equivalent (not in the sanitizer build: ASan forbids the
# RTLD_DEEPBIND PHP loads its extensions with)
if [ "${SANITIZERS:-no}" = yes ]; then
	echo "# php-curl: not run in the sanitizer build"
else
	tsexec -c "$T/c.conf" -- php -r '$c = curl_init($argv[1]);
		curl_setopt($c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_setopt($c, CURLOPT_XOAUTH2_BEARER, "php-own-token");
		curl_setopt($c, CURLOPT_RETURNTRANSFER, true); curl_exec($c);' \
		"http://localhost:$P/oauth2-api/cc/mine?by=php"
	expect_eq "php-curl CURLOPT_XOAUTH2_BEARER: the app's bearer went out, alone" \
		"$(received $P "/oauth2-api/cc/mine?by=php" authorization)" "Bearer php-own-token"
fi
# ... and -u with --location-trusted keeps them across a redirect
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -u app:pass --location-trusted \
	"http://localhost:$P/oauth2-api/cc/mine?by=trusted&redirect_to=http://127.0.0.1:$P/oauth2-api/hop"
expect_eq "-u --location-trusted: the redirected hop has the app's credentials" \
	"$(received $P "/oauth2-api/hop" authorization)" "Basic $(printf 'app:pass' | base64)"

finish
