"""Has a frame limit of 64 KiB.

On the wire: a ping with a 1 MiB body gets -32600 "frame too large" and the connection is closed.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-LIMIT-1"


class Handler(LPJHandler):
    max_frame = 64 * 1024  # BUG: the spec wants at least 1 MiB


if __name__ == "__main__":
    run(Handler)
