#!/bin/sh
# run.sh: `make bench`. Measures what tokenshim costs against what users
# would do instead, each figure a ratio to a baseline measured in the same
# run (medians of repeated runs), and writes tests/bench/RESULTS.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
B="$top_builddir/tests/bench"
PY=/usr/bin/python3
TS="$top_builddir/tokenshim"
export TOKENSHIM_LIBRARY="$top_builddir/.libs/libtokenshim.so"
TOKENSHIM_PROVIDER_PATH=""
for d in "$top_builddir"/plugin/*/.libs; do
	TOKENSHIM_PROVIDER_PATH="$TOKENSHIM_PROVIDER_PATH${TOKENSHIM_PROVIDER_PATH:+:}$d"
done
export TOKENSHIM_PROVIDER_PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/tokenshim-bench.XXXXXX")
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" TOKENSHIM_CACHE_DIR="$T/cache"
unset XDG_RUNTIME_DIR TOKENSHIM_DEBUG LD_PRELOAD
mkdir -p "$HOME"
pids=""
# shellcheck disable=SC2154 # p is the trap's own loop variable
trap 'for p in $pids; do kill $p 2>/dev/null; done; [ -f "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null; rm -rf "$T"' EXIT
N=${BENCH_N:-20000}
R=${BENCH_RUNS:-5}

wait_port() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; cat "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
now_ns() { date +%s%N; }

"$B/server" "$T/b.port" & pids="$pids $!"
BP=$(wait_port "$T/b.port")
"$PY" "$top_srcdir/tests/servers/vendors.py" --port-file "$T/nb.port" --user bench:pw & pids="$pids $!"
NP=$(wait_port "$T/nb.port")
umask 077
cat >"$T/bench.conf" <<CONF
[profile bench]
provider = netbrain
match = http://127.0.0.1:$BP/api/*
url = http://127.0.0.1:$NP/ServicesAPI/API
username = bench
password = pw
CONF
export TOKENSHIM_CONFIG="$T/bench.conf"
TOKEN=$("$TS" token bench)	# warms the shared cache
MATCHED="http://127.0.0.1:$BP/api/x"
# same host and port, so that a and c differ only in what tokenshim does
UNMATCHED="http://127.0.0.1:$BP/other/x"
run_a() { "$B/host" "$MATCHED" "$1" "$TOKEN" | awk '/ns_per/ {print $2}'; }
run_b() { "$TS" exec -- "$B/host" "$MATCHED" "$1" | awk '/ns_per/ {print $2}'; }
run_c() { "$TS" exec -- "$B/host" "$UNMATCHED" "$1" | awk '/ns_per/ {print $2}'; }

echo "bench: 1. per-request overhead ($N requests x $R runs)" >&2
: >"$T/a"; : >"$T/b"; : >"$T/c"
r=0
while [ $r -lt "$R" ]; do
	run_a "$N" >>"$T/a"; run_b "$N" >>"$T/b"; run_c "$N" >>"$T/c"
	r=$((r + 1))
done
A=$(median <"$T/a"); Bn=$(median <"$T/b"); C=$(median <"$T/c")

echo "bench: 1b. instructions (callgrind)" >&2
instr() {	# instr MODE N -> total instructions of one host run
	out="$T/cg.$1.$2"
	case $1 in
	a) valgrind --tool=callgrind --callgrind-out-file="$out" "$B/host" "$MATCHED" "$2" "$TOKEN" >/dev/null 2>"$out.log" ;;
	b) "$TS" exec -- valgrind --tool=callgrind --callgrind-out-file="$out" "$B/host" "$MATCHED" "$2" >/dev/null 2>"$out.log" ;;
	c) "$TS" exec -- valgrind --tool=callgrind --callgrind-out-file="$out" "$B/host" "$UNMATCHED" "$2" >/dev/null 2>"$out.log" ;;
	z) valgrind --tool=callgrind --callgrind-out-file="$out" "$B/host" "$UNMATCHED" "$2" >/dev/null 2>"$out.log" ;;
	esac
	awk '/^summary:/ {print $2}' "$out"
}
# The marginal cost of a request: (I(N2) - I(N1)) / (N2 - N1), which
# cancels start-up. libcurl's own loop runs a varying number of times
# depending on when the answer arrives, so each figure is a median of 3.
N1=200; N2=1200
per() {
	k=0
	while [ $k -lt 3 ]; do
		echo $(( ($(instr "$1" $N2) - $(instr "$1" $N1)) / (N2 - N1) ))
		k=$((k + 1))
	done | median
}
# c's baseline is the same request without tokenshim: no header at all
IA=$(per a); IB=$(per b); IC=$(per c); IZ=$(per z)

echo "bench: 2. process start-up (50 runs each)" >&2
: >"$T/s.plain"; : >"$T/s.ts"
i=0
while [ $i -lt 50 ]; do
	t0=$(now_ns); curl -s -o /dev/null -H "token: $TOKEN" "$MATCHED"; t1=$(now_ns)
	echo $((t1 - t0)) >>"$T/s.plain"
	t0=$(now_ns); "$TS" exec -- curl -s -o /dev/null "$MATCHED"; t1=$(now_ns)
	echo $((t1 - t0)) >>"$T/s.ts"
	i=$((i + 1))
done
SP=$(median <"$T/s.plain"); ST=$(median <"$T/s.ts")
cgrun() { awk '/^summary:/ {print $2}' "$1"; }
valgrind --tool=callgrind --callgrind-out-file="$T/cg.sp" curl -s -o /dev/null -H "token: $TOKEN" "$MATCHED" 2>/dev/null
"$TS" exec -- valgrind --tool=callgrind --callgrind-out-file="$T/cg.st" curl -s -o /dev/null "$MATCHED" 2>/dev/null
SI=$(( $(cgrun "$T/cg.st") - $(cgrun "$T/cg.sp") ))

echo "bench: 3. logins under load" >&2
"$PY" "$top_srcdir/tests/servers/vendors.py" --port-file "$T/slow.port" --user bench:pw --login-delay 0.2 & pids="$pids $!"
SL=$(wait_port "$T/slow.port")
SAPI="http://127.0.0.1:$SL/ServicesAPI/API"
cat >"$T/slow.conf" <<CONF
[profile slow]
provider = netbrain
match = http://127.0.0.1:$SL/ServicesAPI/*
url = $SAPI
username = bench
password = pw
CONF
urls() { k=0; while [ $k -lt 10 ]; do printf -- '-o /dev/null %s/V1/Other?r=%s ' "$SAPI" $k; k=$((k + 1)); done; }
U=$(urls)
naive() {	# what the vendors' sample scripts do: log in, then call
	tok=$(curl -s -X POST -H 'Content-Type: application/json' \
		-d '{"username":"bench","password":"pw"}' "$SAPI/V1/Session" |
		sed -n 's/.*"token": "\([^"]*\)".*/\1/p')
	curl -s -H "token: $tok" $U
}
logins() { curl -s "http://127.0.0.1:$SL/_ts/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["logins"])'; }
LOAD=""
for P in 1 8 32 128; do
	export TOKENSHIM_CACHE_DIR="$T/cache.$P" TOKENSHIM_CONFIG="$T/slow.conf"
	l0=$(logins); t0=$(now_ns); jobs=""
	i=0; while [ $i -lt $P ]; do "$TS" exec -- curl -s $U & jobs="$jobs $!"; i=$((i + 1)); done
	wait $jobs; t1=$(now_ns); l1=$(logins)
	tt=$((t1 - t0))
	n0=$(logins); t0=$(now_ns); jobs=""
	i=0; while [ $i -lt $P ]; do naive & jobs="$jobs $!"; i=$((i + 1)); done
	wait $jobs; t1=$(now_ns); n1=$(logins)
	tn=$((t1 - t0))
	LOAD="$LOAD$P $((l1 - l0)) $tt $((n1 - n0)) $tn
"
done
export TOKENSHIM_CONFIG="$T/bench.conf" TOKENSHIM_CACHE_DIR="$T/cache"

echo "bench: 6. fleets: a redis-server store" >&2
FLEET=""
if command -v redis-server >/dev/null 2>&1; then
	RP=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$T/redis"
	redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$T/redis" >"$T/redis.log" 2>&1 & pids="$pids $!"
	i=0; until grep -q 'Ready to accept' "$T/redis.log" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
	"$TS" keygen >"$T/fleet.key"
	{ printf '[defaults]\nstore = redis://127.0.0.1:%s/0\nstore_key_file = %s\n\n' "$RP" "$T/fleet.key"
	  cat "$T/slow.conf"; } >"$T/fleet.conf"
	export TOKENSHIM_CONFIG="$T/fleet.conf"
	# a machine's local cache lives in $XDG_RUNTIME_DIR, a tmpfs, as it
	# does on a desktop or server with systemd: its write costs no disk
	SHM=$(mktemp -d /dev/shm/tokenshim-bench.XXXXXX 2>/dev/null || mktemp -d "$T/shm.XXXXXX")
	TOKENSHIM_CACHE_DIR="$SHM/warm" "$TS" token slow >/dev/null
	gets() { redis-cli -p "$RP" INFO commandstats | sed -n 's/^cmdstat_get:calls=\([0-9]*\),.*/\1/p'; }
	: >"$T/f.hit"; : >"$T/f.miss"
	g0=$(gets)
	i=0
	while [ $i -lt 11 ]; do
		t0=$(now_ns); TOKENSHIM_CACHE_DIR="$SHM/warm" "$TS" exec -- curl -s -o /dev/null "$SAPI/V1/Other"; t1=$(now_ns)
		echo $((t1 - t0)) >>"$T/f.hit"
		rm -rf "$SHM/m$i"
		t0=$(now_ns); TOKENSHIM_CACHE_DIR="$SHM/m$i" "$TS" exec -- curl -s -o /dev/null "$SAPI/V1/Other"; t1=$(now_ns)
		echo $((t1 - t0)) >>"$T/f.miss"
		i=$((i + 1))
	done
	g1=$(gets)
	FH=$(median <"$T/f.hit"); FM=$(median <"$T/f.miss")
	FX=$(awk -v a="$FM" -v b="$FH" 'BEGIN {printf "%.3f", (a - b) / 1e6}')
	FG=$(( (g1 - g0) / 11 ))
	FRTT=$(TOKENSHIM_CACHE_DIR="$SHM/warm" "$TS" status | sed -n 's/.*round trip \([0-9.]*\) ms.*/\1/p')
	FLOG=""
	for P in 1 8 32 128; do
		redis-cli -p "$RP" FLUSHALL >/dev/null
		l0=$(logins); jobs=""
		i=0; while [ $i -lt $P ]; do TOKENSHIM_CACHE_DIR="$SHM/p$P" "$TS" exec -- curl -s $U & jobs="$jobs $!"; i=$((i + 1)); done
		wait $jobs; l1=$(logins)
		FLOG="$FLOG$P $((l1 - l0))
"
	done
	redis-cli -p "$RP" FLUSHALL >/dev/null
	l0=$(logins); jobs=""
	for m in 1 2 3 4 5 6 7 8; do
		i=0; while [ $i -lt 4 ]; do
			HOME="$T/machine$m" XDG_CONFIG_HOME="$T/machine$m/.config" TOKENSHIM_CACHE_DIR="$SHM/machine$m" \
				"$TS" exec -- curl -s $U & jobs="$jobs $!"
			i=$((i + 1))
		done
	done
	wait $jobs; l1=$(logins)
	FM8=$((l1 - l0))
	rm -rf "$SHM"
	FLEET=1
	export TOKENSHIM_CONFIG="$T/bench.conf" TOKENSHIM_CACHE_DIR="$T/cache"
fi

echo "bench: 4. against a header-injecting nginx" >&2
NG=""
if ! command -v nginx >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1
fi
if command -v nginx >/dev/null 2>&1; then
	mkdir -p "$T/ng"
	cat >"$T/ng/nginx.conf" <<NGX
worker_processes 1;
pid $T/nginx.pid;
error_log $T/ng/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $T/ng; proxy_temp_path $T/ng;
	fastcgi_temp_path $T/ng; uwsgi_temp_path $T/ng; scgi_temp_path $T/ng;
	upstream api { server 127.0.0.1:$BP; keepalive 16; }
	server {
		listen 127.0.0.1:0;
		location / {
			proxy_pass http://api;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header token "$TOKEN";
		}
	}
}
NGX
	NGP=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed -i "s/listen 127.0.0.1:0;/listen 127.0.0.1:$NGP;/" "$T/ng/nginx.conf"
	nginx -c "$T/ng/nginx.conf" -p "$T/ng" 2>/dev/null
	sleep 0.5
	: >"$T/ngx"; : >"$T/ngb"
	r=0
	while [ $r -lt "$R" ]; do
		"$B/host" "http://127.0.0.1:$NGP/api/x" "$N" | awk '/ns_per/ {print $2}' >>"$T/ngx"
		run_b "$N" >>"$T/ngb"
		r=$((r + 1))
	done
	NGX=$(median <"$T/ngx"); NGB=$(median <"$T/ngb")
	NG="$(ratio "$NGB" "$NGX")"
