#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# deb.sh: the Debian package. dpkg-buildpackage builds it from the tree
# (without the suite: nocheck), lintian finds no errors, and unpacked with
# dpkg -x into a scratch root, its tokenshim runs, finds its library and
# providers there, injects a token into an unmodified curl, and its man
# pages are found.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	echo "# skipped: dpkg-buildpackage and debhelper are not installed"
	finish
	exit 0
fi

# the tree as committed (a clone), or the dist tree as it is
src="$T/src/tokenshim"
mkdir -p "$T/src"
if [ -d "$top_srcdir/.git" ]; then
	git clone -q "$top_srcdir" "$src"
else
	cp -R "$top_srcdir" "$src"
	chmod -R u+w "$src"
fi
(cd "$src" && env -u TOKENSHIM_LIBRARY -u TOKENSHIM_PROVIDER_PATH -u ASAN_OPTIONS \
	DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1)
expect_eq "dpkg-buildpackage -us -uc -b builds" "$?" 0 || tail -20 "$T/build.log"
deb=$(ls "$T/src"/tokenshim_*_*.deb 2>/dev/null | head -1)
dev=$(ls "$T/src"/tokenshim-dev_*_*.deb 2>/dev/null | head -1)
expect_match "the package and its -dev package" "$(basename "$deb") $(basename "$dev")" '^tokenshim_.*\.deb tokenshim-dev_.*\.deb$'

if command -v lintian >/dev/null; then
	out=$(lintian "$T/src"/tokenshim_*.changes 2>&1)
	expect_nomatch "lintian reports no errors" "$out" '^E: '
else
	echo "# skipped: lintian is not installed"
fi

list=$(dpkg -c "$deb"; dpkg -c "$dev")
expect_match "(the listing holds the providers)" "$list" '/providers/netbrain\.so$'
expect_nomatch "no .la files are installed" "$list" '\.la$'
for f in usr/bin/tokenshim "usr/lib/.*/tokenshim/libtokenshim.so" \
	"usr/lib/.*/tokenshim/providers/netbrain.so" usr/share/man/man5/tokenshim.conf.5.gz \
	usr/share/bash-completion/completions/tokenshim \
	usr/share/doc/tokenshim/examples/tokenshim.conf.example; do
	expect_match "the package holds $f" "$(dpkg -c "$deb")" "\./$f\$"
done
expect_match "the -dev package holds the pkg-config file" "$(dpkg -c "$dev")" 'pkgconfig/tokenshim-provider.pc$'

root="$T/root"
dpkg -x "$deb" "$root"
dpkg -x "$dev" "$root"
unset TOKENSHIM_LIBRARY TOKENSHIM_PROVIDER_PATH
out=$("$root/usr/bin/tokenshim" --version)
expect_match "the unpacked tokenshim runs" "$out" '^tokenshim [0-9]'
expect_match "and finds its library where the package put it" "$out" "library: +$root/usr/lib/[^/]+/tokenshim/libtokenshim.so"
expect_match "and its providers" "$out" "providers: +$root/usr/lib/[^/]+/tokenshim/providers"
pc=$(ls "$root"/usr/lib/*/pkgconfig/tokenshim-provider.pc)
expect_eq "pkg-config names the provider directory" \
	"$(pkg-config --define-variable=prefix=/usr --variable=providerdir "$pc")" \
	"$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null | sed 's|^|/usr/lib/|; s|$|/tokenshim/providers|')"

start_server nb --user admin:s3cret
P=$nb_PORT
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
out=$(ASAN_OPTIONS=detect_leaks=0 "$root/usr/bin/tokenshim" exec -c "$T/c.conf" -- \
	"$CURL_BIN" -sS "http://localhost:$P/ServicesAPI/API/V1/Other?case=deb" 2>&1)
expect_match "its exec gives an unmodified curl a token" "$out" '790200'
expect_match "which the server received" "$(received $P "/ServicesAPI/API/V1/Other?case=deb" token)" '^[0-9a-f-]{36}$'
expect_match "its man pages are found" "$(man -M "$root/usr/share/man" -w tokenshim.conf 2>&1)" "$root/usr/share/man/man5/tokenshim.conf.5"

finish
