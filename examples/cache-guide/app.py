"""A Flask app as in the guide; run without arguments it answers one request
through Flask's test client and prints the reply (what the example's test checks)."""
import sys

import flask

app = flask.Flask(__name__)


@app.get("/")
def index():
    return {"service": "cache-guide", "flask": flask.__version__ if hasattr(flask, "__version__") else "3"}


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        app.run(host="0.0.0.0", port=5000)
    else:
        reply = app.test_client().get("/")
        print(reply.status_code, reply.get_json()["service"])
