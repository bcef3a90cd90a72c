#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# replay.sh: a token the server refuses (HTTP 401) is replaced and the
# request sent once more, invisibly: curl's -i, -D, -o and -w show one
# response, bodies arrive intact on the replay, a body that cannot be
# rewound is not replayed, a second 401 reaches the app. Plus --next, -K,
# --http1.0 and HTTPS with a test CA.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
run() { tsexec -c "$T/c.conf" -- "$CURL_BIN" "$@"; }
bodies() {
	env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["path"] == sys.argv[1]: print(r["body"])' "$1"
}
hits() { received $P "$1" token | wc -l; }
# each case: a valid cached token, then the server forgets every token
expire() { run -sS -o /dev/null "$API/V1/warm"; ctl $P /_ts/expire; }

expire
before=$(counter $P logins)
out=$(run -sS -i "$API/V1/Other?case=i")
expect_eq "-i shows exactly one response" "$(printf '%s\n' "$out" | grep -c '^HTTP/')" 1
expect_match "and it is the 200" "$out" '^HTTP/1.1 200'
expect_nomatch "nothing of the 401 leaks out" "$out" '795005|401'
expect_eq "the login count went up by exactly one" "$(counter $P logins)" $((before + 1))
expect_eq "the request was sent twice" "$(hits "/ServicesAPI/API/V1/Other?case=i")" 2

expire
code=$(run -sS -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$API/V1/Other?case=D")
expect_eq "-w '%{http_code}' shows the final code" "$code" 200
expect_eq "-D file holds one status line" "$(grep -c '^HTTP/' "$T/hdr")" 1
expect_match "-o file holds the final body" "$(cat "$T/body")" '790200'

# bodies are replayed exactly
expire
run -sS -o /dev/null -d 'a=1&b=two' "$API/V1/Post?case=d"
expect_eq "-d: both attempts carried the body" "$(bodies "/ServicesAPI/API/V1/Post?case=d" | sort -u)" 'a=1&b=two'
"$PY" -c 'import sys; sys.stdout.write("".join(chr(32 + i % 90) for i in range(5000)))' >"$T/blob"
expire
run -sS -o /dev/null --data-binary @"$T/blob" "$API/V1/Post?case=binary"
expect_eq "--data-binary @file: intact on the replay" \
	"$(bodies "/ServicesAPI/API/V1/Post?case=binary" | tail -1)" "$(cat "$T/blob")"
expire
run -sS -o /dev/null -F 'field=hello' -F "doc=@$T/blob" "$API/V1/Post?case=F"
expect_eq "-F: the form field arrives on both attempts" \
	"$(bodies "/ServicesAPI/API/V1/Post?case=F" | grep -c '^hello')" 2
expect_eq "-F: so does the file part" \
	"$(bodies "/ServicesAPI/API/V1/Post?case=F" | grep -cF "$(head -c 60 "$T/blob")")" 2
expire
code=$(run -sS -o /dev/null -w '%{http_code}' -T "$T/blob" "$API/V1/Put?case=T")
expect_eq "-T file: the replay succeeds" "$code" 200
expect_eq "-T file: the body arrives intact on the replay" \
	"$(bodies "/ServicesAPI/API/V1/Put?case=T" | tail -1)" "$(cat "$T/blob")"

# a body that cannot be rewound: no replay, the 401 as sent, a reason
expire
code=$(cat "$T/blob" | run -sS -o /dev/null -w '%{http_code}' -T - "$API/V1/Put?case=pipe" 2>"$T/err")
expect_eq "-T - (a pipe): the app gets the 401" "$code" 401
expect_match "with a one-line reason" "$(cat "$T/err")" 'profile nb: the server refused the token \(HTTP 401\), but the request body cannot be sent again'
expect_eq "and it was sent once" "$(hits "/ServicesAPI/API/V1/Put?case=pipe")" 1
# the refused token is dropped all the same: the next such upload gets a
# fresh one instead of the same 401 until the token's nominal expiry
before=$(counter $P logins)
code=$(cat "$T/blob" | run -sS -o /dev/null -w '%{http_code}' -T - "$API/V1/Put?case=pipe2" 2>"$T/err")
expect_eq "-T - after that: a fresh token, and a 200" "$code" 200
expect_eq "after one login" "$(counter $P logins)" $((before + 1))
expect_eq "sent once" "$(hits "/ServicesAPI/API/V1/Put?case=pipe2")" 1

# a body is no status line: a 200 whose body reads like a 401 is the app's
# answer, and the POST goes out once
before=$(counter $P logins)
out=$(run -sS -d 'transfer=100EUR' "$API/V1/Pay?answer=HTTP/1.1%20401%20Unauthorized%0D%0A%0D%0A")
expect_match "a body that starts like a 401 reaches the app" "$out" '^HTTP/1.1 401 Unauthorized'
expect_eq "the POST reached the server once" "$(bodies "/ServicesAPI/API/V1/Pay?answer=HTTP/1.1%20401%20Unauthorized%0D%0A%0D%0A" | grep -c '^transfer=100EUR$')" 1
expect_eq "with no login" "$(counter $P logins)" "$before"

# a second 401 goes to the app as is (at a path of its own: refusals
# there get no new login for 10 s, which the cases below must not meet)
ctl $P "/_ts/reject-all?on=1"
out=$(run -sS -i "$API/V1/Twice?case=twice")
ctl $P "/_ts/reject-all?on=0"
expect_match "a second 401 reaches the app" "$out" '^HTTP/1.1 401'
expect_eq "after exactly one replay" "$(hits "/ServicesAPI/API/V1/Twice?case=twice")" 2

# requests tokenshim did not inject are never replayed
expire
run -sS -o /dev/null -H 'token: stale' "$API/V1/Other?case=own"
expect_eq "the app's own token: no replay" "$(hits "/ServicesAPI/API/V1/Other?case=own")" 1

# --next, -K, --http1.0, several URLs mixing matched and unmatched hosts
cat >"$T/k.conf" <<K
url = "$API/V1/Other?case=K"
silent
output = /dev/null
K
run -K "$T/k.conf"
expect_match "-K config" "$(received $P "/ServicesAPI/API/V1/Other?case=K" token)" '^[0-9a-f-]{36}$'
run -sS -o /dev/null "$API/V1/Other?case=next1" --next -sS -o /dev/null --http1.0 \
	"http://127.0.0.1:$P/public/next2" --next -sS -o /dev/null --http1.0 "$API/V1/Other?case=next3"
expect_match "--next: the first matched transfer has the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?case=next1" token)" '^[0-9a-f-]{36}$'
expect_eq "--next: the unmatched one has none" "$(received $P /public/next2 token)" "-"
expect_match "--next --http1.0: the last one has it" \
	"$(received $P "/ServicesAPI/API/V1/Other?case=next3" token)" '^[0-9a-f-]{36}$'

