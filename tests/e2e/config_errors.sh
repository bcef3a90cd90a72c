#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# config_errors.sh: bad configs are reported as file:line, make only the
# affected profile unusable, and a readable literal secret is refused.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"

conf "$T/bad.conf" <<CONF
[defaults]
timeout = 5

[profile good]
provider = netbrain
match = http://localhost:$P/ServicesAPI/*
url = $API
username = admin
password = s3cret

[profile typo]
provider = netbrian
match = http://localhost:$P/typo/*
url = $API

[profile badkey]
provider = netbrain
match = http://localhost:$P/badkey/*
url = $API
username = admin
password = s3cret
pasword = s3cret

[profile nomatch]
provider = netbrain
url = $API
username = admin
password = s3cret

[profile badpattern]
provider = netbrain
match = localhost:$P/nope
url = $API
username = admin
password = s3cret
timeout = soon
CONF

out=$("$TS" -c "$T/bad.conf" check 2>&1)
rc=$?
expect_eq "check exits 2 for a bad config" "$rc" 2
expect_match "unknown provider is reported at its line" "$out" \
	"bad.conf:12: profile typo: unknown provider 'netbrian'"
expect_match "a key the provider does not know is reported at its line" "$out" \
	"bad.conf:22: profile badkey: unknown key 'pasword' for provider netbrain"
expect_match "a missing match is reported at the profile's line" "$out" \
	"bad.conf:24: profile nomatch: missing required key 'match'"
expect_match "a bad pattern is reported at its line" "$out" \
	"bad.conf:32: profile badpattern: bad match pattern"
expect_match "a bad number is reported at its line" "$out" \
	"bad.conf:36: profile badpattern: timeout must be a number of seconds"
expect_match "check counts usable profiles" "$out" '1 of 5 profile\(s\) usable'

# under exec: the broken profile's requests fail loudly, the good one works
tsexec -c "$T/bad.conf" -- "$CURL_BIN" -sS "http://localhost:$P/typo/x" \
	>/dev/null 2>"$T/err"
expect_eq "a request for an unusable profile fails (67)" "$?" 67
expect_match "the preload reports the config error as file:line" \
	"$(cat "$T/err")" "bad.conf:12: profile typo: unknown provider 'netbrian'"
expect_match "and names the unusable profile" "$(cat "$T/err")" \
	'profile typo: unusable because of errors in'
out=$(tsexec -c "$T/bad.conf" -- "$CURL_BIN" -sS "$API/V1/Other" 2>/dev/null)
expect_match "the good profile keeps working" "$out" '790200'
expect_eq "unusable profiles sent nothing to the typo path" \
	"$(received $P /typo/ token | wc -l)" 0

# a key outside any section, a bad section, a duplicate key
conf "$T/syntax.conf" <<CONF
stray = 1
[server nb]
[profile dup]
provider = netbrain
provider = netbrain
match = http://localhost:$P/dup/*
url = $API
username = admin
password = s3cret
password s3cret
CONF
out=$("$TS" -c "$T/syntax.conf" check 2>&1)
expect_match "a key outside any section" "$out" "syntax.conf:1: key 'stray' outside any section"
expect_match "an unknown section" "$out" 'syntax.conf:2: unknown section: expected \[defaults\] or \[profile NAME\]'
expect_match "a duplicate key" "$out" "syntax.conf:5: profile dup: duplicate key 'provider' \\(first at line 4\\)"
expect_match "a line that is no key = value" "$out" "syntax.conf:10: expected 'key = value'"
expect_nomatch "without showing the line, which may hold a secret" "$out" 's3cret'

# a literal secret in a file others can read is refused, as ssh does
conf "$T/open.conf" <<CONF
[profile nb]
provider = netbrain
match = http://localhost:$P/ServicesAPI/*
url = $API
username = admin
password = s3cret
CONF
chmod 644 "$T/open.conf"
out=$("$TS" -c "$T/open.conf" check 2>&1)
expect_eq "check refuses a readable file with a literal secret" "$?" 2
expect_match "naming the file" "$out" \
	"open.conf:6: holds a literal secret and is readable by group or others"
expect_nomatch "without showing the secret" "$out" 's3cret'
before=$(counter $P logins)
tsexec -c "$T/open.conf" -- "$CURL_BIN" -sS "$API/V1/Other" >/dev/null 2>"$T/err"
expect_eq "the preload refuses it too (67)" "$?" 67
expect_eq "and logs nobody in" "$(counter $P logins)" "$before"

# the same file with the secret in a file of its own is fine at 644
printf 's3cret\n' >"$T/pw"
chmod 600 "$T/pw"
sed 's|^password = s3cret|password_file = '"$T"'/pw|' "$T/open.conf" >"$T/indirect.conf"
chmod 644 "$T/indirect.conf"
out=$("$TS" -c "$T/indirect.conf" check 2>&1)
expect_eq "password_file in a readable config passes check" "$?" 0
out=$(tsexec -c "$T/indirect.conf" -- "$CURL_BIN" -sS "$API/V1/Other" 2>&1)
expect_match "and works (trailing newline stripped)" "$out" '790200'

# a provider module that cannot load is reported with its path and why
mkdir -p "$T/prov"
cp "$top_builddir/plugin/netbrain/.libs/netbrain.so" "$T/prov/"
printf 'not an ELF file' >"$T/prov/broken.so"
sed 's/provider = netbrain/provider = broken/' "$T/indirect.conf" >"$T/broken.conf"
out=$(TOKENSHIM_PROVIDER_PATH="$T/prov" "$TS" -c "$T/broken.conf" check 2>&1)
expect_match "a module that fails to load is named with dlerror()" "$out" \
	"broken.conf:2: profile nb: provider broken: cannot load $T/prov/broken.so: .*"

# a missing explicit config is an error; a missing default one is not
out=$("$TS" -c "$T/nonexistent.conf" check 2>&1)
expect_eq "-c with a missing file fails" "$?" 2
out=$(TOKENSHIM_CONFIG="$T/nonexistent.conf" "$TS" check 2>&1)
expect_match "TOKENSHIM_CONFIG naming a missing file is reported" "$out" \
	'nonexistent.conf: cannot read config: No such file'
out=$(tsexec -- "$CURL_BIN" -sS "http://127.0.0.1:$P/public/noconf" 2>&1)
expect_match "with no config at all, curl works untouched" "$out" 'public'

finish
