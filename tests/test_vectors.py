"""The test vectors in spec/vectors: valid, consistent with each other and up to date.

No network: the vectors are checked as data. Replaying them against servers is the job of
the runners (see spec/vectors/README.md).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec"
VECTORS = SPEC / "vectors"
MIB = 1_048_576
INVALID_REQUEST = -32600
SPEC_CODES = {-32700, -32600, -32601, -32603}

VECTOR_SCHEMA = json.loads((SPEC / "schema" / "vectors.schema.json").read_text(encoding="utf-8"))
REQUIREMENTS = {
    r["id"]: r for r in json.loads((SPEC / "requirements.json").read_text(encoding="utf-8"))["requirements"]
}
FILES = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(VECTORS.glob("*.json"))}
CASES = [(name, case) for name, document in FILES.items() for case in document.get("cases", [])]
README = (VECTORS / "README.md").read_text(encoding="utf-8")


def by_case(test):
    return pytest.mark.parametrize("case", [c for _, c in CASES], ids=[c["id"] for _, c in CASES])(test)


def write_bytes(write: str | list[Any]) -> bytes:
    if isinstance(write, str):
        return bytes.fromhex(write)
    return b"".join(
        bytes.fromhex(piece) if isinstance(piece, str) else bytes.fromhex(piece["repeat"]) * piece["times"]
        for piece in write
    )


def split_frames(data: bytes) -> tuple[list[int], bytes]:
    """Strictly decode a client's byte stream: the lengths of its complete frames, and the
    bytes of a trailing incomplete frame (empty if the stream ends on a frame boundary)."""
    lengths: list[int] = []
    pos = 0
    while len(data) - pos >= 4:
        (length,) = struct.unpack_from("<I", data, pos)
        if len(data) - pos - 4 < length:
            break
        lengths.append(length)
        pos += 4 + length
    return lengths, data[pos:]


def first_oversized(lengths: list[int], tail: bytes) -> int | None:
    """Index of the first frame (complete, or the incomplete tail) longer than 1 MiB."""
    declared = [*lengths, *([struct.unpack_from("<I", tail)[0]] if len(tail) >= 4 else [])]
    return next((i for i, length in enumerate(declared) if length > MIB), None)


def json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        # SPEC 2.4: the same mathematical value, or both round to the same finite double.
        try:
            return a == b or float(a) == float(b)
        except OverflowError:
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def may_match_same_response(m1: dict, m2: dict) -> bool:
    if m1["out"] != m2["out"]:
        return False
    if m1["out"] == "error":
        return m1["code"] == m2["code"]
    return "result" not in m1 or "result" not in m2 or json_equal(m1["result"], m2["result"])


# --- The files themselves ------------------------------------------------------------------------


def test_vector_schema_is_a_valid_2020_12_schema():
    assert VECTOR_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(VECTOR_SCHEMA)


def test_vector_files_exist():
    assert {"framing.json", "json.json", "requests.json", "ping.json", "limits.json"} <= FILES.keys()


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_validates_against_vector_schema(name):
    errors = sorted(Draft202012Validator(VECTOR_SCHEMA).iter_errors(FILES[name]), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{name} {list(e.path)}: {e.message[:200]}" for e in errors)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_is_plain_ascii_ending_in_newline(name):
    raw = (VECTORS / name).read_bytes()
    assert raw.isascii(), f"{name} holds non-ASCII bytes: write it with ensure_ascii"
    assert raw.endswith(b"\n")


def test_generator_check_passes():
    done = subprocess.run(
        [sys.executable, str(VECTORS / "make_vectors.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, f"vector files differ from make_vectors.py:\n{done.stdout}{done.stderr}"


def test_case_ids_unique_across_files():
    seen: dict[str, str] = {}
    for name, case in CASES:
        assert case["id"] not in seen, f"{case['id']} in both {seen[case['id']]} and {name}"
        seen[case["id"]] = name


def test_requirement_ids_exist():
    unknown = {(c["id"], r) for _, c in CASES for r in c["requirements"] if r not in REQUIREMENTS}
    assert not unknown, f"requirement IDs missing from spec/requirements.json: {sorted(unknown)}"


# --- The README agrees with the files ------------------------------------------------------------


def readme_section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no section {title!r}"
    return match.group(1)


def test_every_requirement_has_a_vector_or_a_reason():
    used = {r for _, c in CASES for r in c["requirements"]}
    excused: set[str] = set()
    for heads in re.findall(
        r"^- ((?:`LPJ-[A-Z]+-\d+`(?:, )?)+):", readme_section("Requirements without vectors"), re.M
    ):
        excused.update(re.findall(r"LPJ-[A-Z]+-\d+", heads))
    assert not excused - REQUIREMENTS.keys(), f"README excuses unknown IDs: {sorted(excused - REQUIREMENTS.keys())}"
    assert not used & excused, f"README says these have no vector, but cases use them: {sorted(used & excused)}"
    missing = REQUIREMENTS.keys() - used - excused
    assert not missing, (
        f"no vector and no reason in spec/vectors/README.md for: {sorted(missing)}; "
        "add a case to make_vectors.py or list the ID under 'Requirements without vectors'"
    )


def test_readme_case_counts_match_files():
    table = dict(re.findall(r"^\| `([\w.-]+\.json)` \| (\d+) \|", readme_section("Files"), re.M))
    assert {name: len(doc["cases"]) for name, doc in FILES.items()} == {n: int(c) for n, c in table.items()}
    total = re.search(r"^\| \*\*total\*\* \| \*\*(\d+)\*\* \|", README, re.M)
    assert total and int(total.group(1)) == len(CASES)


# --- Each case is consistent -----------------------------------------------------------------------


@by_case
def test_writes_decode_to_bytes(case):
    writes = [write_bytes(w) for w in case["writes"]]
    if not all(writes):
        # The one legitimate empty write: "send nothing, then half-close".
        assert writes == [b""] and case["half_close"], "an empty write is only for sending nothing at all"


@by_case
def test_frames_are_consistent_with_outcomes(case):
    lengths, tail = split_frames(b"".join(write_bytes(w) for w in case["writes"]))
    oversized = first_oversized(lengths, tail)
    for outcome in case["expect"]:
        responses = outcome["responses"]
        if outcome["connection"] == "open":
            assert not case["half_close"], "after a half-close the probe cannot be sent"
            assert tail == b"", "a partial frame is pending: the probe would become part of it"
            assert len(responses) == len(lengths), "every complete frame gets exactly one response"
            for length, matcher in zip(lengths, responses, strict=True):
                if length == 0:
                    assert matcher == {"out": "error", "code": INVALID_REQUEST}
        elif case["half_close"]:
            assert oversized is None
            assert len(responses) == len(lengths), "every complete frame is answered, a partial one never"
        else:
            # Only a frame too large lets the server close a connection the client keeps open.
            # It answers the frames before it, then the oversized one (-32600); a reset may
            # destroy any of those responses that the client has not read yet (LPJ-LIMIT-5).
            assert oversized is not None, "the server may close only after a frame too large"
            assert len(responses) <= oversized + 1
            if len(responses) == oversized + 1:
                assert responses[-1] == {"out": "error", "code": INVALID_REQUEST}


@by_case
def test_outcomes_are_unambiguous(case):
    outcomes = case["expect"]
    rendered = [json.dumps(o, sort_keys=True) for o in outcomes]
    assert len(set(rendered)) == len(rendered), "an outcome is listed twice"
    open_lengths = {len(o["responses"]) for o in outcomes if o["connection"] == "open"}
    assert len(open_lengths) <= 1, "all open outcomes must list the same number of responses"
    if open_lengths:
        (n,) = open_lengths
        for closed in (o for o in outcomes if o["connection"] == "closed"):
            assert len(closed["responses"]) <= n
            for opened in (o for o in outcomes if o["connection"] == "open"):
                if len(closed["responses"]) == n:
                    assert not all(
                        may_match_same_response(a, b)
                        for a, b in zip(opened["responses"], closed["responses"], strict=True)
                    ), "one response sequence would match both an open and a closed outcome"


@by_case
def test_error_codes_are_the_specs(case):
    codes = {m["code"] for o in case["expect"] for m in o["responses"] if m["out"] == "error"}
    assert codes <= SPEC_CODES


@by_case
def test_case_lists_a_server_requirement(case):
    binds = {REQUIREMENTS[r]["binds"] for r in case["requirements"] if r in REQUIREMENTS}
    assert binds & {"server", "both"}, "a vector tests a server: name a requirement that binds it"
