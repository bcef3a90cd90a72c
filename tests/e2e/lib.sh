# shellcheck shell=sh
# lib.sh: helpers for tokenshim's end-to-end tests. Each test script runs
# unmodified programs under `tokenshim exec` against the vendor test
# servers and asserts on what those servers received.
#
# Sourced by tests/e2e/*.sh; expects top_srcdir and top_builddir (set by
# `make check`, or defaulting to the checkout the script lives in).

set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${CURL_BIN:=/usr/bin/curl}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

TS="$top_builddir/tokenshim"
export TOKENSHIM_LIBRARY="$top_builddir/.libs/libtokenshim.so"
TOKENSHIM_PROVIDER_PATH=""
for d in "$top_builddir"/plugin/*/.libs; do
	TOKENSHIM_PROVIDER_PATH="$TOKENSHIM_PROVIDER_PATH${TOKENSHIM_PROVIDER_PATH:+:}$d"
done
export TOKENSHIM_PROVIDER_PATH
unset TOKENSHIM_CONFIG TOKENSHIM_DEBUG
# In the sanitizer build, leak checking covers tokenshim's own CLI and test
# hosts; the unmodified programs run under tsexec (curl, python, php) keep
# memory until exit by design, so it is off for them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

T=$(mktemp -d "${TMPDIR:-/tmp}/tokenshim-e2e.XXXXXX")
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME"
unset XDG_RUNTIME_DIR TOKENSHIM_CACHE_KEY_FILE
ncache=0

# new_cache: an empty shared token cache from here on, for a case that
# must start without anyone's token.
new_cache() {
	ncache=$((ncache + 1))
	export TOKENSHIM_CACHE_DIR="$T/cache.$ncache"
}
new_cache
pids=""
passed=0
failed=0

cleanup() {
	[ -n "${KEEP_T:-}" ] && { echo "kept $T"; return; }
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	umount "$T/mnt" 2>/dev/null	# cache.sh's small disk, if a case died
	rm -rf "$T"
}
trap cleanup EXIT

# start_server NAME [vendors.py options]: starts a test server and sets
# NAME_PORT. Fails the whole script if it does not come up in 10 s.
start_server() {
	name=$1
	shift
	rm -f "$T/$name.port"
	"$PY" "$top_srcdir/tests/servers/vendors.py" --port-file "$T/$name.port" \
		"$@" >"$T/$name.log" 2>&1 &
	await "$name" $!
}

# start_proxy NAME [proxy.py options]: starts the recording HTTP proxy
# and sets NAME_PORT; what it saw is in $T/NAME.seen, a JSON object a line.
start_proxy() {
	name=$1
	shift
	rm -f "$T/$name.port"
	: >"$T/$name.seen"
	"$PY" "$top_srcdir/tests/servers/proxy.py" --port-file "$T/$name.port" \
		--log "$T/$name.seen" "$@" >"$T/$name.log" 2>&1 &
	await "$name" $!
}

# await NAME PID: waits for the server NAME (process PID) to write its
# port, and sets NAME_PORT.
await() {
	pids="$pids $2"
	i=0
	while [ ! -s "$T/$1.port" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "FATAL: server $1 did not start"; cat "$T/$1.log"
			exit 99
		fi
		sleep 0.1
	done
	eval "${1}_PORT=$(cat "$T/$1.port")"
}

# Helpers below name a test server by PORT (on 127.0.0.1) or HOST:PORT.
addr() {
	case $1 in *:*) echo "$1" ;; *) echo "127.0.0.1:$1" ;; esac
}

# ctl PORT PATH: a control request to a test server (never through
# tokenshim).
ctl() {
	env -u LD_PRELOAD "$CURL_BIN" -sS -X POST "http://$(addr $1)$2" >/dev/null
}

# counter PORT KEY: one counter from the server's /_ts/stats.
counter() {
	env -u LD_PRELOAD "$CURL_BIN" -sS "http://$(addr $1)/_ts/stats" |
		"$PY" -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

# received PORT PATH-PREFIX HEADER: the values of HEADER on each request
# whose path starts with PATH-PREFIX, one line each ("-" when absent).
received() {
	env -u LD_PRELOAD "$CURL_BIN" -sS "http://$(addr $1)/_ts/requests" |
		"$PY" -c '
import json, sys
prefix, name = sys.argv[1], sys.argv[2].lower()
for r in json.load(sys.stdin):
    if r["path"].startswith(prefix):
        v = [h[1] for h in r["headers"] if h[0].lower() == name]
        print(v[0] if v else "-")
' "$2" "$3"
}

# conf FILE: writes stdin to FILE with mode 600.
conf() {
	cat >"$1"
	chmod 600 "$1"
}

# nb_profile NAME MATCH [LINE...]: a profile for the NetBrain emulation on
# $P (user admin, password s3cret), with any further key lines.
nb_profile() {
	printf '[profile %s]\nprovider = netbrain\nmatch = %s\n' "$1" "$2"
	printf 'url = http://localhost:%s/ServicesAPI/API\n' "$P"
	printf 'username = admin\npassword = s3cret\n'
	shift 2
	for line in "$@"; do printf '%s\n' "$line"; done
	echo
}

# tsexec ARGS: tokenshim exec, for unmodified programs.
tsexec() {
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$TS" exec "$@"
}

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# expect_match DESC TEXT REGEX (grep -E)
expect_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"
	else not_ok "$1" "text: $2" "want: /$3/"; fi
}

expect_nomatch() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		not_ok "$1" "text: $2" "must not match: /$3/"
	else ok "$1"; fi
}

finish() {
	echo "$(basename "$0" .sh): $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# ---- fleets: redis-server and emulated machines -----------------------

# free_port: a loopback TCP port nobody listens on (now).
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis NAME PORT [redis-server options]: a throwaway redis-server
# (no persistence, its own directory) on 127.0.0.1:PORT; sets NAME_PID.
# Fails the whole script if it is not ready in 10 s.
start_redis() {
	name=$1 port=$2
	shift 2
	mkdir -p "$T/$name.d"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$T/$name.d" "$@" >"$T/$name.log" 2>&1 &
	pids="$pids $!"
	eval "${name}_PID=$!"
	i=0
	until grep -q 'Ready to accept connections' "$T/$name.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "FATAL: redis-server $name did not start"; cat "$T/$name.log"
			exit 99
		fi
		sleep 0.1
	done
}

# rcli PORT ARGS: redis-cli on 127.0.0.1:PORT (never through tokenshim).
rcli() {
	p=$1
	shift
	env -u LD_PRELOAD redis-cli -h 127.0.0.1 -p "$p" "$@"
}

# on MACHINE CMD [ARGS]: runs CMD as one machine of an emulated fleet:
# its own HOME, XDG directories, token cache and local cache key. What
# the machines share is the config and its fleet key.
on() {
	on_dir=$T/machine/$1
	shift
	mkdir -p "$on_dir"
	HOME=$on_dir XDG_CONFIG_HOME=$on_dir/.config XDG_CACHE_HOME=$on_dir/.cache \
		TOKENSHIM_CACHE_DIR=$on_dir/cache "$@"
}

# now_ms: wall-clock milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
