#!/bin/sh
# demo.sh: README quick start, step 1. Starts the bundled NetBrain test
# server, writes a profile for it, and runs the unmodified system curl
# through `tokenshim exec`: two API calls in one process, then a second
# process, showing what the server received and how many logins it took.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# built files (a VPATH build keeps them apart from the sources)
top=${top_builddir:-$top}
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tokenshim-demo.XXXXXX")
rsrv=""
trap 'kill $srv $rsrv 2>/dev/null; rm -rf "$T"' EXIT

export TOKENSHIM_LIBRARY="$top/.libs/libtokenshim.so"
TOKENSHIM_PROVIDER_PATH=""
for d in "$top"/plugin/*/.libs; do
	TOKENSHIM_PROVIDER_PATH="$TOKENSHIM_PROVIDER_PATH${TOKENSHIM_PROVIDER_PATH:+:}$d"
done
export TOKENSHIM_PROVIDER_PATH
# a cache of the demo's own, so that it starts from no token at all
export TOKENSHIM_CACHE_DIR="$T/cache" TOKENSHIM_CACHE_KEY_FILE="$T/cache.key"

KEY='Vie;Z:IvtAhY0\1RAD[SWl{NU7baRLYEeIYUJSKO'
"$PY" "$src/tests/servers/vendors.py" --port-file "$T/port" \
	--user demo:demo-password --api-key "demo:$KEY" --tenant T1 --domain D1 &
srv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "demo: the test server did not start" >&2; exit 1; }
P=$(cat "$T/port")
H="http://localhost:$P"
API="$H/ServicesAPI/API"

umask 077
printf '%s\n' "$KEY" >"$T/cr.key"; chmod 600 "$T/cr.key"
cat >"$T/tokenshim.conf" <<CONF
[defaults]
timeout = 10

[profile nb]
provider = netbrain
match = $H/ServicesAPI/*
url = $API
username = demo
password_env = DEMO_PASSWORD
tenant_id = T1
domain_id = D1

[profile nb-portal]
provider = netbrain-portal
match = $H/portal/*
session = nb

[profile resolve]
provider = resolve
match = $H/api/*
url = $H
username = demo
password_env = DEMO_PASSWORD

[profile controlroom]
provider = automation-anywhere
match = $H/v1/*
url = $H
username = demo
api_key_file = $T/cr.key

[profile idscan-upload]
provider = idscan
match = $H/idscanenterprisesvc/journey/upload*
url = $H/idscanenterprisesvc
username = demo
password_env = DEMO_PASSWORD
area = scanning

[profile idscan]
provider = idscan
match = $H/idscanenterprisesvc/*
url = $H/idscanenterprisesvc
username = demo
password_env = DEMO_PASSWORD
area = investigation

[profile aria]
provider = vrops
match = $H/suite-api/api/*
url = $H/suite-api
username = demo
password_env = DEMO_PASSWORD
CONF
export DEMO_PASSWORD=demo-password

stats() {
	curl -s "http://127.0.0.1:$P/_ts/stats" |
		"$PY" -c 'import json,sys; s=json.load(sys.stdin); print("%d login(s), %d NetBrain domain change(s), %d portal ticket(s)" % (s["logins"], s["domain_changes"], s["tickets"]))'
}

echo "== config: $T/tokenshim.conf (one profile per vendor API)"
grep -E '^\[profile|^provider' "$T/tokenshim.conf" | paste - - | sed 's/^/   /'
echo
echo "== tokenshim match $API/V1/CMDB/Devices"
"$top/tokenshim" -c "$T/tokenshim.conf" match "$API/V1/CMDB/Devices"
echo
echo "== tokenshim exec -- curl, one process, every vendor side by side"
set --
for u in "$API/V1/CMDB/Devices" "$API/V1/CMDB/Devices?page=2" \
	"$H/portal/i/10017G" "$H/api/v2/users/loggedIn/detail" \
	"$H/v1/devices/list" "$H/idscanenterprisesvc/journey/upload" \
	"$H/idscanenterprisesvc/JourneyDefinition/GetAll" \
	"$H/suite-api/api/resources"; do
	set -- "$@" -o /dev/null "$u"
done
"$top/tokenshim" exec -c "$T/tokenshim.conf" -- curl -sS \
	-w '  HTTP %{http_code}  %{url_effective}\n' "$@" || exit 1
echo "server: $(stats)"
echo "  (one login per vendor and area; the second NetBrain call and the"
echo "   portal ticket reused the NetBrain session)"
echo
echo "== three more curl processes: their tokens come from the shared cache"
for n in 1 2 3; do
	# -w speaks once per URL: one line per process, two codes on it
	codes=$("$top/tokenshim" exec -c "$T/tokenshim.conf" -- curl -sS -o /dev/null \
		-w "%{http_code} " "$API/V1/CMDB/Devices" \
		-o /dev/null "$H/suite-api/api/resources") || exit 1
	echo "  process $n: HTTP $codes(NetBrain, Aria Operations)"
done
echo "server: $(stats)"
echo
echo "== curl -Z: 16 NetBrain pages in parallel, after the server forgot every token"
curl -s -X POST "http://127.0.0.1:$P/_ts/expire" >/dev/null
"$top/tokenshim" exec -c "$T/tokenshim.conf" -- curl -sS -Z --no-progress-meter \
	"$API/V1/CMDB/Devices?page=[1-16]" -o /dev/null -w '%{http_code}\n' |
	sort | uniq -c | sed 's/^ */  /; s/ \([0-9]*\)$/ x HTTP \1/'
