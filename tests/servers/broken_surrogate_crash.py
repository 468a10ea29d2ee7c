"""Encodes responses to UTF-8 without a fallback, so an echoed lone surrogate ("\\ud800") raises and kills the handler.

On the wire: {"in": "ping", "params": "\\ud800"} gets no response and the connection is closed;
the spec allows a pong or -32700 / -32600, never a closed connection.
"""

import json

from _base import LPJHandler, run

BREAKS = "LPJ-JSON-5"


class Handler(LPJHandler):
    def encode_response(self, response):
        text = json.dumps(response, ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")  # BUG: UnicodeEncodeError on a lone surrogate escapes the handler


if __name__ == "__main__":
    run(Handler)
