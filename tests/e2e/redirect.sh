#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# redirect.sh: a token never leaves its profile. curl -L to a foreign host
# (a second server on 127.0.0.2) carries no token header, cookie or query
# token, even with --location-trusted, and no token in the Referer; a hop
# that stays within the profile keeps the token.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
start_server far --bind 127.0.0.2
F="http://127.0.0.2:$far_PORT"
API="http://localhost:$P/ServicesAPI/API"
{
	nb_profile nb "http://localhost:$P/ServicesAPI/*"
	nb_profile ck "http://localhost:$P/ck/*" "cookie = nbsession={token}"
	nb_profile qs "http://localhost:$P/qs/*" "query = token={token}"
	nb_profile bearer "http://localhost:$P/bearer/*" \
		"header = Authorization: Bearer {token}"
} | conf "$T/c.conf"
far_saw() { received "127.0.0.2:$far_PORT" "$1" "$2"; }

# header injection: -L to a foreign host
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -o /dev/null "$API/V1/A?redirect_to=$F/public/h1"
expect_match "the first hop carried the token" "$(received $P "/ServicesAPI/API/V1/A?redirect_to" token)" '^[0-9a-f-]{36}$'
expect_eq "the foreign hop got no token header" "$(far_saw /public/h1 token)" "-"
# ... and with --location-trusted
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS --location-trusted -o /dev/null "$API/V1/B?redirect_to=$F/public/h2"
expect_eq "--location-trusted: still no token header abroad" "$(far_saw /public/h2 token)" "-"
# a hop within the profile keeps it
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -o /dev/null "$API/V1/C?redirect_to=$API/V1/same-origin"
expect_match "a same-profile hop keeps the token" "$(received $P /ServicesAPI/API/V1/same-origin token)" '^[0-9a-f-]{36}$'
# out to a foreign host and back: the token again on the way back
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -o /dev/null \
	"$API/V1/D?redirect_to=$F/public/h3%3Fredirect_to%3D$API/V1/back-home"
expect_eq "out: no token at the foreign host" "$(far_saw /public/h3 token)" "-"
expect_match "back: the token again" "$(received $P /ServicesAPI/API/V1/back-home token)" '^[0-9a-f-]{36}$'

# Authorization: Bearer, which --location-trusted would otherwise forward
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS --location-trusted -o /dev/null "http://localhost:$P/bearer/x?redirect_to=$F/public/h4"
expect_match "bearer: the first hop has it" "$(received $P "/bearer/x" authorization)" '^Bearer '
expect_eq "bearer: --location-trusted does not take it abroad" "$(far_saw /public/h4 authorization)" "-"

# cookie injection
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -b 'app=1' -o /dev/null "http://localhost:$P/ck/x?redirect_to=$F/public/h5"
expect_match "cookie: the first hop has the token cookie" "$(received $P /ck/x cookie)" 'nbsession='
# the app's own cookie arrived there: the hop was made, without ours
expect_eq "cookie: the foreign hop has the app's cookie and no token cookie" "$(far_saw /public/h5 cookie)" 'app=1'
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS --location-trusted -o /dev/null "http://localhost:$P/ck/y?redirect_to=$F/public/h6"
expect_eq "cookie: --location-trusted does not take it abroad" "$(far_saw /public/h6 cookie)" "-"

# query injection, with an automatic Referer
tsexec -c "$T/c.conf" -- "$CURL_BIN" -sS -L -e ';auto' -o /dev/null "http://localhost:$P/qs/x?redirect_to=$F/public/h7"
expect_match "query: the first hop has ?token=" "$(env -u LD_PRELOAD "$CURL_BIN" -sS "http://127.0.0.1:$P/_ts/requests" | \
	"$PY" -c 'import json,sys; print([r["path"] for r in json.load(sys.stdin) if r["path"].startswith("/qs/x")][0])')" '&token=[0-9a-f-]{36}$'
ref=$(far_saw /public/h7 referer)
expect_eq "query: the foreign hop's Referer is the app's URL, without the token" \
	"$ref" "http://localhost:$P/qs/x?redirect_to=$F/public/h7"
expect_eq "query: the foreign hop was made once" "$(far_saw /public/h7 referer | wc -l)" 1
expect_nomatch "query: no token anywhere in the foreign request" \
	"$(env -u LD_PRELOAD "$CURL_BIN" -sS "$F/_ts/requests")" 'token='

finish
