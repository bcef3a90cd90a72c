#!/bin/sh
# layers.sh: src/ keeps one layer per folder, and dependencies point one
# way: hook -> xfer -> engine -> store, provider -> curl -> util (cli sits
# beside hook, on engine, provider and store). Two checks:
#  1. no file includes a header of a layer it may not use;
#  2. no two object files of the library call each other in a circle
#     (read from the symbols each object defines and needs).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
exec python3 - "$top_srcdir" "$top_builddir" <<'PY'
import glob, os, re, subprocess, sys

src, build = sys.argv[1], sys.argv[2]
may_use = {
    "util": {"util"},
    "curl": {"curl", "util"},
    "provider": {"provider", "curl", "util"},
    "store": {"store", "curl", "util"},
    "engine": {"engine", "store", "provider", "util"},
    "xfer": {"xfer", "engine", "curl", "util"},
    "hook": {"hook", "xfer", "curl", "util"},
    "cli": {"cli", "engine", "provider", "store", "util"},
}
# the provider ABI: for the plugin host and those who configure it
abi_users = {"provider", "engine", "cli"}
passed = failed = 0

def check(ok, what, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)
        if why:
            print("#   " + why)

# 1. includes
files = sorted(glob.glob(os.path.join(src, "src", "*", "*.[ch]")))
check(len(files) > 30, "the layer folders hold the sources (%d files)" % len(files))
for f in files:
    layer = os.path.basename(os.path.dirname(f))
    rel = os.path.relpath(f, src)
    if layer not in may_use:
        check(False, rel + ": in a folder that is no layer")
        continue
    bad = []
    for line in open(f, encoding="utf-8"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        inc = m.group(1)
        if "/" in inc:
            if inc.split("/")[0] not in may_use[layer]:
                bad.append(inc)
        elif inc == "tokenshim_provider.h":
            if layer not in abi_users:
                bad.append(inc)
        else:
            bad.append(inc + " (not named by its layer)")
    check(not bad, rel + ": includes only what its layer may use",
          "includes " + ", ".join(bad))

# 2. object files calling each other in a circle
objs = sorted(set(glob.glob(os.path.join(build, "src", "*", ".libs", "*.o"))))
check(len(objs) > 20, "the library's objects are built (%d)" % len(objs))
defs, needs = {}, {}
for o in objs:
    out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
    d, u = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            u.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVW" and parts[1].isupper():
            d.add(parts[2])
    defs[o], needs[o] = d, u
owner = {}
for o, d in defs.items():
    for s in d:
        owner.setdefault(s, o)
graph = {o: sorted({owner[s] for s in needs[o] if s in owner and owner[s] != o})
         for o in objs}
# Tarjan's strongly connected components
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1
    stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        sccs.append(c)
sys.setrecursionlimit(10000)
for v in objs:
    if v not in index:
        visit(v)
cycles = [sorted(os.path.relpath(x, build) for x in c) for c in sccs if len(c) > 1]
check(not cycles, "no two objects call each other in a circle",
      "; ".join(" <-> ".join(c) for c in cycles))
# the rule itself can fail: a made-up circle is found
graph_save = graph
graph = {"a": ["b"], "b": ["a"], "c": []}
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
for v in graph:
    if v not in index:
        visit(v)
check(any(len(c) > 1 for c in sccs), "the circle check finds a planted circle")
print("layers: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
