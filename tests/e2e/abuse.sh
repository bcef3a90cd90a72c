#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# abuse.sh: programs that change or copy a handle in the middle of a
# transfer keep working, and the token goes only where it belongs: a URL
# set again while the handle sits in a multi handle, and a
# curl_easy_duphandle made from inside a callback of an easy transfer.
# In the ASan build any read of freed memory fails the run.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
start_server other
O=$other_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
host="$top_builddir/tests/e2e/abuse_host"
tok='^[0-9a-f-]{36}$'

# CURLOPT_URL set again while in a multi handle, on a query profile whose
# first attempt is refused: the replay is built from the app's new URL
nb_profile qs "http://localhost:$P/qs/*" "query = token={token}" >>"$T/c.conf"
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/qs/warm"
ctl $P /_ts/expire
out=$("$TS" exec -c "$T/c.conf" -- "$host" seturl "http://localhost:$P/qs/first" \
	"http://localhost:$P/qs/second" 2>"$T/err")
expect_eq "URL set again in a multi handle: both transfers completed" "$(echo $out)" "200 200"
expect_eq "the first URL was never sent" "$(received $P /qs/first token | wc -l)" 0
expect_eq "the new URL was sent three times: refused, replayed, and again" \
	"$(received $P /qs/second x-app | tr '\n' ' ')" "1 1 1 "
expect_eq "nothing on stderr" "$(cat "$T/err")" ""
# ... to a URL of no profile: no token there
out=$("$TS" exec -c "$T/c.conf" -- "$host" seturl "$API/V1/Other?m=third" \
	"http://localhost:$O/public/moved" 2>"$T/err")
expect_eq "moved out of the profile: both transfers completed" "$(echo $out)" "200 200"
expect_eq "and neither carried the token" \
	"$(received $O /public/moved token | tr '\n' ' ')" "- - "

# duphandle from inside the write callback of an easy transfer
out=$("$TS" exec -c "$T/c.conf" -- "$host" dup "$API/V1/Other?d=orig" \
	"http://localhost:$O/public/dup" 2>"$T/err")
rc=$?
expect_eq "duphandle in a callback: every transfer completed" "$rc:$(echo $out)" "0:200 200 200"
expect_eq "the copy, sent elsewhere, carried no token" "$(received $O /public/dup token)" "-"
expect_eq "but the app's own header" "$(received $O /public/dup x-app)" "1"
expect_eq "the copy, sent to the profile, got the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?d=orig" token | grep -cE "$tok")" 2
expect_eq "nothing on stderr" "$(cat "$T/err")" ""

# a multi add from inside the callback of another (easy) transfer
out=$("$TS" exec -c "$T/c.conf" -- "$host" add "$API/V1/Other?a=outer" \
	"$API/V1/Other?a=added" 2>"$T/err")
expect_eq "add from a callback: both transfers completed" "$(echo $out)" "200 200"
expect_match "the handle added from the callback got the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?a=added" token)" "$tok"
expect_eq "nothing on stderr" "$(cat "$T/err")" ""

# a fork while another thread is inside the provider loader (the slowload
# test provider takes 1.5 s to load): the child loads its own and goes on
conf "$T/slow.conf" <<CONF
[profile slow]
provider = slowload
match = http://localhost:$P/public/slow*
token = slow-and-steady
CONF
out=$(TOKENSHIM_PROVIDER_PATH="$top_builddir/tests/e2e/.libs:$TOKENSHIM_PROVIDER_PATH" \
	timeout 20 "$TS" exec -c "$T/slow.conf" -- "$host" forkload \
	"http://localhost:$P/public/slow" - 2>"$T/err")
rc=$?
expect_eq "fork during a provider load: parent and child finished" "$rc:$(echo $out)" "0:200 200"
expect_eq "both requests carried the token" \
	"$(received $P /public/slow token | tr '\n' ' ')" "slow-and-steady slow-and-steady "

finish
