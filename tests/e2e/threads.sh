#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# threads.sh: 8 threads x 200 requests over keep-alive connections, half
# of them on easy handles, half through multi handles, all sharing one
# engine and one cache: one login, every request with the token. In the
# TSan build (--enable-sanitizers=thread) the host and tokenshim are built
# with -fsanitize=thread, and any race report fails the test.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# every thread's first request wants the token while the login is slow
start_server nb --user admin:s3cret --login-delay 0.5
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"

export TSAN_OPTIONS="halt_on_error=0 exitcode=66 log_path=$T/tsan"
# the host frees everything it made: in the ASan build, leaks count
out=$("$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/thread_host" \
	"$API/V1/Other?thread" 8 200 2>"$T/err")
rc=$?
expect_eq "8 x 200 requests, every one a 200 with a body" "$out" "ok 1600"
expect_eq "the host exited 0" "$rc" 0
expect_eq "one login for all threads" "$(counter $P logins)" 1
expect_eq "the server saw 1600 requests, each with the same token" \
	"$(received $P "/ServicesAPI/API/V1/Other?thread" token | sort | uniq -c |
	   grep -E ' [0-9a-f-]{36}$' | awk '{print $1}')" 1600
expect_eq "nothing on stderr" "$(cat "$T/err")" ""
# eight threads refused at once, 25 times over: each refusal is replayed
# unseen, and each round costs one login. (Before a refused token was
# kept from being adopted again, about one round in eight here let a
# thread replay with the refused token and show the app its 401.)
start_server st --user admin:s3cret --login-delay 0.2
SP=$st_PORT
nb_profile st "http://localhost:$SP/ServicesAPI/*" | sed "s/localhost:$P/localhost:$SP/" |
	conf "$T/st.conf"
# storm CONF PORT URL ROUNDS: each round the server forgets its tokens and
# eight threads ask URL (plus a query of their own) at once; prints the
# rounds that were not all 200 with one login
storm() {
	bad=""
	for r in $(seq 1 "$4"); do
		ctl "$2" /_ts/expire
		before=$(counter "$2" logins)
		# (the URLs split into words on purpose)
		# shellcheck disable=SC2046
		out=$("$TS" exec -c "$1" -- "$top_builddir/tests/e2e/race_host" \
			$(for i in 1 2 3 4 5 6 7 8; do printf '%s ' "$3?storm=$r.$i"; done) \
			2>>"$T/err" | tr -d '\n')
		got="$out/$(($(counter "$2" logins) - before))"
		[ "$got" = "200200200200200200200200/1" ] || bad="$bad round $r: $got;"
	done
	echo "$bad"
}
bad=$(storm "$T/st.conf" $SP "http://localhost:$SP/ServicesAPI/API/V1/Other" 25)
expect_eq "8 threads refused at once, 25 rounds: all 200 and one login in each" "$bad" ""
expect_eq "still nothing on stderr" "$(cat "$T/err")" ""
# the same with a token whose expiry slides (Aria Operations): each 200
# touches it, each 401 replaces it, all at once on one profile
start_server vr --user admin:s3cret --auth-source LDAP1 --expires-in 60 --login-delay 0.2
VP=$vr_PORT
conf "$T/vr.conf" <<CONF
[profile ops]
provider = vrops
match = http://localhost:$VP/suite-api/api/*
url = http://localhost:$VP/suite-api
username = admin
password = s3cret
auth_source = LDAP1
CONF
bad=$(storm "$T/vr.conf" $VP "http://localhost:$VP/suite-api/api/resources" 10)
expect_eq "sliding tokens, 8 threads refused at once, 10 rounds: all 200, one login each" "$bad" ""

# the whole request path, from reading the config to writing the store,
# on a 64 KiB thread stack (half musl's default); the sanitizers' own
# frames need more
kb=64
[ "${SANITIZERS:-no}" = no ] || kb=256
new_cache
out=$(HOST_STACK_KB=$kb "$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/race_host" \
	"$API/V1/Other?stack=1" 2>>"$T/err")
expect_eq "a first request on a ${kb} KiB thread stack: config, login, store, answer" "$out" 200
expect_match "it carried a token" "$(received $P "/ServicesAPI/API/V1/Other?stack=1" token)" '^[0-9a-f-]{36}$'
expect_eq "and was stored for the next process" \
	"$(find "$TOKENSHIM_CACHE_DIR" -maxdepth 1 -type f ! -name '*.lock' ! -name '.*' | wc -l)" 1
if [ "${SANITIZERS:-no}" = thread ]; then
	races=$(cat "$T"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
	expect_eq "ThreadSanitizer: 0 reports" "$races" 0
	[ "$races" -eq 0 ] || cat "$T"/tsan.* | head -60
fi
finish
