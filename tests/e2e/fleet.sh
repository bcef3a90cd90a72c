#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# fleet.sh: machines share one login through a redis-server. Each
# emulated machine has its own home, caches and local key (lib.sh's on);
# they share the config and the fleet key. Assertions are on what the
# vendor emulations counted and on what Redis holds.
#   - Automation Anywhere, where a new login kills the user's other
#     token: 8 machines x 20 calls, one login, no failed call;
#   - NetBrain with a 2-session cap: 8 machines, one session;
#   - Resolve with a short life and rotating refresh tokens: 8 machines,
#     one password login, no refresh token refused;
#   - the store down from the start, or answering nothing: every call
#     succeeds, none waits more than store_timeout plus the login;
#   - an ACL user limited to the prefix; a wrong password: one line, a
#     local login, the password never shown;
#   - status, check, logout (fleet-wide) and keygen;
#   - nothing in Redis names a token, profile, user, vendor or URL.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || {
	echo "fleet.sh: redis-server is missing (./bootstrap installs it)"; exit 1; }

# hiredis is inside the library, and hidden: a host's own cannot meet it
expect_eq "libtokenshim.so exports no hiredis symbol" \
	"$(nm -D --defined-only "$TOKENSHIM_LIBRARY" | grep -ciE ' (redis|sds|hi_)')" 0
expect_match "but holds hiredis's reader" "$(nm "$TOKENSHIM_LIBRARY" | grep -i ' t redisReaderCreate$')" \
	'redisReaderCreate'
expect_eq "and needs no libhiredis.so" "$(ldd "$TOKENSHIM_LIBRARY" | grep -c hiredis)" 0

RP=$(free_port)
start_redis redis "$RP"
"$TS" keygen >"$T/fleet.key"
chmod 600 "$T/fleet.key"
expect_match "keygen prints 64 hex digits" "$(cat "$T/fleet.key")" '^[0-9a-f]{64}$'
expect_nomatch "and a new key each time" "$("$TS" keygen)" "^$(cat "$T/fleet.key")\$"

# calls M N URL [curl options]: N sequential curls as machine M; prints
# one HTTP status a line.
calls() {
	m=$1 n=$2 url=$3
	shift 3
	i=0
	while [ $i -lt "$n" ]; do
		on "$m" env ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$TS" exec -- \
			"$CURL_BIN" -s -o /dev/null -w '%{http_code}\n' "$@" "$url?m=$m&i=$i"
		i=$((i + 1))
		[ -z "${GAP:-}" ] || sleep "$GAP"
	done
}

# fleet K N URL [curl options]: K machines at once, N calls each; prints
# how many calls did not answer 200.
fleet() {
	k=$1
	shift
	j=1
	while [ "$j" -le "$k" ]; do
		calls "$j" "$@" >"$T/calls.$j" 2>"$T/callerr.$j" &
		j=$((j + 1))
	done
	wait_all
	cat "$T"/calls.[0-9]* | grep -vc '^200$'
}

# waits for the background calls only: the servers are jobs too
wait_all() {
	while [ -n "$(jobs -p | while read -r p; do
		for s in $pids; do [ "$p" = "$s" ] && continue 2; done; echo "$p"; done)" ]; do
		sleep 0.1
	done
}

fresh_fleet() {
	rm -rf "$T/machine" "$T"/calls.* "$T"/callerr.*
	rcli "$RP" FLUSHALL >/dev/null
}

store_lines() {
	printf 'store = redis://127.0.0.1:%s/0\nstore_key_file = %s\n' "$RP" "$T/fleet.key"
}

