#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# netbrain.sh: unmodified /usr/bin/curl against the NetBrain emulation.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret --tenant T1 --domain D1
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
base_conf() {
	cat <<CONF
# NetBrain, domain-scoped
[profile nb]
provider = netbrain
match = http://localhost:$P/ServicesAPI/*
url = $API
username = admin
CONF
}
{ base_conf; cat <<CONF
password = s3cret
tenant_id = T1
domain_id = D1
CONF
} | conf "$T/nb.conf"

# --- the token reaches NetBrain, and the domain step makes CMDB work
out=$(tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS "$API/V1/CMDB/Devices" 2>"$T/err")
expect_match "CMDB call succeeds under tokenshim exec" "$out" '"statusCode": 790200'
expect_match "CMDB answer lists devices" "$out" 'core-sw1'
expect_eq "one login" "$(counter $P logins)" 1
expect_eq "one domain change after the login" "$(counter $P domain_changes)" 1
tok=$(received $P /ServicesAPI/API/V1/CMDB token)
expect_match "CMDB request carried a token header" "$tok" '^[0-9a-f-]{36}$'
expect_eq "login request itself carried no token header" \
	"$(received $P /ServicesAPI/API/V1/Session token | head -1)" "-"
expect_eq "nothing on stderr" "$(cat "$T/err")" ""

# --- without the domain step the same call is refused by the server
{ base_conf; echo "password = s3cret"; } | conf "$T/nodomain.conf"
out=$(tsexec -c "$T/nodomain.conf" -- "$CURL_BIN" -sS "$API/V1/CMDB/Devices")
expect_match "without tenant_id/domain_id CMDB needs a domain" "$out" '791006'

# --- two URLs in one curl process: one login, both carry the token
new_cache
before=$(counter $P logins)
tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS -o /dev/null -o /dev/null \
	"$API/V1/CMDB/Devices?a=1" "$API/V1/CMDB/Devices?a=2"
expect_eq "second request in the same process reuses the token" \
	"$(counter $P logins)" $((before + 1))
toks=$(received $P "/ServicesAPI/API/V1/CMDB/Devices?a=" token | sort -u)
expect_eq "both requests carried the same token" "$(echo "$toks" | wc -l)" 1
expect_match "and it is a token" "$toks" '^[0-9a-f-]{36}$'

# --- a host that matches no profile sees no token and causes no login
before=$(counter $P logins)
out=$(tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS "http://127.0.0.1:$P/public/unmatched")
expect_match "unmatched host answered" "$out" 'public'
expect_eq "unmatched host caused no login" "$(counter $P logins)" "$before"
expect_eq "unmatched host saw no token header" \
	"$(received $P /public/unmatched token)" "-"

# --- the app's own token: header wins, and no login happens for it
before=$(counter $P logins)
tsexec -c "$T/nodomain.conf" -- "$CURL_BIN" -sS -o /dev/null -H 'token: mine' \
	"$API/V1/Other?own=1"
expect_eq "the app's own token header is sent as is" \
	"$(received $P "/ServicesAPI/API/V1/Other?own=1" token)" "mine"
expect_eq "the app's own header causes no login" "$(counter $P logins)" "$before"

# --- a wrong password fails curl with the server's own message
{ base_conf; echo "password = wrong"; } | conf "$T/bad.conf"
tsexec -c "$T/bad.conf" -- "$CURL_BIN" -sS "$API/V1/CMDB/Devices?refused=1" >/dev/null 2>"$T/err"
rc=$?
expect_eq "curl exits with CURLE_LOGIN_DENIED (67)" "$rc" 67
expect_match "stderr has the server's message and the profile" "$(cat "$T/err")" \
	'profile nb: login: Invalid username or password\.'
expect_nomatch "stderr never shows the password" "$(cat "$T/err")" 'wrong'
# curl's 67 and the server's message above show the request was made;
# tokenshim stopped it: nothing at all reached the path, with a token or
# without one
expect_eq "the refused request never reached the API" \
	"$(received $P "/ServicesAPI/API/V1/CMDB/Devices?refused=1" token | wc -l)" 0

