#!/bin/sh
# demo.sh: README quick start, step 1. Starts the bundled NetBrain test
# server, writes a profile for it, and runs the unmodified system curl
# through `tokenshim exec`: two API calls in one process, then a second
# process, showing what the server received and how many logins it took.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T=$(mktemp -d "${TMPDIR:-/tmp}/tokenshim-demo.XXXXXX")
trap 'kill $srv 2>/dev/null; rm -rf "$T"' EXIT

export TOKENSHIM_LIBRARY="$top/.libs/libtokenshim.so"
TOKENSHIM_PROVIDER_PATH=""
for d in "$top"/plugin/*/.libs; do
	TOKENSHIM_PROVIDER_PATH="$TOKENSHIM_PROVIDER_PATH${TOKENSHIM_PROVIDER_PATH:+:}$d"
done
export TOKENSHIM_PROVIDER_PATH

"$PY" "$top/tests/servers/vendors.py" --port-file "$T/port" \
	--user demo:demo-password --tenant T1 --domain D1 &
srv=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "demo: the test server did not start" >&2; exit 1; }
P=$(cat "$T/port")
API="http://localhost:$P/ServicesAPI/API"

umask 077
cat >"$T/tokenshim.conf" <<CONF
[profile nb]
provider = netbrain
match = http://localhost:$P/ServicesAPI/*
url = $API
username = demo
password_env = NB_PASSWORD
tenant_id = T1
domain_id = D1
CONF
export NB_PASSWORD=demo-password

stats() {
	curl -s "http://127.0.0.1:$P/_ts/stats" |
		"$PY" -c 'import json,sys; s=json.load(sys.stdin); print("%d login(s), %d domain change(s)" % (s["logins"], s["domain_changes"]))'
}

echo "== config ($T/tokenshim.conf)"
cat "$T/tokenshim.conf"
echo
echo "== tokenshim match $API/V1/CMDB/Devices"
"$top/tokenshim" -c "$T/tokenshim.conf" match "$API/V1/CMDB/Devices"
echo
echo "== tokenshim exec -- curl (two CMDB calls in one process)"
"$top/tokenshim" exec -c "$T/tokenshim.conf" -- curl -sS -w '  -> HTTP %{http_code}\n' \
	"$API/V1/CMDB/Devices" "$API/V1/CMDB/Devices?page=2" || exit 1
echo "server: $(stats)"
echo
echo "== the same curl without tokenshim"
curl -sS -w '  -> HTTP %{http_code}\n' "$API/V1/CMDB/Devices"
echo
echo "== a wrong password"
NB_PASSWORD=nope "$top/tokenshim" exec -c "$T/tokenshim.conf" -- \
	curl -sS "$API/V1/CMDB/Devices" 2>&1
echo "  -> curl exit code $?"
echo
echo "demo: done. Each curl process logs in once and reuses the token for"
echo "every request it makes; see tokenshim(1) and tokenshim.conf(5)."
