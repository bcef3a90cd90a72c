#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# hostile.sh: files, settings, answers and secret sources that are not
# what they claim are refused with one clear line that names the file,
# line, profile or step; nothing hangs and no secret is printed. Every
# "nothing reached X" check also proves the request was made.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret --tenant T1 --domain D1
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
PUB="http://localhost:$P/public/hello"

# hung CMD...: runs CMD with a 20 s limit; prints "hung" when it was hit.
hung() {
	timeout 20 "$@"
	rc=$?
	[ "$rc" -eq 124 ] && echo hung
	return "$rc"
}

# ---- 1. files that are not what they claim ---------------------------
mkfifo "$T/fifo.conf"
out=$(hung "$TS" -c "$T/fifo.conf" check 2>&1)
expect_eq "check of a FIFO config exits 2, without hanging" "$?" 2
expect_match "naming it" "$out" "fifo.conf: cannot read config: is a FIFO, not a regular file"
out=$(TOKENSHIM_CONFIG="$T/fifo.conf" hung "$TS" exec -- "$CURL_BIN" -sS "$PUB?case=fifo" 2>&1)
expect_eq "a preloaded curl with a FIFO config does not hang" "$?" 0
expect_match "and its request went out" "$(received $P /public/hello?case=fifo x)" '^-$'
out=$("$TS" -c "$T" check 2>&1)
expect_match "a directory as config is refused" "$out" "cannot read config: is a directory"

{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password_file = '"$T"'/pw.fifo|'; } | conf "$T/pwfifo.conf"
mkfifo "$T/pw.fifo"
out=$(hung "$TS" -c "$T/pwfifo.conf" token nb 2>&1)
expect_eq "a FIFO password_file fails the login, without hanging" "$?" 1
expect_match "naming it" "$out" "secret file $T/pw.fifo is a FIFO, not a regular file"
sed "s|pw.fifo|/dev/zero|; s|$T//dev|/dev|" "$T/pwfifo.conf" | conf "$T/zero.conf"
out=$(hung "$TS" -c "$T/zero.conf" token nb 2>&1)
expect_match "/dev/zero is refused too" "$out" "secret file /dev/zero is a character device"

# a FIFO at the cache key, then at a cache entry
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/nb.conf"
new_cache
mkdir -p "$TOKENSHIM_CACHE_DIR"
mkfifo "$T/key.fifo"
out=$(TOKENSHIM_CACHE_KEY_FILE="$T/key.fifo" hung "$TS" -c "$T/nb.conf" token nb 2>&1)
expect_eq "a FIFO cache key does not hang (the token still comes)" "$?" 0
new_cache
"$TS" -c "$T/nb.conf" token nb >/dev/null
n=0
for f in "$TOKENSHIM_CACHE_DIR"/*; do
	case $f in *.lock|*/key) ;; *) rm -f "$f"; mkfifo "$f"; n=$((n + 1)) ;; esac
done
expect_eq "(the entry is now a FIFO)" "$n" 1
before=$(counter $P logins)
out=$(hung "$TS" -c "$T/nb.conf" token nb 2>&1)
expect_eq "a FIFO cache entry does not hang" "$?" 0
expect_eq "it is a miss: one more login" "$(counter $P logins)" "$((before + 1))"

# who may change the config
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/gw.conf"
chmod 664 "$T/gw.conf"
out=$("$TS" -c "$T/gw.conf" check 2>&1)
expect_eq "a group-writable config is refused (check exits 2)" "$?" 2
expect_match "naming it" "$out" "gw.conf: not used: writable by group or others"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	{ nb_profile nb "http://localhost:$P/ServicesAPI/*" |
		sed 's|^password = .*|password_cmd = /bin/sh -c "touch '"$T"'/ran; echo s3cret"|'; } |
		conf "$T/nobody.conf"
	chown nobody "$T/nobody.conf"
	before=$(counter $P logins)
	out=$(tsexec -c "$T/nobody.conf" -- "$CURL_BIN" -sS "$API/V1/Other?case=nobody" 2>&1)
	expect_match "a config owned by another user is refused" "$out" \
		"nobody.conf: not used: owned by uid [0-9]+, neither you nor root"
	expect_eq "its command never ran" "$([ -e "$T/ran" ] && echo ran || echo no)" no
	expect_eq "and nobody logged in" "$(counter $P logins)" "$before"
	expect_eq "while the request itself went out" "$(received $P '/ServicesAPI/API/V1/Other?case=nobody' token)" "-"
