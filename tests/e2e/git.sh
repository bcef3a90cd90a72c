#!/bin/sh
# shellcheck disable=SC2154 # NAME_PORT is set by start_server, through eval
# git.sh: git's HTTP transport (libcurl-gnutls, handles made with
# curl_easy_duphandle, driven through a multi handle) against a server that
# wants a NetBrain token in a "token:" header: ls-remote and clone over the
# dumb protocol (static files) and the smart one (git http-backend).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1
git="git -c user.name=tokenshim -c user.email=test@example.invalid -c init.defaultBranch=main"

# a repository with one commit, served bare from $T/root
mkdir "$T/work" "$T/root"
(cd "$T/work" && $git init -q && echo "hello from tokenshim" >README &&
	$git add README && $git commit -qm first) || exit 99
$git clone -q --bare "$T/work" "$T/root/repo.git" || exit 99
(cd "$T/root/repo.git" && git update-server-info) || exit 99
head=$(git -C "$T/work" rev-parse HEAD)

start_server nb --user admin:s3cret --git-root "$T/root"
P=$nb_PORT
nb_profile nb "http://localhost:$P/*" | conf "$T/c.conf"
DUMB="http://localhost:$P/git/dumb/repo.git"
SMART="http://localhost:$P/git/smart/repo.git"
run() { tsexec -c "$T/c.conf" -- $git "$@"; }

for kind in dumb smart; do
	[ $kind = dumb ] && url=$DUMB || url=$SMART
	out=$(run ls-remote "$url" 2>&1)
	expect_match "$kind: ls-remote lists the branch" "$out" "^$head	refs/heads/main$"
	run clone -q "$url" "$T/clone-$kind" 2>"$T/clone-$kind.err"
	expect_eq "$kind: clone checks out the file" \
		"$(cat "$T/clone-$kind/README" 2>/dev/null)" "hello from tokenshim"
done
expect_eq "one login for every git request" "$(counter $P logins)" 1
expect_eq "every request to /git/ carried the token" \
	"$(received $P /git/ token | grep -cvE '^[0-9a-f-]{36}$')" 0
expect_match "the dumb clone fetched objects one by one" \
	"$(received $P /git/dumb/repo.git/objects/ token | wc -l)" '^[1-9]'
expect_match "the smart clone posted to git-upload-pack" \
	"$(received $P /git/smart/repo.git/git-upload-pack token | wc -l)" '^[1-9]'

# the server forgets the token: git never sees the 401
ctl $P /_ts/expire
out=$(run ls-remote "$SMART" 2>&1)
expect_match "after expiry: ls-remote still lists the branch" "$out" "^$head	refs/heads/main$"
expect_nomatch "after expiry: git saw no authentication failure" "$out" 'Authentication|Username|401'
expect_eq "after expiry: one more login" "$(counter $P logins)" 2
ctl $P /_ts/expire
run clone -q "$SMART" "$T/clone-again" 2>"$T/clone-again.err"
expect_eq "after expiry: a smart clone succeeds" \
	"$(cat "$T/clone-again/README" 2>/dev/null)" "hello from tokenshim"

# a redirect to another host (which serves the same repository) carries
# no token: git follows the redirect of its first request
start_server far --bind 127.0.0.2 --git-root "$T/root"
out=$(run ls-remote "http://localhost:$P/to/127.0.0.2:$far_PORT/git/smart/repo.git" 2>&1)
expect_match "redirect: git reached the other host" \
	"$(received "127.0.0.2:$far_PORT" /git/smart/repo.git token | wc -l)" '^[1-9]'
expect_eq "redirect: and none of them carried the token" \
	"$(received "127.0.0.2:$far_PORT" /git/smart/repo.git token | sort -u)" "-"

# and without tokenshim, git is refused (it would ask for a password)
out=$(env -u LD_PRELOAD $git ls-remote "$SMART" 2>&1)
expect_match "without tokenshim the server refuses git" "$out" 'could not read Username|Authentication failed'
finish
