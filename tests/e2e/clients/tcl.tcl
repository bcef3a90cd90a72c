# One GET through TclCurl, following redirects; prints the status.
package require TclCurl
set c [curl::init]
$c configure -url [lindex $argv 0] -followlocation 1 -bodyvar body
if {[catch {$c perform} rc] || $rc != 0} {
	puts "error $rc"
} else {
	puts [$c getinfo responsecode]
}
$c cleanup
