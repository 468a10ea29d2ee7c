"""Looks the method up with methods[name], like the seed code, so an unknown method raises KeyError
and kills the connection handler.

On the wire: {"in": "nope", ...} gets no response; the connection is closed (the process lives on).
"""

from _base import LPJHandler, run

BREAKS = "LPJ-ERR-2"


class Handler(LPJHandler):
    def lookup_method(self, name):
        return getattr(self, self.methods[name])  # BUG: KeyError escapes the connection handler


if __name__ == "__main__":
    run(Handler)
