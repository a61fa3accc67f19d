-- wrk script: the same request everywhere, {"foo":"abc","bar":1} -> {"fooLength":3}.
wrk.method = "POST"
wrk.body = '{"foo":"abc","bar":1}'
wrk.headers["Content-Type"] = "application/json"
