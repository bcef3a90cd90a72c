#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# reuse.sh: tokenshim's callbacks stay on a handle between its transfers
# (they are installed once per handle); an app that reuses the handle for
# a URL of no profile, copies it, or sets callbacks of its own gets
# exactly what it asked for.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb
P=$nb_PORT
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
out=$(tsexec -c "$T/c.conf" -- "$PY" "$top_srcdir/tests/e2e/clients/pycurl_reuse.py" \
	"http://localhost:$P/ServicesAPI/API/V1/x" "http://localhost:$P/public/y" 2>&1)
expect_match "the first, matched transfer is answered" "$out" '^matched 200 True$'
expect_match "then a URL of no profile: the app's buffer and header callback get it" "$out" \
	'^unmatched 200 True True$'
expect_match "a copy made after: its body reaches the copy's buffer, not the original's" \
	"$out" '^copy 200 True True$'
expect_match "the app's new write callback gets the next matched body" "$out" '^new callback 200 True$'
expect_eq "the matched requests carried the token" \
	"$(received $P "/ServicesAPI/API/V1/x?reuse=" token | grep -cE '^[0-9a-f-]{36}$')" 2
expect_eq "the others went out without it, and did go out" \
	"$(received $P "/public/y?reuse=" token | tr '\n' ' ')" "- - "
# the same in C, where a copy keeps the app's pointers as they were
out=$(tsexec -c "$T/c.conf" -- "$top_builddir/tests/e2e/reuse_host" \
	"http://localhost:$P/ServicesAPI/API/V1/x?reuse=c" "http://localhost:$P/public/y?reuse=c" \
	"http://localhost:$P/ServicesAPI/API/V1/x?reuse=m&redirect_to=http://127.0.0.1:$P/public/z" 2>&1)
expect_match "a copy writes to the data it was made with, not the original's new data" \
	"$out" '^copy ok$'
expect_match "and still works once the original is freed" "$out" '^after cleanup ok$'
# the app's callbacks may change in the middle of a transfer of ours: the
# new ones are served, and every hop is still checked
expect_match "write data set from a header callback mid-transfer: the body goes there" \
	"$out" '^midway ok$'
expect_match "the first hop of that transfer carried the token" \
	"$(received $P "/ServicesAPI/API/V1/x?reuse=m" token)" '^[0-9a-f-]{36}$'
expect_eq "the redirect to another host was made, without it" \
	"$(received $P /public/z token)" "-"
finish
