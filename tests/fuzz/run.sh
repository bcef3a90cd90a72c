#!/bin/sh
# make fuzz: builds every target in tests/fuzz with clang, libFuzzer,
# ASan and UBSan (the library's sources and the provider modules too, so
# that coverage reaches them), then runs each for FUZZ_SECONDS seconds
# from its seed corpus in tests/fuzz/corpus/TARGET. Exits non-zero on any
# crash, leak, timeout or out-of-memory report, naming the reproducer
# libFuzzer left in tests/fuzz/build/artifacts/.
#
#   FUZZ_SECONDS  per target (default 30)
#   FUZZ_TARGETS  which ones (default: all)
#   FUZZ_JOBS     how many run at once (default 1)
#   FUZZ_FLAGS    more libFuzzer flags (a long run may want
#                 "-fork=1 -ignore_crashes=1" to go on past a crash)
set -eu

src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-$src}/tests/fuzz/build
secs=${FUZZ_SECONDS:-30}
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (./bootstrap installs clang)" >&2; exit 2; }

PKG_CFLAGS=$(pkg-config --cflags libcurl)
LIBS="$(pkg-config --libs libcurl) $(${CC:-cc} -print-file-name=libhiredis.a) -lpthread -ldl"

# clang with what every object, module and target here shares
fcc() {
	"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -DCURL_DISABLE_TYPECHECK \
		-DCURL_DISABLE_DEPRECATION -DPACKAGE_VERSION='"fuzz"' \
		-DPKGLIBDIR='"/nonexistent"' -DBINDIR='"/nonexistent/bin"' \
		-DPROVIDERDIR="\"$bld/providers\"" -DFUZZ_PROVIDERS="\"$bld/providers\"" \
		-I"$src/src" -I"$src/plugin" -I"$src/plugin/common" $PKG_CFLAGS \
		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer "$@"
}

# the library's sources, as libtscore.la lists them, and the ELF reader
CORE=$(sed -n '/^libtscore_la_SOURCES/,/^[^	]/p' "$src/Makefile.am" |
	tr ' \\' '\n\n' | grep '\.c$')
CORE="$CORE src/hook/elfdeps.c"
PROVIDERS="netbrain netbrain-portal resolve automation-anywhere idscan vrops oauth2 exec"
TARGETS=${FUZZ_TARGETS:-$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')}

mkdir -p "$bld/obj" "$bld/providers" "$bld/artifacts" "$bld/corpus"
build() {
	objs=""
	for f in $CORE; do
		o="$bld/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')"
		if [ ! -f "$o" ] || find "$src/$f" "$src/src" "$src/plugin" -name '*.[ch]' -newer "$o" | grep -q .; then
			fcc -fsanitize=fuzzer-no-link -c "$src/$f" -o "$o"
		fi
		objs="$objs $o"
	done
	for p in $PROVIDERS; do
		fcc -fsanitize=fuzzer-no-link -fPIC -shared -fvisibility=hidden \
			"$src/plugin/$p/$p.c" "$src/plugin/common/pvutil.c" -o "$bld/providers/$p.so"
	done
	for t in $TARGETS; do
		fcc -fsanitize=fuzzer "$src/tests/fuzz/$t.c" $objs $LIBS -o "$bld/$t"
	done
}
echo "fuzz: building $(echo $TARGETS | wc -w) targets with $CC"
build

export TOKENSHIM_PROVIDER_PATH="$bld/providers" TOKENSHIM_CACHE_DIR="$bld/cache"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

run_one() {
	t=$1
	mkdir -p "$bld/corpus/$t"
	log="$bld/$t.log"
	# new inputs go to build/corpus; the seeds in the tree are read only
	if "$bld/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=1100000 -print_final_stats=1 ${FUZZ_FLAGS:-} \
		-artifact_prefix="$bld/artifacts/$t-" \
		"$bld/corpus/$t" "$src/tests/fuzz/corpus/$t" >"$log" 2>&1; then
		# (-fork=1 prints no final stats: its last "#N:" line counts)
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' "$log" | tail -1)
		echo "fuzz: $t: clean, $execs runs in ${secs}s"
	else
		echo "fuzz: $t: FAILED; see $log" >&2
		grep -E '^==[0-9]+==ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
		return 1
	fi
}

failed=0
jobs=${FUZZ_JOBS:-1}
pids=""
for t in $TARGETS; do
	run_one "$t" &
	pids="$pids $!"
	if [ "$(echo $pids | wc -w)" -ge "$jobs" ]; then
		for p in $pids; do wait "$p" || failed=1; done
		pids=""
	fi
done
for p in $pids; do wait "$p" || failed=1; done
[ "$failed" -eq 0 ] && echo "fuzz: all targets clean"
exit "$failed"
