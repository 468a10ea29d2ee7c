"""Sleeps 20 ms before writing every response.

Still conformant: the spec sets no response deadline; a kit must allow for latency (a
pipelined batch of 100 requests takes about 2 s here).
"""

import time

from _base import LPJHandler, run

BREAKS = None


class Handler(LPJHandler):
    delay = 0.02

    def write_response(self, response):
        time.sleep(self.delay)
        super().write_response(response)


if __name__ == "__main__":
    run(Handler)
