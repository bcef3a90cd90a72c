#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# lease.sh: the cross-process login lock belongs to the thread that took
# it. One thread of a process logs in (slowly) while another thread of the
# same process drops the token the server refused: the second thread must
# wait for the lock, not release the first one's, so a second process
# that wants a token meanwhile waits for that login instead of making its
# own. Runs in the TSan build too.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret --login-delay 2
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 log_path=$T/tsan"

# a token in the shared cache, then the server forgets it
code=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -s -o /dev/null -w '%{http_code}' "$API/V1/Other?seed")
expect_eq "the first request got a token" "$code:$(counter $P logins)" "200:1"
ctl $P /_ts/expire

# Thread a is refused at once and logs in again, for 2 s. Thread b is
# refused half a second later, in the middle of that login, and drops the
# same token. A second process asks for a token a second in.
"$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/race_host" \
	"$API/V1/Other?race=a" "$API/V1/Other?race=b&delay=0.5" >"$T/race" 2>"$T/race.err" &
host=$!
sleep 1
code=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -s -o /dev/null -w '%{http_code}' "$API/V1/Other?race=p2")
wait $host
expect_eq "both threads got their answer" "$(cat "$T/race" | tr '\n' ' ')" "200 200 "
expect_eq "the second process got its answer" "$code" 200
expect_match "the second process's request carried a token" \
	"$(received $P "/ServicesAPI/API/V1/Other?race=p2" token)" '^[0-9a-f-]{36}$'
expect_eq "one login for the refused token: the second process waited for it" \
	"$(counter $P logins)" 2
expect_eq "the second process used the new token" \
	"$(received $P "/ServicesAPI/API/V1/Other?race=p2" token)" \
	"$(received $P "/ServicesAPI/API/V1/Other?race=a" token | tail -n 1)"
expect_eq "nothing on the host's stderr" "$(cat "$T/race.err")" ""
if [ "${SANITIZERS:-no}" = thread ]; then
	races=$(cat "$T"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
	expect_eq "ThreadSanitizer: 0 reports" "$races" 0
	[ "$races" -eq 0 ] || cat "$T"/tsan.* | head -60
fi
finish
