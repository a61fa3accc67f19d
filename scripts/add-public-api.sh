#!/usr/bin/env bash
# Builds the given project (default: the solution) and appends every RS0016 symbol to its project's PublicAPI.Unshipped.txt.
set -euo pipefail
target="${1:-PartitionServer.sln}"
dotnet build "$target" 2>&1 | grep "error RS0016" | python3 -c '
import re, sys, os
seen = {}
for line in sys.stdin:
    m = re.search(r"Symbol \x27(.+?)\x27 is not part of the declared public API.*\[(.+?\.csproj)\]", line)
    if m:
        seen.setdefault(os.path.join(os.path.dirname(m.group(2)), "PublicAPI.Unshipped.txt"), set()).add(m.group(1))
for path, symbols in seen.items():
    existing = open(path).read().splitlines()
    with open(path, "a") as f:
        for s in sorted(symbols - set(existing)):
            f.write(s + "\n")
    print(path, len(symbols))
'