else
	echo "# skipped: the config owned by another user (needs root and user nobody)"
fi

# secret files others may read
printf 's3cret\n' >"$T/pw.open"
chmod 644 "$T/pw.open"
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password_file = '"$T"'/pw.open|'; } | conf "$T/open.conf"
before=$(counter $P logins)
out=$("$TS" -c "$T/open.conf" token nb 2>&1)
expect_eq "a password_file others may read is not used" "$?" 1
expect_match "with a message" "$out" "secret file $T/pw.open is readable by others; not used"
expect_eq "and no login was tried" "$(counter $P logins)" "$before"
out=$("$TS" -c "$T/open.conf" check 2>&1)
expect_eq "check says so too (exit 2)" "$?" 2
expect_match "at its line" "$out" "open.conf:6: profile nb: password_file $T/pw.open is readable by others"
chmod 640 "$T/pw.open"
out=$("$TS" -c "$T/open.conf" token nb 2>&1)
expect_eq "a group-readable one is used" "$?" 0
out=$("$TS" -c "$T/open.conf" check 2>&1)
expect_eq "and passes check" "$?" 0
expect_match "which notes it" "$out" "open.conf:6: note: profile nb: password_file $T/pw.open is readable by its group"

# ---- 2. numbers and values -------------------------------------------
{ printf '[defaults]\ntimeout = nan\n\n'
  nb_profile a "http://localhost:$P/a/*"
  nb_profile b "http://localhost:$P/b/*" "lifetime = inf"
  nb_profile c "http://localhost:$P/c/*" "refresh_ahead = -nan" "timeout = 0x10"
  printf '[profile e]\nprovider = netbrain\nmatch = http://localhost:%s/e/*\nurl = localhost:%s/ServicesAPI/API\nusername = u\npassword = p\n' "$P" "$P"
} | conf "$T/num.conf"
out=$("$TS" -c "$T/num.conf" check 2>&1)
expect_eq "NaN, infinity and hex fail check" "$?" 2
expect_match "timeout = nan, at its line, in [defaults]" "$out" "num.conf:2: \[defaults\]: timeout must be a number of seconds"
expect_eq "said once, though three profiles inherit it" "$(echo "$out" | grep -c 'num.conf:2:')" 1
expect_match "lifetime = inf" "$out" "num.conf:[0-9]+: profile b: lifetime must be a number of seconds"
expect_match "refresh_ahead = -nan" "$out" "profile c: refresh_ahead must be a number"
expect_match "timeout = 0x10" "$out" "profile c: timeout must be a number"
expect_match "a url without a scheme" "$out" "num.conf:[0-9]+: profile e: url must start with https://"

nb_profile d "http://localhost:$P/d/*" "tenant_id = T1" | conf "$T/tenant.conf"
out=$("$TS" -c "$T/tenant.conf" check 2>&1)
expect_match "tenant_id without domain_id fails check" "$out" "tenant.conf:1: profile d: tenant_id and domain_id go together"

# vendor numbers: a vROps validity of 9e18 ms is a year at most
start_server vr --user admin:s3cret
conf "$T/vr.conf" <<CONF
[profile vr]
provider = vrops
match = http://localhost:$vr_PORT/suite-api/*
url = http://localhost:$vr_PORT/suite-api
username = admin
password = s3cret
CONF
printf '{"token":"vt-1","validity":9000000000000000000}' |
	env -u LD_PRELOAD "$CURL_BIN" -sS --data-binary @- "http://127.0.0.1:$vr_PORT/_ts/next-answer" >/dev/null
