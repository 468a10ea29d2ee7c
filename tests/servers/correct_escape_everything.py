"""Writes every letter, every non-ASCII character, quote and backslash inside strings as a \\uXXXX
escape (astral characters as surrogate pairs, upper- and lower-case hex mixed).

Still conformant: that is valid JSON (RFC 8259 section 7) with the same string values, so the
result is JSON-equal to params; "out" reads "\\u0070\\u006f\\u006e\\u0067", which is "pong".
"""

import json

from _base import LPJHandler, run

BREAKS = None

LITERAL = set("0123456789 -_.,:;!?()[]{}/")  # everything else inside strings is escaped


def escape_string(text):
    out = ['"']
    for char in text:
        code = ord(char)
        if char in LITERAL:
            out.append(char)
        elif code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04X}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def encode(value):
    if isinstance(value, str):
        return escape_string(value)
    if isinstance(value, list):
        return "[" + ",".join(encode(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(escape_string(key) + ":" + encode(item) for key, item in value.items()) + "}"
    return json.dumps(value, allow_nan=False)  # numbers, true, false, null


class Handler(LPJHandler):
    def encode_response(self, response):
        return encode(response).encode("ascii")


if __name__ == "__main__":
    run(Handler)
