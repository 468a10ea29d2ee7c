"""Parses without a parse_constant hook and writes with stock json.dumps, so NaN, Infinity and -Infinity are
accepted and echoed.

On the wire: {"in": "ping", "params": NaN} gets a pong (whose body contains NaN, which is not
JSON either) instead of -32700.
"""

import json

from _base import LPJHandler, ParseError, finite_float, run

BREAKS = "LPJ-JSON-3"


class Handler(LPJHandler):
    def parse_body(self, body):
        try:
            return json.loads(body.decode("utf-8"), parse_float=finite_float)  # BUG: no parse_constant hook
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ParseError(str(exc)) from None

    def encode_response(self, response):
        return json.dumps(response).encode("ascii")  # stock dumps writes NaN back


if __name__ == "__main__":
    run(Handler)
