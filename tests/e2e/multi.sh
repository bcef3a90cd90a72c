#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# multi.sh: transfers driven through the multi interface. curl -Z (parallel
# transfers), python3-pycurl's CurlMulti (libcurl-gnutls) and an event-loop
# program on curl_multi_socket_action get their tokens when their handles
# are added, one login for all, and a refused token is replaced before the
# program sees the transfer end.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
start_server other
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
OTHER="http://127.0.0.1:$other_PORT/public"
{
	nb_profile nb "http://localhost:$P/ServicesAPI/*"
	# the same server under another name, with a password it refuses
	printf '[profile bad]\nprovider = netbrain\nmatch = http://127.0.0.1:%s/ServicesAPI/*\n' $P
	printf 'url = http://127.0.0.1:%s/ServicesAPI/API\nusername = admin\npassword = wrong\n' $P
} | conf "$T/c.conf"
run() { tsexec -c "$T/c.conf" -- "$@"; }
# -Z shows a progress meter of its own, -s or not
Z="-sS -Z --no-progress-meter"
hits() { received $P "$1" token; }

# curl -Z: 16 URLs of the profile and 4 of a host no profile matches
urls() {
	for i in $(seq 1 16); do printf '%s ' "$API/V1/Other?$1=$i"; done
	for i in 1 2 3 4; do printf '%s ' "$OTHER/$1$i"; done
}
# (the URL lists split into words on purpose, here and below)
# shellcheck disable=SC2046
out=$(run "$CURL_BIN" $Z -w '\n%{http_code}\n' $(urls z) 2>&1)
expect_eq "-Z: all 20 transfers answered 200" "$(printf '%s\n' "$out" | grep -c '^200$')" 20
expect_eq "-Z: one login for the 16 matched transfers" "$(counter $P logins)" 1
expect_eq "-Z: every matched request carried the token, the same one" \
	"$(hits "/ServicesAPI/API/V1/Other?z=" | grep -E '^[0-9a-f-]{36}$' | sort | uniq -c | awk '{print $1}')" 16
expect_eq "-Z: no unmatched request carried one" \
	"$(received $other_PORT /public/z token | sort | uniq -c | awk '{print $1, $2}')" "4 -"

