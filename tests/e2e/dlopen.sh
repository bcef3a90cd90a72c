#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# dlopen.sh: the C API for hosts that dlopen libtokenshim.so, and a C host
# that reuses, duplicates and resets easy handles under the preload.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"

# --- dlopen, no LD_PRELOAD
out=$(env -u LD_PRELOAD TOKENSHIM_CONFIG="$T/c.conf" \
	"$top_builddir/tests/e2e/dlopen_host" "$TOKENSHIM_LIBRARY" nb "$API/V1/Other" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "dlopen host passes its own checks" "$rc" 0
tok=$(received $P "/ServicesAPI/API/V1/Other?step=plain" token)
expect_match "tokenshim_easy_perform sent the token" "$tok" '^[0-9a-f-]{36}$'
expect_eq "one login served tokenshim_token and the requests" "$(counter $P logins)" 1
expect_match "the merged request carried the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?step=merged" token)" '^[0-9a-f-]{36}$'
expect_eq "the merged request kept the app's header" \
	"$(received $P "/ServicesAPI/API/V1/Other?step=merged" x-app)" 1
expect_eq "afterwards the handle has the app's headers back, without the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?step=restored" token) $(received $P "/ServicesAPI/API/V1/Other?step=restored" x-app)" "- 1"
expect_nomatch "the host's output never shows the token" "$out" "$tok"

# --- the C API inside a preloaded process: the login URL falls under the
# profile's own match, and the login must not be taken for one of the
# app's requests (it used to wait for itself forever)
new_cache
before=$(counter $P logins)
sessions=$(received $P "/ServicesAPI/API/V1/Session" token | wc -l)
out=$(timeout 15 "$TS" exec -c "$T/c.conf" -- \
	"$top_builddir/tests/e2e/dlopen_host" "$TOKENSHIM_LIBRARY" nb "$API/V1/Other?preloaded=1" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
expect_eq "preloaded: the C API host passes its own checks, without hanging" "$rc" 0
expect_eq "preloaded: tokenshim_token logged in once" "$(($(counter $P logins) - before))" 1
expect_eq "preloaded: the login request reached the server" \
	"$(($(received $P "/ServicesAPI/API/V1/Session" token | wc -l) - sessions))" 1

# --- one handle across matched and unmatched URLs, dup and reset
"$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/handle_host" \
	"$API/V1/Reuse" "http://127.0.0.1:$P/public/reuse" 2>"$T/err"
expect_eq "handle host ran every step" "$?" 0
r() { echo "$(received $P "$1" token | sed 's/^[0-9a-f-]\{36\}$/TOKEN/') $(received $P "$1" x-app)"; }
expect_eq "1: matched URL: token and the app's header" "$(r '/ServicesAPI/API/V1/Reuse?h=1')" "TOKEN 1"
expect_eq "2: same handle, unmatched URL: the app's header only" "$(r '/public/reuse?h=2')" "- 1"
expect_eq "3: duplicated handle, matched: token and the app's header" "$(r '/ServicesAPI/API/V1/Reuse?h=3')" "TOKEN 1"
expect_eq "4: after reset, unmatched: nothing" "$(r '/public/reuse?h=4')" "- -"
expect_eq "5: after reset, matched: the token only" "$(r '/ServicesAPI/API/V1/Reuse?h=5')" "TOKEN -"

finish
