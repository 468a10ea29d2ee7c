"""Accepts frames up to 64 MiB.

Still conformant: the limit only has to be at least 1 MiB and below 2**31 (LPJ-LIMIT-1, -2);
0xFFFFFFFF and anything over 64 MiB still get -32600 and a close.
"""

from _base import LPJHandler, MiB, run

BREAKS = None


class Handler(LPJHandler):
    max_frame = 64 * MiB


if __name__ == "__main__":
    run(Handler)
