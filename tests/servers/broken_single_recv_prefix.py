"""Reads the length prefix with one recv(4), like the seed code, so a prefix split across reads crashes the handler.

On the wire: a prefix written byte by byte (with pauses) makes struct.unpack fail on 1-3 bytes;
the connection is closed without a response.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-6"


class Handler(LPJHandler):
    def read_prefix(self):
        return self.sock.recv(4) or None  # BUG: may return 1-3 bytes; decode_length then raises struct.error


if __name__ == "__main__":
    run(Handler)
