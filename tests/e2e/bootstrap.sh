#!/bin/sh
# bootstrap.sh: ./bootstrap's configure arguments take effect. The
# script runs in a scratch tree whose configure, make and dpkg-query are
# stand-ins that log what they were asked, so that nothing is built.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

tree="$T/tree"
mkdir -p "$tree/tests" "$T/bin"
cp "$top_srcdir/bootstrap" "$tree/"
calls="$T/calls"
: >"$calls"
# configure: records its arguments as config.status does (--config)
cat >"$tree/configure" <<SH
#!/bin/sh
echo "configure \$*" >>"$calls"
{ echo '#!/bin/sh'; printf 'echo "'; for a in "\$@"; do printf "'%s' " "\$a"; done; echo '"'; } >config.status
chmod +x config.status
echo 'all:' >Makefile
SH
chmod +x "$tree/configure"
printf '#!/bin/sh\necho "make $*" >>"%s"\n' "$calls" >"$T/bin/make"
printf '#!/bin/sh\nprintf "install ok installed"\n' >"$T/bin/dpkg-query"
chmod +x "$T/bin/make" "$T/bin/dpkg-query"

boot() { (cd "$tree" && PATH="$T/bin:$PATH" sh ./bootstrap check "$@" >/dev/null 2>&1); }

boot
expect_eq "a fresh tree is configured" "$(grep -c '^configure' "$calls")" 1
: >"$calls"
boot --enable-sanitizers
expect_eq "new configure arguments take effect" "$(grep '^configure' "$calls")" "configure --enable-sanitizers"
expect_eq "after the old build is cleaned" "$(grep -c '^make clean' "$calls")" 1
expect_match "and the job still runs" "$(tail -1 "$calls")" "^make -j[0-9]+ check$"
: >"$calls"
boot --enable-sanitizers
expect_eq "the same arguments again: no new configure" "$(grep -c '^configure' "$calls")" 0
: >"$calls"
boot
expect_eq "back to no arguments: configured again" "$(grep '^configure' "$calls")" "configure "

finish
