"""Has the smallest frame limit the spec allows: exactly 1,048,576 bytes.

Still conformant: LPJ-LIMIT-1 wants bodies of at least 1 MiB accepted; L = 1,048,577 gets
-32600 and a close, which LPJ-LIMIT-3 allows. A kit's 1 MiB check must use L <= 1,048,576.
"""

from _base import LPJHandler, MiB, run

BREAKS = None


class Handler(LPJHandler):
    max_frame = MiB


if __name__ == "__main__":
    run(Handler)
