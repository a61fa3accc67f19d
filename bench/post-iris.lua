-- wrk script for the model-serving targets: one flower -> {"species":"versicolor","probabilities":{...}}.
wrk.method = "POST"
wrk.body = '{"sepalLength":6.1,"sepalWidth":2.8,"petalLength":4.7,"petalWidth":1.2}'
wrk.headers["Content-Type"] = "application/json"
