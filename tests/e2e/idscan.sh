#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# idscan.sh: GBG IDscan Enterprise through unmodified curl: two areas, two
# profiles matched by path, two tokens; bare Authorization; the cookie
# alternative; paths that differ in case; the 10-hour default.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server ids --user psc:s3cret --expires-in 0
P=$ids_PORT
base="http://localhost:$P/idscanenterprisesvc"
conf "$T/c.conf" <<CONF
[profile scan]
provider = idscan
match = http://localhost:$P/idscanenterprisesvc/journey/upload*
match = http://localhost:$P/IDScanEnterpriseSvc/journey/upload*
url = $base
username = psc
password = s3cret
area = scanning

[profile look]
provider = idscan
match = http://localhost:$P/idscanenterprisesvc/*
match = http://localhost:$P/IDScanEnterpriseSvc/*
url = $base
username = psc
password = s3cret
area = investigation
CONF

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -X POST "$base/journey/upload" \
	"$base/JourneyDefinition/GetAll" "http://localhost:$P/IDScanEnterpriseSvc/journey/get?id=1" 2>"$T/err")
expect_match "upload works with a scanning token" "$out" '"area": "scanning"'
expect_match "retrieval works with an investigation token" "$out" '"area": "investigation".*"area": "investigation"'
expect_eq "two areas, two logins" "$(counter $P logins)" 2
up=$(received $P /idscanenterprisesvc/journey/upload authorization)
get=$(received $P /IDScanEnterpriseSvc/journey/get authorization)
expect_match "the token is sent bare, never as Bearer" "$up" '^[0-9a-f]{64}$'
expect_match "and the retrieval carried one" "$get" '^[0-9a-f]{64}$'
if [ -n "$up" ] && [ -n "$get" ] && [ "$up" != "$get" ]; then ok "the two areas hold separate tokens"
else not_ok "the two areas hold separate tokens" "same token"; fi
areas=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
from urllib.parse import parse_qs
print(" ".join(parse_qs(r["body"])["area"][0] for r in json.load(sys.stdin) if r["path"] == "/idscanenterprisesvc/token"))')
expect_eq "each login named its area, in lower case" "$(echo $areas | tr ' ' '\n' | sort | tr '\n' ' ')" "investigation scanning "
out=$("$TS" -c "$T/c.conf" match "$base/journey/upload")
expect_match "upload paths belong to the scanning profile" "$out" '^profile scan '

# the documented cookie alternative
sed 's/^area = investigation/area = investigation\ncookie = token={token}/' "$T/c.conf" | conf "$T/ck.conf"
out=$(tsexec -c "$T/ck.conf" -- "$CURL_BIN" -sS "$base/JourneyDefinition/GetAll?ck=1")
expect_match "cookie = token={token} works" "$out" '"ok": true'
expect_match "and is sent as a cookie" "$(received $P "/idscanenterprisesvc/JourneyDefinition/GetAll?ck=1" cookie)" '^token=[0-9a-f]{64}$'
# the app's own Cookie: header (which makes libcurl ignore CURLOPT_COOKIE)
# gets the token cookie merged in: no 401, no replay, no extra login
before=$(counter $P logins)
out=$(tsexec -c "$T/ck.conf" -- "$CURL_BIN" -sS -H 'Cookie: lang=en; theme=dark' \
	"$base/JourneyDefinition/GetAll?ck=2")
expect_match "with the app's Cookie: header the request succeeds" "$out" '"ok": true'
expect_match "and carries the app's cookies and the token" \
	"$(received $P "/idscanenterprisesvc/JourneyDefinition/GetAll?ck=2" cookie)" \
	'^lang=en; theme=dark; token=[0-9a-f]{64}$'
expect_eq "sent once" "$(received $P "/idscanenterprisesvc/JourneyDefinition/GetAll?ck=2" cookie | wc -l)" 1
expect_eq "with no login" "$(counter $P logins)" "$before"
# a redirect to another host carries no token (127.0.0.1 is not the
# profile's localhost); libcurl itself keeps a custom Cookie: header from
# another host, so nothing of it goes there
tsexec -c "$T/ck.conf" -- "$CURL_BIN" -sS -o /dev/null -L -H 'Cookie: lang=en' \
	"$base/JourneyDefinition/GetAll?ck=4&redirect_to=http://127.0.0.1:$P/public/ck4"
expect_match "before the redirect: the app's cookie and the token" \
	"$(received $P "/idscanenterprisesvc/JourneyDefinition/GetAll?ck=4" cookie)" \
	'^lang=en; token=[0-9a-f]{64}$'
expect_eq "after it, on another host: the request went out, with no cookie" \
	"$(received $P "/public/ck4" cookie)" "-"
# an app whose Cookie: header has the name already keeps its own
tsexec -c "$T/ck.conf" -- "$CURL_BIN" -sS -o /dev/null -H 'Cookie: token=mine' \
	"$base/JourneyDefinition/GetAll?ck=3"
expect_eq "the app's own token cookie goes out alone" \
	"$(received $P "/idscanenterprisesvc/JourneyDefinition/GetAll?ck=3" cookie)" "token=mine"

# no expires_in: 10 hours
new_cache
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/c.conf" token look 2>&1 >/dev/null)
expect_match "without expires_in a token lives 10 hours" "$out" 'expires in 36000s'

# a bad area is a config error; a wrong password shows the server's words
sed 's/^area = scanning/area = Scanning/' "$T/c.conf" | conf "$T/bad.conf"
out=$("$TS" -c "$T/bad.conf" check 2>&1)
expect_match "area must be scanning or investigation" "$out" \
	"bad.conf:1: profile scan: area must be scanning or investigation, not 'Scanning'"
sed 's/password = s3cret/password = nope/' "$T/c.conf" | conf "$T/pw.conf"
tsexec -c "$T/pw.conf" -- "$CURL_BIN" -sS "$base/JourneyDefinition/GetAll" >/dev/null 2>"$T/err"
expect_match "a wrong password shows the server's message" "$(cat "$T/err")" \
	'profile look: login: invalid_grant: The user name or password is incorrect\.'

finish