# --- on_failure = pass sends the request without a token
{ base_conf; echo "password = wrong"; echo "on_failure = pass"; } | conf "$T/pass.conf"
out=$(tsexec -c "$T/pass.conf" -- "$CURL_BIN" -sS "$API/V1/Other?pass=1" 2>"$T/err")
expect_eq "on_failure = pass: the request went out without a token" \
	"$(received $P "/ServicesAPI/API/V1/Other?pass=1" token)" "-"
expect_match "on_failure = pass: a diagnostic says so" "$(cat "$T/err")" 'on_failure = pass'

# --- a login answered 5xx is retried; the third try succeeds
new_cache
ctl $P "/_ts/fail?n=2&status=503"
before=$(counter $P logins)
tries=$(received $P /ServicesAPI/API/V1/Session token | wc -l)
out=$(tsexec -c "$T/nodomain.conf" -- "$CURL_BIN" -sS "$API/V1/Other?retry=1" 2>"$T/err")
expect_match "login retried after two 503 answers" "$out" '790200'
expect_eq "one successful login" "$(counter $P logins)" $((before + 1))
expect_eq "three login attempts reached the server" \
	"$(received $P /ServicesAPI/API/V1/Session token | wc -l)" $((tries + 3))

# --- three 5xx answers: no token, and a clear error
new_cache
ctl $P "/_ts/fail?n=3&status=502"
tsexec -c "$T/nodomain.conf" -- "$CURL_BIN" -sS "$API/V1/Other?retry=2" >/dev/null 2>"$T/err"
expect_eq "login still failing after retries fails the transfer" "$?" 67
expect_match "and says HTTP 502" "$(cat "$T/err")" 'profile nb: login: HTTP 502'
ctl $P "/_ts/fail?n=0"

# --- a token with CR/LF is refused, never sent
new_cache
ctl $P "/_ts/next-token?value=abc%0D%0AX-Evil:%201"
tsexec -c "$T/nodomain.conf" -- "$CURL_BIN" -sS "$API/V1/Other?evil=1" >/dev/null 2>"$T/err"
expect_eq "a token with CR/LF fails the transfer" "$?" 67
expect_match "with a reason" "$(cat "$T/err")" 'holds a control character'
expect_eq "and the request was never sent" \
	"$(received $P "/ServicesAPI/API/V1/Other?evil=1" token | wc -l)" 0

# --- an unreachable login server fails within timeout
start_server hole --blackhole
{ cat <<CONF
[profile slow]
provider = netbrain
match = http://localhost:$P/slow/*
url = http://127.0.0.1:$hole_PORT/ServicesAPI/API
username = admin
password = s3cret
timeout = 2
CONF
} | conf "$T/slow.conf"
start=$(date +%s)
tsexec -c "$T/slow.conf" -- "$CURL_BIN" -sS "http://localhost:$P/slow/x" >/dev/null 2>"$T/err"
rc=$?
took=$(( $(date +%s) - start ))
expect_eq "a silent login server fails with CURLE_COULDNT_CONNECT (7)" "$rc" 7
if [ "$took" -le 4 ]; then ok "it gave up within timeout (${took}s for 2s)"
else not_ok "it gave up within timeout" "took ${took}s for timeout = 2"; fi
expect_match "and says so" "$(cat "$T/err")" 'profile slow: login: .*timed out'

# closed port: connection refused, retried, then CURLE_COULDNT_CONNECT
sed "s/$hole_PORT/1/" "$T/slow.conf" | conf "$T/closed.conf"
tsexec -c "$T/closed.conf" -- "$CURL_BIN" -sS "http://localhost:$P/slow/x" >/dev/null 2>"$T/err"
expect_eq "a refused connection fails with CURLE_COULDNT_CONNECT (7)" "$?" 7

finish
