#!/usr/bin/env bash
# Builds a project and appends every symbol RS0016 reports ("not part of the declared public API") to that project's
# PublicAPI.Unshipped.txt. Review the diff: an API change is a reviewed change.
# Usage: scripts/add-public-api.sh path/to/Project.csproj
set -euo pipefail
project="$1"
dotnet build "$project" --no-incremental 2>&1 | python3 -c '
import re, sys, os, collections
found = collections.defaultdict(set)
for line in sys.stdin:
    m = re.search(r"error RS0016: Symbol \x27(.*)\x27 is not part of the declared public API.*\[(.*\.csproj)\]", line)
    if m:
        found[os.path.join(os.path.dirname(m.group(2)), "PublicAPI.Unshipped.txt")].add(m.group(1))
for path, symbols in found.items():
    with open(path) as f:
        existing = f.read().splitlines()
    merged = sorted(set(existing[1:]) | symbols) if existing and existing[0].startswith("#nullable") else sorted(set(existing) | symbols)
    with open(path, "w") as f:
        f.write("#nullable enable\n" + "\n".join(s for s in merged if s) + "\n")
    print(f"{path}: +{len(symbols)}")
'
