"""Compares method names case-insensitively.

On the wire: {"in": "PING", "params": 1} (or "Ping") gets a pong instead of -32601.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-REQ-6"


class Handler(LPJHandler):
    def lookup_method(self, name):
        return super().lookup_method(name.lower())  # BUG: names are compared exactly


if __name__ == "__main__":
    run(Handler)