"$TS" -c "$T/vr.conf" login vr >/dev/null 2>&1
left=$("$TS" -c "$T/vr.conf" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["expires_in"])')
expect_eq "a validity of 9e18 ms is capped at a year" "$([ "$left" -le 31536000 ] && [ "$left" -gt 31535000 ] && echo capped || echo "$left")" capped
printf '{"token":"vt-2","validity":"soon"}' |
	env -u LD_PRELOAD "$CURL_BIN" -sS --data-binary @- "http://127.0.0.1:$vr_PORT/_ts/next-answer" >/dev/null
out=$("$TS" -c "$T/vr.conf" login vr 2>&1)
expect_match "a wrongly typed validity is an error" "$out" "profile vr: login: validity is not a number"

# paths: ~/ and ${VAR}
mkdir -p "$T/creds"
printf 's3cret\n' >"$T/creds/nb"
chmod 600 "$T/creds/nb"
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password_file = ${CREDENTIALS_DIRECTORY}/nb|'; } | conf "$T/cred.conf"
out=$(CREDENTIALS_DIRECTORY="$T/creds" "$TS" -c "$T/cred.conf" token nb 2>&1)
expect_eq "password_file = \${CREDENTIALS_DIRECTORY}/nb works" "$?" 0
out=$(env -u CREDENTIALS_DIRECTORY "$TS" -c "$T/cred.conf" check 2>&1)
expect_match "an unset variable is an error at its line" "$out" 'cred.conf:6: profile nb: password_file: \$\{CREDENTIALS_DIRECTORY\} is not set'
cp "$T/creds/nb" "$HOME/nb.pw"
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password_file = ~/nb.pw|'; } | conf "$T/tilde.conf"
"$TS" -c "$T/tilde.conf" token nb >/dev/null 2>&1
expect_eq "a leading ~/ is the home directory" "$?" 0

# a byte-order mark
{ printf '\357\273\277'; nb_profile nb "http://localhost:$P/ServicesAPI/*"; } | conf "$T/bom.conf"
out=$("$TS" -c "$T/bom.conf" check 2>&1)
expect_eq "a UTF-8 byte-order mark is accepted" "$?" 0

# ---- 3. vendor answers -------------------------------------------------
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" "timeout = 3"; } | conf "$T/t3.conf"
"$PY" -c 'import sys; n=(1<<20)//2-8; sys.stdout.write("{\"a\":" + "["*n + "]"*n + "}")' >"$T/nested.json"
env -u LD_PRELOAD "$CURL_BIN" -sS --data-binary @"$T/nested.json" "http://127.0.0.1:$P/_ts/next-answer" >/dev/null
new_cache
start=$(date +%s)
out=$(hung "$TS" -c "$T/t3.conf" token nb 2>&1)
took=$(( $(date +%s) - start ))
expect_match "a 1 MiB answer of nested arrays is refused" "$out" "profile nb: login: .*nested deeper than 64 levels"
expect_eq "well within the profile's timeout (3 s)" "$([ "$took" -le 3 ] && echo yes || echo "$took s")" yes

# a token with CR LF goes into no request, our own domain call included
new_cache
before=$(counter $P logins)
ctl $P "/_ts/next-token?value=abc%0D%0AX-Injected:%20yes"
nb_profile nb "http://localhost:$P/ServicesAPI/*" "tenant_id = T1" "domain_id = D1" | conf "$T/dom.conf"
out=$("$TS" -c "$T/dom.conf" token nb 2>&1)
expect_match "a token with CR LF is refused at login" "$out" "profile nb: login: the server's token holds a control character"
expect_eq "the login was made" "$(counter $P logins)" "$((before + 1))"
expect_eq "and no request carried the injected header" "$(received $P / X-Injected | grep -vc '^-$')" 0

# tokens of 70000 characters are cached and released like any other
new_cache
ctl $P /_ts/expire
"$PY" -c 'import sys; sys.stdout.write("t" * 70000)' |
	env -u LD_PRELOAD "$CURL_BIN" -sS --data-binary @- "http://127.0.0.1:$P/_ts/next-token" >/dev/null
