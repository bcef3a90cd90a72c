#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# fleet_ha.sh: a fleet's store when things go wrong, and its other forms.
#   - Redis killed mid-run and restarted empty: no call lost, and the
#     fleet converges on one login again;
#   - Redis paused (CLIENT PAUSE) longer than store_timeout: bounded waits;
#   - the lease holder SIGKILLed mid-login: another machine has a token
#     within 2 x timeout + 2 s and its login;
#   - rediss:// with a test CA, and with the wrong CA;
#   - a Sentinel failover (1 primary, 1 replica, 3 sentinels): at most one
#     extra login.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || {
	echo "fleet_ha.sh: redis-server is missing (./bootstrap installs it)"; exit 1; }

"$TS" keygen >"$T/fleet.key"
chmod 600 "$T/fleet.key"
start_server nb
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API/V1"

# config URL [LINES...]: the NetBrain profile, its store at URL.
config() {
	url=$1
	shift
	{ printf '[defaults]\nstore = %s\nstore_key_file = %s\n' "$url" "$T/fleet.key"
	  for l in "$@"; do printf '%s\n' "$l"; done
	  echo
	  nb_profile nb "http://localhost:$P/ServicesAPI/*"; } | conf "$T/c.conf"
	export TOKENSHIM_CONFIG="$T/c.conf"
}

# call M PATH: one curl as machine M; prints the HTTP status.
call() {
	on "$1" env ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$TS" exec -- \
		"$CURL_BIN" -s -o /dev/null -w '%{http_code}\n' "$API/$2"
}

# round FIRST LAST PATH: one call from each machine FIRST..LAST; prints
# how many did not answer 200.
round() {
	i=$1
	while [ "$i" -le "$2" ]; do
		call "$i" "$3"
		i=$((i + 1))
	done 2>>"$T/round.err" | grep -vc '^200$'
}

# ---- killed, then restarted empty --------------------------------------
KP=$(free_port)
start_redis kr "$KP"
config "redis://127.0.0.1:$KP/0"
l0=$(counter $P logins)
expect_eq "4 machines, store up: every call answered" "$(round 1 4 up)" 0
expect_eq "one login" "$(counter $P logins)" $((l0 + 1))
kill -9 "$kr_PID"
sleep 0.2
expect_eq "store killed: the 4 machines' calls are all answered" "$(round 1 4 down)" 0
expect_eq "from their local caches, without a login" "$(counter $P logins)" $((l0 + 1))
expect_eq "2 new machines during the outage: answered too" "$(round 5 6 down)" 0
expect_eq "each logging in on its own" "$(counter $P logins)" $((l0 + 3))
start_redis kr "$KP"
expect_eq "store back, empty: 4 new machines are answered" "$(round 7 10 back)" 0
expect_eq "through one login for all four: the fleet converged" \
	"$(counter $P logins)" $((l0 + 4))
expect_eq "and the machines from before still work" "$(round 1 6 after)" 0

# ---- paused longer than store_timeout ----------------------------------
rm -rf "$T/machine"
config "redis://127.0.0.1:$KP/0" "store_timeout = 400"
expect_eq "a machine before the pause" "$(round 1 1 before-pause)" 0
rcli "$KP" CLIENT PAUSE 4000 ALL >/dev/null
t0=$(now_ms)
st=$(call 2 paused 2>/dev/null)
t1=$(now_ms)
expect_eq "store paused: a new machine's call is answered" "$st" 200
if [ $((t1 - t0)) -lt 1600 ]; then ok "after store_timeout and a login ($((t1 - t0)) ms)"
else not_ok "after store_timeout and a login" "took $((t1 - t0)) ms"; fi
t0=$(now_ms)
st=$(call 1 paused)
t1=$(now_ms)
expect_eq "a machine with a local token is answered" "$st" 200
if [ $((t1 - t0)) -lt 400 ]; then ok "without waiting for the store ($((t1 - t0)) ms)"
else not_ok "without waiting for the store" "took $((t1 - t0)) ms"; fi
rcli "$KP" CLIENT UNPAUSE >/dev/null