# ---- Automation Anywhere: one token per user ---------------------------
start_server aa --user jdoe:pw
A=$aa_PORT
{ store_lines | sed '1s/^/[defaults]\n/'; echo; cat <<CONF; } | conf "$T/aa.conf"
[profile cr]
provider = automation-anywhere
match = http://localhost:$A/v1/devices/*
url = http://localhost:$A
username = jdoe
password = pw
CONF
export TOKENSHIM_CONFIG="$T/aa.conf"
fresh_fleet
bad=$(fleet 8 20 "http://localhost:$A/v1/devices/list" -X POST)
expect_eq "Automation Anywhere, 8 machines x 20 calls: none failed" "$bad" 0
expect_eq "and one login for the fleet" "$(counter $A logins)" 1
expect_eq "no token was refused" "$(counter $A rejected)" 0
n=$(received $A /v1/devices/list x-authorization | grep -vc '^-$')
expect_eq "the server saw all 160 calls, each with a token" "$n" 160
expect_eq "every machine filled its own local cache" \
	"$(find "$T/machine" -path '*/cache/*' -type f ! -name '*.lock' | wc -l)" 8

# a stale local token: the store's newer one is adopted, not a new login
on 1 "$TS" login cr >/dev/null 2>&1
ctl $A /_ts/expire	# every machine's token dies at the server
rcli "$RP" FLUSHALL >/dev/null
rm -f "$T"/calls.* "$T"/callerr.*
on 2 "$TS" login cr >/dev/null 2>&1	# machine 2 logs in: the store's token
logins=$(counter $A logins)
bad=$(fleet 4 2 "http://localhost:$A/v1/devices/list" -X POST)
expect_eq "after a refusal, machines adopt the store's newer token" "$bad" 0
expect_eq "without logging in again" "$(counter $A logins)" "$logins"

# ---- NetBrain: at most 2 sessions per user -----------------------------
start_server nb --max-sessions 2
P=$nb_PORT
{ printf '[defaults]\n'; store_lines; echo
  nb_profile nb "http://localhost:$P/ServicesAPI/*"; } | conf "$T/nb.conf"
export TOKENSHIM_CONFIG="$T/nb.conf"
fresh_fleet
bad=$(fleet 8 5 "http://localhost:$P/ServicesAPI/API/V1/CMDB/Devices")
expect_eq "NetBrain with 2 sessions per user, 8 machines: none failed" "$bad" 0
expect_eq "one session for the fleet" "$(counter $P sessions)" 1
expect_eq "no login refused" "$(counter $P login_failures)" 0

# a final refusal is shared: the fleet does not hammer the login
ctl $P /_ts/expire
ctl $P "/_ts/fail?n=0"
fresh_fleet
printf '[profile nbx]\nprovider = netbrain\nmatch = %s\nurl = %s\nusername = admin\npassword = wrong\n' \
	"http://localhost:$P/ServicesAPI/x/*" "http://localhost:$P/ServicesAPI/API" >>"$T/nb.conf"
for m in 1 2 3 4; do
	on $m "$TS" token nbx >/dev/null 2>"$T/refused.$m"
done
expect_eq "4 machines refused: one login attempt reached the server" \
	"$(counter $P login_failures)" 1
expect_match "the others say the fleet's refusal" "$(cat "$T/refused.3")" \
	'profile nbx: .*Invalid username or password.*another machine of the fleet'

# ---- Resolve: rotating refresh tokens ------------------------------------
start_server rs --user ops@resolve.io:s3cret --expires-in 3
R=$rs_PORT
{ printf '[defaults]\n'; store_lines; cat <<CONF; } | conf "$T/rs.conf"

[profile rs]
provider = resolve
match = http://localhost:$R/api/*
url = http://localhost:$R
username = ops@resolve.io
password = s3cret
refresh_ahead = 1
CONF
export TOKENSHIM_CONFIG="$T/rs.conf"
fresh_fleet
bad=$(GAP=0.4 fleet 8 12 "http://localhost:$R/api/v2/users/loggedIn/detail")
expect_eq "Resolve, 8 machines over several token lives: none failed" "$bad" 0
expect_eq "one password login" "$(counter $R logins)" 1
expect_eq "no refresh token refused (invalid_grant)" \
	"$("$PY" -c 'import json,sys; print(json.load(sys.stdin).get("refresh_refused", 0))' \
	<<EOF
