#!/usr/bin/env python3
"""Write the LPJ-RPC/1 test vectors (the JSON files beside this script).

The JSON files are committed so that a runner in any language can use them; this
script is their readable source. Each topic below is one function returning its
cases, built from a few helpers: ``frame(body)`` puts the little-endian length
prefix in front of body bytes, ``req(method, params)`` frames a request,
``pong(result)`` / ``error(code)`` describe one expected response, and
``open_(...)`` / ``closed(...)`` describe one allowed outcome.

    python spec/vectors/make_vectors.py          # regenerate the files
    python spec/vectors/make_vectors.py --check  # exit 1 if any file would change

The format is spec/schema/vectors.schema.json; README.md beside this script
explains it and how to write a runner. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIB = 1_048_576  # the smallest frame limit a server may have (LPJ-LIMIT-1)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601


# --- Bytes on the wire ---------------------------------------------------------------------------


def le32(n: int) -> bytes:
    """The 4-byte little-endian length prefix (struct format "<I")."""
    return struct.pack("<I", n)


def frame(body: bytes) -> bytes:
    return le32(len(body)) + body


def dumps(value: object) -> bytes:
    """Compact JSON in raw UTF-8 (non-ASCII characters are sent unescaped)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


MISSING = object()


def req(method: object = MISSING, params: object = MISSING, **extra: object) -> bytes:
    """A framed request; leave out method or params to leave out "in" or "params"."""
    members: dict[str, object] = {}
    if method is not MISSING:
        members["in"] = method
    if params is not MISSING:
        members["params"] = params
    members.update(extra)
    return frame(dumps(members))


def ping(params: object) -> bytes:
    return req("ping", params)


def ping_text(params_json: str | bytes) -> bytes:
    """A ping whose params are given as literal JSON text (or bytes), sent exactly as written."""
    if isinstance(params_json, str):
        params_json = params_json.encode()
    return frame(b'{"in":"ping","params":' + params_json + b"}")


@dataclass(frozen=True)
class Repeat:
    """Bytes repeated a number of times (written as a "repeat" piece: keeps big cases small)."""

    data: bytes
    times: int

    def __len__(self) -> int:
        return len(self.data) * self.times


def padded_ping(params: object, size: int) -> list[bytes | Repeat]:
    """A framed ping whose body is exactly `size` bytes: the padding is an ignored "pad" member."""
    head = b'{"in":"ping","params":' + dumps(params) + b',"pad":"'
    tail = b'"}'
    pad = size - len(head) - len(tail)
    assert pad > 0
    return [le32(size) + head, Repeat(b"a", pad), tail]


