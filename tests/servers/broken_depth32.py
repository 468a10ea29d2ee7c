"""Refuses params nested deeper than 32 arrays/objects with -32600.

On the wire: a ping with params nested 64 deep ([[[...]]]) gets -32600; 32 deep gets its pong.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-PING-5"


class Handler(LPJHandler):
    max_depth = 32  # BUG: the spec wants at least 64


if __name__ == "__main__":
    run(Handler)
