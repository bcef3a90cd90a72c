#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# proxy.sh: tokens and proxies. The injected token goes to the origin
# only, never in a CONNECT, whatever CURLOPT_HEADEROPT the app chose; the
# login takes the app's way out (its proxy, credentials and no-proxy
# list), unless the profile's proxy key says otherwise.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
start_server tls --user admin:s3cret --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
start_server nb --user admin:s3cret
P=$nb_PORT
start_proxy px
X="http://127.0.0.1:$px_PORT"
start_proxy pa --auth pxuser:pxpass
XA="http://127.0.0.1:$pa_PORT"
API="http://localhost:$P/ServicesAPI/API"
conf "$T/c.conf" <<CONF
[profile tls]
provider = netbrain
match = https://localhost:$tls_PORT/ServicesAPI/*
url = https://localhost:$tls_PORT/ServicesAPI/API
username = admin
password = s3cret
ca_file = $T/cert.pem

[profile nb]
provider = netbrain
match = http://localhost:$P/ServicesAPI/*
url = http://localhost:$P/ServicesAPI/API
username = admin
password = s3cret
CONF
seen() {	# seen PROXY: "METHOD target" per request the proxy saw
	"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l); print(r["method"], r["target"])' "$T/$1.seen"
}
seen_header() {	# seen_header PROXY METHOD HEADER: its values, "-" if absent
	"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["method"] == sys.argv[2]:
        v = [h[1] for h in r["headers"] if h[0].lower() == sys.argv[3].lower()]
        print(v[0] if v else "-")' "$T/$1.seen" "$2" "$3"
}
tlsgot() {
	env -u LD_PRELOAD "$CURL_BIN" -sS --cacert "$T/cert.pem" "https://localhost:$tls_PORT/_ts/requests" |
		"$PY" -c 'import json,sys
for r in json.load(sys.stdin):
    if r["path"].startswith(sys.argv[1]):
        v = [h[1] for h in r["headers"] if h[0].lower() == sys.argv[2]]
        print(v[0] if v else "-")' "$1" "$2"
}

# HEADEROPT unified, an https origin through the proxy
code=$(tsexec -c "$T/c.conf" -- "$top_builddir/tests/e2e/target_host" unified \
	"https://localhost:$tls_PORT/ServicesAPI/API/V1/Other?unified=1" "$X")
expect_eq "unified: the request got through" "$code" 200
expect_match "unified: it went through a CONNECT" "$(seen px)" "^CONNECT localhost:$tls_PORT"
# two CONNECTs: the login's (it takes the app's proxy) and the request's
expect_eq "unified: the request's CONNECT carried the app's own header, as it asked" \
	"$(seen_header px CONNECT x-app | grep -c '^1$')" 1
expect_eq "unified: no CONNECT carried a token" "$(seen_header px CONNECT token | sort -u)" "-"
expect_match "unified: the origin got the token" \
	"$(tlsgot "/ServicesAPI/API/V1/Other?unified=1" token)" '^[0-9a-f-]{36}$'
expect_eq "unified: and the app's header" "$(tlsgot "/ServicesAPI/API/V1/Other?unified=1" x-app)" "1"

# the login takes the app's proxy
: >"$T/px.seen"
new_cache
code=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' -x "$X" "$API/V1/Other?via=proxy")
expect_eq "curl -x: the request got through" "$code" 200
expect_match "the login went through the app's proxy" "$(seen px)" "^POST $API/V1/Session$"
expect_match "and so did the request" "$(seen px)" "^GET $API/V1/Other\\?via=proxy$"
# ... with the app's proxy credentials
new_cache
code=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -w '%{http_code}' -x "$XA" \
	-U pxuser:pxpass "$API/V1/Other?via=auth")
expect_eq "curl -x -U: the request got through" "$code" 200
expect_match "the login passed the proxy with the app's credentials" "$(seen pa)" "^POST $API/V1/Session$"
expect_nomatch "no login was refused by the proxy" "$(cat "$T/pa.log")" '407'
# ... and its no-proxy list
: >"$T/px.seen"
new_cache
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null -x "$X" --noproxy localhost "$API/V1/Other?via=noproxy"
expect_match "--noproxy: the request went direct" "$(received $P "/ServicesAPI/API/V1/Other?via=noproxy" token)" '^[0-9a-f-]{36}$'
expect_eq "--noproxy: and so did the login" "$(seen px | wc -l)" 0

# proxy = none: the login goes direct whatever the app uses
sed 's/^username = admin$/username = admin\nproxy = none/' "$T/c.conf" | conf "$T/none.conf"
: >"$T/px.seen"
new_cache
tsexec -c "$T/none.conf" -- "$CURL_BIN" -sS -o /dev/null -x "$X" "$API/V1/Other?via=none"
expect_eq "proxy = none: the request went through the app's proxy" "$(seen px | grep -c '^GET ')" 1
expect_eq "proxy = none: the login went direct" "$(seen px | grep -c '^POST ')" 0
# proxy = URL: the login goes there, though the app uses none
sed "s|^username = admin\$|username = admin\nproxy = $X|" "$T/c.conf" | conf "$T/url.conf"
: >"$T/px.seen"
new_cache
tsexec -c "$T/url.conf" -- "$CURL_BIN" -sS -o /dev/null "$API/V1/Other?via=key"
expect_match "proxy = URL: the login went through it" "$(seen px)" "^POST $API/V1/Session$"
expect_eq "proxy = URL: the app's request went direct" "$(seen px | grep -c '^GET ')" 0
out=$(printf '[profile x]\nprovider = netbrain\nmatch = http://x/*\nurl = http://x/api\nusername = u\npassword = p\nproxy = ftp://nope\n' |
	conf "$T/bad.conf"; "$TS" -c "$T/bad.conf" check 2>&1)
expect_match "a bad proxy value is reported with its line" "$out" "bad.conf:7: profile x: proxy must be none or an http://, https://, socks4://, socks4a://, socks5:// or socks5h:// URL"

finish
