"""Treats a missing "params" member as "params": null.

On the wire: {"in": "ping"} gets {"out": "pong", "result": null} instead of -32600.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-REQ-4"


class Handler(LPJHandler):
    def validate_request(self, request):
        if isinstance(request, dict):
            request.setdefault("params", None)  # BUG: missing is not the same as null
        return super().validate_request(request)


if __name__ == "__main__":
    run(Handler)
