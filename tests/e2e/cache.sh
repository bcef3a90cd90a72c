#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# cache.sh: one login for everyone. Separate curl processes share the
# sealed token cache: sequential and concurrent logins, Control Room's
# one-token-per-user rule, rotating refresh tokens, renewal ahead of
# expiry, sliding validity, a killed login holder, damaged entries, and
# the directory checks.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret --login-delay 0.5
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" "timeout = 5" | conf "$T/nb.conf"
nb() { tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}\n' "$@"; }

# --- 20 sequential processes: 1 login
i=0
while [ $i -lt 20 ]; do nb "$API/V1/Other?seq=$i" >>"$T/seq"; i=$((i + 1)); done
expect_eq "20 sequential curl processes: all succeed" "$(sort -u "$T/seq")" 200
expect_eq "20 sequential curl processes: 1 login" "$(counter $P logins)" 1

# --- 32 concurrent processes, login delayed 0.5 s: 1 login
new_cache
before=$(counter $P logins)
i=0
jobs=""
while [ $i -lt 32 ]; do nb "$API/V1/Other?par=$i" >"$T/par.$i" & jobs="$jobs $!"; i=$((i + 1)); done
wait $jobs
expect_eq "32 concurrent curl processes: all succeed" "$(cat "$T"/par.* | sort -u)" 200
expect_eq "32 concurrent curl processes: 1 login" "$(counter $P logins)" $((before + 1))

# --- no token, refresh token or password in clear under the cache
tok=$(received $P "/ServicesAPI/API/V1/Other?par=0" token)
if grep -rqF "$tok" "$TOKENSHIM_CACHE_DIR"; then not_ok "the live token is not in the cache in clear"
else ok "the live token is not in the cache in clear"; fi
if grep -rqF s3cret "$TOKENSHIM_CACHE_DIR"; then not_ok "nor the password"
else ok "nor the password"; fi
expect_eq "the cache directory is 0700" "$(stat -c %a "$TOKENSHIM_CACHE_DIR")" 700
expect_eq "entries are 0600" "$(find "$TOKENSHIM_CACHE_DIR" -type f ! -perm 600 | wc -l)" 0
expect_eq "the key is 0600, outside the cache" "$(stat -c %a "$XDG_CONFIG_HOME/tokenshim/cache.key")" 600

# --- status, login, logout
out=$("$TS" -c "$T/nb.conf" status)
expect_match "status shows the shared token as valid" "$out" '^nb +netbrain +valid +in [0-9]+m [0-9]+s'
expect_match "and where the cache is" "$out" "^cache: shared at $TOKENSHIM_CACHE_DIR\$"
expect_nomatch "status never shows the token" "$out" "$tok"
out=$("$TS" -c "$T/nb.conf" status --json)
expect_match "status --json" "$out" '^\[\{"profile":"nb","provider":"netbrain","state":"valid","expires_in":[0-9]+,"expires_at":"[0-9T:Z-]+","obtained_at":"[0-9T:Z-]+","logins":1,"refreshes":0,"source":"(local cache|login)","generation":1,"store":null\}\]$'
before=$(counter $P logins)
"$TS" -c "$T/nb.conf" login nb >/dev/null
expect_eq "login forces a new token" "$(counter $P logins)" $((before + 1))
nb "$API/V1/Other?after-login=1" >/dev/null
new=$(received $P "/ServicesAPI/API/V1/Other?after-login=1" token)
if [ "$new" != "$tok" ]; then ok "and every process uses the new one"
else not_ok "and every process uses the new one" "old token still used"; fi
rel=$(counter $P releases)
"$TS" -c "$T/nb.conf" logout --all >/dev/null
expect_eq "logout --all releases the token upstream" "$(counter $P releases)" $((rel + 1))
expect_match "and deletes it" "$("$TS" -c "$T/nb.conf" status)" '^nb +netbrain +none'

# --- damaged entries are ignored and replaced, never used
entry() { find "$TOKENSHIM_CACHE_DIR" -type f ! -name '*.lock' ! -name '.*' | head -1; }
nb "$API/V1/Other?dmg=0" >/dev/null
for how in garbage truncated tampered; do
	f=$(entry)
	case $how in
	garbage) printf 'not an entry' >"$f" ;;
	truncated) head -c 40 "$f" >"$f.x" && mv "$f.x" "$f" ;;
	tampered) "$PY" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[30] ^= 1; open(sys.argv[1], "wb").write(b)' "$f" ;;
	esac
	before=$(counter $P logins)
	code=$(nb "$API/V1/Other?dmg=$how")
	expect_eq "a $how entry: the request succeeds" "$code" 200
	expect_eq "a $how entry: it is replaced by a new login" "$(counter $P logins)" $((before + 1))
