<?php
// One GET through php-curl, following redirects; prints the status.
$c = curl_init($argv[1]);
curl_setopt($c, CURLOPT_FOLLOWLOCATION, true);
curl_setopt($c, CURLOPT_RETURNTRANSFER, true);
if(curl_exec($c) === false)
	echo "error ", curl_error($c), "\n";
else
	echo curl_getinfo($c, CURLINFO_RESPONSE_CODE), "\n";
