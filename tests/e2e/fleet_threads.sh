#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# fleet_threads.sh: the fleet's store inside threaded and forking hosts
# (run under TSan too).
#   - 8 threads of two machines want the token at once, through one
#     redis-server: one login, every request with it;
#   - a host forks while its store connection is open and another
#     profile's login (holding the fleet's lease) runs in a thread: the
#     child opens a connection of its own and both finish.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || {
	echo "fleet_threads.sh: redis-server is missing (./bootstrap installs it)"; exit 1; }

RP=$(free_port)
start_redis redis "$RP"
"$TS" keygen >"$T/fleet.key"
chmod 600 "$T/fleet.key"
start_server nb --login-delay 0.5
start_server slow --login-delay 2
P=$nb_PORT
{
	printf '[defaults]\nstore = redis://127.0.0.1:%s/0\nstore_key_file = %s\n\n' "$RP" "$T/fleet.key"
	nb_profile nb "http://localhost:$P/ServicesAPI/*"
	P=$slow_PORT nb_profile slow "http://localhost:$slow_PORT/ServicesAPI/*"
} | conf "$T/c.conf"
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 log_path=$T/tsan"
API="http://localhost:$P/ServicesAPI/API/V1/Other"

on 1 "$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/thread_host" \
	"$API?thread" 8 20 >"$T/out1" 2>"$T/err1" &
a=$!
on 2 "$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/thread_host" \
	"$API?thread" 8 20 >"$T/out2" 2>"$T/err2" &
b=$!
wait "$a"
ra=$?
wait "$b"
rb=$?
expect_eq "machine 1: 8 threads x 20 requests, every one a 200" "$(cat "$T/out1")" "ok 160"
expect_eq "machine 2: the same" "$(cat "$T/out2")" "ok 160"
expect_eq "both hosts exited 0" "$ra $rb" "0 0"
expect_eq "one login for both machines' 16 threads" "$(counter $P logins)" 1
expect_eq "the server saw 320 requests with one token" \
	"$(received $P /ServicesAPI/API/V1/Other?thread token | sort -u | grep -cE '^[0-9a-f-]{36}$')" 1

conns=$(rcli "$RP" INFO stats | sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p')
A="http://localhost:$P/ServicesAPI/API/V1/Other?fork"
B="http://localhost:$slow_PORT/ServicesAPI/API/V1/Other?fork"
out=$(on 3 timeout 60 "$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/fork_host" "$A" "$B" 2>&1)
rc=$?
expect_eq "the forking host exited 0" "$rc" 0
expect_match "the parent's requests succeeded" "$out" '^parent ok$'
expect_match "the child's requests succeeded" "$out" '^child ok$'
expect_eq "the slow profile: one login for parent and child" "$(counter $slow_PORT logins)" 1
now=$(rcli "$RP" INFO stats | sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p')
# the parent's connection and the child's own, at least
if [ $((now - conns)) -ge 2 ]; then ok "the child opened a store connection of its own ($((now - conns)) in all)"
else not_ok "the child opened a store connection of its own" "connections: $((now - conns))"; fi
expect_eq "no protocol error on the server" "$(grep -ci 'protocol error' "$T/redis.log")" 0

# a child that closes what it inherited and reuses the numbers: the
# parent's store connection is given up without touching them
mkdir -p "$T/files"
rm -rf "$T/machine/4"
out=$(on 4 timeout 60 "$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/forkfd_host" \
	"$A&fd" "$B&fd" "$T/files" 2>&1)
expect_match "a daemon-like child: the parent's request succeeded" "$out" '^parent ok$'
expect_match "the child's request, from the store, succeeded" "$out" '^child ok$'
expect_match "and every file the child opened is still its own" "$out" '^files ok$'
expect_eq "its request carried a token" \
	"$(received $slow_PORT "/ServicesAPI/API/V1/Other?fork&fd" token | grep -cE '^[0-9a-f-]{36}$')" 1
expect_eq "which came from the store: still one login" "$(counter $slow_PORT logins)" 1

if [ "${SANITIZERS:-no}" = thread ]; then
	races=$(cat "$T"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
	expect_eq "ThreadSanitizer: 0 reports" "$races" 0
	[ "$races" -eq 0 ] || cat "$T"/tsan.* | head -60
fi
finish
