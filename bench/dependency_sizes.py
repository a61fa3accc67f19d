"""Prints what each model-serving path adds to a published app (framework-dependent, one runtime identifier).

Usage: dependency_sizes.py <publish folder> <app name>. Reads <app>.deps.json to find every package's files and its
dependencies, and sums the files each path needs: ML.NET (train, and serve with prediction engines), ONNX Runtime
(serve an exported .onnx file) and the ONNX export (Microsoft.ML.OnnxConverter, needed only where the model is
exported). Files the packages copy without listing them (ONNX Runtime's Windows binaries) count for their package.
"""
import json
import os
import sys

folder, app = sys.argv[1], sys.argv[2]
deps = json.load(open(os.path.join(folder, f"{app}.deps.json")))
target = next(v for k, v in deps["targets"].items() if "/" in k)
packages = {key.split("/")[0]: value for key, value in target.items()}


def closure(name):
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in packages:
            continue
        seen.add(current)
        todo.extend(packages[current].get("dependencies", {}).keys())
    return seen


def files(names):
    found = set()
    for name in names:
        for kind in ("runtime", "native"):
            found.update(os.path.basename(path) for path in packages[name].get(kind, {}))
    return found


listed = files(packages.keys())
stray = {f for f in os.listdir(folder) if f.startswith("onnxruntime") and f not in listed}


def size(names, extra=()):
    chosen = files(names) | set(extra)
    return len(chosen), sum(os.path.getsize(os.path.join(folder, f)) for f in chosen if os.path.exists(os.path.join(folder, f)))


mlnet = closure("Microsoft.ML")
onnx = closure("Microsoft.ML.OnnxRuntime")
export = closure("Microsoft.ML.OnnxConverter") - mlnet
library = closure("Partitioned.Serving")
rows = [
    ("ML.NET: train, and serve with PredictionEngine", mlnet, ()),
    ("ONNX Runtime: serve the exported .onnx", onnx, stray),
    ("  of which ONNX Runtime's Windows binaries, copied on Linux too", set(), stray),
    ("ONNX export (Microsoft.ML.OnnxConverter), on top of ML.NET: where the model is exported", export, ()),
    ("Partitioned.* (the library, for comparison)", library, ()),
]
print("| what | packages | files | size (MB) |")
print("|---|---:|---:|---:|")
for label, names, extra in rows:
    count, total = size(names, extra)
    print(f"| {label} | {len(names)} | {count} | {total / 1e6:.1f} |")
shared = sorted(mlnet & onnx)
print()
print(f"Shared by the ML.NET and ONNX Runtime paths: {', '.join(shared) or 'nothing'}.")
