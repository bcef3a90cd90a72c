#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# ops.sh: what scripts, cron jobs and services lean on: exec --env for
# programs without libcurl, token --min-lifetime.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" "lifetime = 400" "refresh_ahead = 0" | conf "$T/c.conf"

# --env: a token in the environment of a program that uses no libcurl
# (here a shell that hands it to a curl without tokenshim)
out=$(tsexec -c "$T/c.conf" --env NB_TOKEN=nb --env NB2=nb -- sh -c \
	'env -u LD_PRELOAD "$1" -sS -H "token: $NB_TOKEN" "$2"; [ "$NB_TOKEN" = "$NB2" ] && echo same' \
	sh "$CURL_BIN" "$API/V1/Other?case=env")
expect_match "exec --env puts a working token in the child's environment" "$out" '790200'
expect_match "once per profile, whatever the names" "$out" 'same'
expect_eq "the server saw that token" "$(received $P "/ServicesAPI/API/V1/Other?case=env" token | grep -c '^[0-9a-f-]\{36\}$')" 1
out=$(tsexec -c "$T/c.conf" --env X=nosuch -- true 2>&1)
expect_eq "an unknown profile fails exec before the command runs (1)" "$?" 1
expect_match "naming it" "$out" "no profile named 'nosuch'"

# --min-lifetime: renew first when what is held runs out too soon
before=$(counter $P logins)
"$TS" -c "$T/c.conf" token --min-lifetime 300 nb >/dev/null
expect_eq "a held token with 400 s left serves --min-lifetime 300" "$(counter $P logins)" "$before"
out=$("$TS" -c "$T/c.conf" token --min-lifetime 401 nb 2>&1)
expect_eq "--min-lifetime 401 cannot be met (exit 1)" "$?" 1
expect_eq "after renewing first" "$(counter $P logins)" "$((before + 1))"
expect_match "and says why" "$out" "profile nb: a new token lives (39[0-9]|400) s, less than --min-lifetime 401"
out=$("$TS" -c "$T/c.conf" token --min-lifetime soon nb 2>&1)
expect_match "a bad --min-lifetime is an error" "$out" "min-lifetime takes seconds"

# honest status: where the cache is, durations people read, expiry
out=$("$TS" -c "$T/c.conf" status)
expect_match "status says where the shared cache is" "$out" "^cache: shared at $TOKENSHIM_CACHE_DIR\$"
expect_match "in a duration people read" "$out" '^nb +netbrain +valid +in 6m [0-9]+s '
nb_profile a-profile-with-a-long-name "http://localhost:$P/long/*" | conf "$T/long.conf"
new_cache
expect_match "a long profile name keeps its columns" "$("$TS" -c "$T/long.conf" status)" \
	'^a-profile-with-a-long-name netbrain +none +- '
nb_profile nb "http://localhost:$P/ServicesAPI/*" "lifetime = 1" | conf "$T/short.conf"
new_cache
"$TS" -c "$T/short.conf" token nb >/dev/null
sleep 2
expect_match "an expired token says how long ago" "$("$TS" -c "$T/short.conf" status)" \
	'^nb +netbrain +expired +expired [0-9]+s ago '
"$TS" -c "$T/short.conf" logout nb >/dev/null
expect_eq "logout with nothing held says so" "$("$TS" -c "$T/short.conf" logout nb)" "profile nb: nothing held"

# the cache off: said once per process, and by status
out=$(env -u HOME -u XDG_RUNTIME_DIR -u TOKENSHIM_CACHE_DIR -u XDG_CACHE_HOME \
	TOKENSHIM_CACHE_KEY_FILE="$T/k" ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
	"$TS" exec -c "$T/c.conf" -- "$CURL_BIN" -sS \
	"$API/V1/Other?case=off1" "$API/V1/Other?case=off2" 2>&1)
expect_eq "without HOME, a preloaded process says once that tokens stay in memory" \
	"$(echo "$out" | grep -c 'keeping tokens in memory only')" 1
