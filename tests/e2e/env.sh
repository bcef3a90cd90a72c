#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# env.sh: eval "$(tokenshim env)" preloads the library into the shell
# itself, so that plain curl gets tokens without an exec of tokenshim's;
# --unset takes it out again; the lines suit sh and fish, with any path.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb
P=$nb_PORT
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
API="http://localhost:$P/ServicesAPI/API/V1"
export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"	# curl keeps its memory
# in a sanitizer build the runtime goes first, as with exec: RT is
# "runtime:" then, else empty
RT=$(env -u LD_PRELOAD "$TS" env | sed -n "s/^LD_PRELOAD='\(.*\)'; export LD_PRELOAD;\$/\1/p")
RT=${RT%"$TOKENSHIM_LIBRARY"}

# a shell that evals the lines, then runs plain curl
out=$(sh -c '
	eval "$("$1" -c "$2" env)" || exit 1
	for i in 1 2 3; do "$3" -sS -o /dev/null -w "%{http_code} " "$4/env?$i"; done
	echo "$TOKENSHIM_CONFIG"
' sh "$TS" "$T/c.conf" "$CURL_BIN" "$API")
expect_eq "after eval, plain curl is answered, three times" "${out% *}" "200 200 200"
expect_eq "and TOKENSHIM_CONFIG names the config" "${out##* }" "$T/c.conf"
expect_eq "every request carried the token" \
	"$(received $P /ServicesAPI/API/V1/env token | grep -cE '^[0-9a-f-]{36}$')" 3
expect_eq "through one login" "$(counter $P logins)" 1

# twice is once; what was preloaded before stays, behind
: >"$T/other.so"
out=$(LD_PRELOAD="$T/other.so" sh -c '
	eval "$("$1" env)"; eval "$("$1" env)"; echo "$LD_PRELOAD"' sh "$TS" 2>/dev/null)
expect_eq "eval twice: the library is there once, in front" "$out" "$RT$TOKENSHIM_LIBRARY:$T/other.so"

# --unset: the next curl goes out without a token (and does go out)
out=$(sh -c '
	eval "$("$1" -c "$2" env)"; eval "$("$1" -c "$2" env --unset)"
	"$3" -sS -o /dev/null -w "%{http_code}" "$4/unset"; echo " ${LD_PRELOAD-unset} ${TOKENSHIM_CONFIG-unset}"
' sh "$TS" "$T/c.conf" "$CURL_BIN" "$API")
expect_eq "after --unset, LD_PRELOAD and TOKENSHIM_CONFIG are gone" "${out#* }" "unset unset"
expect_eq "the request was made" "$(received $P /ServicesAPI/API/V1/unset token | wc -l)" 1
expect_eq "without a token" "$(received $P /ServicesAPI/API/V1/unset token)" "-"

# any path survives the quoting: blanks, quotes, a dollar
odd="$T/it's a \$HOME \"dir\""
mkdir -p "$odd"
cp "$TOKENSHIM_LIBRARY" "$odd/libtokenshim.so"
out=$(TOKENSHIM_LIBRARY="$odd/libtokenshim.so" sh -c 'eval "$("$1" env)"; printf %s "$LD_PRELOAD"' sh "$TS" 2>/dev/null)
expect_eq "sh: a path with blanks, quotes and a dollar comes through" "$out" "$RT$odd/libtokenshim.so"
out=$(TOKENSHIM_LIBRARY="$odd/libtokenshim.so" "$TS" env --shell fish)
expect_eq "fish syntax" "$out" "set -gx LD_PRELOAD '$RT$T/it\\'s a \$HOME \"dir\"/libtokenshim.so';"
expect_eq "fish, --unset" "$("$TS" env --shell fish --unset)" "set -e LD_PRELOAD;"
expect_eq "the shell is read from \$SHELL" "$(SHELL=/usr/bin/fish "$TS" env --unset)" "set -e LD_PRELOAD;"
# and fish itself runs them
out=$(fish -c '
	eval ("$argv[1]" -c "$argv[2]" env --shell fish)
	"$argv[3]" -sS -o /dev/null -w "%{http_code}" "$argv[4]/fish"
	echo " $TOKENSHIM_CONFIG"
' "$TS" "$T/c.conf" "$CURL_BIN" "$API")
expect_eq "fish: eval, then plain curl is answered" "$out" "200 $T/c.conf"
expect_match "with the token" "$(received $P /ServicesAPI/API/V1/fish token)" '^[0-9a-f-]{36}$'
out=$("$TS" env --shell csh 2>&1)
expect_eq "an unknown shell is an error" "$out" "tokenshim: env: --shell takes sh or fish, not 'csh'"
finish
