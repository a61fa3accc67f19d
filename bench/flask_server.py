"""The baseline the library replaces: a Flask partition server, threaded, as spark-partition-server runs one per partition.

Same work as every other target: POST {"foo": str, "bar": int} -> {"fooLength": len(foo)}.
"""
import argparse
import logging

from flask import Flask, jsonify, request

app = Flask(__name__)
logging.getLogger("werkzeug").setLevel(logging.ERROR)


@app.post("/app/hello")
def hello():
    body = request.get_json()
    return jsonify(fooLength=len(body["foo"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app.run(host="127.0.0.1", port=args.port, threaded=True)
