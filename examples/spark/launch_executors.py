#!/usr/bin/env python3
# NOT RUN BY THE TEST SUITE, AND UNVERIFIED: Apache Spark cannot be installed where this library is built and tested,
# so this script has never run against a real Spark. It follows the engine-launched executor contract that the tests
# do verify on Slurm (docs/running-on-a-cluster.md, "Executors an engine launches"). Read docs/spark.md first.
#
# A PySpark job whose tasks are PartitionServer executors: each of --executors Spark tasks starts the .NET worker app
# as an executor of --slots slots, and the cluster's coordinator assigns it partition attempts. The .NET driver's
# launch callback (ExternalWorkersRunner) runs it with spark-submit; see docs/spark.md for the whole recipe.
#
#   spark-submit --conf spark.dynamicAllocation.enabled=false --conf spark.speculation=false \
#       --conf spark.task.maxFailures=4 launch_executors.py --executors 8 --slots 32 \
#       --worker /opt/search/SearchCluster --env PARTITIONED_WORKER=1 --env PARTITIONED_COORDINATOR=https://driver:7000/ \
#       --env PARTITIONED_TOKEN_FILE=/shared/partitioned/<cluster>/token [--env PARTITIONED_TLS_CA=...] [--barrier]
#
# Or with the token shipped by Spark instead of shared storage: add --files /path/to/token to spark-submit and pass
# --token-from-spark-files token (the file is copied to a private 0600 file on each node before the worker starts).

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import tempfile

from pyspark import SparkFiles
from pyspark.sql import SparkSession

# Worker exit codes (docs/protocols.md, "Exit codes").
SUCCEEDED = 0       # the cluster run is over and every attempt here ended
INVALID_LAUNCH = 2  # variables, token or server name refused: a retry will not help
ABANDONED = 4       # the driver went away, or this process was replaced by a retry: nothing left to do here


def parse_arguments():
    parser = argparse.ArgumentParser(description="Run PartitionServer executors as Spark tasks (unverified; see docs/spark.md).")
    parser.add_argument("--executors", type=int, required=True, help="how many executors (Spark tasks) to run at once")
    parser.add_argument("--slots", type=int, required=True, help="partition attempts each executor hosts")
    parser.add_argument("--worker", required=True, help="the .NET worker app on every node (shared storage, or unpacked from --archives)")
    parser.add_argument("--worker-arg", action="append", default=[], help="an argument for the worker app (repeat)")
    parser.add_argument("--env", action="append", default=[], help="NAME=value: a launch variable from EngineLaunch.WorkerEnvironment (repeat)")
    parser.add_argument("--token-from-spark-files", help="the name of the token file shipped with spark-submit --files")
    parser.add_argument("--executor-prefix", default="spark-", help="executor ids are this plus the Spark partition index")
    parser.add_argument("--barrier", action="store_true", help="barrier mode: all executors start together or the stage fails")
    return parser.parse_args()


def private_token_copy(name):
    """Spark ships files without their mode; the worker refuses a token file others can read, so copy it to a 0600 one."""
    with open(SparkFiles.get(name), "r", encoding="utf-8") as shipped:
        token = shipped.readline().strip()
    descriptor, path = tempfile.mkstemp(prefix="partitioned-token-")  # created with mode 0600
    with os.fdopen(descriptor, "w", encoding="utf-8") as private:
        private.write(token + "\n")
    return path


def die_with_parent():
    """On Linux: the executor gets SIGTERM if this Python worker dies first (Spark may kill it without running finally)."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_executor(index, arguments):
    environment = dict(os.environ)
    for pair in arguments.env:
        name, _, value = pair.partition("=")
        environment[name] = value

    # The executor id is the Spark partition index: stable across Spark's retries of this task, so a retry is a new
    # incarnation of the same executor, and the coordinator re-launches the attempts the failed process held.
    environment["PARTITIONED_EXECUTOR"] = f"{arguments.executor_prefix}{index}"
    environment["PARTITIONED_EXECUTOR_SLOTS"] = str(arguments.slots)
    environment.pop("PARTITIONED_PARTITION", None)
    environment.pop("PARTITIONED_ATTEMPT", None)
    private_token = None
    if arguments.token_from_spark_files:
        private_token = private_token_copy(arguments.token_from_spark_files)
        environment["PARTITIONED_TOKEN_FILE"] = private_token
    if "PARTITIONED_TOKEN_FILE" not in environment:
        raise RuntimeError("no token: pass --env PARTITIONED_TOKEN_FILE=<path on every node> or --token-from-spark-files <name>")

    worker = subprocess.Popen([arguments.worker, *arguments.worker_arg], env=environment, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, preexec_fn=die_with_parent)
    last_lines = []
    try:
        for line in worker.stderr:
            sys.stderr.write(line)  # the executor's log, in the Spark task's stderr
            last_lines = (last_lines + [line.rstrip()])[-20:]
        code = worker.wait()
    finally:
        if worker.poll() is None:
            # Spark killed the task: SIGTERM makes the executor report what it abandons, so it is re-launched at once.
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        if private_token:
            os.remove(private_token)

    if code in (SUCCEEDED, ABANDONED):
        return [(index, code)]
    # A crash (or an invalid launch) fails the task, so Spark retries it up to spark.task.maxFailures.
    raise RuntimeError(f"executor {environment['PARTITIONED_EXECUTOR']} exited with code {code}: " + " | ".join(last_lines[-5:]))


def main():
    arguments = parse_arguments()
    spark = SparkSession.builder.appName("partitioned-executors").getOrCreate()
    tasks = spark.sparkContext.parallelize(range(arguments.executors), arguments.executors)
    if arguments.barrier:
        tasks = tasks.barrier()
    outcomes = tasks.mapPartitionsWithIndex(lambda index, _rows: run_executor(index, arguments)).collect()
    for index, code in sorted(outcomes):
        print(f"executor {arguments.executor_prefix}{index}: exit {code}")
    spark.stop()


if __name__ == "__main__":
    main()