fi

echo "bench: 5. memory" >&2
: >"$T/m.plain"; : >"$T/m.ts"
i=0
while [ $i -lt 5 ]; do
	/usr/bin/time -f %M -o "$T/m1" curl -s -o /dev/null -H "token: $TOKEN" "$MATCHED"; cat "$T/m1" >>"$T/m.plain"
	"$TS" exec -- /usr/bin/time -f %M -o "$T/m2" curl -s -o /dev/null "$MATCHED"; cat "$T/m2" >>"$T/m.ts"
	i=$((i + 1))
done
MP=$(median <"$T/m.plain"); MT=$(median <"$T/m.ts")
"$TS" exec -- "$B/host" "$MATCHED" 100000 "" 10000 >"$T/heap"
H10=$(awk '$1 == "rss" && $2 == 10000 {print $3}' "$T/heap")
H100=$(awk '$1 == "rss" && $2 == 100000 {print $3}' "$T/heap")
"$B/host" "$MATCHED" 100000 "$TOKEN" 10000 >"$T/heap0"
G10=$(awk '$1 == "rss" && $2 == 10000 {print $3}' "$T/heap0")
G100=$(awk '$1 == "rss" && $2 == 100000 {print $3}' "$T/heap0")

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "le") ? v <= t : v >= t; print ok ? "met" : "MISSED" }'; }
RB=$(ratio "$Bn" "$A"); RC=$(ratio "$C" "$A"); RS=$(ratio "$ST" "$SP")
XB=$((IB - IA)); XC=$((IC - IZ))
{
echo "# tokenshim benchmarks"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)."
echo "libcurl: $(curl --version | head -1)."
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Medians of $R runs; every figure against a baseline measured in the same run."
echo
echo "| # | what | measured | target | |"
echo "|---|---|---|---|---|"
echo "| 1 | matched request, tokenshim vs app's own header (b/a; $A ns baseline) | $RB ($Bn ns) | <= 1.02 | $(verdict "$RB" 1.02 le) |"
echo "| 1 | unmatched request under tokenshim vs no tokenshim (c/a) | $RC ($C ns) | <= 1.005 | $(verdict "$RC" 1.005 le) |"
echo "| 1 | extra instructions per matched request (callgrind) | $XB | <= 5000 | $(verdict "$XB" 5000 le) |"
echo "| 1 | extra instructions per unmatched request (callgrind, vs the same request without tokenshim) | $XC | <= 500 | $(verdict "$XC" 500 le) |"
echo "| 2 | process start-up, \`tokenshim exec -- curl\` vs \`curl -H\` (cached token) | $RS | <= 1.15 | $(verdict "$RS" 1.15 le) |"
echo "| 2 | extra instructions at start-up (config, cache read, unseal) | $SI | | |"
printf '%s' "$LOAD" | while read -r P lt tt ln tn; do
	[ -n "$P" ] || continue
	echo "| 3 | P=$P processes x 10 requests, login 200 ms: logins, tokenshim | $lt | 1 | $( [ "$lt" = 1 ] && echo met || echo MISSED) |"
	r=$(ratio "$tn" "$tt")
	if [ "$P" = 32 ]; then
		echo "| 3 | P=$P: naive wall time / tokenshim wall time ($ln logins naive) | $r | >= 5 | $(verdict "$r" 5 ge) |"
	else
		echo "| 3 | P=$P: naive wall time / tokenshim wall time ($ln logins naive) | $r | | |"
	fi
