"""Refuses every input with no guaranteed meaning: duplicate member names (-32700), lone surrogates,
integers beyond +/-(2**53 - 1) and nesting deeper than 64 (-32600).

Still conformant: LPJ-JSON-5 allows a response or error -32700 / -32600 for exactly these inputs;
the connection stays open. Everything with a guaranteed meaning round-trips as usual.
"""

import json

from _base import LPJHandler, ParseError, run

BREAKS = None

MAX_SAFE = 2**53 - 1


def no_duplicates(pairs):
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate member name")
    return dict(pairs)


def doubtful(value):
    """What in value has no guaranteed meaning, or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and any(0xD800 <= ord(char) <= 0xDFFF for char in item):
            return "lone surrogate in a string"
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_SAFE:
            return "integer beyond +/-(2**53 - 1)"
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class Handler(LPJHandler):
    max_depth = 64

    def parse_body(self, body):
        value = super().parse_body(body)  # strict UTF-8 and JSON first
        try:
            json.loads(body, object_pairs_hook=no_duplicates)
        except ValueError as exc:
            raise ParseError(str(exc)) from None
        return value

    def validate_request(self, request):
        return super().validate_request(request) or doubtful(request)


if __name__ == "__main__":
    run(Handler)
