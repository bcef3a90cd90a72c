#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# exec.sh: the exec provider through unmodified curl: a program prints
# the token as JSON; its failures, bad output and hangs are reported.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server srv
P=$srv_PORT
cat >"$T/get-token" <<'SH'
#!/bin/sh
# prints a token for the profile tokenshim names
case "$1" in
ok)      echo "{\"token\": \"tok-for-$TOKENSHIM_PROFILE\", \"expires_at\": \"2099-01-01T00:00:00Z\"}" ;;
in)      echo '{"token": "short-lived", "expires_in": 120}' ;;
fail)    echo "vault: permission denied" >&2; exit 3 ;;
garbage) echo "<html>oops</html>"; echo "warning: ignored" >&2 ;;
notoken) echo '{"expires_in": 5}' ;;
crlf)    printf '{"token": "a\\r\\nX-Evil: 1"}\n' ;;
hang)    sleep 30 ;;
esac
SH
chmod +x "$T/get-token"
for mode in ok in fail garbage notoken crlf hang; do
	cat <<CONF
[profile $mode]
provider = exec
match = http://localhost:$P/public/$mode/*
command = $T/get-token $mode
header = X-Token: {token}
timeout = 2

CONF
done | conf "$T/c.conf"

out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "http://localhost:$P/public/ok/x" 2>"$T/err")
expect_match "the request succeeds" "$out" 'public'
expect_eq "with the program's token, made for TOKENSHIM_PROFILE" \
	"$(received $P /public/ok/x x-token)" "tok-for-ok"
new_cache
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/c.conf" token ok 2>&1 >/dev/null)
# (the command's date is years away: a year at most is believed)
expect_match "expires_at (RFC 3339) is read, and capped at a year" "$out" 'expires in 315(3[5-9]|4[0-9])[0-9]{3}s'
out=$(TOKENSHIM_DEBUG=1 "$TS" -c "$T/c.conf" token in 2>&1 >/dev/null)
expect_match "expires_in is read" "$out" 'expires in 1[12][0-9]s'

check_fail() {
	tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS "http://localhost:$P/public/$1/x" >/dev/null 2>"$T/err"
	rc=$?
	expect_eq "$1: the transfer fails ($2)" "$rc" "$2"
	expect_match "$1: and says why" "$(cat "$T/err")" "$3"
}
check_fail fail 67 'profile fail: login: command exited with status 3: vault: permission denied'
check_fail garbage 67 'profile garbage: login: command printed invalid JSON; it said: warning: ignored'
check_fail notoken 67 'profile notoken: login: command printed JSON without a token'
check_fail crlf 67 'profile crlf: login: token is empty or contains CR, LF or NUL'
start=$(date +%s)
check_fail hang 7 'profile hang: login: .*did not finish within 2000 ms and was killed'
took=$(( $(date +%s) - start ))
if [ $took -le 4 ]; then ok "a hung command is killed after timeout (${took}s)"
else not_ok "a hung command is killed after timeout" "took ${took}s"; fi
expect_eq "no failed profile sent a request" "$(received $P /public/ x-token | grep -vc tok-for-ok)" 0

# what a process loads: the launcher and a process that never matches
# load libc alone (no libcrypto, no libcurl, no crypto library); the
# crypto library comes with the first entry a process reads or writes
libs() {
	LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) .*needed by.*/\1/p' |
		sed 's|.*/||' | sort -u | tr '\n' ' '
}
if [ "${SANITIZERS:-no}" = no ]; then	# a sanitizer's runtime comes too
expect_eq "tokenshim exec needs libc alone" \
	"$(LD_DEBUG=files "$TS" exec -- /bin/true 2>&1 | grep "needed by $TS " |
	sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u | tr '\n' ' ')" "libc.so.6 "
expect_eq "a preloaded process that never matches loads the library and libc alone" \
	"$(libs env LD_PRELOAD="$TOKENSHIM_LIBRARY" /bin/true)" "libc.so.6 libtokenshim.so "
# (the command links libcurl in a sanitizer build, and libcurl brings
# libnettle with it)
expect_match "the first entry read loads libnettle" \
	"$(LD_DEBUG=files "$TS" -c "$T/c.conf" token ok 2>&1 >/dev/null | grep 'file=libnettle.so.8')" \
	'file=libnettle.so.8 .*dynamically loaded by'
fi
# a process whose requests no profile matches never opens the cache (its
# key, its directory) nor names an entry
rm -rf "$T/lazy"
XDG_CONFIG_HOME="$T/lazy/config" TOKENSHIM_CACHE_DIR="$T/lazy/cache" \
	"$TS" -c "$T/c.conf" exec -- "$CURL_BIN" -s -o /dev/null "http://localhost:$P/public/none"
expect_eq "a curl whose URL no profile matches opens no cache" \
	"$(find "$T/lazy" 2>/dev/null | wc -l)" 0
XDG_CONFIG_HOME="$T/lazy/config" TOKENSHIM_CACHE_DIR="$T/lazy/cache" \
	"$TS" -c "$T/c.conf" exec -- "$CURL_BIN" -s -o /dev/null "http://localhost:$P/public/ok/lazy"
expect_eq "(one that matches does)" "$(find "$T/lazy" -name cache.key | wc -l)" 1

finish
