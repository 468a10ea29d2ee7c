"""Handles strings as UCS-2: every character outside the Basic Multilingual Plane becomes U+FFFD.

On the wire: params "a😀b" (sent raw or as "\\ud83d\\ude00") comes back as "a\\ufffdb"; member
names are mangled the same way.
"""

import re

from _base import LPJHandler, run

BREAKS = "LPJ-PING-4"

ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def ucs2(value):
    if isinstance(value, str):
        return ASTRAL.sub("\ufffd", value)  # BUG: astral characters replaced
    if isinstance(value, list):
        return [ucs2(item) for item in value]
    if isinstance(value, dict):
        return {ucs2(key): ucs2(item) for key, item in value.items()}
    return value


class Handler(LPJHandler):
    def do_ping(self, params):
        return self.reply("pong", ucs2(params))


if __name__ == "__main__":
    run(Handler)
