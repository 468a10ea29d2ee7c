"""Keeps one input buffer for all connections (a module-level bytearray), so concurrent partial frames mix.

On the wire: connection A sends a prefix and part of a body and waits; connection B then sends a
whole ping and gets -32600 "frame too large" (it read A's body bytes as its prefix) and is closed.
One connection at a time works.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-ROBUST-2"

SHARED_INPUT = bytearray()


class Handler(LPJHandler):
    def setup(self):
        super().setup()
        self.rbuf = SHARED_INPUT  # BUG: shared by every connection thread


if __name__ == "__main__":
    run(Handler)
