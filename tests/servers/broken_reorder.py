"""Answers the requests of a pipelined batch (all frames that arrived in one read) last-first.

On the wire: pings with params 1, 2, 3 in one write get pongs 3, 2, 1. Requests sent one at a
time are answered correctly.
"""

from _base import FrameTooLarge, LPJHandler, run

BREAKS = "LPJ-ORDER-2"


class Handler(LPJHandler):
    def recv_chunk(self, want):
        return self.sock.recv(self.recv_size)  # reads ahead: a pipelined batch lands in rbuf

    def buffered_frame_ready(self):
        if len(self.rbuf) < 4:
            return False
        length = self.decode_length(bytes(self.rbuf[:4]))
        return length <= self.max_frame and len(self.rbuf) >= 4 + length

    def serve(self):
        while True:
            try:
                batch = [self.read_frame()]
            except FrameTooLarge as exc:
                self.frame_too_large(exc.length)
                return
            if batch[0] is None:
                self.on_eof()
                return
            while self.buffered_frame_ready():
                batch.append(self.read_frame())
            for response in reversed([self.handle_frame(body) for body in batch]):  # BUG: reversed
                self.write_response(response)


if __name__ == "__main__":
    run(Handler)
