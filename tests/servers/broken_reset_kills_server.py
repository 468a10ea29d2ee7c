"""Treats a connection reset in the middle of a frame as fatal and exits the whole process.

On the wire: send a prefix and half a body, then reset (SO_LINGER 0 and close); after that, new
connections are refused. Resets between frames and ordinary closes are harmless.
"""

import os

from _base import LPJHandler, log, run

BREAKS = "LPJ-ROBUST-1"


class Handler(LPJHandler):
    def on_reset(self, exc):
        if self.mid_frame:
            log.critical("connection reset mid-frame: stream state lost, exiting")
            os._exit(1)  # BUG: one client's reset ends the server
        super().on_reset(exc)


if __name__ == "__main__":
    run(Handler)
