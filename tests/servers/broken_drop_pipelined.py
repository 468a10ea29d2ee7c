"""Reads up to 64 KiB at a time but throws away whatever follows the current frame in that read.

On the wire: two pings in one write get one pong; the second request is never answered
(a frame and a half in one write also loses the half, misframing what follows).
"""

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-7"


class Handler(LPJHandler):
    def recv_chunk(self, want):
        return self.sock.recv(self.recv_size)  # reads ahead, which is fine...

    def read_frame(self):
        body = super().read_frame()
        self.rbuf.clear()  # BUG: ...but the bytes read past this frame are dropped
        return body


if __name__ == "__main__":
    run(Handler)
