"""Gathers each burst of input for 50 ms before parsing it, and if the burst ends in end of file
closes at once, answering none of the complete frames it holds.

On the wire: two pings followed at once by shutdown(SHUT_WR) get no response, just end of file.
Without the half-close every request is answered (each read costs the 50 ms window).
"""

import select

from _base import CloseConnection, LPJHandler, run

BREAKS = "LPJ-CONN-1"


class Handler(LPJHandler):
    burst_window = 0.05

    def recv_chunk(self, want):
        data = self.sock.recv(self.recv_size)
        while data and select.select([self.sock], [], [], self.burst_window)[0]:
            more = self.sock.recv(self.recv_size)
            if not more:
                raise CloseConnection  # BUG: the complete frames in `data` are dropped unanswered
            data += more
        return data


if __name__ == "__main__":
    run(Handler)
