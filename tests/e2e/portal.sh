#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# portal.sh: NetBrain Incident Portal tickets through unmodified curl: a
# ticket per portal URL from a cached NetBrain session, in the query, used
# once; a URL without a portal id is an error.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
{ nb_profile nb "http://localhost:$P/ServicesAPI/*"; cat <<CONF
[profile portal]
provider = netbrain-portal
match = http://localhost:$P/portal/*
session = nb
CONF
} | conf "$T/c.conf"

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "http://localhost:$P/portal/i/10017G" \
	"http://localhost:$P/portal/i/10017G" "http://localhost:$P/portal/i/20042X?view=full" 2>"$T/err")
expect_match "every portal URL opens" "$out" '^<html>portal 10017G</html><html>portal 10017G</html><html>portal 20042X</html>$'
expect_eq "a ticket per request" "$(counter $P tickets)" 3
expect_eq "one NetBrain session for all of them" "$(counter $P logins)" 1
paths=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["path"].startswith("/portal/"): print(r["path"])')
expect_match "the ticket travels as ?token=" "$(echo "$paths" | head -1)" '^/portal/i/10017G\?token=[0-9a-f-]{36}$'
expect_match "after the app's own query" "$(echo "$paths" | tail -1)" '^/portal/i/20042X\?view=full&token=[0-9a-f-]{36}$'
expect_eq "each ticket was different" "$(echo "$paths" | sort -u | wc -l)" 3
bodies=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | "$PY" -c '
import json, sys
print(" ".join(r["body"] for r in json.load(sys.stdin) if r["path"].endswith("portal-auth-ticket")))')
expect_eq "the ticket request names the portal id" "$bodies" \
	'{"portalId":"10017G"} {"portalId":"10017G"} {"portalId":"20042X"}'

tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "http://localhost:$P/portal/list" >/dev/null 2>"$T/err"
expect_eq "a URL without a portal id fails (67)" "$?" 67
expect_match "with a message" "$(cat "$T/err")" 'profile portal: ticket: the URL has no portal id'

conf "$T/bad.conf" <<CONF
[profile portal]
provider = netbrain-portal
match = http://localhost:$P/portal/*
session = nosuch
CONF
out=$("$TS" -c "$T/bad.conf" check 2>&1)
expect_match "a session naming no profile is a config error" "$out" "profile portal: session 'nosuch' names no profile"

finish
