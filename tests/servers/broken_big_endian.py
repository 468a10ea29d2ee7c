"""Uses big-endian length prefixes in both directions (struct ">I" instead of "<I").

On the wire: a little-endian ping of L = 30 is read as 30 << 24 bytes, over the 16 MiB limit, so the
server answers "frame too large" (with a big-endian prefix) and closes.
"""

import struct

from _base import LPJHandler, run

BREAKS = "LPJ-FRAME-2"


class Handler(LPJHandler):
    def decode_length(self, prefix):
        return struct.unpack(">I", prefix)[0]  # BUG: network byte order

    def encode_length(self, length):
        return struct.pack(">I", length)  # BUG: network byte order


if __name__ == "__main__":
    run(Handler)
