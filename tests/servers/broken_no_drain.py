"""Closes at once after answering "frame too large", without shutting down its write side or draining input.

On the wire: send an oversized prefix and some body bytes in one write: the -32600 response is
followed by a reset (ECONNRESET), not end of file, because closing with unread input makes the
kernel reset the connection. On loopback Linux the response itself still arrives (it was sent
before the reset); on a real network the reset can destroy it. A SHOULD: a kit warns (fails
only under --strict).
"""

from _base import LPJHandler, run

BREAKS = "LPJ-LIMIT-4"


class Handler(LPJHandler):
    def close_gracefully(self):
        self.sock.close()  # BUG: no shutdown(SHUT_WR), no drain: closing with unread input sends a reset


if __name__ == "__main__":
    run(Handler)
