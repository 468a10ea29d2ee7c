"""Writes every response one byte per send() (TCP_NODELAY, so each byte leaves as its own segment).

Still conformant: TCP is a byte stream and LPJ-FRAME-6 obliges the client to reassemble a frame
delivered over any number of reads, the length prefix included. To keep big echoes bearable
(one byte per syscall costs about 5 s per MiB), bytes past the first 64 KiB of a response go
out in 4 KiB pieces: a 1 MiB pong takes about 0.5 s.
"""

from _base import LPJHandler, run

BREAKS = None


class Handler(LPJHandler):
    bytewise = 64 * 1024

    def send_bytes(self, data):
        view = memoryview(data)
        for i in range(min(len(view), self.bytewise)):
            self.sock.sendall(view[i : i + 1])
        for i in range(self.bytewise, len(view), 4096):
            self.sock.sendall(view[i : i + 4096])


if __name__ == "__main__":
    run(Handler)
