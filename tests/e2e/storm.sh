#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# storm.sh: a URL that refuses every token must not turn into a storm of
# logins. A refused token is released upstream before its replacement is
# fetched, so sessions never pile up; when the replacement is refused
# too, the requests of the next 10 seconds, in every process, get the
# server's 401 as it is, and the token stays in use for other URLs. A
# token that merely went stale is still replaced at once, invisibly.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
run() { tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' "$@"; }

code=$(run "$API/V1/Other?warm=1")
expect_eq "a first request logs in" "$code:$(counter $P logins)" "200:1"
codes=""
for i in 1 2 3 4 5 6; do
	codes="$codes$(run "$API/V1/Locked?refuse=1&n=$i") "
done
expect_eq "six processes at a URL that refuses every token: six 401s" "$codes" \
	"401 401 401 401 401 401 "
expect_eq "the requests were all made" "$(received $P "/ServicesAPI/API/V1/Locked?refuse=1" token | wc -l)" 7
expect_eq "one replacement login for all of them" "$(counter $P logins)" 2
expect_eq "the refused token was released upstream first" "$(counter $P releases)" 1
expect_eq "so the user holds one session" "$(counter $P sessions)" 1
code=$(run "$API/V1/Other?after=1")
expect_eq "the token still works elsewhere, with no login" "$code:$(counter $P logins)" "200:2"

# the same endpoint, another query: still no login
code=$(run "$API/V1/Locked?refuse=1&other=query")
expect_eq "the refusing endpoint with another query: a 401, no login" "$code:$(counter $P logins)" "401:2"
# a token that went stale elsewhere is replaced at once, even right after
ctl $P /_ts/expire
code=$(run "$API/V1/Other?stale=1")
expect_eq "a stale token: replaced with one invisible replay" "$code:$(counter $P logins)" "200:3"

finish
