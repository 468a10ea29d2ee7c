"""Answers a partial frame pending at end of file as if it were complete.

On the wire: a prefix of L = 30 and 10 bytes of body, then shutdown(SHUT_WR), gets a -32700
response (for the truncated body) before end of file; the spec wants end of file alone.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-CONN-2"


class Handler(LPJHandler):
    def read_body(self, length):
        body = self.read_exact(length)
        if body is None:  # BUG: end of file mid-body: "process what we have"
            body = bytes(self.rbuf)
            self.rbuf.clear()
        return body


if __name__ == "__main__":
    run(Handler)
