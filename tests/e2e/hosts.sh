#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# hosts.sh: the same NetBrain request from python3-pycurl (libcurl-gnutls)
# and php-curl (libcurl with OpenSSL, loaded with RTLD_DEEPBIND).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

start_server nb --user admin:s3cret --tenant T1 --domain D1
P=$nb_PORT
API="http://localhost:$P/ServicesAPI/API"
nb_profile nb "http://localhost:$P/ServicesAPI/*" "tenant_id = T1" "domain_id = D1" |
	conf "$T/c.conf"

cat >"$T/get.py" <<'PY'
import io, sys
import pycurl
buf = io.BytesIO()
c = pycurl.Curl()
c.setopt(pycurl.URL, sys.argv[1])
c.setopt(pycurl.WRITEDATA, buf)
try:
    c.perform()
except pycurl.error as e:
    print("error", e.args[0], e.args[1])
    sys.exit(1)
print(c.getinfo(pycurl.RESPONSE_CODE), buf.getvalue().decode())
PY
cat >"$T/get.php" <<'PHP'
<?php
$c = curl_init($argv[1]);
curl_setopt($c, CURLOPT_RETURNTRANSFER, true);
$r = curl_exec($c);
if ($r === false) { echo "error ", curl_errno($c), " ", curl_error($c), "\n"; exit(1); }
echo curl_getinfo($c, CURLINFO_RESPONSE_CODE), " ", $r, "\n";
PHP

ver=$("$PY" -c 'import pycurl; print(pycurl.version)')
expect_match "pycurl uses libcurl-gnutls" "$ver" 'GnuTLS'
out=$(tsexec -c "$T/c.conf" -- "$PY" "$T/get.py" "$API/V1/CMDB/Devices?via=pycurl" 2>&1)
expect_match "pycurl: the CMDB request succeeds" "$out" '^200 .*core-sw1'
expect_match "pycurl: the server got the token" \
	"$(received $P "/ServicesAPI/API/V1/CMDB/Devices?via=pycurl" token)" '^[0-9a-f-]{36}$'

# ASan's runtime refuses every dlopen with RTLD_DEEPBIND, and PHP loads all
# its extensions that way: in the sanitizer build PHP cannot start at all.
php_ok=1
if [ "${SANITIZERS:-no}" = yes ]; then
	echo "# php-curl: not run in the sanitizer build (ASan forbids PHP's RTLD_DEEPBIND)"
	php_ok=0
fi
if [ $php_ok = 1 ]; then
	out=$(tsexec -c "$T/c.conf" -- php "$T/get.php" "$API/V1/CMDB/Devices?via=php" 2>&1)
	expect_match "php-curl: the CMDB request succeeds" "$out" '^200 .*core-sw1'
	expect_match "php-curl: the server got the token" \
		"$(received $P "/ServicesAPI/API/V1/CMDB/Devices?via=php" token)" '^[0-9a-f-]{36}$'
	expect_eq "the two processes shared one login through the cache" \
		"$(counter $P logins)" 1
fi

# the failure reaches the language's own error, with the server's words
sed 's/password = s3cret/password = nope/' "$T/c.conf" | conf "$T/bad.conf"
out=$(tsexec -c "$T/bad.conf" -- "$PY" "$T/get.py" "$API/V1/CMDB/Devices" 2>/dev/null)
expect_match "pycurl: a wrong password raises error 67 with the server's message" \
	"$out" '^error 67 tokenshim: profile nb: login: Invalid username or password\.'
if [ $php_ok = 1 ]; then
	out=$(tsexec -c "$T/bad.conf" -- php "$T/get.php" "$API/V1/CMDB/Devices" 2>/dev/null)
	expect_match "php-curl: a wrong password gives error 67 with the server's message" \
		"$out" '^error 67 tokenshim: profile nb: login: Invalid username or password\.'
fi

# unmatched requests from both runtimes carry nothing
tsexec -c "$T/c.conf" -- "$PY" "$T/get.py" "http://127.0.0.1:$P/public/py" >/dev/null 2>&1
expect_eq "an unmatched pycurl request carries no token" \
	"$(received $P /public/py token)" "-"
if [ $php_ok = 1 ]; then
	tsexec -c "$T/c.conf" -- php "$T/get.php" "http://127.0.0.1:$P/public/php" >/dev/null 2>&1
	expect_eq "an unmatched php request carries no token" \
		"$(received $P /public/php token)" "-"
fi

finish