before=$(counter $P logins)
a=$("$TS" -c "$T/nb.conf" token nb | wc -c)
b=$("$TS" -c "$T/nb.conf" token nb | wc -c)
expect_eq "a 70000-character token is whole" "$a $b" "70001 70001"
expect_eq "and cached: one login for two processes" "$(counter $P logins)" "$((before + 1))"
# (the emulator takes header lines up to 64 KiB: a 20000-character
# session for the logout, beyond any fixed buffer the release had)
new_cache
ctl $P /_ts/expire
"$PY" -c 'import sys; sys.stdout.write("s" * 20000)' |
	env -u LD_PRELOAD "$CURL_BIN" -sS --data-binary @- "http://127.0.0.1:$P/_ts/next-token" >/dev/null
"$TS" -c "$T/nb.conf" token nb >/dev/null
expect_eq "a 20000-character session is open" "$(counter $P sessions)" 1
"$TS" -c "$T/nb.conf" logout nb >/dev/null 2>&1
expect_eq "its logout was built and sent: no session is left" "$(counter $P sessions)" 0

# portal tickets after the NetBrain session died on the server
new_cache
{ nb_profile nb "http://localhost:$P/ServicesAPI/*"; printf '[profile portal]\nprovider = netbrain-portal\nmatch = http://localhost:%s/portal/*\nsession = nb\n' "$P"; } | conf "$T/portal.conf"
out=$(tsexec -c "$T/portal.conf" -- "$CURL_BIN" -sS "http://localhost:$P/portal/i/A1" 2>&1)
expect_match "a portal ticket" "$out" "portal A1"
ctl $P /_ts/expire
before=$(counter $P logins)
out=$(tsexec -c "$T/portal.conf" -- "$CURL_BIN" -sS "http://localhost:$P/portal/i/A2" 2>&1)
expect_match "after the session was dropped server-side, the next ticket still comes" "$out" "portal A2"
expect_eq "from one fresh session" "$(counter $P logins)" "$((before + 1))"

