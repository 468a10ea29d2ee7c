"""Writes a newline after every response frame, outside the L bytes (JSON-lines habit).

On the wire: each response is prefix + body + 0a; the first response decodes, but the 0a byte is
then read as the start of the next frame's prefix.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-1"


class Handler(LPJHandler):
    def frame(self, body):
        return super().frame(body) + b"\n"  # BUG: a byte between frames


if __name__ == "__main__":
    run(Handler)
