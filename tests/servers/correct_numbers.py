"""Re-serialises the numbers in a pong's result: 1.0 as 1, -0.0 as 0, 1000 as 1E3, 0.1 as 1e-1, 1e300 as 1e+300.

Still conformant: JSON-equality compares numbers by mathematical value, and every form written
here denotes exactly the same value, so it parses back to the same double (integers within
+/-(2**53 - 1) stay exact; larger integers keep all their digits). Error codes stay plain integers.
"""

import decimal
import json

from _base import LPJHandler, run

BREAKS = None

EXACT = 2**53


def number(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT:
        value = int(value)  # 1.0 -> 1, -0.0 -> 0
    if isinstance(value, int):
        if value and abs(value) < EXACT and value % 10 == 0:
            digits = str(abs(value)).rstrip("0")  # 1000 -> 1E3
            return f"{'-' if value < 0 else ''}{digits}E{len(str(abs(value))) - len(digits)}"
        return str(value)
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()  # repr: shortest exact digits
    return f"{'-' if sign else ''}{''.join(map(str, digits))}e{exponent:+d}"  # 0.1 -> 1e-1


def encode(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list):
        return "[" + ",".join(encode(item) for item in value) + "]"
    return "{" + ",".join(json.dumps(key, ensure_ascii=False) + ":" + encode(item) for key, item in value.items()) + "}"


class Handler(LPJHandler):
    def encode_response(self, response):
        if response["out"] != "pong":
            return super().encode_response(response)
        text = '{"out":"pong","result":' + encode(response["result"]) + "}"
        # A lone surrogate can only sit inside a string; backslashreplace writes it as the \udXXX escape.
        return text.encode("utf-8", errors="backslashreplace")


if __name__ == "__main__":
    run(Handler)
