"""Answers an unknown method correctly, but the whole process exits when that connection ends.

On the wire: {"in": "nope", ...} gets -32601 and the connection keeps working; once the client
closes it, new connections are refused. It breaks LPJ-TRANS-2 (not ROBUST-1: an unknown method
is a valid request, not misbehaviour), and the -32601 case itself passes.
"""

import os

from _base import LPJHandler, run

BREAKS = "LPJ-TRANS-2"


class Handler(LPJHandler):
    exit_when_done = False

    def method_not_found(self, method):
        self.exit_when_done = True  # BUG: "a misconfigured client: restart" ends the server for good
        return super().method_not_found(method)

    def finish(self):
        super().finish()
        if self.exit_when_done:
            self.sock.close()
            os._exit(1)


if __name__ == "__main__":
    run(Handler)
