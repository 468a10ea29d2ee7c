"""Closes a connection after 2 s without input (between frames or mid-frame).

On the wire: a connection that sends nothing for 2 s gets end of file; the spec forbids closing
before 30 s of idleness.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-CONN-3"


class Handler(LPJHandler):
    idle_timeout = 2.0  # BUG: must be more than 30 s (or none)


if __name__ == "__main__":
    run(Handler)