echo "server: $(stats)"
echo "  (each refused token was replaced and its request sent again, unseen"
echo "   by curl: one more NetBrain login for all 16)"
echo
echo "== tokenshim status"
"$top/tokenshim" -c "$T/tokenshim.conf" status
echo
echo "== the same NetBrain call without tokenshim"
curl -sS -w '  -> HTTP %{http_code}\n' "$API/V1/CMDB/Devices"
echo
echo "== a fleet: two machines, each with its own cache, share one login through redis-server"
RP=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/redis"
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$T/redis" >"$T/redis.log" 2>&1 &
rsrv=$!
i=0
until grep -q 'Ready to accept' "$T/redis.log" 2>/dev/null || [ $i -gt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
"$top/tokenshim" keygen >"$T/fleet.key"
chmod 600 "$T/fleet.key"
cat >"$T/fleet.conf" <<CONF
[defaults]
store = redis://127.0.0.1:$RP/0
store_key_file = $T/fleet.key

# Control Room: a new login kills the user's other token, so two machines
# logging in on their own would knock each other out
[profile cr]
provider = automation-anywhere
match = $H/v1/devices/*
url = $H
username = demo
password_env = DEMO_PASSWORD
CONF
chmod 600 "$T/fleet.conf"
l0=$(curl -s "http://127.0.0.1:$P/_ts/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["logins"])')
for m in A B A B; do
	code=$(TOKENSHIM_CACHE_DIR="$T/machine$m/cache" TOKENSHIM_CACHE_KEY_FILE="$T/machine$m/cache.key" \
		"$top/tokenshim" exec -c "$T/fleet.conf" -- curl -sS -o /dev/null -w '%{http_code}' \
		-X POST "$H/v1/devices/list")
	echo "  machine $m: HTTP $code"
done
l1=$(curl -s "http://127.0.0.1:$P/_ts/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["logins"])')
echo "server: $((l1 - l0)) Control Room login(s) for both machines"
TOKENSHIM_CACHE_DIR="$T/machineB/cache" TOKENSHIM_CACHE_KEY_FILE="$T/machineB/cache.key" \
	"$top/tokenshim" -c "$T/fleet.conf" status | sed 's/^/  /'
echo

echo "== a wrong password (with an empty cache, so that a login happens)"
DEMO_PASSWORD=nope TOKENSHIM_CACHE_DIR="$T/cache2" \
	"$top/tokenshim" exec -c "$T/tokenshim.conf" -- \
	curl -sS "$API/V1/CMDB/Devices" 2>&1
echo "  -> curl exit code $?"
echo
echo "demo: done. See tokenshim(1), tokenshim.conf(5) and tokenshim-<provider>(7)."
