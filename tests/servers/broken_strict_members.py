"""Rejects requests with members other than "in" and "params" with -32600.

On the wire: {"in": "ping", "params": 1, "id": 7} gets -32600 instead of a pong.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-REQ-5"


class Handler(LPJHandler):
    def validate_request(self, request):
        if isinstance(request, dict) and set(request) - {"in", "params"}:
            return "unexpected members"  # BUG: unknown members must be ignored
        return super().validate_request(request)


if __name__ == "__main__":
    run(Handler)
