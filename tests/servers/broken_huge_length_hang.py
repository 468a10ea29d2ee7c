"""Has no frame limit: it waits for L bytes of body whatever L is.

On the wire: a prefix of 0xFFFFFFFF gets no response and the connection stays open, waiting
for a 4 GiB body that never comes (the spec wants -32600 and a close, promptly).
"""

from _base import LPJHandler, run

BREAKS = "LPJ-LIMIT-3"


class Handler(LPJHandler):
    max_frame = 2**32  # BUG: no limit


if __name__ == "__main__":
    run(Handler)