done

# an entry copied to another profile's name fails authentication
nb_profile nb2 "http://localhost:$P/other/*" "authentication_id = AD" >>"$T/nb.conf"
nb "$API/V1/Other?copy=1" >/dev/null
e1=$(entry)
tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/other/x"
e2=$(find "$TOKENSHIM_CACHE_DIR" -type f ! -name '*.lock' ! -name '.*' ! -path "$e1")
cp "$e1" "$e2"
before=$(counter $P logins)
tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/other/y"
expect_eq "an entry copied to another profile is not used" "$(counter $P logins)" $((before + 1))
# (both requests arrived, each with a token)
if [ "$(received $P /other/y token | grep -c '^[0-9a-f-]\{36\}$')" = 1 ] &&
   [ "$(received $P /other/y token)" != "$(received $P "/ServicesAPI/API/V1/Other?copy=1" token)" ]; then
	ok "the other profile got its own token"
else not_ok "the other profile got its own token" "it used the copied one"; fi

# --- a login holder killed with SIGKILL: the next process goes on
new_cache
ctl $P "/_ts/fail?n=0"
start_server slow --user admin:s3cret --login-delay 3
SLOW="http://localhost:$slow_PORT/ServicesAPI/API"
conf "$T/slow.conf" <<CONF
[profile slow]
provider = netbrain
match = http://localhost:$slow_PORT/ServicesAPI/*
url = $SLOW
username = admin
password = s3cret
timeout = 5
CONF
tsexec -c "$T/slow.conf" -- "$CURL_BIN" -sS -o /dev/null "$SLOW/V1/Other?killed=1" &
holder=$!
sleep 1
kill -9 $holder 2>/dev/null
wait $holder 2>/dev/null
start=$(date +%s)
code=$(tsexec -c "$T/slow.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' "$SLOW/V1/Other?after-kill=1")
took=$(( $(date +%s) - start ))
expect_eq "after the holder is killed the next process succeeds" "$code" 200
if [ $took -le 5 ]; then ok "within timeout (${took}s)"; else not_ok "within timeout" "took ${took}s"; fi

# --- a loose or foreign directory is refused: memory only, still working
loose="$T/loose"
mkdir -m 755 "$loose"
out=$(TOKENSHIM_CACHE_DIR="$loose" tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS -w '%{http_code}' -o /dev/null "$API/V1/Other?loose=1" 2>&1)
expect_match "a 0755 cache directory is refused with one line" "$out" \
	"^tokenshim: cache directory $loose is open to group or others \\(it must be 0700\\); keeping tokens in memory only"
expect_match "and the request still succeeds" "$out" '200$'
expect_eq "nothing was written there" "$(ls -A "$loose" | wc -l)" 0
if [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$T/foreign" && chown 65534 "$T/foreign"
	out=$(TOKENSHIM_CACHE_DIR="$T/foreign" tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS -o /dev/null "$API/V1/Other?foreign=1" 2>&1)
	expect_match "a directory owned by someone else is refused" "$out" 'is owned by someone else'
fi

# --- a full or read-only disk: one diagnostic, memory only, no failure
mnt="$T/mnt"
mkdir -p "$mnt"
if mount -t tmpfs -o size=64k,mode=700 tmpfs "$mnt" 2>/dev/null; then
	mkdir -m 700 "$mnt/cache"
	dd if=/dev/zero of="$mnt/fill" bs=4k count=64 2>/dev/null
	out=$(TOKENSHIM_CACHE_DIR="$mnt/cache" tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS \
		-w '%{http_code}' -o /dev/null "$API/V1/Other?full=1" -o /dev/null "$API/V1/Other?full=2" 2>&1)
	expect_match "a full disk: the requests succeed" "$out" '200200$'
	expect_eq "with one diagnostic" "$(printf '%s\n' "$out" | grep -c 'keeping tokens in memory only')" 1
	expect_match "that says why" "$out" 'No space left on device'
	rm -f "$mnt/fill"
	mount -o remount,ro "$mnt"
	out=$(TOKENSHIM_CACHE_DIR="$mnt/cache" tsexec -c "$T/nb.conf" -- "$CURL_BIN" -sS \
		-w '%{http_code}' -o /dev/null "$API/V1/Other?ro=1" 2>&1)
	expect_match "a read-only disk: the request succeeds" "$out" '200$'
	expect_match "with one diagnostic" "$out" 'Read-only file system\); keeping tokens in memory only'
	umount "$mnt"
else
	echo "# full and read-only disk cases not run: this machine cannot mount a tmpfs"
fi

finish
