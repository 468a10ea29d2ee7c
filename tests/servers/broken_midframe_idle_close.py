"""Closes a connection that stalls for 2 s in the middle of a frame body (a "slowloris guard").

On the wire: a prefix and part of a body, then 2 s of silence, gets end of file. Idle time
between frames is never limited. The spec forbids closing before 30 s of idleness, mid-frame too.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-CONN-3"


class Handler(LPJHandler):
    body_timeout = 2.0

    def read_body(self, length):
        self.sock.settimeout(self.body_timeout)  # BUG: far below the 30 s the spec guarantees
        try:
            return super().read_body(length)
        finally:
            self.sock.settimeout(self.idle_timeout)


if __name__ == "__main__":
    run(Handler)