# ---- 4. secret sources -------------------------------------------------
printf '#!/bin/sh\nhead -c 10000000 /dev/zero | tr "\\000" x\n' >"$T/big.sh"
printf '#!/bin/sh\nexit 0\n' >"$T/empty.sh"
chmod 700 "$T/big.sh" "$T/empty.sh"
for case in "big:printed more than 65536 bytes" "empty:printed nothing"; do
	name=${case%%:*}; want=${case#*:}
	{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed "s|^password = .*|password_cmd = $T/$name.sh|"; } | conf "$T/cmd-$name.conf"
	before=$(counter $P logins)
	out=$("$TS" -c "$T/cmd-$name.conf" token nb 2>&1)
	expect_match "password_cmd output: $name is an error" "$out" "$want"
	expect_eq "and sends no password ($name)" "$(counter $P logins)" "$before"
done
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" "timeout = 1" | sed 's|^password = .*|password_cmd = /bin/sh -c "exec >\&- 2>\&-; sleep 8"|'; } | conf "$T/slow.conf"
start=$(date +%s)
out=$(hung "$TS" -c "$T/slow.conf" token nb 2>&1)
took=$(( $(date +%s) - start ))
expect_match "a command that closes its pipes and lives on is killed at the timeout" "$out" "did not finish within"
expect_eq "in about a second, not 8" "$([ "$took" -le 3 ] && echo yes || echo "$took s")" yes
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password_cmd = /bin/false|'; } | conf "$T/false.conf"
# (dash does not pass an ignored SIGCHLD on; python does)
before=$(counter $P login_failures)
out=$("$PY" -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$TS" -c "$T/false.conf" token nb 2>&1)
expect_eq "with SIGCHLD ignored, /bin/false is no success" "$?" 1
expect_match "and says why" "$out" "exit status could not be read"
expect_eq "no login was tried with whatever it printed" "$(counter $P login_failures)" "$before"

# secrets in URLs: the login URL's user info and query never show
conf "$T/url.conf" <<CONF
[profile u]
provider = netbrain
match = http://localhost:$P/u/*
url = http://svc:Pw0rd@127.0.0.1:1/ServicesAPI/API?apikey=K3y
username = admin
password = s3cret
timeout = 2
CONF
out=$(TOKENSHIM_DEBUG=1 tsexec -c "$T/url.conf" -- "$CURL_BIN" -sS "http://localhost:$P/u/x?case=url" 2>&1)
expect_match "a login that cannot connect names the server" "$out" "login: http://127.0.0.1:1/ServicesAPI/API: "
expect_nomatch "without its password or query, in messages, trace and curl's error" "$out" "Pw0rd|K3y"
expect_match "(the request was tried: curl reports the login's failure)" "$out" "curl: \([0-9]+\) tokenshim: profile u: login"

# no config line is ever echoed
printf '[password = hunter2\n' | conf "$T/echo.conf"
out=$("$TS" -c "$T/echo.conf" check 2>&1)
expect_match "a bad section header is reported at its line" "$out" "echo.conf:1: bad section header"
expect_nomatch "without the line" "$out" "hunter2"

# ---- 5. the CLI --------------------------------------------------------
nb_profile other "http://localhost:$P/ServicesAPI/*" | conf "$T/other.conf"
mkdir -p "$HOME/.config/tokenshim"
printf '[profile x\n' | conf "$HOME/.config/tokenshim/tokenshim.conf"
out=$("$TS" check -c "$T/other.conf" 2>&1)
expect_eq "check -c FILE after the verb checks FILE" "$?" 0
expect_match "and says so" "$out" "other.conf: 1 profile"
out=$("$TS" token other extra 2>&1)
expect_match "an extra argument is an error" "$out" "token: unexpected argument 'extra'"
out=$("$TS" token 2>&1)
expect_match "a missing PROFILE says so" "$out" "token: missing PROFILE"
out=$("$TS" exec -x "$CURL_BIN" "$PUB" 2>&1)
expect_eq "an unknown option to exec is an error (2)" "$?" 2
expect_match "never taken as the command" "$out" "exec: unknown option '-x'"
rm -f "$HOME/.config/tokenshim/tokenshim.conf"
out=$("$TS" check 2>&1)
expect_match "a missing default config: check names every place searched" "$out" \
	"no config found; searched $HOME/.config/tokenshim/tokenshim.conf, /etc/tokenshim.conf"
out=$(tsexec -- "$CURL_BIN" -sS "$PUB?case=noconf" 2>&1)
expect_eq "while the library sees no profiles and stays quiet" "$out" '{"public": true}'

# a NetBrain url that is not the API root
conf "$T/404.conf" <<CONF
[profile w]
provider = netbrain
match = http://localhost:$P/w/*
url = http://svc:Pw0rd@localhost:$P/wrong
username = admin
password = s3cret
CONF
out=$("$TS" -c "$T/404.conf" token w 2>&1)
expect_match "a NetBrain 404 at login shows the URL and a hint" "$out" \
	"login: HTTP 404 from http://localhost:$P/wrong/V1/Session; url should end in /ServicesAPI/API"
expect_nomatch "without secrets" "$out" "Pw0rd"

# forced logins release what they replace, and keep the counters
new_cache
ctl $P /_ts/expire
"$TS" -c "$T/nb.conf" login nb >/dev/null
"$TS" -c "$T/nb.conf" login nb >/dev/null
expect_eq "two forced logins leave one session" "$(counter $P sessions)" 1
logins=$("$TS" -c "$T/nb.conf" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["logins"])')
expect_eq "and status counts both" "$logins" 2
out=$("$TS" -c "$T/nb.conf" login --all 2>&1)
expect_match "login takes --all" "$out" "profile nb: new token"
expect_eq "still one session" "$(counter $P sessions)" 1

finish
