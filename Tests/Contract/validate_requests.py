#!/usr/bin/env python3
"""Validates requests kioskd sent (as the platform simulator recorded them, one
JSON object a line: method, path, query, headers, body in base64) against
docs/platform-api.yaml with openapi-core, independently of both the kiosk's
client and the simulator.

    validate_requests.py SPEC REQUESTS.jsonl

Prints each request and whether it keeps the document; exits 1 if one breaks it."""
import base64, json, sys

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict


class Recorded:
    """A recorded request, as openapi-core's Request protocol reads it."""

    def __init__(self, record):
        self.host_url = "http://127.0.0.1:8443"
        self.path = record["path"]
        self.method = record["method"].lower()
        self.body = base64.b64decode(record["body"]) if record["body"] else None
        headers = Headers(list(record["headers"].items()))
        self.content_type = headers.get("content-type", "")
        self.parameters = RequestParameters(query=ImmutableMultiDict(list(record["query"].items())), header=headers)


def main():
    spec, path = sys.argv[1], sys.argv[2]
    api = OpenAPI.from_file_path(spec)
    broken, seen = [], {}
    for line in open(path, encoding="utf-8"):
        record = json.loads(line)
        name = "%s %s" % (record["method"], record["path"])
        try:
            api.validate_request(Recorded(record))
        except Exception as error:  # openapi-core raises one error class per kind of mismatch
            reasons = getattr(error, "schema_errors", None) or [getattr(error, "__cause__", None) or error]
            broken.append("%s: %s: %s" % (name, type(error).__name__, "; ".join(str(r).split("\n")[0] for r in reasons)))
        key = record["method"] + " " + "/".join(record["path"].split("/")[:3])
        seen[key] = seen.get(key, 0) + 1
    for kind, count in sorted(seen.items()):
        print("contract: %d × %s" % (count, kind))
    for problem in broken:
        print("contract BROKEN: " + problem, file=sys.stderr)
    print("contract: %d requests, %d break docs/platform-api.yaml" % (sum(seen.values()), len(broken)))
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
