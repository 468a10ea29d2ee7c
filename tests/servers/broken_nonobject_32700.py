"""Reports a body that is valid JSON but not an object as a parse error (-32700).

On the wire: the body [1, 2] (or 42, or "ping") gets -32700 instead of -32600.
"""

from _base import LPJHandler, ParseError, run

BREAKS = "LPJ-REQ-2"


class Handler(LPJHandler):
    def parse_body(self, body):
        value = super().parse_body(body)
        if not isinstance(value, dict):
            raise ParseError("expected a JSON object")  # BUG: that is -32600, not -32700
        return value


if __name__ == "__main__":
    run(Handler)
