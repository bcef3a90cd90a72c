#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# scope.sh: a token goes only where the profile says, judged by where
# libcurl really sends each request: a CURLU set after the URL, a
# CURLOPT_PORT, a URL or redirect setting changed after a multi add, dot
# segments and percent-encoded dots or slashes in the path, and an
# automatic Referer after a same-profile hop that kept the query. Each
# case proves the request reached the other party, without the token.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
start_server other
O=$other_PORT
start_server far --bind 127.0.0.2
F="http://127.0.0.2:$far_PORT"
API="http://localhost:$P/ServicesAPI/API"
{
	nb_profile nb "http://localhost:$P/ServicesAPI/*"
	nb_profile qs "http://localhost:$P/qs/*" "query = token={token}"
} | conf "$T/c.conf"
host="$top_builddir/tests/e2e/target_host"
tok='^[0-9a-f-]{36}$'

# CURLOPT_CURLU after CURLOPT_URL: libcurl uses the CURLU
code=$(tsexec -c "$T/c.conf" -- "$host" curlu "$API/V1/Other?t=curlu" \
	"http://localhost:$O/public/curlu")
expect_eq "CURLU: the request went to the CURLU's host" "$code" 200
expect_eq "CURLU: it carried no token" "$(received $O /public/curlu token)" "-"
expect_eq "CURLU: nothing reached the URL first set" \
	"$(received $P "/ServicesAPI/API/V1/Other?t=curlu" token | wc -l)" 0
# and a CURLU of the profile gets the token
code=$(tsexec -c "$T/c.conf" -- "$host" curlu "http://localhost:$O/public/x" \
	"$API/V1/Other?t=curlu-in")
expect_match "a CURLU within the profile gets the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?t=curlu-in" token)" "$tok"

# CURLOPT_PORT overrides the URL's port
code=$(tsexec -c "$T/c.conf" -- "$host" port "$API/V1/Other?t=port" "$O")
expect_eq "PORT: the request reached the other port" \
	"$(received $O "/ServicesAPI/API/V1/Other?t=port" token | wc -l)" 1
expect_eq "PORT: with no token" "$(received $O "/ServicesAPI/API/V1/Other?t=port" token)" "-"
tsexec -c "$T/c.conf" -- "$host" port "http://localhost:$O/ServicesAPI/API/V1/Other?t=port-in" "$P" >/dev/null
expect_match "PORT: a port that makes the URL the profile's gets the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?t=port-in" token)" "$tok"

# pycurl: URL and FOLLOWLOCATION changed after add_handle
tsexec -c "$T/c.conf" -- "$PY" - "$API/V1/Other?t=added" "http://localhost:$O/public/changed" \
	"$API/V1/Other?t=follow&redirect_to=$F/public/follow" <<'PYEOF' >"$T/py" 2>&1
import pycurl, sys, io
def run(setup):
    m = pycurl.CurlMulti()
    c = pycurl.Curl()
    c.setopt(pycurl.WRITEFUNCTION, lambda b: None)
    setup(c, m)
    n = 1
    while n:
        ret, n = m.perform()
        if n:
            m.select(1.0)
    m.remove_handle(c)
    print(c.getinfo(pycurl.RESPONSE_CODE))
    c.close()
def changed(c, m):
    c.setopt(pycurl.URL, sys.argv[1])
    m.add_handle(c)
    c.setopt(pycurl.URL, sys.argv[2])
def follow(c, m):
    c.setopt(pycurl.URL, sys.argv[3])
    m.add_handle(c)
    c.setopt(pycurl.FOLLOWLOCATION, 1)
run(changed)
run(follow)
PYEOF
expect_eq "pycurl multi: both transfers ran" "$(tr '\n' ' ' <"$T/py")" "200 200 "
expect_eq "pycurl multi: a URL changed after add_handle got no token" \
	"$(received $O /public/changed token)" "-"
