#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# vrops.sh: Aria Operations through unmodified curl: acquire with
# authSource, the vRealizeOpsToken header, validity in milliseconds, a
# sliding expiry that keeps a used token alive, release, and the bare 401.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server vr --user admin:s3cret --auth-source LDAP1 --expires-in 4
P=$vr_PORT
conf "$T/c.conf" <<CONF
[profile ops]
provider = vrops
match = http://localhost:$P/suite-api/api/*
url = http://localhost:$P/suite-api
username = admin
password = s3cret
auth_source = LDAP1
CONF
API="http://localhost:$P/suite-api/api/resources"

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "$API?n=1" 2>"$T/err")
expect_match "the API answers" "$out" 'resourceList'
expect_match "sent as Authorization: vRealizeOpsToken" \
	"$(received $P "/suite-api/api/resources?n=1" authorization)" '^vRealizeOpsToken [0-9a-f-]{36}::'
body=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
print([r["body"] for r in json.load(sys.stdin) if r["path"].endswith("/token/acquire")][0])')
expect_eq "the login carries authSource" "$body" '{"username":"admin","password":"s3cret","authSource":"LDAP1"}'
new_cache
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/c.conf" token ops 2>&1 >/dev/null)
# 4 s from the server, rounded up to whole seconds, counted from a clock
# read before the login went out: 4 to 6
expect_match "validity (ms since the epoch) becomes the expiry" "$out" 'expires in [456]s'

# a 4 s sliding lifetime, used every 1.5 s for 7.5 s: one login
new_cache
before=$(counter $P logins)
"$TS" exec -c "$T/c.conf" -- "$PY" -c '
import pycurl, time, sys
codes = []
for i in range(6):
    c = pycurl.Curl(); c.setopt(pycurl.URL, sys.argv[1] + "?slide=%d" % i)
    c.setopt(pycurl.WRITEFUNCTION, lambda b: None); c.perform()
    codes.append(c.getinfo(pycurl.RESPONSE_CODE)); c.close()
    time.sleep(1.5)
print(" ".join(map(str, codes)))
' "$API" >"$T/out" 2>"$T/err"
expect_eq "every use succeeded" "$(cat "$T/out")" "200 200 200 200 200 200"
expect_eq "one login for the whole sliding window" "$(counter $P logins)" $((before + 1))
expect_eq "no request was refused" "$(counter $P rejected)" 0

# newer servers: OpsToken
sed 's|^auth_source = LDAP1|auth_source = LDAP1\nheader = Authorization: OpsToken {token}|' "$T/c.conf" | conf "$T/ops.conf"
tsexec -c "$T/ops.conf" -- "$CURL_BIN" -sS -o /dev/null "$API?ops=1"
expect_match "header = Authorization: OpsToken {token} is honoured" \
	"$(received $P "/suite-api/api/resources?ops=1" authorization)" '^OpsToken '

# a refused login is a bare 401
sed 's/password = s3cret/password = nope/' "$T/c.conf" | conf "$T/bad.conf"
tsexec -c "$T/bad.conf" -- "$CURL_BIN" -sS "$API" >/dev/null 2>"$T/err"
expect_eq "a refused login fails curl (67)" "$?" 67
expect_match "and says login refused (HTTP 401)" "$(cat "$T/err")" 'profile ops: login: login refused \(HTTP 401\)'

finish
