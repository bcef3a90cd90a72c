#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# cli.sh: the tokenshim command's verbs, and secret sources end to end.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret --user ops:pa55
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
conf "$T/c.conf" <<CONF
[profile nb]
provider = netbrain
match = http://localhost:$P/ServicesAPI/*
url = $API
username = admin
password = s3cret

[profile ck]
provider = netbrain
match = http://localhost:$P/cookie/*
url = $API
username = admin
password_env = TS_TEST_PW
cookie = nbtoken={token}

[profile qs]
provider = netbrain
match = http://localhost:$P/query/*
url = $API
username = ops
password_cmd = printf '%s' pa55
query = access_token={token}
CONF

out=$("$TS" --help)
expect_match "--help lists the verbs" "$out" 'exec \[-c FILE\] \[--env NAME=PROFILE\]\.\.\. \[--\] CMD'
for v in token header match check providers status login logout; do
	expect_match "--help lists $v" "$out" "^  $v "
done
expect_match "--help names the environment" "$out" 'TOKENSHIM_CONFIG'
expect_match "--version" "$("$TS" --version)" '^tokenshim [0-9]+\.[0-9]+'
"$TS" frobnicate >/dev/null 2>&1
expect_eq "an unknown verb exits 2" "$?" 2

# token: prints a token the server issued
before=$(counter $P logins)
tok=$("$TS" -c "$T/c.conf" token nb)
expect_eq "token exits 0" "$?" 0
expect_match "token prints a token" "$tok" '^[0-9a-f-]{36}$'
expect_eq "token logged in once" "$(counter $P logins)" $((before + 1))
out=$(env -u LD_PRELOAD "$CURL_BIN" -sS -H "token: $tok" "$API/V1/Other")
expect_match "the printed token is accepted by the server" "$out" '790200'

# token: failure exits 1 with the reason on stderr
sed 's/password = s3cret/password = nope/' "$T/c.conf" | conf "$T/bad.conf"
out=$("$TS" -c "$T/bad.conf" token nb 2>&1 >/dev/null)
expect_eq "token exits 1 when no token can be had" "$?" 1
expect_match "with the server's reason" "$out" 'profile nb: login: Invalid username or password\.'
out=$("$TS" -c "$T/c.conf" token nosuch 2>&1)
expect_eq "token for an unknown profile exits 1" "$?" 1
expect_match "naming it" "$out" "no profile named 'nosuch'"

# header: the line that would be injected
expect_match "header prints the injected header" \
	"$("$TS" -c "$T/c.conf" header nb)" '^token: [0-9a-f-]{36}$'
expect_match "header for a cookie profile" \
	"$(TS_TEST_PW=s3cret "$TS" -c "$T/c.conf" header ck)" '^Cookie: nbtoken=[0-9a-f-]{36}$'

# match: which profile, and how, with the token redacted
out=$("$TS" -c "$T/c.conf" match "$API/V1/CMDB/Devices")
expect_match "match names the profile and pattern" "$out" \
	"profile nb \\(provider netbrain\\) via http://localhost:$P/ServicesAPI/\\*"
expect_match "match shows the injection redacted" "$out" 'header token: <token>'
out=$("$TS" -c "$T/c.conf" match "http://localhost:$P/query/x?y=1")
expect_match "match shows query injection" "$out" 'query access_token=<token>'
"$TS" -c "$T/c.conf" match "http://elsewhere.example/" >/dev/null
expect_eq "match exits 1 when nothing matches" "$?" 1

# check, providers
out=$("$TS" -c "$T/c.conf" check)
expect_eq "check exits 0 for a good config" "$?" 0
expect_match "check says so" "$out" '3 profile\(s\), all usable'
out=$("$TS" providers)
expect_match "providers lists netbrain" "$out" '^netbrain  header = token: \{token\}'
expect_match "providers lists its keys" "$out" 'username\* password\*\(secret\) authentication_id tenant_id domain_id'

# logout: nothing held by this process yet
out=$("$TS" -c "$T/c.conf" logout nb)
expect_eq "logout exits 0" "$?" 0

# cookie injection with password_env
out=$(TS_TEST_PW=s3cret tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -b 'app=1' \
	"http://localhost:$P/cookie/x")
expect_match "cookie profile: the app's cookie and the token cookie both arrive" \
	"$(received $P /cookie/x cookie)" '^app=1; nbtoken=[0-9a-f-]{36}$'
new_cache
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/cookie/y" 2>"$T/err"
expect_match "an unset password_env is a clear error" "$(cat "$T/err")" \
	'profile ck: login: environment variable TS_TEST_PW is not set'

# query injection with password_cmd (run without a shell)
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/query/x?y=1"
expect_match "query profile: the token is added to the app's query" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | \
	   "$PY" -c 'import json,sys; print([r["path"] for r in json.load(sys.stdin) if r["path"].startswith("/query/")][0])')" \
	'^/query/x\?y=1&access_token=[0-9a-f-]{36}$'
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/query/z?access_token=app"
expect_eq "an app's own query parameter wins" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | \
	   "$PY" -c 'import json,sys; print([r["path"] for r in json.load(sys.stdin) if r["path"].startswith("/query/z")][0])')" \
	'/query/z?access_token=app'

# exec keeps existing LD_PRELOAD entries, behind tokenshim
libm=$(ls /usr/lib/*/libm.so.6 /lib/*/libm.so.6 2>/dev/null | head -1)
# (the sanitizer build's CLI must be told that libm ahead of ASan is fine)
out=$(LD_PRELOAD="$libm" ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	tsexec -- sh -c 'echo "$LD_PRELOAD"')
expect_match "exec puts the library first and keeps the old entries" "$out" \
	"libtokenshim\\.so:$libm\$"
out=$(tsexec -c "$T/c.conf" -- sh -c 'echo "$TOKENSHIM_CONFIG"')
expect_eq "exec -c sets TOKENSHIM_CONFIG for the child" "$out" "$T/c.conf"
tsexec -- /nonexistent/program 2>/dev/null
expect_eq "exec of a missing program exits 127" "$?" 127

# TOKENSHIM_DEBUG traces matching, logins and injection, never the token
TOKENSHIM_DEBUG=1 tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "$API/V1/Other" 2>"$T/err"
tok=$(received $P /ServicesAPI/API/V1/Other token | tail -1)
expect_match "debug trace shows the match" "$(cat "$T/err")" 'profile nb \(pattern'
expect_match "debug trace shows the injection by length" "$(cat "$T/err")" \
	'injecting header token \(36-char token\)'
expect_nomatch "debug trace never shows the token" "$(cat "$T/err")" "$tok"

finish