expect_match "pycurl multi: FOLLOWLOCATION set after add: the first hop has the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?t=follow" token)" "$tok"
expect_eq "pycurl multi: and the foreign hop has none" \
	"$(received "127.0.0.2:$far_PORT" /public/follow token)" "-"

# dot segments: libcurl sends /public/dots, outside the profile
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "$API/../../public/dots"
expect_eq "dot segments: the request went to /public/dots without the token" \
	"$(received $P /public/dots token)" "-"
# percent-encoded dots and slashes never widen the scope
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "$API/%2e%2E/%2e%2e/public/enc"
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "http://localhost:$P/ServicesAPI%2f..%2Fpublic/enc2"
expect_eq "%2e: the request was sent without the token" \
	"$(received $P /ServicesAPI/API/%2e%2E/%2e%2e/public/enc token)" "-"
expect_eq "%2f: the request was sent without the token" \
	"$(received $P /ServicesAPI%2f..%2Fpublic/enc2 token)" "-"
# while a plain path of the profile still gets it
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -o /dev/null "$API/V1/./Other?t=dot-in"
expect_match "a ./ that stays inside gets the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?t=dot-in" token)" "$tok"

# Referer: a same-profile hop that keeps the query (and so the token),
# then a hop abroad, with curl's automatic Referer
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -e ';auto' -o /dev/null \
	"http://localhost:$P/qs/a?redirect_keep=/qs/b&redirect_to=$F/public/ref"
expect_match "Referer: the same-profile hop kept the token in its query" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | \
	"$PY" -c 'import json,sys; print([r["path"] for r in json.load(sys.stdin) if r["path"].startswith("/qs/b")][0])')" 'token=[0-9a-f-]{36}'
expect_eq "Referer: the foreign hop was made" \
	"$(received "127.0.0.2:$far_PORT" /public/ref referer | wc -l)" 1
expect_nomatch "Referer: and its Referer holds no token" \
	"$(received "127.0.0.2:$far_PORT" /public/ref referer)" 'token='
expect_nomatch "no token anywhere at the foreign host" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS "$F/_ts/requests")" '[0-9a-f]{8}-[0-9a-f]{4}-'
# a redirect that takes the query token abroad in its URL is not followed
out=$(tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -o /dev/null \
	"http://localhost:$P/qs/k?redirect_keep=$F/public/kept" 2>&1)
expect_match "the profile's hop was made, with the token" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | \
	"$PY" -c 'import json,sys; print([r["path"] for r in json.load(sys.stdin) if r["path"].startswith("/qs/k")][0])')" 'token=[0-9a-f-]{36}'
expect_match "the redirect abroad is refused with a reason" "$out" \
	'profile qs: a redirect to http://127.0.0.2:[0-9]+ would carry the token in its URL; not following it'
expect_eq "and nothing reached the foreign host" "$(received "127.0.0.2:$far_PORT" /public/kept token | wc -l)" 0
# DNS over HTTPS: libcurl's own handles for each lookup leave nothing
# behind that a fresh handle of the app's could inherit
{
	nb_profile doh "http://nb.doh.test:$P/ServicesAPI/*"
} >>"$T/c.conf"
# libcurl asks DoH over https only
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
start_server doh --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
out=$(tsexec -c "$T/c.conf" -- "$host" doh "http://nb.doh.test:$P/ServicesAPI/API/V1/Other?doh=" \
	"https://localhost:$doh_PORT/dns-query" 2>&1)
expect_eq "DoH: six fresh handles, each a 200" "$(echo $out)" "200 200 200 200 200 200"
expect_eq "DoH: each app request carried the token" \
	"$(received $P "/ServicesAPI/API/V1/Other?doh=" token | grep -cE "$tok")" 6
expect_eq "DoH: and none the lookups' own header" \
	"$(received $P "/ServicesAPI/API/V1/Other?doh=" content-type | sort -u)" "-"
expect_match "DoH: the lookups went through the DoH server" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS -k "https://localhost:$doh_PORT/_ts/requests" | \
	"$PY" -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["path"] == "/dns-query"))')" '^[1-9][0-9]*$'

finish