# the server forgets the token: every transfer is replayed, invisibly
ctl $P /_ts/expire
# each transfer's -i output (headers and body) in a file of its own
mkdir "$T/e"
out=$(run "$CURL_BIN" $Z -i "$API/V1/Other?e=[1-16]" -o "$T/e/m#1" \
	"$OTHER/e[1-4]" -o "$T/e/u#1" 2>&1; for f in "$T"/e/*; do cat "$f"; echo; done)
expect_eq "-Z after expiry: each of the 20 outputs holds one response" \
	"$(for f in "$T"/e/*; do grep -c '^HTTP/' "$f"; done | sort | uniq -c | awk '{print $1, $2}')" "20 1"
expect_eq "-Z after expiry: all of them 200" \
	"$(for f in "$T"/e/*; do grep '^HTTP/' "$f"; done | grep -c ' 200')" 20
expect_nomatch "-Z after expiry: nothing of the 401s shows" "$out" '795005|HTTP/1.1 401'
expect_eq "-Z after expiry: one more login" "$(counter $P logins)" 2
expect_eq "-Z after expiry: each matched request was sent twice" \
	"$(hits "/ServicesAPI/API/V1/Other?e=" | wc -l)" 32

# bodies are sent again intact
ctl $P /_ts/expire
run "$CURL_BIN" $Z -o /dev/null -o /dev/null -d 'k=v&n=1' \
	"$API/V1/Post?b=1" "$API/V1/Post?b=2" 2>&1
bodies=$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" |
	"$PY" -c 'import json,sys; [print(r["body"]) for r in json.load(sys.stdin) if r["path"].startswith("/ServicesAPI/API/V1/Post?b=")]')
expect_eq "-Z -d: four attempts, each with the body" "$(printf '%s\n' "$bodies" | grep -c '^k=v&n=1$')" 4

# a redirect to another host carries no token; the app's own header wins
run "$CURL_BIN" $Z -L -o /dev/null -o /dev/null \
	"$API/V1/Other?redirect_to=$OTHER/rz" "$API/V1/Other?rz=2" 2>&1
expect_match "-Z -L: the first hop carried the token" \
	"$(hits "/ServicesAPI/API/V1/Other?redirect_to=")" '^[0-9a-f-]{36}$'
expect_eq "-Z -L: the hop to the other host did not" "$(received $other_PORT /public/rz token)" "-"
run "$CURL_BIN" $Z -o /dev/null -o /dev/null -H "token: the-apps-own" \
	"$API/V1/Other?own=1" "$API/V1/Other?own=2" 2>&1
expect_eq "-Z -H token: the app's own header went out, alone" \
	"$(hits "/ServicesAPI/API/V1/Other?own=" | sort -u)" "the-apps-own"

# no token: that transfer fails with the reason, the others go on
out=$(run "$CURL_BIN" $Z -w '%{http_code} %{url}\n' -o /dev/null -o /dev/null \
	-o /dev/null "http://127.0.0.1:$P/ServicesAPI/API/V1/Other?nt=bad" \
	"$API/V1/Other?nt=good" "$OTHER/nt" 2>&1)
rc=$?
expect_eq "-Z, login refused: curl exits 67 (CURLE_LOGIN_DENIED)" "$rc" 67
expect_match "-Z, login refused: the error names the profile" "$out" \
	'curl: \(67\) tokenshim: profile bad: login'
expect_match "-Z, login refused: the other matched transfer succeeds" "$out" '^200 .*nt=good'
expect_match "-Z, login refused: the unmatched one too" "$out" "^200 $OTHER/nt"
expect_eq "-Z, login refused: the refused profile's request never went out" \
	"$(hits "/ServicesAPI/API/V1/Other?nt=bad" | wc -l)" 0

# pycurl's CurlMulti, 8 handles, through libcurl-gnutls
cat >"$T/multi.py" <<'PY'
import io, sys
import pycurl
m = pycurl.CurlMulti()
handles = []
for url in sys.argv[1:]:
    c = pycurl.Curl()
    c.buf = io.BytesIO()
    c.statuses = 0
    c.setopt(pycurl.URL, url)
    c.setopt(pycurl.WRITEDATA, c.buf)
    def header(line, c=c):
        if line.startswith(b"HTTP/"):
            c.statuses += 1
    c.setopt(pycurl.HEADERFUNCTION, header)
    m.add_handle(c)
    handles.append(c)
done = {}
while True:
    ret, active = m.perform()
    if ret != pycurl.E_CALL_MULTI_PERFORM:
        while True:
            queued, ok, failed = m.info_read()
            for c in ok:
                done[id(c)] = done.get(id(c), 0) + 1
            for c, errno, msg in failed:
                done[id(c)] = done.get(id(c), 0) + 1
                print("error", errno, msg)
            if not queued:
                break
        if not active:
            break
        m.select(1.0)
for c in handles:
    print(c.getinfo(pycurl.RESPONSE_CODE), c.statuses, done.get(id(c), 0),
          c.buf.getvalue().decode()[:40])
    m.remove_handle(c)
    c.close()
m.close()
PY
purls() { for i in $(seq 1 8); do printf '%s ' "$API/V1/Other?$1=$i"; done; }
new_cache
before=$(counter $P logins)
# shellcheck disable=SC2046
out=$(run "$PY" "$T/multi.py" $(purls py) 2>&1)
expect_eq "CurlMulti: 8 handles, 8 responses of 200, each reported once" \
	"$(printf '%s\n' "$out" | grep -c '^200 1 1 ')" 8
expect_eq "CurlMulti: one login" "$(counter $P logins)" $((before + 1))
expect_eq "CurlMulti: every request carried the token" \
	"$(hits "/ServicesAPI/API/V1/Other?py=" | grep -cE '^[0-9a-f-]{36}$')" 8
ctl $P /_ts/expire
# shellcheck disable=SC2046
out=$(run "$PY" "$T/multi.py" $(purls pe) 2>&1)
expect_eq "CurlMulti after expiry: 8 responses of 200, one status line each" \
	"$(printf '%s\n' "$out" | grep -c '^200 1 1 ')" 8
expect_eq "CurlMulti after expiry: one more login" "$(counter $P logins)" $((before + 2))

# an event loop on curl_multi_socket_action and poll()
# our own host frees everything it made: in the ASan build, leaks count
SH="$top_builddir/tests/e2e/socket_host"
host() { "$TS" exec -c "$T/c.conf" -- "$@"; }
new_cache
before=$(counter $P logins)
out=$(host "$SH" "$API/V1/Other?s=1" "$API/V1/Other?s=2" "$API/V1/Other?s=3" "$OTHER/s4" 2>&1)
expect_eq "socket_action: four transfers of 200, each seen and reported once" \
	"$(printf '%s\n' "$out" | awk '$2 == 0 && $3 == 200 && $4 == 1 && $6 == 1' | wc -l)" 4
expect_eq "socket_action: one login" "$(counter $P logins)" $((before + 1))
expect_eq "socket_action: the matched requests carried the token" \
	"$(hits "/ServicesAPI/API/V1/Other?s=" | grep -cE '^[0-9a-f-]{36}$')" 3
expect_eq "socket_action: the other one did not" "$(received $other_PORT /public/s4 token)" "-"
ctl $P /_ts/expire
out=$(host "$SH" -d 'x=1' "$API/V1/Post?se=1" "$API/V1/Post?se=2" "$OTHER/se3" 2>&1)
expect_eq "socket_action after expiry: three 200s, one status line and one end each" \
	"$(printf '%s\n' "$out" | awk '$2 == 0 && $3 == 200 && $4 == 1 && $6 == 1' | wc -l)" 3
expect_eq "socket_action after expiry: each matched POST was sent twice" \
	"$(hits "/ServicesAPI/API/V1/Post?se=" | wc -l)" 4
out=$(host "$SH" "http://127.0.0.1:$P/ServicesAPI/API/V1/Other?sb=1" "$OTHER/sb2" 2>&1)
expect_match "socket_action, login refused: CURLE_LOGIN_DENIED, reported once" "$out" '^0 67 0 0 0 1$'
expect_match "socket_action, login refused: the other transfer succeeds" "$out" '^1 0 200 1 '

# the multi interface used carefully and carelessly: messages read only
# once nothing runs and kept until all are read, a copy made of a handle in
# a multi handle, a handle removed before it ran, one cleaned up while its
# message waits; each with replays underneath
out=$(host "$top_builddir/tests/e2e/multi_host" "$API/V1/Other?mh=1" \
	"$API/V1/Other?mh=2" "$API/V1/Other?mh=3" "$OTHER/mh4" \
	"http://127.0.0.1:$P/_ts/expire" 2>&1)
for c in late-read dup abandon cleanup; do
	expect_match "multi_host: $c" "$out" "^$c: ok\$"
done
expect_eq "multi_host: every request to the profile carried one token header" \
	"$(hits "/ServicesAPI/API/V1/Other?mh=" | grep -cvE '^[0-9a-f-]{36}$')" 0

finish
