"""Parses the body with JSONDecoder.raw_decode and ignores whatever follows the first JSON value.

On the wire: {"in": "ping", "params": 1}xyz (or two JSON objects in one body) gets a pong instead of -32700.
"""

import json

from _base import LPJHandler, ParseError, finite_float, refuse_constant, run

BREAKS = "LPJ-JSON-3"

DECODER = json.JSONDecoder(parse_constant=refuse_constant, parse_float=finite_float)


class Handler(LPJHandler):
    def parse_body(self, body):
        try:
            text = body.decode("utf-8").lstrip(" \t\r\n")
            value, _end = DECODER.raw_decode(text)  # BUG: text[_end:] is ignored
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ParseError(str(exc)) from None
        return value


if __name__ == "__main__":
    run(Handler)