done
if [ -n "$NG" ]; then
	echo "| 4 | per-request latency, tokenshim vs curl -> nginx (proxy_set_header) -> server | $NG | | |"
else
	echo "| 4 | nginx comparison | not run: nginx not installed | | |"
fi
if [ -n "$FLEET" ]; then
	echo "| 6 | local miss with a store hit: extra wall time over a local hit (\`tokenshim exec -- curl\`, medians of 11: $FH ns hit) | $FX ms | <= 1 ms | $(verdict "$FX" 1 le) |"
	echo "| 6 | store commands per local miss with a store hit (GETs, from INFO commandstats) | $FG | 1 | $( [ "$FG" = 1 ] && echo met || echo MISSED) |"
	echo "| 6 | store round trip on loopback (PING, tokenshim status) | $FRTT ms | | |"
	printf '%s' "$FLOG" | while read -r P l; do
		[ -n "$P" ] || continue
		echo "| 6 | P=$P processes on one machine with a store, login 200 ms: logins | $l | 1 | $( [ "$l" = 1 ] && echo met || echo MISSED) |"
	done
	echo "| 6 | 8 machines x 4 processes at once, each machine its own cache: logins | $FM8 | 1 | $( [ "$FM8" = 1 ] && echo met || echo MISSED) |"
else
	echo "| 6 | fleets | not run: redis-server not installed | | |"
fi
echo "| 5 | peak RSS added to curl by tokenshim | $((MT - MP)) KiB ($MP -> $MT) | | |"
echo "| 5 | RSS growth from request 10,000 to 100,000 in one process, tokenshim | $((H100 - H10)) KiB | flat | $( [ $((H100 - H10)) -le 64 ] && echo met || echo MISSED) |"
echo "| 5 | the same without tokenshim | $((G100 - G10)) KiB | | |"
} >"$T/results"
cat "$T/results"
cp "$T/results" "$top_srcdir/tests/bench/RESULTS.md"
