"""Only checks that "in" is a string, so an empty "in" falls through to method lookup and gets -32601.

On the wire: {"in": "", "params": 1} gets -32601 instead of -32600.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-REQ-3"


class Handler(LPJHandler):
    def validate_request(self, request):
        if isinstance(request, dict) and request.get("in") == "" and "params" in request:
            return None  # BUG: "" passes the "is it a string" check and goes on to method lookup
        return super().validate_request(request)


if __name__ == "__main__":
    run(Handler)
