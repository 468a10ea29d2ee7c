"""Takes an empty body (L = 0) for end of file (`if not body: break`) and closes the connection.

On the wire: the 4 bytes 00 00 00 00 get no response, then end of file; the spec wants -32600
and the connection kept open.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-4"


class Handler(LPJHandler):
    def read_frame(self):
        body = super().read_frame()
        return body or None  # BUG: b"" (L = 0) is treated like end of file


if __name__ == "__main__":
    run(Handler)
