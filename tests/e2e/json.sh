#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# json.sh: --json on the reporting verbs prints one JSON document that
# says what the text does (and never a secret it should not).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
{ nb_profile nb "http://localhost:$P/ServicesAPI/*" | sed 's|^password = .*|password_env = NB_PW|'
  printf '[profile typo]\nprovider = netbrain\nmatch = http://localhost:%s/typo/*\nurl = http://localhost:%s/ServicesAPI/API\nusername = u\npassword = p\ntimeout = soon\n' "$P" "$P"
} | conf "$T/c.conf"
export NB_PW=s3cret

# jq PROGRAM: reads stdin as JSON and prints PROGRAM (a python expression
# over d), or "invalid JSON"
jq() { "$PY" -c 'import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("invalid JSON"); sys.exit(0)
print(eval(sys.argv[1]))' "$1"; }

out=$("$TS" -c "$T/c.conf" token --json nb 2>/dev/null)
expect_eq "token --json: profile and token" "$(echo "$out" | jq 'd["profile"] + " " + str(len(d["token"]))')" "nb 36"
expect_eq "the token is the one the server issued" \
	"$(echo "$out" | jq 'd["token"]')" "$("$TS" -c "$T/c.conf" token nb)"
expect_match "expires_at is RFC 3339" "$(echo "$out" | jq 'd["expires_at"]')" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
expect_eq "expires_in is the provider's lifetime (NetBrain: 1800 s)" \
	"$(echo "$out" | jq '1795 <= d["expires_in"] <= 1800')" True

out=$("$TS" -c "$T/c.conf" status --json)
expect_match "status --json has an absolute expires_at" "$(echo "$out" | jq 'd[0]["expires_at"]')" '^20[0-9]{2}-.*Z$'
expect_eq "and null where nothing is held" "$(echo "$out" | jq 'd[1]["expires_at"]')" None

out=$("$TS" -c "$T/c.conf" match --json "http://u:pw@localhost:$P/ServicesAPI/API/V1/x?k=secret")
expect_eq "match --json: the profile and the injection" \
	"$(echo "$out" | jq 'd["profile"] + " " + d["inject"]["kind"] + " " + d["inject"]["name"] + " " + d["inject"]["value"]')" \
	"nb header token <token>"
expect_eq "the URL without user info or query" "$(echo "$out" | jq 'd["url"]')" "http://localhost:$P/ServicesAPI/API/V1/x"
out=$("$TS" -c "$T/c.conf" match --json "http://localhost:$P/none")
expect_eq "no profile is null" "$(echo "$out" | jq 'd["profile"]')" None

out=$("$TS" -c "$T/c.conf" check --json 2>/dev/null)
expect_eq "check --json exits 2 for a bad profile" "$?" 2
expect_eq "one object per profile, usable or not" \
	"$(echo "$out" | jq '" ".join("%s:%s" % (p["profile"], p["usable"]) for p in d["profiles"])')" "nb:True typo:False"
expect_eq "the reason, with file and line" \
	"$(echo "$out" | jq '"%s:%s: %s" % (d["profiles"][1]["problems"][0]["file"], d["profiles"][1]["problems"][0]["line"], d["profiles"][1]["problems"][0]["message"])')" \
	"$T/c.conf:14: timeout must be a number of seconds from 0.001 to 31536000 (a year), not 'soon'"
expect_eq "the secret's source kind, never the secret" "$(echo "$out" | jq 'd["profiles"][0]["secrets"]')" "{'password': 'env'}"
expect_nomatch "no secret anywhere" "$out" 's3cret'

out=$("$TS" providers --json)
expect_eq "providers --json lists every module with its keys" \
	"$(echo "$out" | jq '[k["name"] for p in d["providers"] if p["name"] == "netbrain" for k in p["keys"] if k["secret"]]')" "['password']"

finish
