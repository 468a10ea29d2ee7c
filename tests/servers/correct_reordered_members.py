"""Writes every object's members in reverse order: "result" before "out", "message" before "code",
and the members of objects in params reversed.

Still conformant: JSON objects are unordered; JSON-equality ignores member order.
"""

from _base import LPJHandler, run

BREAKS = None


def reverse_members(value):
    if isinstance(value, dict):
        return {key: reverse_members(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reverse_members(item) for item in value]
    return value


class Handler(LPJHandler):
    def encode_response(self, response):
        return super().encode_response(reverse_members(response))


if __name__ == "__main__":
    run(Handler)