def nested(depth: int) -> list:
    """`depth` levels of arrays: nested(1) == [], nested(2) == [[]]."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_objects(depth: int) -> dict:
    """`depth` levels of objects: {"a": {"a": ... {"a": null}}}."""
    value: object = None
    for _ in range(depth):
        value = {"a": value}
    assert isinstance(value, dict)
    return value


# --- Expectations --------------------------------------------------------------------------------

ANY = object()


def pong(result: object = ANY) -> dict:
    """A pong whose result is JSON-equal to `result`; pong() accepts any result."""
    return {"out": "pong"} if result is ANY else {"out": "pong", "result": result}


def error(code: int) -> dict:
    return {"out": "error", "code": code}


def open_(*responses: dict) -> dict:
    """These responses, in order, then the connection still answers a probe ping."""
    return {"responses": list(responses), "connection": "open"}


def closed(*responses: dict) -> dict:
    """These responses, in order, then end of file (or a reset once they were all read)."""
    return {"responses": list(responses), "connection": "closed"}


def answers(*responses: dict) -> list[dict]:
    """The one allowed outcome: exactly these responses, and the connection stays open."""
    return [open_(*responses)]


def refused() -> list[dict]:
    """Frame too large (LPJ-LIMIT-3/-5): error -32600 then close, or a close without it."""
    return [closed(error(INVALID_REQUEST)), closed()]


def no_guaranteed_meaning(result: object = ANY) -> list[dict]:
    """LPJ-JSON-5: a pong, or error -32700 or -32600; the connection stays open either way."""
    return [open_(pong(result)), open_(error(PARSE_ERROR)), open_(error(INVALID_REQUEST))]


# --- Cases ---------------------------------------------------------------------------------------

Write = bytes | list[bytes | Repeat]


def case(
    id: str,
    requirements: list[str],
    description: str,
    writes: list[Write],
    expect: list[dict],
    half_close: bool = False,
) -> dict:
    return {
        "id": id,
        "requirements": requirements,
        "description": description,
        "writes": [encode_write(w) for w in writes],
        "half_close": half_close,
        "expect": expect,
    }


def encode_write(write: Write) -> str | list:
    """bytes -> one hex string; a list of pieces -> hex strings and repeat objects."""
    if isinstance(write, bytes):
        assert write, "a bytes write must not be empty"
        return write.hex()
    pieces: list = []
    for piece in write:
        if isinstance(piece, Repeat):
            pieces.append({"repeat": piece.data.hex(), "times": piece.times})
        elif pieces and isinstance(pieces[-1], str):
            pieces[-1] += piece.hex()
        else:
            pieces.append(piece.hex())
    if len(pieces) == 1 and isinstance(pieces[0], str) and pieces[0]:
        return pieces[0]
    return pieces


def one_byte_writes(data: bytes) -> list[Write]:
    return [data[i : i + 1] for i in range(len(data))]


# --- framing.json --------------------------------------------------------------------------------


def framing() -> list[dict]:
    hello = ping("hello")
    multibyte = "h\u00e9llo w\u00f6rld \u20ac \u65e5\u672c \U0001f600"
    long_params = "x" * 221  # body of 246 bytes: prefix f6000000, one non-zero byte
    assert len(ping(long_params)) == 4 + 246
    two_byte_len = ping("y" * 233)  # body of 258 bytes: prefix 02010000, two non-zero bytes
    assert len(two_byte_len) == 4 + 258
    be_body = dumps({"in": "ping", "params": "z" * 175})
    assert len(be_body) == 200  # >= 128, so the misread length is >= 2^31
    smile = ping("\U0001f600\U0001f600")
    cut = smile.index(b"\xf0") + 2  # inside the first 4-byte character
    return [
        case(
            "zero-length-frame-gets-invalid-request",
            ["LPJ-FRAME-4", "LPJ-ERR-4"],
            "A frame with L = 0 (prefix 00000000, no body) is invalid: error -32600, and the connection stays open.",
            [le32(0)],
            answers(error(INVALID_REQUEST)),
        ),
        case(
            "zero-length-frame-then-ping-in-same-write",
            ["LPJ-FRAME-4", "LPJ-ERR-4", "LPJ-FRAME-7"],
            "An empty frame immediately followed by a ping in one write: the empty frame ends "
            "right after its prefix, so the next four bytes are the ping's prefix. Answers: "
            "-32600, then the pong.",
            [le32(0) + ping(1)],
            answers(error(INVALID_REQUEST), pong(1)),
        ),
        case(
            "two-zero-length-frames-get-two-errors",
            ["LPJ-FRAME-4", "LPJ-ORDER-1"],
            "Two empty frames in a row: each is a frame of its own and gets its own -32600.",
            [le32(0) + le32(0)],
            answers(error(INVALID_REQUEST), error(INVALID_REQUEST)),
        ),
        case(
            "one-byte-body-number-is-not-an-object",
            ["LPJ-FRAME-1", "LPJ-REQ-2", "LPJ-ERR-4"],
            'L = 1, body "1": the smallest non-empty body. It is valid JSON (a number) but not an object: -32600.',
            [frame(b"1")],
            answers(error(INVALID_REQUEST)),
        ),
        case(
            "one-byte-body-brace-is-not-json",
            ["LPJ-FRAME-1", "LPJ-JSON-3", "LPJ-ERR-4"],
            'L = 1, body "{": the frame is complete but the JSON is truncated. The server must '
            "answer -32700 at once, never wait for more body bytes.",
            [frame(b"{")],
            answers(error(PARSE_ERROR)),
        ),
        case(
            "two-byte-body-empty-object-is-invalid-request",
            ["LPJ-FRAME-1", "LPJ-REQ-3", "LPJ-ERR-4"],
            'L = 2, body "{}": an object without "in" or "params": -32600.',
            [frame(b"{}")],
            answers(error(INVALID_REQUEST)),
        ),
        case(
            "little-endian-prefix-with-low-byte-only",
            ["LPJ-FRAME-2", "LPJ-PING-1"],
            "A 246-byte body, prefix f6000000: the length is little-endian, least significant byte first.",
            [ping(long_params)],
            answers(pong(long_params)),
        ),
        case(
            "little-endian-prefix-with-two-nonzero-bytes",
            ["LPJ-FRAME-2", "LPJ-PING-1"],
            "A 258-byte body, prefix 02010000. A receiver that read the prefix big-endian would "
            "see 33,619,968 bytes and wait; one that read only the first byte would see 2.",
            [two_byte_len],
            answers(pong("y" * 233)),
        ),
        case(
            "big-endian-prefix-reads-as-huge-length",
            ["LPJ-FRAME-2", "LPJ-LIMIT-2", "LPJ-LIMIT-3"],
            "Documents the byte order: a valid 200-byte ping sent with a BIG-endian prefix "
            "000000c8. Read little-endian, as the spec requires, that prefix is L = 0xc8000000 = "
            "3,355,443,200 bytes, above every allowed frame limit (below 2^31), so the server "
            "refuses it as too large without waiting for the body: error -32600 then close, or "
            "just close. A server that answers a pong is reading big-endian. (A body length of "
            "at least 128 makes the misread length exceed 2^31, so no conforming limit can "
            "accept it.)",
            [struct.pack(">I", len(be_body)) + be_body],
            refused(),
        ),
        case(
            "length-counts-bytes-not-characters",
            ["LPJ-FRAME-3", "LPJ-PING-4"],
            "A ping whose params hold 2-, 3- and 4-byte UTF-8 characters, followed in the same "
            "write by a second ping. L counts the body's bytes; a receiver counting characters "
            "would cut the first body short and misread the second frame.",
            [ping(multibyte) + ping(2)],
            answers(pong(multibyte), pong(2)),
        ),
        case(
            "prefix-split-after-one-byte",
            ["LPJ-FRAME-6"],
            "The length prefix arrives in two writes: 1 byte, then 3 bytes and the body.",
            [hello[:1], hello[1:]],
            answers(pong("hello")),
        ),
        case(
            "prefix-split-after-two-bytes",
            ["LPJ-FRAME-6"],
            "The length prefix arrives in two writes: 2 bytes, then 2 bytes and the body.",
            [hello[:2], hello[2:]],
            answers(pong("hello")),
        ),
        case(
            "prefix-split-after-three-bytes",
            ["LPJ-FRAME-6"],
            "The length prefix arrives in two writes: 3 bytes, then 1 byte and the body.",
            [hello[:3], hello[3:]],
            answers(pong("hello")),
        ),
        case(
            "prefix-and-body-in-separate-writes",
            ["LPJ-FRAME-6"],
            "The 4-byte prefix in one write, the whole body in the next.",
            [hello[:4], hello[4:]],
            answers(pong("hello")),
        ),
        case(
            "body-split-across-writes",
            ["LPJ-FRAME-6"],
            "The prefix and the first half of the body in one write, the rest in a second.",
            [hello[:14], hello[14:]],
            answers(pong("hello")),
        ),
        case(
            "utf-8-character-split-across-writes",
            ["LPJ-FRAME-6", "LPJ-PING-4"],
            "The body is cut in the middle of a 4-byte UTF-8 character (U+1F600): two bytes in "
            "the first write, two in the second. A receiver that decodes each read on its own "
            "breaks here; decode only the complete body.",
            [smile[:cut], smile[cut:]],
            answers(pong("\U0001f600\U0001f600")),
        ),
        case(
            "one-byte-per-write",
            ["LPJ-FRAME-6"],
            "A whole frame written one byte at a time (" + str(len(hello)) + " writes).",
            one_byte_writes(hello),
            answers(pong("hello")),
        ),
        case(
            "frame-and-a-half-then-the-rest",
            ["LPJ-FRAME-6", "LPJ-FRAME-7"],
            "One write holds a whole frame and the first half of a second one (its prefix and "
            "part of its body); the next write holds the rest of the second frame.",
            [ping(1) + ping(2)[:15], ping(2)[15:]],
            answers(pong(1), pong(2)),
        ),
        case(
            "next-prefix-split-across-writes",
            ["LPJ-FRAME-6", "LPJ-FRAME-7"],
            "One write holds a whole frame and the first 2 bytes of the next frame's prefix.",
            [ping(1) + ping(2)[:2], ping(2)[2:]],
            answers(pong(1), pong(2)),
        ),
        case(
            "three-frames-in-one-write",
            ["LPJ-FRAME-7", "LPJ-ORDER-2"],
            "Three complete frames in a single write: three pongs, in order.",
            [ping(1) + ping(2) + ping(3)],
            answers(pong(1), pong(2), pong(3)),
        ),
    ]


# --- json.json -----------------------------------------------------------------------------------


def body_encoding() -> list[dict]:
    def parse_error(id: str, description: str, body: bytes, extra: tuple[str, ...] = ()) -> dict:
        return case(
            id,
            ["LPJ-JSON-3", *extra, "LPJ-ERR-4"],
            description,
            [frame(body)],
            answers(error(PARSE_ERROR)),
        )

    request = b'{"in":"ping","params":1}'
    return [
        parse_error(
            "invalid-utf-8-byte-ff",
            "The string in params holds the byte ff, which never occurs in UTF-8: -32700.",
            b'{"in":"ping","params":"a\xffb"}',
        ),
        parse_error(
            "invalid-utf-8-overlong-encoding",
            'The string holds c0 af, an overlong (forbidden) encoding of "/": -32700.',
            b'{"in":"ping","params":"a\xc0\xafb"}',
        ),
        parse_error(
            "invalid-utf-8-truncated-sequence",
            "The string holds e2 82, the first two bytes of the 3-byte euro sign, followed by "
            "the closing quote: -32700.",
            b'{"in":"ping","params":"a\xe2\x82"}',
        ),
        parse_error(
            "invalid-utf-8-encoded-surrogate",
            "The string holds ed a0 80, U+D800 encoded as if it were a character. Surrogates "
            "are not encodable in UTF-8: -32700 (a decoder in 'surrogatepass' mode accepts it "
            "by mistake).",
            b'{"in":"ping","params":"a\xed\xa0\x80b"}',
        ),
        parse_error(
            "invalid-utf-8-above-u-10ffff",
            "The string holds f4 90 80 80, which would encode U+110000, beyond Unicode: -32700.",
            b'{"in":"ping","params":"a\xf4\x90\x80\x80b"}',
        ),
        parse_error(
            "invalid-utf-8-outside-string",
            "A byte ff between the members of the object, outside any string: -32700.",
            b'{"in":"ping",\xff"params":1}',
        ),
        parse_error(
            "utf-16-body-is-not-utf-8-json",
            "The request encoded as UTF-16LE: every ASCII byte is followed by a zero byte, so "
            "read as UTF-8 it is not JSON: -32700. (Decoders that guess the encoding accept it "
            "by mistake.)",
            request.decode().encode("utf-16-le"),
        ),
        parse_error(
            "nan-is-not-json",
            "params is NaN, which is not JSON (many libraries accept it by default): -32700.",
            b'{"in":"ping","params":NaN}',
        ),
        parse_error(
            "infinity-is-not-json",
            "params is Infinity, which is not JSON: -32700.",
            b'{"in":"ping","params":Infinity}',
        ),
        parse_error(
            "negative-infinity-is-not-json",
            "params is -Infinity, which is not JSON: -32700.",
            b'{"in":"ping","params":-Infinity}',
        ),
        parse_error(
            "nan-inside-array-is-not-json",
            "NaN nested inside params: -32700.",
            b'{"in":"ping","params":[1,NaN]}',
        ),
        parse_error(
            "trailing-garbage-after-value",
            'The body is "{}x": one JSON value followed by garbage is not one JSON value: '
            "-32700 (a parse error, not -32600).",
            b"{}x",
        ),
        parse_error(
            "two-json-values-in-one-body",
            "Two complete requests in one frame's body: a body is exactly one JSON value, so -32700 and no pong.",
            request + request,
        ),
        parse_error(
            "whitespace-only-body",
            "The body is a space, a tab, CR and LF: no JSON value at all: -32700 (not -32600: "
            "the frame is not empty, L = 4).",
            b" \t\r\n",
        ),
        parse_error(
            "single-space-body",
            "L = 1, the body is one space: no JSON value: -32700.",
            b" ",
        ),
        parse_error(
            "nul-byte-body",
            "L = 1, the body is one zero byte: valid UTF-8 but not JSON: -32700.",
            b"\x00",
        ),
        parse_error(
            "vertical-tab-is-not-json-whitespace",
            "A valid request preceded by a vertical tab (0b); JSON whitespace is only space, tab, LF and CR: -32700.",
            b"\x0b" + request,
        ),
        parse_error(
            "no-break-space-is-not-json-whitespace",
            "A valid request followed by U+00A0 NO-BREAK SPACE (c2 a0): not JSON whitespace, "
            "so trailing garbage: -32700.",
            request + b"\xc2\xa0",
        ),
        parse_error(
            "truncated-json-in-complete-frame",
            "The frame is complete but its JSON ends early (the closing brace is missing). "
            "The server must answer -32700 at once, not wait for more bytes.",
            b'{"in":"ping","params":1',
        ),
        parse_error(
            "raw-control-character-in-string",
            "A string holding a raw (unescaped) byte 01; control characters must be escaped in JSON: -32700.",
            b'{"in":"ping","params":"a\x01b"}',
        ),
        parse_error(
            "raw-newline-in-string",
            "A string holding a raw line feed (0a); it must be written \\n: -32700.",
            b'{"in":"ping","params":"a\nb"}',
        ),
        parse_error(
            "invalid-escape-sequence",
            "A string holding the escape \\x41, which JSON does not have: -32700.",
            b'{"in":"ping","params":"\\x41"}',
        ),
        parse_error(
            "short-unicode-escape",
            "A string holding \\u12 followed by the closing quote: a \\u escape needs four hex digits: -32700.",
            b'{"in":"ping","params":"\\u12"}',
        ),
        parse_error(
            "single-quoted-string",
            "params is 'x' in single quotes: not JSON: -32700.",
            b'{"in":"ping","params":\'x\'}',
        ),
        parse_error(
            "unquoted-member-name",
            "The member name in is not quoted: -32700.",
            b'{in:"ping","params":1}',
        ),
        parse_error(
            "trailing-comma-in-object",
            "A comma after the last member: -32700.",
            b'{"in":"ping","params":1,}',
        ),
        parse_error(
            "trailing-comma-in-array",
            "params is [1,] with a trailing comma: -32700.",
            b'{"in":"ping","params":[1,]}',
        ),
        parse_error(
            "comment-is-not-json",
            "A /* comment */ inside the object: -32700.",
            b'{"in":"ping",/* c */"params":1}',
        ),
        parse_error(
            "leading-zero-number",
            "params is 01: JSON numbers have no leading zeros: -32700.",
            b'{"in":"ping","params":01}',
        ),
        parse_error(
            "leading-plus-number",
            "params is +1: JSON numbers have no plus sign: -32700.",
            b'{"in":"ping","params":+1}',
        ),
        parse_error(
            "bare-decimal-point-number",
            "params is .5: JSON needs a digit before the point: -32700.",
            b'{"in":"ping","params":.5}',
        ),
        parse_error(
            "hexadecimal-number",
            "params is 0x10: not a JSON number: -32700.",
            b'{"in":"ping","params":0x10}',
        ),
        parse_error(
            "python-literals-are-not-json",
            "params is None, a Python literal, not JSON (null is): -32700.",
            b'{"in":"ping","params":None}',
        ),
        case(
            "byte-order-mark-before-request",
            ["LPJ-JSON-4"],
            "A valid request preceded by a UTF-8 byte-order mark (ef bb bf). The spec says a "
            "server SHOULD answer -32700 (LPJ-JSON-4, a SHOULD: a runner reports a failure "
            "here as a warning, not a conformance failure; a server that strips the mark and "
            "answers the pong is not conforming to the SHOULD but breaks no MUST).",
            [frame(b"\xef\xbb\xbf" + request)],
            answers(error(PARSE_ERROR)),
        ),
        parse_error(
            "byte-order-mark-only-body",
            "L = 3, the body is only a byte-order mark: whatever a server does with the mark, "
            "no JSON value follows it: -32700.",
            b"\xef\xbb\xbf",
            ("LPJ-JSON-4",),
        ),
        case(
            "whitespace-around-request-is-allowed",
            ["LPJ-JSON-1", "LPJ-PING-1"],
            "A valid request with JSON whitespace (space, tab, CR, LF) before, inside and after "
            "the object: it is one JSON value, so it gets its pong.",
            [frame(b' \t\r\n{ "in" : "ping" ,\n "params" : [ 1 , 2 ] }\r\n\t ')],
            answers(pong([1, 2])),
        ),
    ]


# --- requests.json -------------------------------------------------------------------------------


def requests() -> list[dict]:
    not_objects = [  # (id, body, what it is): valid JSON, not an object (LPJ-REQ-2)
        ("body-array-is-invalid-request", b"[]", "an empty array"),
        ("body-batch-array-is-invalid-request", b'[{"in":"ping","params":1}]',
         "an array holding a valid request (a JSON-RPC style batch; LPJ-RPC/1 has no batches)"),
        ("body-string-is-invalid-request", b'"ping"', 'the string "ping"'),
        ("body-number-is-invalid-request", b"42", "the number 42"),
        ("body-true-is-invalid-request", b"true", "true"),
        ("body-false-is-invalid-request", b"false", "false"),
        ("body-null-is-invalid-request", b"null", "null"),
    ]  # fmt: skip
    bad_in = [  # (id, request object, what is wrong): "in" missing or not a non-empty string (LPJ-REQ-3)
        ("in-missing-is-invalid-request", {"params": 1}, 'there is no "in" member'),
        ("in-empty-string-is-invalid-request", {"in": "", "params": 1}, '"in" is the empty string'),
        ("in-number-is-invalid-request", {"in": 1, "params": 1}, '"in" is the number 1'),
        ("in-null-is-invalid-request", {"in": None, "params": 1}, '"in" is null'),
        ("in-array-is-invalid-request", {"in": ["ping"], "params": 1}, '"in" is the array ["ping"]'),
        ("in-empty-array-is-invalid-request", {"in": [], "params": 1}, '"in" is an empty array'),
        ("in-object-is-invalid-request", {"in": {}, "params": 1}, '"in" is an empty object'),
        ("in-true-is-invalid-request", {"in": True, "params": 1}, '"in" is true'),
        ("in-member-name-is-case-sensitive", {"In": "ping", "params": 1},
         'the method is in a member "In": member names are case-sensitive, so "in" is missing'),
    ]  # fmt: skip
    invalid = [
        *(("LPJ-REQ-2", id, body, f"The body is {what}: valid JSON, but not an object: -32600.")
          for id, body, what in not_objects),
        *(("LPJ-REQ-3", id, dumps(members), f"A request where {what}: -32600.")
          for id, members, what in bad_in),
        ("LPJ-REQ-4", "params-missing-is-invalid-request", dumps({"in": "ping"}),
         '"in" is "ping" but there is no "params" member: -32600.'),
        ("LPJ-REQ-4", "params-member-name-is-case-sensitive", dumps({"in": "ping", "Params": 1}),
         'A request with "Params" but no "params": member names are case-sensitive: -32600.'),
        ("LPJ-REQ-4", "params-missing-with-unknown-method-is-invalid-request", dumps({"in": "no-such-method"}),
         'An unknown method and no "params": the request is invalid, and -32601 answers only valid '
         "requests (SPEC 8.3): -32600, not -32601."),
    ]  # fmt: skip
    return [
        *(
            case(id, [requirement, "LPJ-ERR-4"], description, [frame(body)], answers(error(INVALID_REQUEST)))
            for requirement, id, body, description in invalid
        ),
        case(
            "params-null-is-valid",
            ["LPJ-REQ-4", "LPJ-PING-1"],
            '"params": null is present and valid: a pong whose result is null (the member '
            '"result" must be there, with the value null).',
            [ping(None)],
            answers(pong(None)),
        ),
        case(
            "extra-members-id-and-jsonrpc-ignored",
            ["LPJ-REQ-5", "LPJ-PING-1"],
            'A request with JSON-RPC style members "id" and "jsonrpc" besides "in" and '
            '"params": they are ignored, and the response is the plain pong.',
            [req("ping", 1, id=7, jsonrpc="2.0")],
            answers(pong(1)),
        ),
        case(
            "extra-nested-object-member-ignored",
            ["LPJ-REQ-5", "LPJ-PING-1"],
            "An extra member holding nested objects and arrays is ignored.",
            [req("ping", "p", meta={"trace": {"id": [1, {"deep": None}]}, "tags": []})],
            answers(pong("p")),
        ),
        case(
            "extra-members-named-like-response-ignored",
            ["LPJ-REQ-5", "LPJ-PING-1"],
            'A request that also carries "out" and "result" members: they mean nothing in a '
            'request and are ignored; "result" of the pong is "params", not the request\'s '
            '"result".',
            [req("ping", "params-value", out="error", result="request-result")],
            answers(pong("params-value")),
        ),
        case(
            "params-before-in",
            ["LPJ-JSON-1", "LPJ-PING-1"],
            'Member order does not matter: "params" comes before "in".',
            [frame(b'{"params":{"b":1,"a":2},"in":"ping"}')],
            answers(pong({"a": 2, "b": 1})),
        ),
        case(
            "escaped-method-name-is-ping",
            ["LPJ-REQ-6", "LPJ-PING-1"],
            'The method name is written "p\\u0069ng": after unescaping it is the string "ping" '
            "(methods are compared as strings, code point by code point, not as raw bytes).",
            [frame(b'{"in":"p\\u0069ng","params":1}')],
            answers(pong(1)),
        ),
        case(
            "duplicate-params-member",
            ["LPJ-JSON-5"],
            'The request has "params" twice (1, then 2). Duplicate names have no guaranteed '
            "meaning: a pong (SPEC 5.4 leaves its result unspecified; 1 or 2 are the usual "
            "readings), or -32700, or -32600; the connection stays open.",
            [frame(b'{"in":"ping","params":1,"params":2}')],
            no_guaranteed_meaning(),
        ),
        case(
            "duplicate-in-member",
            ["LPJ-JSON-5"],
            'The request has "in" twice, first an unknown method and then "ping". Duplicate '
            "names have no guaranteed meaning: -32601 (the first wins), a pong (the last wins; "
            "its result is unspecified), -32700 or -32600; the connection stays open.",
            [frame(b'{"in":"no-such-method","in":"ping","params":1}')],
            [open_(error(METHOD_NOT_FOUND)), *no_guaranteed_meaning()],
        ),
        case(
            "duplicate-member-inside-params",
            ["LPJ-JSON-5"],
            'params is {"a":1,"a":2}. Duplicate names have no guaranteed meaning: a pong with '
            "any result, or -32700, or -32600; the connection stays open.",
            [frame(b'{"in":"ping","params":{"a":1,"a":2}}')],
            no_guaranteed_meaning(),
        ),
    ]


# --- ping.json -----------------------------------------------------------------------------------


def ping_method() -> list[dict]:
    def echo(id: str, requirements: list[str], description: str, params: object) -> dict:
        return case(id, requirements, description, [ping(params)], answers(pong(params)))

    def echo_text(id: str, requirements: list[str], description: str, text: str | bytes, result: object) -> dict:
        return case(id, requirements, description, [ping_text(text)], answers(pong(result)))

    def unguaranteed(id: str, requirements: list[str], description: str, text: str | bytes) -> dict:
        return case(id, ["LPJ-JSON-5", *requirements], description, [ping_text(text)], no_guaranteed_meaning())

    max_safe = 2**53 - 1
    params = b'{"in":"ping","params":'
    deep = b'{"in":"ping","params":"deep","deep":'
    return [
        echo(
            "ping-returns-pong-with-params",
            [
                "LPJ-PING-1",
                "LPJ-RESP-1",
                "LPJ-ORDER-1",
                "LPJ-TRANS-1",
                "LPJ-FRAME-1",
                "LPJ-FRAME-2",
                "LPJ-FRAME-5",
                "LPJ-JSON-1",
                "LPJ-JSON-2",
                "LPJ-RESP-3",
            ],
            'The basic exchange: {"in":"ping","params":"hello"} gets exactly one response, '
            '{"out":"pong","result":"hello"}, in one well-formed frame (little-endian length, '
            "non-zero, UTF-8 JSON without a byte-order mark), and nothing else.",
            "hello",
        ),
        echo("ping-params-true", ["LPJ-PING-1"], "params true comes back as true.", True),
        echo("ping-params-false", ["LPJ-PING-1"], "params false comes back as false.", False),
        echo("ping-params-zero", ["LPJ-PING-1"], "params 0 comes back as 0.", 0),
        echo("ping-params-empty-string", ["LPJ-PING-1"], 'params "" comes back as "".', ""),
        echo("ping-params-empty-array", ["LPJ-PING-1"], "params [ ] comes back as [ ].", []),
        echo("ping-params-empty-object", ["LPJ-PING-1"], "params { } comes back as { }.", {}),
        echo(
            "ping-params-object-member-order-free",
            ["LPJ-PING-1"],
            "An object of several members comes back JSON-equal: member order may change.",
            {"z": 1, "a": [True, None, "s"], "m": {"y": 2, "x": 1}},
        ),
        echo(
            "ping-params-object-with-non-ascii-names",
            ["LPJ-PING-1", "LPJ-PING-4"],
            "Member names with non-ASCII and astral-plane characters come back unchanged.",
            {"\u00e9t\u00e9": 1, "\U0001f600": 2, "": 3},
        ),
        echo(
            "max-safe-integer-round-trips",
            ["LPJ-PING-2"],
            "2^53-1 = 9007199254740991, the largest integer guaranteed exact.",
            max_safe,
        ),
        echo(
            "min-safe-integer-round-trips",
            ["LPJ-PING-2"],
            "-(2^53-1) = -9007199254740991, the smallest integer guaranteed exact.",
            -max_safe,
        ),
        echo(
            "small-integers-round-trip",
            ["LPJ-PING-2"],
            "A few ordinary integers: 0, 1, -1, 255, 256, 65536, 2^31-1, -2^31, 2^32.",
            [0, 1, -1, 255, 256, 65536, 2**31 - 1, -(2**31), 2**32],
        ),
        unguaranteed(
            "integer-2-pow-53-no-guaranteed-meaning",
            [],
            "2^53 = 9007199254740992, one above the exact range: a pong with any (possibly "
            "rounded) result, or -32700, or -32600; the connection stays open.",
            str(2**53),
        ),
        unguaranteed(
            "negative-integer-2-pow-53-no-guaranteed-meaning",
            [],
            "-2^53 = -9007199254740992, one below the exact range: a pong with any (possibly "
            "rounded) result, or -32700, or -32600; the connection stays open.",
            str(-(2**53)),
        ),
        unguaranteed(
            "integer-2-pow-53-plus-1-no-guaranteed-meaning",
            [],
            "2^53+1 = 9007199254740993, not representable as a double: a pong with any "
            "(possibly rounded) result, or -32700, or -32600; the connection stays open.",
            str(2**53 + 1),
        ),
        unguaranteed(
            "integer-2-pow-64-no-guaranteed-meaning",
            [],
            "2^64 = 18446744073709551616, beyond 64-bit integers: a pong with any (possibly "
            "rounded) result, or -32700, or -32600; the connection stays open, no crash.",
            str(2**64),
        ),
        unguaranteed(
            "integer-10-pow-30-no-guaranteed-meaning",
            [],
            "10^30 written as 31 digits: a pong with any (possibly rounded) result, or -32700, "
            "or -32600; the connection stays open.",
            str(10**30),
        ),
        echo_text(
            "number-spellings-compare-by-value",
            ["LPJ-PING-1", "LPJ-PING-3"],
            "Numbers are compared by value, not spelling: 1.0, 1e0, 1E+2, -0, 0.5e-1 and 10e-1 "
            "come back JSON-equal to 1, 1, 100, 0, 0.05 and 1, however the server writes them.",
            "[1.0,1e0,1E+2,-0,0.5e-1,10e-1]",
            [1, 1, 100, 0, 0.05, 1],
        ),
        echo_text(
            "smallest-subnormal-double-round-trips",
            ["LPJ-PING-3"],
            "5e-324, the smallest positive double (subnormal).",
            "5e-324",
            5e-324,
        ),
        echo_text(
            "largest-subnormal-double-round-trips",
            ["LPJ-PING-3"],
            "2.225073858507201e-308, the largest subnormal double.",
            "2.225073858507201e-308",
            2.225073858507201e-308,
        ),
        echo_text(
            "smallest-normal-double-round-trips",
            ["LPJ-PING-3"],
            "2.2250738585072014e-308, the smallest positive normal double.",
            "2.2250738585072014e-308",
            2.2250738585072014e-308,
        ),
        echo_text(
            "largest-double-round-trips",
            ["LPJ-PING-3"],
            "1.7976931348623157e+308, the largest finite double.",
            "1.7976931348623157e+308",
            1.7976931348623157e308,
        ),
        echo_text(
            "most-negative-double-round-trips",
            ["LPJ-PING-3"],
            "-1.7976931348623157e+308, the most negative finite double.",
            "-1.7976931348623157e+308",
            -1.7976931348623157e308,
        ),
        echo_text(
            "double-one-tenth-round-trips",
            ["LPJ-PING-3"],
            "0.1, which has no exact binary form: the same double comes back.",
            "0.1",
            0.1,
        ),
        echo_text(
            "double-negative-zero-round-trips",
            ["LPJ-PING-3"],
            "-0.0: JSON-equal compares numbers by value, so a result of -0.0, 0 or 0.0 is correct.",
            "-0.0",
            -0.0,
        ),
        echo_text(
            "double-small-exponent-round-trips",
            ["LPJ-PING-3"],
            "1e-7, which some printers write as 1e-07 or 1.0E-7 (all JSON-equal).",
            "1e-7",
            1e-7,
        ),
        echo_text(
            "doubles-with-many-digits-round-trip",
            ["LPJ-PING-3"],
            "Doubles that need all 17 significant digits, and a sum that is not its decimal "
            "look-alike (0.30000000000000004).",
            "[0.30000000000000004,1.2345678901234567,-9.8765432109876e-100,4.35e+200]",
            [0.30000000000000004, 1.2345678901234567, -9.8765432109876e-100, 4.35e200],
        ),
        unguaranteed(
            "number-1e400-no-guaranteed-meaning",
            ["LPJ-JSON-2"],
            "1e400 is beyond the double range: a pong with any result, or -32700, or -32600; "
            "the connection stays open. A pong must still be JSON: a server that parses it as "
            "infinity must not write Infinity in its response (LPJ-JSON-2).",
            "1e400",
        ),
        unguaranteed(
            "number-negative-1e400-no-guaranteed-meaning",
            ["LPJ-JSON-2"],
            "-1e400 is beyond the double range: a pong with any result (but never -Infinity, "
            "which is not JSON), or -32700, or -32600; the connection stays open.",
            "-1e400",
        ),
        unguaranteed(
            "number-1e-400-no-guaranteed-meaning",
            [],
            "1e-400 is below the smallest double: a pong with any (possibly rounded to 0) "
            "result, or -32700, or -32600; the connection stays open.",
            "1e-400",
        ),
        echo(
            "astral-character-raw-utf-8-round-trips",
            ["LPJ-PING-4"],
            "U+1F600 sent as raw UTF-8 (f0 9f 98 80) comes back as the same character (raw or "
            "escaped: either spelling is the same string).",
            "\U0001f600",
        ),
        echo_text(
            "astral-character-escaped-as-surrogate-pair-round-trips",
            ["LPJ-PING-4"],
            "U+1F600 sent as the escape pair \\ud83d\\ude00 is one character, and comes back as that character.",
            '"\\ud83d\\ude00"',
            "\U0001f600",
        ),
        echo(
            "mixed-utf-8-widths-round-trip",
            ["LPJ-PING-4"],
            "One string with 1-, 2-, 3- and 4-byte UTF-8 characters.",
            "a\u00e9\u20ac\U0001f600z",
        ),
        echo_text(
            "every-json-escape-round-trips",
            ["LPJ-PING-4"],
            'The string \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 (every short escape, and NUL): '
            "the decoded characters come back.",
            '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000"',
            '"\\/\b\f\n\r\t\x00',
        ),
        echo_text(
            "control-characters-as-unicode-escapes-round-trip",
            ["LPJ-PING-4"],
            "All 32 control characters U+0000..U+001F written as \\u00XX escapes, and DEL (U+007F).",
            '"' + "".join(f"\\u{c:04x}" for c in range(32)) + '\\u007f"',
            "".join(chr(c) for c in range(32)) + "\x7f",
        ),
        echo_text(
            "unicode-escape-hex-case-insensitive",
            ["LPJ-PING-4"],
            "\\u00e9 and \\u00E9 (lower- and upper-case hex) are both U+00E9.",
            '"\\u00e9\\u00E9"',
            "\u00e9\u00e9",
        ),
        echo(
            "line-and-paragraph-separators-round-trip",
            ["LPJ-PING-4"],
            "U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR as raw UTF-8: valid in JSON "
            "strings (though not in older JavaScript), they come back unchanged.",
            "a\u2028b\u2029c",
        ),
        echo(
            "noncharacter-u-ffff-round-trips",
            ["LPJ-PING-4"],
            "U+FFFF as raw UTF-8 (ef bf bf): a noncharacter, but a Unicode scalar value, so it round-trips.",
            "a\uffffb",
        ),
        echo(
            "highest-code-point-u-10ffff-round-trips",
            ["LPJ-PING-4"],
            "U+10FFFF as raw UTF-8 (f4 8f bf bf), the highest code point.",
            "a\U0010ffffb",
        ),
        echo(
            "byte-order-mark-inside-string-round-trips",
            ["LPJ-PING-4", "LPJ-JSON-4"],
            "U+FEFF as raw UTF-8 (ef bb bf) in the middle of a string is an ordinary character: "
            "only a mark at the very start of the body is refused.",
            "a\ufeffb",
        ),
        unguaranteed(
            "lone-high-surrogate-escape-no-guaranteed-meaning",
            [],
            'The string "\\ud800": a lone surrogate escape is not a Unicode scalar value. A '
            "pong with any result, or -32700, or -32600; the connection stays open. A pong "
            "must still be valid UTF-8 JSON: the raw bytes ed a0 80 are not.",
            '"\\ud800"',
        ),
        unguaranteed(
            "lone-low-surrogate-escape-no-guaranteed-meaning",
            [],
            'The string "\\udc00", a lone low surrogate: a pong with any result, or -32700, or '
            "-32600; the connection stays open.",
            '"\\udc00"',
        ),
        unguaranteed(
            "reversed-surrogate-pair-escape-no-guaranteed-meaning",
            [],
            'The string "\\ude00\\ud83d", a surrogate pair in the wrong order (two lone '
            "surrogates): a pong with any result, or -32700, or -32600; the connection stays "
            "open.",
            '"\\ude00\\ud83d"',
        ),
        echo(
            "nesting-depth-64-arrays-round-trips",
            ["LPJ-PING-5"],
            "params nested 64 arrays deep ([] is depth 1): the guaranteed depth.",
            nested(64),
        ),
        echo(
            "nesting-depth-64-objects-round-trips",
            ["LPJ-PING-5"],
            'params nested 64 objects deep ({"a": {"a": ... null}}): the guaranteed depth.',
            nested_objects(64),
        ),
        case(
            "nesting-depth-65-no-guaranteed-meaning",
            ["LPJ-PING-5", "LPJ-JSON-5"],
            "params nested 65 arrays deep, one above the guaranteed depth: a pong (its result "
            "unspecified, SPEC 5.4), or -32700, or -32600; the connection stays open.",
            [ping(nested(65))],
            no_guaranteed_meaning(),
        ),
        case(
            "nesting-depth-1000-no-guaranteed-meaning",
            ["LPJ-JSON-5"],
            "params nested 1000 arrays deep: a pong, or -32700, or -32600; the connection stays "
            "open, no crash. The pong's result is not compared here, to keep this file readable "
            "by JSON libraries with a depth limit, but the runner must parse the response, "
            "1001 levels deep.",
            [[le32(len(params) + 2000 + 1) + params, Repeat(b"[", 1000), Repeat(b"]", 1000), b"}"]],
            no_guaranteed_meaning(),
        ),
        case(
            "nesting-depth-100000-in-ignored-member",
            ["LPJ-JSON-5", "LPJ-REQ-5"],
            'An extra member nested 100,000 arrays deep next to "params": "deep" (a 200 kB '
            "body). A recursive parser can overflow its stack here; the server must not crash: "
            'a pong with result "deep", or -32700, or -32600, and the connection stays open.',
            [[le32(len(deep) + 200_000 + 1) + deep, Repeat(b"[", 100_000), Repeat(b"]", 100_000), b"}"]],
            no_guaranteed_meaning("deep"),
        ),
    ]


# --- errors.json ---------------------------------------------------------------------------------


def errors() -> list[dict]:
    def unknown(id: str, requirements: list[str], description: str, method: str) -> dict:
        return case(
            id,
            list(dict.fromkeys([*requirements, "LPJ-ERR-2", "LPJ-ERR-4"])),
            description,
            [req(method, 1)],
            answers(error(METHOD_NOT_FOUND)),
        )

    return [
        unknown(
            "unknown-method-gets-method-not-found",
            ["LPJ-ERR-2", "LPJ-ERR-1"],
            'A well-formed request for a method the server does not have ("no-such-method"): '
            'error -32601, shaped {"out":"error","result":{"code":-32601,"message":"..."}}; the '
            "connection stays open.",
            "no-such-method",
        ),
        unknown(
            "method-name-capitalised-is-unknown",
            ["LPJ-REQ-6"],
            'Method "Ping": names are compared exactly, so it is not "ping": -32601.',
            "Ping",
        ),
        unknown(
            "method-name-upper-case-is-unknown",
            ["LPJ-REQ-6"],
            'Method "PING": not "ping": -32601.',
            "PING",
        ),
        unknown(
            "method-name-with-trailing-space-is-unknown",
            ["LPJ-REQ-6"],
            'Method "ping " (trailing space): names are not trimmed: -32601.',
            "ping ",
        ),
        unknown(
            "method-name-with-leading-space-is-unknown",
            ["LPJ-REQ-6"],
            'Method " ping" (leading space): -32601.',
            " ping",
        ),
        unknown(
            "method-name-with-trailing-nul-is-unknown",
            ["LPJ-REQ-6"],
            'Method "ping\\u0000": a C-string comparison would stop at the NUL; it is not "ping": -32601.',
            "ping\x00",
        ),
        unknown(
            "method-name-prefix-of-ping-is-unknown",
            ["LPJ-REQ-6"],
            'Method "pin", a prefix of "ping": -32601.',
            "pin",
        ),
        unknown(
            "method-name-fullwidth-is-unknown",
            ["LPJ-REQ-6"],
            'Method "\uff50\uff49\uff4e\uff47" (FULLWIDTH letters, which Unicode compatibility '
            'normalisation maps to "ping"): names are not normalised: -32601.',
            "\uff50\uff49\uff4e\uff47",
        ),
        case(
            "parse-error-then-ping-in-same-write",
            ["LPJ-ERR-4", "LPJ-JSON-3", "LPJ-ORDER-2"],
            "A frame that is not JSON followed, in the same write, by a ping: -32700, then the "
            "pong: a parse error does not lose the framing or the next request.",
            [frame(b"{not json") + ping("after")],
            answers(error(PARSE_ERROR), pong("after")),
        ),
        case(
            "invalid-request-then-ping-in-same-write",
            ["LPJ-ERR-4", "LPJ-REQ-3", "LPJ-ORDER-2"],
            'A request without "in" followed, in the same write, by a ping: -32600, then the pong.',
            [req(params=1) + ping("after")],
            answers(error(INVALID_REQUEST), pong("after")),
        ),
        case(
            "unknown-method-then-ping-in-same-write",
            ["LPJ-ERR-4", "LPJ-ERR-2", "LPJ-ORDER-2"],
            "An unknown method followed, in the same write, by a ping: -32601, then the pong.",
            [req("no-such-method", 1) + ping("after")],
            answers(error(METHOD_NOT_FOUND), pong("after")),
        ),
        case(
            "invalid-utf-8-then-ping-in-same-write",
            ["LPJ-ERR-4", "LPJ-JSON-3", "LPJ-ORDER-2"],
            "A body that is not UTF-8 followed, in the same write, by a ping: -32700, then the pong.",
            [frame(b'{"in":"ping","params":"\xff"}') + ping("after")],
            answers(error(PARSE_ERROR), pong("after")),
        ),
        case(
            "many-errors-in-a-row-keep-connection-open",
            ["LPJ-ERR-4", "LPJ-CONN-5", "LPJ-ORDER-1"],
            "Ten bad frames of every kind in one write (empty frame, not UTF-8, not JSON, NaN, "
            'not an object, no "in", empty "in", no "params", unknown method, "PING"), then a '
            "ping: ten errors in order, then the pong. Errors never close the connection.",
            [
                le32(0)
                + frame(b"\xff")
                + frame(b"{")
                + ping_text("NaN")
                + frame(b"[]")
                + req(params=1)
                + req("", 1)
                + req("ping")
                + req("no-such-method", 1)
                + req("PING", 1)
                + ping("still-open")
            ],
            answers(
                error(INVALID_REQUEST),
                error(PARSE_ERROR),
                error(PARSE_ERROR),
                error(PARSE_ERROR),
                error(INVALID_REQUEST),
                error(INVALID_REQUEST),
                error(INVALID_REQUEST),
                error(INVALID_REQUEST),
                error(METHOD_NOT_FOUND),
                error(METHOD_NOT_FOUND),
                pong("still-open"),
            ),
        ),
    ]


# --- order.json ----------------------------------------------------------------------------------


def order() -> list[dict]:
    hundred = b"".join(ping(i) for i in range(100))
    big = padded_ping("big", 100_000)
    return [
        case(
            "pipelined-mixed-batch-answered-in-order",
            ["LPJ-ORDER-1", "LPJ-ORDER-2", "LPJ-ORDER-3", "LPJ-ERR-4"],
            "Valid and invalid frames mixed in one write: ping 1, an empty frame, ping 2, "
            "a body that is not JSON, ping 3, an unknown method, a body that is not an object, "
            "ping 4. Exactly one response each, in request order.",
            [
                ping(1)
                + le32(0)
                + ping(2)
                + frame(b"nope")
                + ping(3)
                + req("no-such-method", None)
                + frame(b"[1]")
                + ping(4)
            ],
            answers(
                pong(1),
                error(INVALID_REQUEST),
                pong(2),
                error(PARSE_ERROR),
                pong(3),
                error(METHOD_NOT_FOUND),
                error(INVALID_REQUEST),
                pong(4),
            ),
        ),
        case(
            "hundred-pipelined-pings-answered-in-order",
            ["LPJ-ORDER-1", "LPJ-ORDER-2", "LPJ-ORDER-3", "LPJ-FRAME-7"],
            "100 pings with params 0..99 in a single write: 100 pongs with results 0..99, in that order.",
            [hundred],
            answers(*(pong(i) for i in range(100))),
        ),
        case(
            "pipelined-requests-across-writes",
            ["LPJ-ORDER-2", "LPJ-ORDER-3"],
            "Two writes of two pings each, sent without reading in between: four pongs in order.",
            [ping("a") + ping("b"), ping("c") + ping("d")],
            answers(pong("a"), pong("b"), pong("c"), pong("d")),
        ),
        case(
            "large-request-then-small-request-answered-in-order",
            ["LPJ-ORDER-2", "LPJ-ORDER-3"],
            'A 100,000-byte ping (params "big", padded by an ignored member) then a small ping '
            '(params "small"), in one write: the big one is answered first even though the '
            "small one is quicker to handle.",
            [[*big, ping("small")]],
            answers(pong("big"), pong("small")),
        ),
        case(
            "same-params-answered-once-each",
            ["LPJ-ORDER-1"],
            "Three identical pings in one write get three pongs: no de-duplication.",
            [ping("same") * 3],
            answers(pong("same"), pong("same"), pong("same")),
        ),
    ]


# --- connection.json -----------------------------------------------------------------------------


def connection() -> list[dict]:
    p2 = ping(2)
    smile = ping("\U0001f600")
    cut = smile.index(b"\xf0") + 2  # inside the 4-byte character
    return [
        case(
            "responses-sent-after-client-half-close",
            ["LPJ-CONN-1", "LPJ-ORDER-2"],
            "Three pings, then the client shuts down its write side: the server sends all "
            "three pongs, in order, then closes.",
            [ping(1) + ping(2) + ping(3)],
            [closed(pong(1), pong(2), pong(3))],
            half_close=True,
        ),
        case(
            "half-close-in-separate-write-after-requests",
            ["LPJ-CONN-1"],
            "One ping per write, two writes, then half-close: both pongs, then close.",
            [ping("a"), ping("b")],
            [closed(pong("a"), pong("b"))],
            half_close=True,
        ),
        case(
            "errors-answered-after-client-half-close",
            ["LPJ-CONN-1", "LPJ-ERR-4"],
            "A ping, an empty frame and an unknown method, then half-close: the two errors are "
            "answered too (they were well-framed), then the server closes.",
            [ping(1) + le32(0) + req("no-such-method", 1)],
            [closed(pong(1), error(INVALID_REQUEST), error(METHOD_NOT_FOUND))],
            half_close=True,
        ),
        case(
            "partial-prefix-discarded-at-end-of-file",
            ["LPJ-CONN-1", "LPJ-CONN-2"],
            "A whole ping, then the first 2 bytes of a second frame's prefix, then half-close: "
            "one pong, then close. The partial frame is never answered.",
            [ping(1) + p2[:2]],
            [closed(pong(1))],
            half_close=True,
        ),
        case(
            "partial-body-discarded-at-end-of-file",
            ["LPJ-CONN-1", "LPJ-CONN-2"],
            "A whole ping, then a second frame's prefix and half its body, then half-close: "
            "one pong, then close. The partial frame is neither answered nor reported as an "
            "error.",
            [ping(1) + p2[:15]],
            [closed(pong(1))],
            half_close=True,
        ),
        case(
            "partial-frame-alone-discarded-at-end-of-file",
            ["LPJ-CONN-2", "LPJ-RESP-3"],
            "Only a prefix and part of the body, then half-close: no response at all, then close.",
            [p2[:10]],
            [closed()],
            half_close=True,
        ),
        case(
            "half-close-with-nothing-sent",
            ["LPJ-CONN-1", "LPJ-RESP-3"],
            "The client sends nothing (one empty write) and shuts down its write side: the "
            "server sends nothing and closes.",
            [[b""]],
            [closed()],
            half_close=True,
        ),
        case(
            "zero-length-frame-then-half-close",
            ["LPJ-CONN-1", "LPJ-FRAME-4"],
            "An empty frame (L = 0) then half-close: the frame is complete, so it gets its "
            "-32600, then the server closes.",
            [le32(0)],
            [closed(error(INVALID_REQUEST))],
            half_close=True,
        ),
        case(
            "partial-utf-8-body-discarded-at-end-of-file",
            ["LPJ-CONN-2"],
            "A ping, then a frame cut in the middle of a 4-byte UTF-8 character, then "
            "half-close: one pong and close; the cut frame is not answered, not even with "
            "-32700.",
            [ping(1) + smile[:cut]],
            [closed(pong(1))],
            half_close=True,
        ),
    ]


# --- limits.json ---------------------------------------------------------------------------------


def limits() -> list[dict]:
    def sized(size: int) -> list[bytes | Repeat]:
        return padded_ping("limit", size)

    # The 1 MiB body again, cut into 16 writes of (about) 64 KiB each.
    head, pad, tail = sized(MIB)
    assert isinstance(head, bytes) and isinstance(pad, Repeat) and isinstance(tail, bytes)
    chunk = 65_536
    first = chunk - len(head)
    last = pad.times - first - 14 * chunk
    assert last > 0
    sixteen: list[Write] = [[head, Repeat(b"a", first)], *([[Repeat(b"a", chunk)]] * 14), [Repeat(b"a", last), tail]]
    return [
        case(
            "body-one-byte-below-one-mebibyte-answered",
            ["LPJ-LIMIT-1"],
            'A ping whose body is 1,048,575 bytes (params "limit", padded by an ignored '
            "member): below the smallest allowed limit, so it gets its pong.",
            [sized(MIB - 1)],
            answers(pong("limit")),
        ),
        case(
            "body-of-one-mebibyte-answered",
            ["LPJ-LIMIT-1"],
            "A ping whose body is exactly 1,048,576 bytes (1 MiB, prefix 00001000): every "
            "server accepts this size, so it gets its pong.",
            [sized(MIB)],
            answers(pong("limit")),
        ),
        case(
            "body-one-byte-above-one-mebibyte",
            ["LPJ-LIMIT-1", "LPJ-LIMIT-3"],
            "A ping whose body is 1,048,577 bytes, the whole body sent. A server whose limit is "
            "higher answers the pong and stays open; a server whose limit is 1 MiB refuses the "
            "frame without reading the body: error -32600 then close, or close alone (a reset "
            "may destroy the error). Runner: a write may fail once the server closed; go on "
            "reading.",
            [sized(MIB + 1)],
            [open_(pong("limit")), *refused()],
        ),
        case(
            "one-mebibyte-body-across-sixteen-writes",
            ["LPJ-LIMIT-1", "LPJ-FRAME-6"],
            "The 1,048,576-byte ping cut into 16 writes of 64 KiB (the last 4 bytes longer): "
            "the server reassembles "
            "it and answers the pong.",
            sixteen,
            answers(pong("limit")),
        ),
        case(
            "length-ffffffff-refused-promptly",
            ["LPJ-LIMIT-2", "LPJ-LIMIT-3"],
            "Only a prefix ffffffff (L = 4,294,967,295), no body, and the write side stays "
            "open. Every limit is below 2^31, so the server refuses at once, without waiting "
            "for body bytes: error -32600 then close, or close alone. Waiting (a runner "
            "timeout) fails.",
            [le32(0xFFFFFFFF)],
            refused(),
        ),
        case(
            "length-80000000-refused-promptly",
            ["LPJ-LIMIT-2", "LPJ-LIMIT-3"],
            "Only a prefix 00000080 (L = 2^31 = 2,147,483,648), no body: one above the largest "
            "limit a server may have (2^31 - 1), so it is refused at once: error -32600 then "
            "close, or close alone.",
            [le32(0x80000000)],
            refused(),
        ),
        case(
            "ping-then-frame-too-large",
            ["LPJ-LIMIT-3", "LPJ-ORDER-1"],
            "A ping, then in the same write a prefix ffffffff. The ping is answered first, then "
            "the oversized frame is refused: pong, error -32600, close. A reset may destroy "
            "responses not yet read (LPJ-LIMIT-5), so pong then close, or a close alone, are "
            "allowed too.",
            [ping("before") + le32(0xFFFFFFFF)],
            [closed(pong("before"), error(INVALID_REQUEST)), closed(pong("before")), closed()],
        ),
        case(
            "frame-too-large-stops-reading",
            ["LPJ-LIMIT-3"],
            "A prefix ffffffff followed in the same write by a valid ping. The ping's bytes "
            "belong to the refused frame's body, which the server does not read as frames: no "
            "pong, only error -32600 then close, or close alone.",
            [le32(0xFFFFFFFF) + ping("never")],
            refused(),
        ),
    ]


# --- Files ---------------------------------------------------------------------------------------

FILES = {
    "framing.json": (
        "Framing: the length prefix",
        "L = 0 and L = 1, little-endian byte order, L counting bytes, and frames split over "
        "writes or packed several to a write (LPJ-FRAME-*).",
        framing,
    ),
    "json.json": (
        "Body encoding: UTF-8 JSON",
        "Bodies that are not UTF-8 or not exactly one JSON value get -32700 (LPJ-JSON-*).",
        body_encoding,
    ),
    "requests.json": (
        "Requests: shape of the request object",
        'Bodies that are not objects, "in" and "params" missing or wrong, extra and duplicate members (LPJ-REQ-*).',
        requests,
    ),
    "ping.json": (
        "The ping method: round trips",
        "params of every JSON type come back JSON-equal: integers, doubles, strings, nesting, "
        "and the inputs with no guaranteed meaning just beyond each limit (LPJ-PING-*, "
        "LPJ-JSON-5).",
        ping_method,
    ),
    "errors.json": (
        "Errors: unknown methods and staying open",
        "Unknown and near-miss method names get -32601; after any error the connection goes on (LPJ-ERR-*).",
        errors,
    ),
    "order.json": (
        "Ordering and pipelining",
        "Many requests in one write: one response each, in request order (LPJ-ORDER-*).",
        order,
    ),
    "connection.json": (
        "Connection: half-close and partial frames at end of file",
        "After the client shuts down its write side the server answers every complete request, "
        "never a partial one, then closes (LPJ-CONN-*).",
        connection,
    ),
    "limits.json": (
        "Limits: frame size",
        "Bodies one below, at and one above 1 MiB, and lengths no server may accept (LPJ-LIMIT-*).",
        limits,
    ),
}


def to_json(document: dict) -> str:
    """Indented JSON, plain ASCII, with requirement lists and response matchers on one line each."""
    inline: list[str] = []

    def placeholder(value: object) -> str:
        inline.append(json.dumps(value, ensure_ascii=True, allow_nan=False))
        return f"@inline-{len(inline) - 1}@"

    for c in document["cases"]:
        c["requirements"] = placeholder(c["requirements"])
        for write in c["writes"]:
            if isinstance(write, list):
                write[:] = [placeholder(p) if isinstance(p, dict) else p for p in write]
        for outcome in c["expect"]:
            outcome["responses"] = [placeholder(m) for m in outcome["responses"]]
    text = json.dumps(document, indent=2, ensure_ascii=True, allow_nan=False)
    for i, value in enumerate(inline):
        text = text.replace(f'"@inline-{i}@"', value, 1)
    return text + "\n"


def render() -> dict[str, str]:
    """The text of every vector file, by file name."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, (title, description, build) in FILES.items():
        cases = build()
        for c in cases:
            assert c["id"] not in seen, f"duplicate case id {c['id']}"
            seen.add(c["id"])
        document = {
            "$schema": "../schema/vectors.schema.json",
            "title": title,
            "description": description,
            "cases": cases,
        }
        out[name] = to_json(document)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any file would change")
    args = parser.parse_args(argv)
    rendered = render()
    if args.check:
        stale = [
            n
            for n, text in rendered.items()
            if not (HERE / n).is_file() or (HERE / n).read_text(encoding="utf-8") != text
        ]
        extra = sorted(p.name for p in HERE.glob("*.json") if p.name not in rendered)
        for name in stale:
            print(f"{name}: out of date; run python {Path(__file__).name}", file=sys.stderr)
        for name in extra:
            print(f"{name}: not written by this script; remove it or add it here", file=sys.stderr)
        return 1 if stale or extra else 0
    for name, text in rendered.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"{name}: {len(json.loads(text)['cases'])} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
