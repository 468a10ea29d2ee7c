"""Answers a frame that is too large with -32600 but keeps the connection open and reads on.

On the wire: a prefix of 0xFFFFFFFF gets -32600 and no end of file; the following bytes (the
body, if the client sends one) are parsed as new frames.
"""

from _base import INVALID_REQUEST, FrameTooLarge, LPJHandler, run

BREAKS = "LPJ-LIMIT-3"


class Handler(LPJHandler):
    def read_frame(self):
        while True:
            try:
                return super().read_frame()
            except FrameTooLarge as exc:  # BUG: answers, but never closes
                self.write_response(self.error(INVALID_REQUEST, f"frame too large: {exc.length} bytes"))


if __name__ == "__main__":
    run(Handler)
