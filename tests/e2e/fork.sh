#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# fork.sh: a program forks after its handles exist, one profile with a
# token and another whose login is under way in a thread: parent and child
# both finish their requests, the child without waiting for a login it
# does not own.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
start_server slow --user admin:s3cret --login-delay 2
P=$nb_PORT
{
	nb_profile nb "http://localhost:$P/ServicesAPI/*"
	P=$slow_PORT nb_profile slow "http://localhost:$slow_PORT/ServicesAPI/*"
} | conf "$T/c.conf"
A="http://localhost:$P/ServicesAPI/API/V1/Other?fork"
B="http://localhost:$slow_PORT/ServicesAPI/API/V1/Other?fork"

export TSAN_OPTIONS="halt_on_error=0 exitcode=66 log_path=$T/tsan"
out=$(timeout 60 "$TS" exec -c "$T/c.conf" -- "$top_builddir/tests/e2e/fork_host" "$A" "$B" 2>&1)
rc=$?
expect_eq "the host exited 0" "$rc" 0
expect_match "the parent's requests succeeded" "$out" '^parent ok$'
expect_match "the child's requests succeeded" "$out" '^child ok$'
expect_eq "the first profile's token served both processes: one login" \
	"$(counter $P logins)" 1
expect_eq "its requests all carried it: before the fork, the parent, the child" \
	"$(received $P /ServicesAPI/API/V1/Other?fork token | grep -cE '^[0-9a-f-]{36}$')" 3
expect_eq "the slow profile's requests all carried a token" \
	"$(received $slow_PORT /ServicesAPI/API/V1/Other?fork token | grep -cE '^[0-9a-f-]{36}$')" 3
if [ "${SANITIZERS:-no}" = thread ]; then
	races=$(cat "$T"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
	expect_eq "ThreadSanitizer: 0 reports" "$races" 0
	[ "$races" -eq 0 ] || cat "$T"/tsan.* | head -60
fi
finish
