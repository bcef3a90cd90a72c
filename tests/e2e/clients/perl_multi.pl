# One GET through WWW::Curl::Multi, following redirects; prints the status.
use strict;
use WWW::Curl::Easy;
use WWW::Curl::Multi;
my $c = WWW::Curl::Easy->new;
my $m = WWW::Curl::Multi->new;
my $body = "";
$c->setopt(CURLOPT_URL, $ARGV[0]);
$c->setopt(CURLOPT_FOLLOWLOCATION, 1);
$c->setopt(CURLOPT_WRITEDATA, \$body);
$c->setopt(CURLOPT_PRIVATE, 1);
$m->add_handle($c);
my $running = 1;
while($running) {
	$running = $m->perform;
	select(undef, undef, undef, 0.01) if $running;
}
my ($id, $rc) = $m->info_read;
print $rc ? "error $rc\n" : $c->getinfo(CURLINFO_HTTP_CODE) . "\n";
