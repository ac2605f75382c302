#!/usr/bin/env python3
"""Declares new public API of a library (default src/Socks5.Protocol) in its PublicAPI.Unshipped.txt files.

The build fails (RS0016) on a public symbol that no PublicAPI file declares. After a deliberate public change, run
`python3 tools/update-public-api.py [src/PROJECT]` from the repository root (the project folder defaults to
src/Socks5.Protocol): it builds the library for every target, takes the symbols
the analyzer reports, and adds them to PublicAPI/PublicAPI.Unshipped.txt when every target has them, or to
PublicAPI/<target>/PublicAPI.Unshipped.txt when only one does. Removed symbols (RS0017) are printed, not edited: delete or
mark them by hand (see the analyzer's documentation on *REMOVED* lines). Review the diff before committing it.
"""
import collections
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
project = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(root, "src", "Socks5.Protocol")
csproj = os.path.join(project, os.path.basename(project.rstrip(os.sep)) + ".csproj")
build = subprocess.run(
    ["dotnet", "build", project, "-c", "Debug", "--no-incremental", "-p:TreatWarningsAsErrors=false"],
    capture_output=True, text=True)
targets = re.search(r"<TargetFrameworks?>(.*)</TargetFrameworks?>", open(csproj).read()).group(1).split(";")
added = collections.defaultdict(set)
removed = set()
for line in build.stdout.splitlines():
    target = re.search(r"TargetFramework=([\w.]+)", line)
    new = re.search(r"RS0016: Symbol '(.*)' is not part of the declared public API", line)
    gone = re.search(r"RS0017: Symbol '(.*)' is part of the declared API, but", line)
    # A project with one target prints no TargetFramework= on its lines.
    target = target.group(1) if target else (targets[0] if len(targets) == 1 else None)
    if new and target:
        added[target].add(new.group(1))
    if gone:
        removed.add(gone.group(1))

common = set.intersection(*(added.get(t, set()) for t in targets))


def declare(path, symbols):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = []
    if os.path.exists(path):
        lines = [l for l in open(path).read().splitlines() if l and not l.startswith("#")]
    merged = sorted(set(lines) | symbols, key=str.lower)
    with open(path, "w") as f:
        f.write("#nullable enable\n" + "".join(l + "\n" for l in merged))
    print(f"{os.path.relpath(path, root)}: {len(symbols)} added")


if common:
    declare(os.path.join(project, "PublicAPI", "PublicAPI.Unshipped.txt"), common)
for t in targets:
    only = added.get(t, set()) - common
    if only:
        declare(os.path.join(project, "PublicAPI", t, "PublicAPI.Unshipped.txt"), only)
for symbol in sorted(removed):
    print("removed (edit by hand):", symbol)
if not added and not removed and build.returncode != 0:
    print(build.stdout[-4000:])
    sys.exit("the build failed for another reason")
