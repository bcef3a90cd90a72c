#!/bin/sh
# lint.sh: every shell script in the tree is clean at the
# warning level of shellcheck, sourced files followed.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 1
if ! command -v shellcheck >/dev/null; then
	echo "# skipped: shellcheck is not installed (./bootstrap installs it)"
	exit 0
fi
files=$(grep -rlE '^#!/bin/(ba)?sh|^# shellcheck shell=' bootstrap .ci tests src 2>/dev/null |
	grep -vE '\.(log|trs|o)$|/build/' | sort)
n=$(echo "$files" | wc -l)
# shellcheck disable=SC2086 # one word per file
if out=$(shellcheck -x -S warning $files 2>&1); then
	echo "ok - shellcheck -S warning is clean on $n scripts"
	exit 0
fi
echo "not ok - shellcheck -S warning"
echo "$out" | sed 's/^/#   /'
exit 1