$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$R/_ts/stats")
EOF
)" 0
refreshes=$(counter $R refreshes)
if [ "$refreshes" -ge 1 ] && [ "$refreshes" -le 12 ]; then
	ok "the token was refreshed, as one chain ($refreshes refreshes)"
else
	not_ok "the token was refreshed, as one chain" "refreshes: $refreshes"
fi

# ---- status, check, logout ---------------------------------------------
# from here on a NetBrain without a session cap: machines that cannot
# reach the store log in on their own
start_server nb2
P=$nb2_PORT
{ printf '[defaults]\n'; store_lines; echo
  nb_profile nb "http://localhost:$P/ServicesAPI/*"; } | conf "$T/nb.conf"
export TOKENSHIM_CONFIG="$T/nb.conf"
fresh_fleet
on 1 "$TS" token nb >/dev/null
out=$(on 2 "$TS" status 2>&1)
expect_match "status names the store, reachable, its role and round trip" "$out" \
	"store: redis://127.0.0.1:$RP/0: reachable, role master, round trip [0-9.]+ ms"
expect_match "and that machine 2's token came from the store, generation 1" "$out" \
	'^nb +netbrain +valid .* store +1$'
out=$(on 2 "$TS" status 2>&1)
expect_match "then from the local cache" "$out" '^nb +netbrain +valid .* local cache +1$'
json=$(on 2 "$TS" status --json)
expect_match "status --json has the source, generation and store" "$json" \
	'"source":"local cache","generation":1,"store":\{"url":"redis://127.0.0.1:[0-9]+/0","reachable":true,"role":"master"'
out=$(on 1 "$TS" check 2>&1)
expect_match "check tries what the store needs" "$out" 'EVAL .*: permitted'
sessions=$(counter $P sessions)
on 3 "$TS" logout nb >/dev/null 2>&1
expect_eq "logout on another machine releases the fleet's session" \
	"$(counter $P sessions)" $((sessions - 1))
expect_eq "and removes the store's entry" "$(rcli "$RP" --scan --pattern 'tokenshim:e:*' | wc -l)" 0
# machine 1's local copy is dead at the server: its first refusal
# finds the store empty, and it logs in
logins=$(counter $P logins)
out=$(on 1 "$TS" exec -- "$CURL_BIN" -sS "http://localhost:$P/ServicesAPI/API/V1/after")
expect_match "machine 1's next call succeeds" "$out" '"statusCode": 790200'
expect_eq "through one new login" "$(counter $P logins)" $((logins + 1))

# ---- nothing readable in Redis -----------------------------------------
export TOKENSHIM_CONFIG="$T/nb.conf"
fresh_fleet
out=$(on 1 "$TS" exec -- "$CURL_BIN" -sS "http://localhost:$P/ServicesAPI/API/V1/x")
tok=$(received $P /ServicesAPI/API/V1/x token | tail -1)
expect_match "a token went out" "$tok" '^[0-9a-f-]{36}$'
keys=$(rcli "$RP" --scan)
dump=$(for k in $keys; do echo "$k"; rcli "$RP" GET "$k"; done)
expect_match "Redis holds the entry" "$keys" '^tokenshim:e:[0-9a-f]{64}$'
leak=""
for w in "$tok" nb netbrain admin s3cret localhost ServicesAPI "$P" \
	"$(printf %s "$tok" | cut -c1-8)"; do
	printf '%s' "$dump" | grep -qF -- "$w" && leak="$leak $w"
done
expect_eq "no key or value holds the token, profile, user, vendor or URL" "$leak" ""

