#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# resolve.sh: Resolve Insights through unmodified curl: password login,
# refresh before expiry with a rotating refresh token, fallback to a full
# login when the refresh is refused, and the OAuth error on failure.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server rs --user ops@resolve.io:s3cret --expires-in 4
P=$rs_PORT
conf "$T/c.conf" <<CONF
[profile rs]
provider = resolve
match = http://localhost:$P/api/*
url = http://localhost:$P
username = ops@resolve.io
password = s3cret
refresh_ahead = 2
CONF
API="http://localhost:$P/api/v2/users/loggedIn/detail"

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "$API?n=1" "$API?n=2" 2>"$T/err")
expect_match "the API answers with the bearer token" "$out" '"name": "ops@resolve.io"'
expect_match "sent as Authorization: Bearer" "$(received $P "/api/v2/users/loggedIn/detail?n=1" authorization)" \
	'^Bearer [0-9a-f-]{36}$'
expect_eq "one login for two requests" "$(counter $P logins)" 1
form=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
from urllib.parse import parse_qs
r = [r for r in json.load(sys.stdin) if r["path"] == "/oauth/token"][0]
f = parse_qs(r["body"])
print(" ".join("%s=%s" % (k, f[k][0]) for k in ("grant_type", "client_id", "client_secret", "scope", "username")))')
expect_eq "the login form carries the documented defaults" "$form" \
	"grant_type=password client_id=fixstreamapp client_secret=fixstream scope=read write trust username=ops@resolve.io"

# a token 4 s long, renewed 2 s ahead (capped at a third: 1 s): a program
# that lives long enough refreshes instead of logging in again
new_cache
before=$(counter $P logins)
# one process (pycurl), two transfers 3.5 s apart
"$TS" exec -c "$T/c.conf" -- "$PY" -c '
import pycurl, time, sys
for i in (1, 2):
    c = pycurl.Curl(); c.setopt(pycurl.URL, sys.argv[1] + "?slow=%d" % i)
    c.setopt(pycurl.WRITEFUNCTION, lambda b: None); c.perform()
    print(c.getinfo(pycurl.RESPONSE_CODE)); c.close()
    if i == 1: time.sleep(3.5)
' "$API" >"$T/out" 2>"$T/err"
expect_eq "both requests of a long-lived process succeed" "$(tr '\n' ' ' <"$T/out")" "200 200 "
expect_eq "the second token came from a refresh" "$(counter $P refreshes)" 1
expect_eq "no second password login" "$(counter $P logins)" $((before + 1))
t1=$(received $P "/api/v2/users/loggedIn/detail?slow=1" authorization)
t2=$(received $P "/api/v2/users/loggedIn/detail?slow=2" authorization)
if [ "$t1" != "$t2" ]; then ok "the refreshed token replaced the old one"
else not_ok "the refreshed token replaced the old one" "same token twice"; fi

# a refused refresh falls back to a full login: expire everything, then
# invalidate the refresh token by rotating it from outside
"$TS" exec -c "$T/c.conf" -- "$PY" -c '
import pycurl, time, sys, urllib.request
def get(n):
    c = pycurl.Curl(); c.setopt(pycurl.URL, sys.argv[1] + "?fb=%d" % n)
    c.setopt(pycurl.WRITEFUNCTION, lambda b: None); c.perform()
    code = c.getinfo(pycurl.RESPONSE_CODE); c.close(); return code
a = get(1)
# the server forgets every refresh token it issued
urllib.request.urlopen(urllib.request.Request(sys.argv[2], method="POST"))
time.sleep(3.5)
print(a, get(2))
' "$API" "http://127.0.0.1:$P/_ts/forget-refresh" >"$T/out" 2>"$T/err"
expect_eq "after a refused refresh the request still succeeds" "$(cat "$T/out")" "200 200"

# a wrong password shows the OAuth error and description
sed 's/password = s3cret/password = nope/' "$T/c.conf" | conf "$T/bad.conf"
tsexec -c "$T/bad.conf" -- "$CURL_BIN" -sS "$API" >/dev/null 2>"$T/err"
expect_eq "a refused login fails curl (67)" "$?" 67
expect_match "with error and error_description" "$(cat "$T/err")" \
	'profile rs: login: invalid_grant: Bad credentials'

# a 2 MiB answer is not read, and the message says so
new_cache
ctl $P /_ts/huge
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "$API" >/dev/null 2>"$T/err"
expect_eq "a huge login answer fails the transfer" "$?" 67
expect_match "saying it was too large" "$(cat "$T/err")" \
	'profile rs: login: answer from .*/oauth/token is larger than 1048576 bytes; not read'

finish
