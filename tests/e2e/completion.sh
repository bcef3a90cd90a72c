#!/bin/sh
# completion.sh: bash completion of verbs, options and the profile names
# of the config in effect, through bash's own complete and compgen.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v bash >/dev/null; then
	echo "# skipped: no bash"
	finish
	exit 0
fi
{ printf '[profile nb]\nprovider = netbrain\nmatch = https://nb/*\nurl = https://nb/ServicesAPI/API\nusername = u\npassword = p\n'
  printf '[profile reports]\nprovider = oauth2\nmatch = https://r/*\ntoken_url = https://r/t\nclient_id = c\nclient_secret = s\n'; } |
	conf "$T/c.conf"
mkdir -p "$T/bin"
ln -s "$TS" "$T/bin/tokenshim"

# comp WORDS...: what completing the last word offers, sorted, one line
comp() {
	PATH="$T/bin:$PATH" bash -c '
. "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
complete -p tokenshim >/dev/null || { echo "not registered"; exit; }
fn=$(complete -p tokenshim | sed "s/.*-F \([^ ]*\).*/\1/")
"$fn" tokenshim "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' sh "$top_srcdir/src/cli/tokenshim.bash" "$@"
}

expect_eq "complete -p knows tokenshim" "$(PATH="$T/bin:$PATH" bash -c '. "$1"; complete -p tokenshim' sh "$top_srcdir/src/cli/tokenshim.bash")" \
	"complete -F _tokenshim tokenshim"
expect_eq "verbs" "$(comp tokenshim lo)" "login logout "
expect_eq "keygen" "$(comp tokenshim ke)" "keygen "
expect_eq "env's options" "$(comp tokenshim env --)" "--config --shell --unset "
expect_eq "and its shells" "$(comp tokenshim env --shell "")" "fish sh "
expect_eq "the options of a verb" "$(comp tokenshim token --)" "--config --json --min-lifetime "
expect_eq "profile names from -c FILE on the line" "$(comp tokenshim -c "$T/c.conf" token "")" \
	"--config --json --min-lifetime -c nb reports "
expect_eq "and from TOKENSHIM_CONFIG" "$(TOKENSHIM_CONFIG="$T/c.conf" comp tokenshim logout re)" "reports "
expect_eq "exec --env NAME=PROFILE" "$(comp tokenshim -c "$T/c.conf" exec --env NB=n)" "NB=nb "
expect_eq "after exec --, commands" "$(comp tokenshim exec -- tokensh)" "tokenshim "
finish