# ---- the store down, or answering nothing ------------------------------
DEAD=$(free_port)	# nobody listens
start_server hole --blackhole
for how in "down:$DEAD" "silent:$hole_PORT"; do
	port=${how#*:}
	{ printf '[defaults]\nstore = redis://127.0.0.1:%s/0\nstore_key_file = %s\nstore_timeout = 300\n\n' \
		"$port" "$T/fleet.key"
	  nb_profile nb "http://localhost:$P/ServicesAPI/*"; } | conf "$T/down.conf"
	export TOKENSHIM_CONFIG="$T/down.conf"
	rm -rf "$T/machine"
	t0=$(now_ms)
	out=$(on 1 "$TS" exec -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' \
		"http://localhost:$P/ServicesAPI/API/V1/a" 2>"$T/down.err")
	t1=$(now_ms)
	expect_eq "store ${how%%:*}: the call succeeds" "$out" 200
	if [ $((t1 - t0)) -lt 1800 ]; then ok "within store_timeout and the login ($((t1 - t0)) ms)"
	else not_ok "within store_timeout and the login" "took $((t1 - t0)) ms"; fi
	expect_eq "one line says so, naming the store" \
		"$(grep -c "^tokenshim: store redis://127.0.0.1:$port/0: .*; skipping it for 30 s" "$T/down.err")" 1
	out=$(on 1 "$TS" exec -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' \
		"http://localhost:$P/ServicesAPI/API/V1/b" 2>/dev/null)
	expect_eq "the local cache serves the next call" "$out" 200
done
# on_store_failure = fail: the transfer fails, with the reason
printf 'on_store_failure = fail\n' >>"$T/down.conf"
rm -rf "$T/machine"
before=$(received $P /ServicesAPI/API/V1/c - | wc -l)
out=$(on 1 "$TS" exec -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' \
	"http://localhost:$P/ServicesAPI/API/V1/c" 2>"$T/fail.err")
expect_match "with on_store_failure = fail, the transfer fails" "$out" '^(000)?$'
expect_match "saying why, in one line" "$(cat "$T/fail.err")" \
	'profile nb: store redis://127.0.0.1:[0-9]+/0: .*\(on_store_failure = fail\)'
expect_eq "and nothing reached the server" "$(received $P /ServicesAPI/API/V1/c - | wc -l)" "$before"
out=$(on 1 env TOKENSHIM_CONFIG="$T/nb.conf" "$TS" exec -- "$CURL_BIN" -sS -o /dev/null \
	-w '%{http_code}' "http://localhost:$P/ServicesAPI/API/V1/c")
expect_eq "(the same request, with the store up, is made)" "$out" 200

# ---- an ACL user; a wrong password --------------------------------------
AP=$(free_port)
printf 'fleet-Pa55\n' >"$T/redis.pw"
printf 'wrong-Pa55\n' >"$T/wrong.pw"
chmod 600 "$T/redis.pw" "$T/wrong.pw"
# shellcheck disable=SC2086 # the ACL rule is words
set -f
ACL='tokenshim on >fleet-Pa55 ~tokenshim:* resetchannels -@all +ping +role +select +get +set +del +eval +pexpire'
start_redis acl "$AP" --user default off --user $ACL
set +f
acl_conf() {
	{ printf '[defaults]\nstore = redis://tokenshim@127.0.0.1:%s/0\nstore_key_file = %s\nstore_password_file = %s\n\n' \
		"$AP" "$T/fleet.key" "$1"
	  nb_profile nb "http://localhost:$P/ServicesAPI/*"; } | conf "$T/acl.conf"
}
acl_conf "$T/redis.pw"
export TOKENSHIM_CONFIG="$T/acl.conf"
rm -rf "$T/machine" "$T"/calls.* "$T"/callerr.*
logins=$(counter $P logins)
bad=$(fleet 3 2 "http://localhost:$P/ServicesAPI/API/V1/acl")
expect_eq "the ACL user limited to the prefix works: no call failed" "$bad" 0
expect_eq "one login for 3 machines" "$(counter $P logins)" $((logins + 1))
out=$(on 1 "$TS" check 2>&1)
expect_match "check: every command the store needs is permitted" "$out" \
	'DEL: permitted'
# a user without EVAL: check says so, and fails
AP2=$(free_port)
set -f
# shellcheck disable=SC2086
start_redis acl2 "$AP2" --user default off --user ${ACL%% +eval*}
set +f
sed "s/127.0.0.1:$AP/127.0.0.1:$AP2/" "$T/acl.conf" >"$T/acl2.conf"
chmod 600 "$T/acl2.conf"
out=$("$TS" -c "$T/acl2.conf" check 2>&1)
rc=$?
expect_match "check names the command the ACL refuses" "$out" 'REFUSED: EVAL .*NOPERM'
expect_eq "and exits 2" "$rc" 2
json=$("$TS" -c "$T/acl2.conf" check --json 2>/dev/null)
expect_eq "check --json: the store, what it refused, and not ok" "$(printf '%s' "$json" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
s = d["stores"][0]
print(s["url"].endswith("/0"), s["ok"], [r["permitted"] for r in s["results"]], d["ok"])')" \
	"True False [True, True, False, True] False"

# a user without SET: the lease is refused, which is a failing store (one
# line, this machine's own login), not a lease held by someone else to
# wait out
AP3=$(free_port)
set -f
# shellcheck disable=SC2086
start_redis acl3 "$AP3" --user default off --user tokenshim on '>fleet-Pa55' '~tokenshim:*' -@all +ping +role +get +del +eval +pexpire
set +f
sed "s/127.0.0.1:$AP/127.0.0.1:$AP3/" "$T/acl.conf" >"$T/acl3.conf"
printf 'timeout = 2\n' >>"$T/acl3.conf"
chmod 600 "$T/acl3.conf"
rm -rf "$T/machine"
logins=$(counter $P logins)
t0=$(now_ms)
out=$(on 1 "$TS" -c "$T/acl3.conf" exec -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' \
	"http://localhost:$P/ServicesAPI/API/V1/acl3" 2>"$T/acl3.err")
t1=$(now_ms)
expect_eq "the lease refused by the ACL: the call is answered" "$out" 200
expect_eq "through a local login" "$(counter $P logins)" $((logins + 1))
if [ $((t1 - t0)) -lt 2000 ]; then ok "without waiting for a lease ($((t1 - t0)) ms)"
else not_ok "without waiting for a lease" "took $((t1 - t0)) ms"; fi
expect_match "one line says the store refused, in its own words" "$(cat "$T/acl3.err")" \
	"^tokenshim: store redis://tokenshim@127.0.0.1:$AP3/0: .*NOPERM.*; skipping it for 30 s$"

acl_conf "$T/wrong.pw"
rm -rf "$T/machine"
logins=$(counter $P logins)
out=$(on 1 "$TS" exec -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' \
	"http://localhost:$P/ServicesAPI/API/V1/acl" 2>"$T/wrong.err")
expect_eq "a wrong store password: the call still succeeds" "$out" 200
expect_eq "through a local login" "$(counter $P logins)" $((logins + 1))
expect_eq "one line on stderr says the store refused" \
	"$(grep -c "store redis://tokenshim@127.0.0.1:$AP/0: authentication refused" "$T/wrong.err")" 1
expect_eq "the password is never printed" "$(grep -c 'Pa55' "$T/wrong.err")" 0

# ---- config errors -------------------------------------------------------
printf '[defaults]\nstore = redis://u:pw@127.0.0.1:1/0\n\n' >"$T/bad.conf"
nb_profile nb "http://localhost:$P/ServicesAPI/*" >>"$T/bad.conf"
chmod 600 "$T/bad.conf"
out=$("$TS" -c "$T/bad.conf" check 2>&1)
expect_match "a password in the store URL is an error, naming the line" "$out" \
	'bad.conf:2: \[defaults\]: store: no password in the URL'
expect_nomatch "and not shown" "$out" 'u:pw'
printf '[profile nb]\nstore = redis://127.0.0.1:1/0\n' >"$T/nokey.conf"
nb_profile x "http://localhost:$P/x/*" | sed 1d >>"$T/nokey.conf"
chmod 600 "$T/nokey.conf"
out=$("$TS" -c "$T/nokey.conf" check 2>&1)
expect_match "a store without a fleet key is an error" "$out" \
	'nokey.conf:2: profile nb: store needs the fleet key'

finish
