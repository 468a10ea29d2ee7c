"""Writes floats with "%.12g", losing precision beyond 12 significant digits.

On the wire: params 0.1 + 0.2 (0.30000000000000004) comes back as 0.3; 3.141592653589793 as 3.14159265359.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-PING-3"


def twelve_digits(value):
    if isinstance(value, float):
        return float(format(value, ".12g"))  # BUG: 12 significant digits, a double needs 17
    if isinstance(value, list):
        return [twelve_digits(item) for item in value]
    if isinstance(value, dict):
        return {key: twelve_digits(item) for key, item in value.items()}
    return value


class Handler(LPJHandler):
    def do_ping(self, params):
        return self.reply("pong", twelve_digits(params))


if __name__ == "__main__":
    run(Handler)
