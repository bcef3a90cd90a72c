#!/bin/sh
# demo_run.sh: the demo (./bootstrap demo) runs to its end, and says each
# thing once.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

export top_srcdir top_builddir
out=$(sh "$top_srcdir/tests/demo.sh" 2>&1)
expect_eq "the demo runs to its end" "$?" 0
for n in 1 2 3; do
	expect_eq "process $n is reported once" "$(echo "$out" | grep -c "^  process $n: HTTP 200 200 ")" 1
done
expect_eq "the fleet step: four calls from two machines answered" \
	"$(echo "$out" | grep -c '^  machine [AB]: HTTP 200$')" 4
expect_match "through one login" "$out" '^server: 1 Control Room login\(s\) for both machines$'
finish
