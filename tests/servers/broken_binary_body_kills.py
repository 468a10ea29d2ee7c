"""Answers a body that is not UTF-8 with -32700, but exits the whole process when that connection ends.

On the wire: a frame with body ff fe fd gets -32700 and the connection keeps working; once the
client closes it, new connections are refused. Garbage from one client stops the server.
"""

import os

from _base import LPJHandler, run

BREAKS = "LPJ-ROBUST-1"


class Handler(LPJHandler):
    saw_binary = False

    def parse_body(self, body):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            self.saw_binary = True  # BUG: "binary input means the peer is hostile: shut down"
        return super().parse_body(body)

    def finish(self):
        super().finish()
        if self.saw_binary:
            self.sock.close()
            os._exit(1)


if __name__ == "__main__":
    run(Handler)
