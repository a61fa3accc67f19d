#!/usr/bin/env python3
"""Lines per class, counting all its partial files together (STYLE.md: keep a class under ~450 lines).

Usage: scripts/class-sizes.py [--limit N] [--top N] [folder ...]   (default: src, limit 450, top 10)
Prints the largest classes, then every one over the limit; exits 1 when any is over it.
"""
import argparse
import collections
import os
import re
import sys

# A top-level type declaration (file-scoped namespaces put them at column 0).
DECLARATION = re.compile(r'^(?:(?:public|internal|file|sealed|static|abstract|partial|readonly|ref)\s+)*(?:class|record|struct|interface|enum)\s+(\w+)', re.M)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--limit', type=int, default=450)
    parser.add_argument('--top', type=int, default=10)
    parser.add_argument('folders', nargs='*', default=['src'])
    args = parser.parse_args()

    sizes = collections.Counter()
    files = collections.defaultdict(list)
    for folder in args.folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if d not in ('bin', 'obj')]
            for name in names:
                if not name.endswith('.cs'):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding='utf-8', errors='replace') as source:
                    text = source.read()
                # A file belongs to the first type it declares (its partial files share that name); a type's
                # nested types count with it.
                match = DECLARATION.search(text)
                key = (root, match.group(1) if match else name.split('.')[0])
                sizes[key] += text.count('\n')
                files[key].append(name)

    ranked = sorted(sizes.items(), key=lambda item: -item[1])
    print(f'Largest classes (all partial files together), of {len(ranked)}:')
    for (root, name), lines in ranked[:args.top]:
        print(f'  {lines:5}  {os.path.join(root, name)}  ({", ".join(sorted(files[(root, name)]))})')

    over = [(key, lines) for key, lines in ranked if lines > args.limit]
    if over:
        print(f'\nOver {args.limit} lines:')
        for (root, name), lines in over:
            print(f'  {lines:5}  {os.path.join(root, name)}')
        return 1

    print(f'\nNo class over {args.limit} lines.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
