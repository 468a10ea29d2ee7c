"""Hypothesis strategies for LPJ-RPC/1 values and byte streams.

Written directly (hypothesis-jsonschema does not work with current
hypothesis); the kit's own tests check these values against the request
schema with jsonschema.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import strategies as st

SAFE_INTEGER = 2**53 - 1
TRICKY_STRINGS = (
    "",
    "\x00",
    "\u2028\u2029",
    "\ufeff",
    "\uffff",
    "\U0001f600",
    "\U0010ffff",
    '"\\/\b\f\n\r\t',
    "é",
    "e\u0301",
    "</script>",
)
TRICKY_FLOATS = (
    0.0,
    -0.0,
    0.1,
    1e-7,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    1.0,
    123456789.123456789,
)

unicode_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(TRICKY_STRINGS)
safe_integers = st.integers(-SAFE_INTEGER, SAFE_INTEGER) | st.sampled_from((0, 1, -1, SAFE_INTEGER, -SAFE_INTEGER))
doubles = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(TRICKY_FLOATS)
scalars = st.none() | st.booleans() | safe_integers | doubles | unicode_text


def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Every JSON type, with the values whose round trip the spec guarantees."""
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=6) | st.dictionaries(unicode_text, children, max_size=6),
        max_leaves=max_leaves,
    )


@st.composite
def nested(draw: st.DrawFn, depth: int) -> Any:
    """A value exactly ``depth`` levels of arrays/objects deep (a scalar is depth 0)."""
    value: Any = draw(scalars)
    for _ in range(depth):
        value = [value] if draw(st.booleans()) else {draw(unicode_text): value}
    return value


def encode_json(value: Any, style: str) -> bytes:
    """JSON text in one of the encodings a client may legitimately use."""
    if style == "ascii":  # every non-ASCII character as \\u escapes (astral ones as surrogate pairs)
        return json.dumps(value, ensure_ascii=True, allow_nan=False).encode()
    if style == "spaced":
        return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1).encode()
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


encodings = st.sampled_from(("raw", "ascii", "spaced"))


def request_body(params: Any, style: str = "raw", method: str = "ping") -> bytes:
    return encode_json({"in": method, "params": params}, style)


@st.composite
def split_points(draw: st.DrawFn, data: bytes, max_pieces: int = 6) -> list[bytes]:
    """``data`` cut into pieces at drawn points (a frame arriving over several reads)."""
    if len(data) < 2:
        return [data]
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), min_size=1, max_size=max_pieces - 1)))
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


non_ping_methods = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).filter(
    lambda name: name != "ping"
)
non_object_values = json_values(8).filter(lambda value: not isinstance(value, dict))
invalid_method_values = st.one_of(
    st.just(""),
    st.none(),
    st.booleans(),
    safe_integers,
    doubles,
    st.lists(scalars, max_size=3),
    st.dictionaries(unicode_text, scalars, max_size=3),
)


@st.composite
def invalid_utf8(draw: st.DrawFn) -> bytes:
    """A body that is not UTF-8: valid JSON text with one bad sequence spliced into a string."""
    bad = draw(st.sampled_from((b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\x80", b"\xf8\x88\x80\x80\x80")))
    prefix = draw(st.text(alphabet=st.characters(codec="ascii", exclude_characters='"\\'), max_size=10))
    return b'{"in":"ping","params":"' + prefix.encode() + bad + b'"}'


@st.composite
def not_json(draw: st.DrawFn) -> bytes:
    """UTF-8 text that is not one JSON value."""
    text = draw(
        st.sampled_from(("NaN", "Infinity", "-Infinity", "{", "{}x", "[1,]", "{'a':1}", "01", "tru", '"', " ", "{} {}"))
        | st.text(alphabet="{}[]:,\"'abc 019", min_size=1, max_size=12)
    )
    try:
        json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except ValueError:
        return text.encode()
    return b"{" + text.encode()
