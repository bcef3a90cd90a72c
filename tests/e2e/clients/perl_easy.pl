# One GET through WWW::Curl::Easy, following redirects; prints the status.
use strict;
use WWW::Curl::Easy;
my $c = WWW::Curl::Easy->new;
my $body = "";
$c->setopt(CURLOPT_URL, $ARGV[0]);
$c->setopt(CURLOPT_FOLLOWLOCATION, 1);
$c->setopt(CURLOPT_WRITEDATA, \$body);
my $rc = $c->perform;
print $rc ? "error $rc\n" : $c->getinfo(CURLINFO_HTTP_CODE) . "\n";
