#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# automation-anywhere.sh: Control Room through unmodified curl: API-key
# login with a key full of JSON-special characters, exp read from the JWT,
# renewal before expiry, v2 endpoints, password login and the error text.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# the seed's sample key: a backslash, brackets, braces, ; and :
KEY='Vie;Z:IvtAhY0\1RAD[SWl{NU7baRLYEeIYUJSKO'
start_server aa --user jdoe:pw --api-key "jdoe:$KEY" --expires-in 6
P=$aa_PORT
printf '%s\n' "$KEY" >"$T/key"; chmod 600 "$T/key"
conf "$T/c.conf" <<CONF
[profile cr]
provider = automation-anywhere
match = http://localhost:$P/v1/devices/*
url = http://localhost:$P
username = jdoe
api_key_file = $T/key
refresh_ahead = 2

[profile cr2]
provider = automation-anywhere
match = http://localhost:$P/v2/*
url = http://localhost:$P
username = jdoe
password = pw
api_version = v2
multiple_login = true
CONF

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -X POST "http://localhost:$P/v1/devices/list" 2>"$T/err")
expect_match "the Control Room API answers" "$out" '"list"'
tok=$(received $P /v1/devices/list x-authorization)
expect_match "sent as X-Authorization with the bare JWT" "$tok" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
body=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
r = [r for r in json.load(sys.stdin) if r["path"] == "/v1/authentication"][0]
print(r["body"])')
expect_eq "the API key is JSON-escaped exactly (\\ becomes \\\\)" "$body" \
	'{"username":"jdoe","apiKey":"Vie;Z:IvtAhY0\\1RAD[SWl{NU7baRLYEeIYUJSKO"}'

# the JWT says exp = now + 6 s: a process still running 4.5 s later
# renews it ahead (2 s before its end)
new_cache
"$TS" exec -c "$T/c.conf" -- "$PY" -c '
import pycurl, time, sys
for i in (1, 2):
    c = pycurl.Curl(); c.setopt(pycurl.URL, sys.argv[1] + "?r=%d" % i)
    c.setopt(pycurl.POSTFIELDS, ""); c.setopt(pycurl.WRITEFUNCTION, lambda b: None)
    c.perform(); print(c.getinfo(pycurl.RESPONSE_CODE)); c.close()
    if i == 1: time.sleep(4.5)
' "http://localhost:$P/v1/devices/list" >"$T/out" 2>"$T/err"
expect_eq "both requests succeed across the token's end" "$(tr '\n' ' ' <"$T/out")" "200 200 "
expect_eq "the token was renewed with /authentication/token" "$(counter $P renewals)" 1

# v2 with a password and multipleLogin
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/v2/bots?x=1"
body=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
print([r["body"] for r in json.load(sys.stdin) if r["path"] == "/v2/authentication"][0])')
expect_eq "v2: password login with multipleLogin" "$body" \
	'{"username":"jdoe","password":"pw","multipleLogin":true}'
expect_match "v2: the request carried the token" \
	"$(received $P "/v2/bots?x=1" x-authorization)" '^[A-Za-z0-9_-]+\.'

# a wrong key: the server's message
printf 'wrong\n' >"$T/key"
new_cache
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -X POST "http://localhost:$P/v1/devices/list" >/dev/null 2>"$T/err"
expect_eq "a refused login fails curl (67)" "$?" 67
expect_match "with the Control Room's message" "$(cat "$T/err")" 'profile cr: login: Invalid credentials\.'

# a JWT without exp lives the default 20 minutes; config checks
out=$("$TS" -c "$T/c.conf" check 2>&1)
expect_eq "check passes" "$?" 0
conf "$T/bad.conf" <<CONF
[profile x]
provider = automation-anywhere
match = http://localhost:$P/x/*
url = http://localhost:$P
username = jdoe
api_version = v3
CONF
out=$("$TS" -c "$T/bad.conf" check 2>&1)
expect_match "neither api_key nor password is an error" "$out" \
	"bad.conf:1: profile x: missing required key 'api_key' \\(or 'password'\\)"

finish
