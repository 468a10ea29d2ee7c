"""Reads the body with one recv(L), like the seed code, so a body that arrives in pieces is cut short.

On the wire: a ping whose body is written in two or more pieces (with a pause) gets -32700
for the truncated body, and the rest of the body is then misread as the next frame.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-6"


class Handler(LPJHandler):
    def read_body(self, length):
        if length == 0:
            return b""
        return self.sock.recv(length) or None  # BUG: recv may return fewer than L bytes


if __name__ == "__main__":
    run(Handler)
