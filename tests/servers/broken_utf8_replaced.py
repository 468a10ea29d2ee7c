"""Decodes bodies with errors="replace", so invalid UTF-8 becomes U+FFFD instead of a parse error.

On the wire: {"in": "ping", "params": "a<ff>b"} (a raw 0xff byte in the string) gets a pong with
result "a\\ufffdb" instead of -32700.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-JSON-3"


class Handler(LPJHandler):
    def parse_body(self, body):
        text = body.decode("utf-8", errors="replace")  # BUG: invalid bytes must get -32700
        return super().parse_body(text.encode("utf-8"))


if __name__ == "__main__":
    run(Handler)
