#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# programs.sh: unmodified programs on libcurl, each through its own
# binding and libcurl flavour: curl over HTTP/2 with TLS (easy and -Z,
# through nghttpx in front of the test server), pycurl (easy and multi,
# on libcurl-gnutls), php-curl, Perl WWW::Curl (easy and multi), Lua-curl,
# TclCurl, R's curl (curl_fetch_memory and multi_run), Ruby's curb,
# cmake's file(DOWNLOAD) and GDAL's /vsicurl/. For each, four things, on
# what the servers received: the first call succeeds with a token; the
# second reuses it (one login); after the server forgets its tokens a
# call is replayed invisibly; a redirect to another host carries no token.
# A program Debian lacks here is skipped with a line saying so.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret
P=$nb_PORT
start_server far --bind 127.0.0.2
F="http://127.0.0.2:$far_PORT"
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" | conf "$T/c.conf"
C="$top_srcdir/tests/e2e/clients"

# HTTP/2 over TLS: nghttpx terminates it in front of the test server
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
H2=""
if command -v nghttpx >/dev/null; then
	H2=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	nghttpx --conf=/dev/null --frontend="127.0.0.1,$H2" --backend="127.0.0.1,$P" \
		--workers=1 --no-ocsp --errorlog-file="$T/h2.log" "$T/key.pem" "$T/cert.pem" &
	pids="$pids $!"
	i=0
	until env -u LD_PRELOAD "$CURL_BIN" -s -o /dev/null --cacert "$T/cert.pem" "https://localhost:$H2/public/up"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "FATAL: nghttpx did not start"; cat "$T/h2.log"; exit 99; }
		sleep 0.1
	done
	cat >>"$T/c.conf" <<CONF
[profile h2]
provider = netbrain
match = https://localhost:$H2/ServicesAPI/*
url = https://localhost:$H2/ServicesAPI/API
username = admin
password = s3cret
ca_file = $T/cert.pem
CONF
fi
tok='^[0-9a-f-]{36}$'
export GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR

# the program of each client, given a URL: prints the final HTTP status
client() {
	name=$1
	url=$2
	case $name in
	curl-h2|curl-h2-Z)
		# the answer must have come over HTTP/2
		# shellcheck disable=SC2046
		out=$("$CURL_BIN" -sS --http2 --cacert "$T/cert.pem" -L -o /dev/null \
			$([ "$name" = curl-h2-Z ] && echo -Z) -w '%{http_version}:%{http_code}' "$url")
		case $out in 2:*) echo "${out#2:}" ;; *) echo "error: $out" ;; esac ;;
	pycurl-easy)	"$PY" "$C/pycurl_easy.py" "$url" ;;
	pycurl-multi)	"$PY" "$C/pycurl_multi.py" "$url" ;;
	php)		php "$C/php.php" "$url" ;;
	perl-easy)	perl "$C/perl_easy.pl" "$url" ;;
	perl-multi)	perl "$C/perl_multi.pl" "$url" ;;
	lua)		lua5.2 "$C/lua.lua" "$url" ;;
	tcl)		tclsh "$C/tcl.tcl" "$url" ;;
	r-fetch)	Rscript "$C/r_fetch.R" "$url" ;;
	r-multi)	Rscript "$C/r_multi.R" "$url" ;;
	ruby)		ruby "$C/ruby.rb" "$url" ;;
	cmake)		cmake -DURL="$url" -DOUT="$T/cmake.out" -P "$C/cmake.cmake" 2>&1 ;;
	gdal)		ogrinfo -ro -so -al "/vsicurl/$url" >/dev/null 2>&1 && echo 200 ||
				echo "error $?" ;;
	esac
}
# is the client there? its interpreter and its binding
have() {
	case $1 in
	curl-h2*)	[ -n "$H2" ] ;;
	pycurl-*)	"$PY" -c 'import pycurl' 2>/dev/null ;;
	php)	php -r 'exit(function_exists("curl_init") ? 0 : 1);' 2>/dev/null ;;
	perl-*)	perl -MWWW::Curl::Easy -e 1 2>/dev/null ;;
	lua)	command -v lua5.2 >/dev/null && lua5.2 -e 'require "curl"' 2>/dev/null ;;
	tcl)	echo 'package require TclCurl' | tclsh >/dev/null 2>&1 ;;
	r-*)	command -v Rscript >/dev/null && Rscript -e 'library(curl)' >/dev/null 2>&1 ;;
	ruby)	ruby -e 'require "curb"' 2>/dev/null ;;
	cmake)	command -v cmake >/dev/null ;;
	gdal)	command -v ogrinfo >/dev/null ;;
	esac
}
run() { tsexec -c "$T/c.conf" -- sh -c '. "$0"; client "$1" "$2"' "$T/client.sh" "$@"; }
# the functions above, for the shell tsexec starts
{ sed -n '/^client() {/,/^}/p' "$0"; echo "C='$C'; T='$T'; CURL_BIN='$CURL_BIN'; PY='$PY'"; } >"$T/client.sh"

for c in curl-h2 curl-h2-Z pycurl-easy pycurl-multi php perl-easy perl-multi lua tcl r-fetch r-multi ruby cmake gdal; do
	if [ "$c" = php ] && [ "${SANITIZERS:-no}" = yes ]; then
		echo "# skipped php: not run in the sanitizer build (ASan forbids PHP's RTLD_DEEPBIND)"
		continue
	fi
	if ! have "$c"; then
		echo "# skipped $c: not installed on this machine"
		continue
	fi
	# GDAL reads a dataset; the others any answer
	p=V1/Other; [ "$c" = gdal ] && p=V1/data.geojson
	API="http://localhost:$P/ServicesAPI/API"
	case $c in curl-h2*) API="https://localhost:$H2/ServicesAPI/API" ;; esac
	new_cache
	before=$(counter $P logins)
	out=$(run "$c" "$API/$p?c=$c&n=1" 2>"$T/err")
	expect_eq "$c: the first call succeeds" "$out" 200
	expect_match "$c: it carried the token" "$(received $P "/ServicesAPI/API/$p?c=$c&n=1" token | tail -n 1)" "$tok"
	out=$(run "$c" "$API/$p?c=$c&n=2" 2>>"$T/err")
	expect_eq "$c: the second call succeeds" "$out" 200
	expect_eq "$c: with the same token: one login" \
		"$(($(counter $P logins) - before)):$(received $P "/ServicesAPI/API/$p?c=$c&n=2" token | sort -u)" \
		"1:$(received $P "/ServicesAPI/API/$p?c=$c&n=1" token | tail -n 1)"
	ctl $P /_ts/expire
	out=$(run "$c" "$API/$p?c=$c&n=3" 2>>"$T/err")
	expect_eq "$c: after the server forgot its tokens, the call succeeds" "$out" 200
	expect_eq "$c: replayed with a new token, one more login" \
		"$(($(counter $P logins) - before)):$(received $P "/ServicesAPI/API/$p?c=$c&n=3" token | sort -u | wc -l)" "2:2"
	target=/public/$c; [ "$c" = gdal ] && target=/public/gdal.geojson
	run "$c" "$API/$p?c=$c&n=4&redirect_to=$F$target" >/dev/null 2>>"$T/err"
	expect_match "$c: the redirected call reached the other host" \
		"$(received "127.0.0.2:$far_PORT" "$target" token | wc -l)" '^[1-9]'
	expect_eq "$c: without the token" "$(received "127.0.0.2:$far_PORT" "$target" token | sort -u)" "-"
	expect_nomatch "$c: no tokenshim complaint" "$(cat "$T/err")" 'tokenshim:'
done

finish