expect_match "and why" "$out" "no place for the shared cache \(TOKENSHIM_CACHE_DIR, XDG_RUNTIME_DIR, XDG_CACHE_HOME and HOME are unset\)"
expect_eq "(both requests were made)" "$(received $P "/ServicesAPI/API/V1/Other?case=off" token | wc -l)" 2
out=$(env -u HOME -u XDG_RUNTIME_DIR -u TOKENSHIM_CACHE_DIR -u XDG_CACHE_HOME \
	TOKENSHIM_CACHE_KEY_FILE="$T/k" "$TS" -c "$T/c.conf" status 2>/dev/null)
expect_match "status says memory only, and why" "$out" '^cache: memory only: no place for the shared cache'
out=$(env -u TOKENSHIM_CACHE_DIR -u XDG_RUNTIME_DIR XDG_CACHE_HOME="$T/xdgc" "$TS" -c "$T/c.conf" status)
expect_match "XDG_CACHE_HOME is honoured" "$out" "^cache: shared at $T/xdgc/tokenshim\$"

# traces: the time and the PID, the wait for another's login, a retry
new_cache
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/c.conf" token nb 2>&1 >/dev/null)
expect_match "trace lines carry the time and the PID" "$out" '^tokenshim: [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \[[0-9]+\] '
start_server slow --user admin:s3cret --login-delay 1
nb_profile nb "http://localhost:$slow_PORT/ServicesAPI/*" | sed "s/localhost:$P/localhost:$slow_PORT/" | conf "$T/slow.conf"
new_cache
"$TS" -c "$T/slow.conf" token nb >/dev/null &
first=$!
sleep 0.3
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/slow.conf" token nb 2>&1 >/dev/null)
wait "$first"
expect_match "waiting for another process's login is traced" "$out" "profile nb: waited [0-9]+ ms for another process's login"
expect_eq "(one login for both)" "$(counter $slow_PORT logins)" 1
new_cache
ctl $P "/_ts/fail?n=1&status=503"
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/c.conf" token nb 2>&1 >/dev/null)
expect_match "a retried login's HTTP status is traced" "$out" "POST http://localhost:$P/ServicesAPI/API/V1/Session: HTTP 503; retrying in 200 ms"

# --version says where things are
out=$("$TS" --version)
expect_match "--version names the library" "$out" "^library: +$TOKENSHIM_LIBRARY\$"
expect_match "the providers" "$out" "^providers: +$TOKENSHIM_PROVIDER_PATH\$"
expect_match "and the config places searched" "$out" "^config: +$XDG_CONFIG_HOME/tokenshim/tokenshim.conf, then /etc/tokenshim.conf\$"

# TOKENSHIM_LOG=syslog: diagnostics to syslog, with a priority
if [ ! -e /dev/log ] && [ "$(id -u)" -eq 0 ]; then
	"$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1], "w").close()
s.settimeout(20)
with open(sys.argv[2], "ab") as out:
    while True:
        try:
            out.write(s.recv(4096) + b"\n"); out.flush()
        except socket.timeout:
            break
' "$T/syslog.ready" "$T/syslog" &
	sl=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -e "$T/syslog.ready" ] && break; sleep 0.2; done
	{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password = wrong|'; } | conf "$T/wrong.conf"
	err=$(TOKENSHIM_LOG=syslog tsexec -c "$T/wrong.conf" -- "$CURL_BIN" -sS "$API/V1/Other?case=syslog" 2>&1)
	sleep 0.5
	kill "$sl" 2>/dev/null; wait "$sl" 2>/dev/null; rm -f /dev/log
	expect_match "the diagnostic went to syslog as user.warning" "$(cat "$T/syslog")" \
		'^<12>.*tokenshim\[[0-9]+\]: profile nb: login: Invalid username or password'
	expect_nomatch "and not to stderr" "$err" '^tokenshim: '
	expect_match "(curl still reports the failure)" "$err" 'curl: \(67\)'
else
	echo "# skipped: syslog (needs root and no /dev/log to stand in for)"
fi

finish
