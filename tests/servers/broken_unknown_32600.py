"""Answers an unknown method with -32600 (invalid request) instead of -32601.

On the wire: {"in": "nope", "params": 1} gets {"out": "error", "result": {"code": -32600, ...}}.
"""

from _base import INVALID_REQUEST, LPJHandler, run

BREAKS = "LPJ-ERR-2"


class Handler(LPJHandler):
    def method_not_found(self, method):
        return self.error(INVALID_REQUEST, f"unknown method {method!r}")  # BUG: wrong code


if __name__ == "__main__":
    run(Handler)