# a C host with its own callbacks sees exactly what it would see without
# tokenshim: the reference run sends a valid token itself
H="$top_builddir/tests/e2e/callback_host"
tok=$("$TS" -c "$T/c.conf" token nb)
env -u LD_PRELOAD "$H" "$API/V1/CbA" "$tok" >"$T/ref" 2>&1
tsexec -c "$T/c.conf" -- "$H" "$API/V1/CbA" >"$T/same" 2>&1
expect_eq "callbacks under tokenshim, token valid: identical calls" "$(cat "$T/same")" "$(cat "$T/ref")"
ctl $P /_ts/expire
tok=$("$TS" -c "$T/c.conf" login nb >/dev/null; "$TS" -c "$T/c.conf" token nb)
env -u LD_PRELOAD "$H" "$API/V1/CbB" "$tok" >"$T/ref" 2>&1
ctl $P /_ts/expire
tsexec -c "$T/c.conf" -- "$H" "$API/V1/CbB" >"$T/replayed" 2>&1
expect_eq "after a 401 replay: identical header and write calls" \
	"$(grep -E '^(header|write|get|put)' "$T/replayed")" "$(grep -E '^(header|write|get|put)' "$T/ref")"
expect_eq "the PUT body was rewound with the app's seek callback" \
	"$(grep -c '^seek\[s\] 0 0' "$T/replayed")" 1
expect_eq "and sent in full both times" \
	"$(bodies "/ServicesAPI/API/V1/CbB?put=1" | sort | uniq -c | sed 's/^ *//')" "3 $(grep -o '^static const char body.*' /dev/null)$(sed -n '/^static const char body/,/;$/p' "$top_srcdir/tests/e2e/callback_host.c" | grep -o '"[^"]*"' | tr -d '"\n')"

# HTTPS with a test CA: the login and the request both over TLS
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
start_server tls --user admin:s3cret --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
S="https://localhost:$tls_PORT/ServicesAPI/API"
conf "$T/tls.conf" <<CONF
[profile tls]
provider = netbrain
match = https://localhost:$tls_PORT/ServicesAPI/*
url = $S
username = admin
password = s3cret
ca_file = $T/cert.pem
CONF
out=$(tsexec -c "$T/tls.conf" -- "$CURL_BIN" -sS --cacert "$T/cert.pem" "$S/V1/Other?case=tls")
expect_match "HTTPS: the request succeeds" "$out" '790200'
logins=$(env -u LD_PRELOAD "$CURL_BIN" -sS --cacert "$T/cert.pem" "https://localhost:$tls_PORT/_ts/stats" | \
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["logins"])')
expect_eq "HTTPS: the login went over TLS with ca_file" "$logins" 1
sed '/^ca_file/d' "$T/tls.conf" | conf "$T/noca.conf"
new_cache
tsexec -c "$T/noca.conf" -- "$CURL_BIN" -sS --cacert "$T/cert.pem" "$S/V1/Other" >/dev/null 2>"$T/err"
expect_eq "HTTPS: without ca_file the login server is not trusted (67)" "$?" 67
expect_match "and says why" "$(cat "$T/err")" 'profile tls: login: .*(certificate|SSL)'
expect_match "and points at ca_file" "$(cat "$T/err")" 'set ca_file to the CA of the login server'

finish
