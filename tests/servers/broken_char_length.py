"""Counts the response length in characters instead of UTF-8 bytes.

On the wire: a ping with params "é" gets a prefix one smaller than the body; the client reads a
truncated body and the last byte is misread as the start of the next prefix.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-3"


class Handler(LPJHandler):
    def frame(self, body):
        return self.encode_length(len(body.decode("utf-8"))) + body  # BUG: len() of the str


if __name__ == "__main__":
    run(Handler)
