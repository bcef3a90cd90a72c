#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# cache_vendors.sh: the shared cache with the vendors whose rules make it
# matter: Control Room (a new login kills the user's older token), Resolve
# (rotating refresh tokens), renewal ahead of expiry, and Aria Operations'
# sliding validity, all across separate processes.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

KEY='Vie;Z:IvtAhY0\1RAD[SWl{NU7baRLYEeIYUJSKO'
start_server v --user jdoe:pw --api-key "jdoe:$KEY" --expires-in 6
P=$v_PORT
start_server vr --user admin:s3cret --expires-in 4
conf "$T/c.conf" <<CONF
[profile cr]
provider = automation-anywhere
match = http://localhost:$P/v1/*
url = http://localhost:$P
username = jdoe
password = pw

[profile rs]
provider = resolve
match = http://localhost:$P/api/*
url = http://localhost:$P
username = jdoe
password = pw
refresh_ahead = 3

[profile ops]
provider = vrops
match = http://localhost:$vr_PORT/suite-api/api/*
url = http://localhost:$vr_PORT/suite-api
username = admin
password = s3cret
CONF
get() { tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}\n' "$@"; }

# --- Control Room: 8 workers x 3 requests, every one succeeds
w=0
jobs=""
while [ $w -lt 8 ]; do
	( for r in 1 2 3; do get "http://localhost:$P/v1/devices/list?w=$w&r=$r"; done ) >"$T/aa.$w" &
	jobs="$jobs $!"
	w=$((w + 1))
done
wait $jobs
expect_eq "8 workers x 3 Control Room requests: 24 answers" "$(cat "$T"/aa.* | wc -l)" 24
expect_eq "every one 200" "$(cat "$T"/aa.* | sort -u)" 200
expect_eq "one login, so no worker's token was killed" "$(counter $P logins)" 1

# --- Resolve: 16 processes renew at once with a rotating refresh token
get "http://localhost:$P/api/v2/users/loggedIn/detail?rot=0" >/dev/null
sleep 4.2		# now within refresh_ahead (capped at 2 s) of the end
i=0
jobs=""
while [ $i -lt 16 ]; do get "http://localhost:$P/api/v2/users/loggedIn/detail?rot=$i" >"$T/rot.$i" & jobs="$jobs $!"; i=$((i + 1)); done
wait $jobs
expect_eq "16 concurrent renewals: every request succeeds" "$(cat "$T"/rot.* | sort -u)" 200
expect_eq "exactly one refresh" "$(counter $P refreshes)" 1
expect_eq "and no second password login" "$(counter $P logins)" 2

# --- a 6 s token renewed 3 s ahead, used every second for 12 s: no 401
rejected=$(counter $P rejected)
i=0
while [ $i -lt 12 ]; do
	get "http://localhost:$P/api/v2/users/loggedIn/detail?tick=$i" >>"$T/tick"
	sleep 1
	i=$((i + 1))
done
expect_eq "12 s of use across token ends: all 200" "$(sort -u "$T/tick")" 200
expect_eq "zero 401s reached the server" "$(counter $P rejected)" "$rejected"

# --- Aria Operations, 4 s sliding validity, a process every 1.5 s: 1 login
i=0
while [ $i -lt 6 ]; do
	tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}\n' \
		"http://localhost:$vr_PORT/suite-api/api/resources?s=$i" >>"$T/slide"
	sleep 1.5
	i=$((i + 1))
done
expect_eq "sliding: every use succeeded" "$(sort -u "$T/slide")" 200
expect_eq "sliding: one login across six processes and 9 s" "$(counter $vr_PORT logins)" 1

finish
