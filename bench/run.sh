#!/usr/bin/env bash
# The whole benchmark in one command: installs what it needs (wrk, Flask and matplotlib for Debian's python3),
# builds Release, measures what the model-serving paths add to a published app (bench/results/model-serving-sizes.md),
# runs the serving targets under wrk (TLS ones beside bare Kestrel over TLS) and the cluster lifecycle timings, writes
# bench/results/results.json and summary.md, and draws bench/results/serving.png; then the replicas benchmark (kill -9
# under load with 1 and 2 replicas, a rolling update's p99) into bench/results/replicas (SKIP_REPLICAS=1 skips it).
# Takes about 20 minutes on 2 cores (most of it starting 64 worker processes per runner), plus about 4 for the
# replicas. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wrk >/dev/null || need+=(wrk)
/usr/bin/python3 -c "import flask" 2>/dev/null || need+=(python3-flask)
/usr/bin/python3 -c "import matplotlib" 2>/dev/null || need+=(python3-matplotlib)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} ..."
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

dotnet build -c Release bench/Partitioned.Bench -v quiet -nologo
# What each model-serving path (ML.NET, ONNX Runtime) adds to a published app.
dotnet publish -c Release examples/ModelServing -r linux-x64 --self-contained false -o bench/Partitioned.Bench/bin/modelserving -v quiet -nologo
/usr/bin/python3 bench/dependency_sizes.py bench/Partitioned.Bench/bin/modelserving ModelServing | tee bench/results/model-serving-sizes.md
# The same app published ReadyToRun, to measure what precompiled code saves each worker process at start.
dotnet publish -c Release bench/Partitioned.Bench -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o bench/Partitioned.Bench/bin/r2r -v quiet -nologo
set +e
dotnet bench/Partitioned.Bench/bin/Release/net10.0/Partitioned.Bench.dll --bench-folder bench --out bench/results --python /usr/bin/python3 \
  --r2r-worker bench/Partitioned.Bench/bin/r2r/Partitioned.Bench "$@" | tee bench/results/output.txt
status=${PIPESTATUS[0]}
set -e
/usr/bin/python3 bench/chart.py bench/results/results.json bench/results/serving.png
echo "Chart: bench/results/serving.png"
if [ "${SKIP_REPLICAS:-0}" != 1 ]; then
  mkdir -p bench/results/replicas
  set +e
  dotnet bench/Partitioned.Bench/bin/Release/net10.0/Partitioned.Bench.dll replicas --replica-duration 60 --out bench/results/replicas | tee bench/results/replicas/output.txt
  replicas=${PIPESTATUS[0]}
  set -e
  [ "$status" -eq 0 ] && status=$replicas
fi
exit "$status"