# ---- the lease holder killed mid-login ---------------------------------
start_server slow --login-delay 2
P=$slow_PORT
API="http://localhost:$P/ServicesAPI/API/V1"
rm -rf "$T/machine"
rcli "$KP" FLUSHALL >/dev/null
config "redis://127.0.0.1:$KP/0"
printf 'timeout = 3\n' >>"$T/c.conf"
on 1 "$TS" exec -- "$CURL_BIN" -s -o /dev/null "$API/holder" &
holder=$!
i=0
until [ -n "$(rcli "$KP" --scan --pattern 'tokenshim:l:*')" ] || [ $i -gt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect_match "machine 1 holds the fleet's lease while it logs in" \
	"$(rcli "$KP" --scan --pattern 'tokenshim:l:*')" '^tokenshim:l:[0-9a-f]{64}$'
# the curl that tokenshim exec became, whatever shell is between
pkill -9 -f "$API/holder"
wait "$holder" 2>/dev/null
t0=$(now_ms)
st=$(call 2 after-kill)
t1=$(now_ms)
expect_eq "machine 1 killed mid-login: machine 2 gets a token" "$st" 200
# 2 x timeout + 2 s, and machine 2's own login of 2 s
if [ $((t1 - t0)) -le 10000 ]; then ok "within 2 x timeout + 2 s and the login ($((t1 - t0)) ms)"
else not_ok "within 2 x timeout + 2 s and the login" "took $((t1 - t0)) ms"; fi
expect_eq "the dead holder's lease is gone" "$(rcli "$KP" --scan --pattern 'tokenshim:l:*')" ""
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API/V1"

# ---- rediss:// ------------------------------------------------------------
cd "$T" || exit 99
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj /CN=fleet-test-ca >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
	-subj /CN=localhost >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-out srv.pem -days 2 -extfile san.ext >/dev/null 2>&1
cd - >/dev/null || exit 99
TP=$(free_port)
start_redis tls 0 --tls-port "$TP" --tls-cert-file "$T/srv.pem" \
	--tls-key-file "$T/srv.key" --tls-ca-cert-file "$T/ca.pem" --tls-auth-clients no
rm -rf "$T/machine"
config "rediss://localhost:$TP/0" "store_ca_file = $T/ca.pem"
l0=$(counter $P logins)
expect_eq "rediss:// with the test CA: 3 machines answered" "$(round 1 3 tls)" 0
expect_eq "through one login" "$(counter $P logins)" $((l0 + 1))
expect_match "status sees it" "$(on 1 "$TS" status)" \
	"store: rediss://localhost:$TP/0: reachable, role master"
rm -rf "$T/machine"
config "rediss://localhost:$TP/0"
: >"$T/round.err"
expect_eq "without the test CA: still answered" "$(round 1 1 tls-bad)" 0
expect_match "saying the store's certificate was refused" "$(cat "$T/round.err")" \
	"store rediss://localhost:$TP/0: cannot connect .*store_ca_file"

# ---- a Sentinel failover -------------------------------------------------
M1=$(free_port)
start_redis primary "$M1"
M2=$(free_port)
start_redis replica "$M2" --replicaof 127.0.0.1 "$M1"
S=""
for s in 1 2 3; do
	sp=$(free_port)
	printf 'port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor fleet 127.0.0.1 %s 2\nsentinel down-after-milliseconds fleet 1000\nsentinel failover-timeout fleet 4000\n' \
		"$sp" "$T" "$M1" >"$T/sentinel$s.conf"
	redis-server "$T/sentinel$s.conf" --sentinel >"$T/sentinel$s.log" 2>&1 &
	pids="$pids $!"
	S="$S${S:+,}127.0.0.1:$sp"
	eval "S$s=$sp"
done
i=0
until [ "$(rcli "$S1" SENTINEL get-master-addr-by-name fleet 2>/dev/null | tail -1)" = "$M1" ] &&
	[ "$(rcli "$S1" SENTINEL sentinels fleet 2>/dev/null | grep -c '^name$')" -ge 2 ] &&
	rcli "$M2" INFO replication | grep -q 'master_link_status:up'; do
	i=$((i + 1))
	[ $i -gt 200 ] && { not_ok "the sentinels came up"; break; }
	sleep 0.1
done
rm -rf "$T/machine"
config "redis-sentinel://$S/fleet"
l0=$(counter $P logins)
expect_eq "through the sentinels: 3 machines answered" "$(round 1 3 sentinel)" 0
expect_eq "one login" "$(counter $P logins)" $((l0 + 1))
i=0
until [ "$(rcli "$M2" DBSIZE)" -ge 1 ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
rcli "$S1" SENTINEL failover fleet >/dev/null
i=0
until [ "$(rcli "$S1" SENTINEL get-master-addr-by-name fleet | tail -1)" = "$M2" ] &&
	rcli "$M2" ROLE | head -1 | grep -q master; do
	i=$((i + 1))
	[ $i -gt 300 ] && { not_ok "the failover happened"; break; }
	sleep 0.1
done
expect_eq "after the failover the sentinels name the replica" \
	"$(rcli "$S1" SENTINEL get-master-addr-by-name fleet | tail -1)" "$M2"
expect_eq "3 new machines answered" "$(round 4 6 failover)" 0
expect_eq "and the machines from before" "$(round 1 3 failover2)" 0
extra=$(($(counter $P logins) - l0 - 1))
if [ "$extra" -le 1 ]; then ok "at most one extra login ($extra)"
else not_ok "at most one extra login" "extra logins: $extra"; fi
expect_match "status names the new primary" "$(on 4 "$TS" status)" \
	"store: redis-sentinel://.*: reachable, role master, .*primary 127.0.0.1:$M2"

finish
