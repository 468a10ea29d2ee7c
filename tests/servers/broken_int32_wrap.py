"""Stores integers in a signed 32-bit field, so they wrap around outside [-2**31, 2**31 - 1].

On the wire: params 2147483648 comes back as -2147483648; 9007199254740991 as -1.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-PING-2"


def int32(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value + 2**31) % 2**32 - 2**31  # BUG: C int32_t semantics
    if isinstance(value, list):
        return [int32(item) for item in value]
    if isinstance(value, dict):
        return {key: int32(item) for key, item in value.items()}
    return value


class Handler(LPJHandler):
    def do_ping(self, params):
        return self.reply("pong", int32(params))


if __name__ == "__main__":
    run(Handler)
