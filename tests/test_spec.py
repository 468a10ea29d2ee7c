"""Consistency checks for spec/: requirement IDs, SPEC.md, the JSON Schemas and the transcripts.

spec/requirements.json is the source of truth for requirement IDs. These tests hold SPEC.md to
it (every ID stated in the body with its keyword, an index table identical to the file, no
unknown IDs), check every schema against the draft 2020-12 meta-schema and its own examples,
and decode every hex transcript of SPEC.md appendix C into frames whose bodies must validate
against the request and response schemas. No network.
"""

from __future__ import annotations

import html
import json
import re
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance.jsonvalue import json_equal

ROOT = Path(__file__).resolve().parents[1]
SPEC_DIR = ROOT / "spec"
SPEC_MD = SPEC_DIR / "SPEC.md"
REQUIREMENTS_JSON = SPEC_DIR / "requirements.json"
SCHEMA_DIR = SPEC_DIR / "schema"
SCHEMA_BASE = "https://lpj-rpc.example/spec/schema/"
METASCHEMA = "https://json-schema.org/draft/2020-12/schema"

ID_RE = re.compile(r"LPJ-([A-Z]+)-([1-9][0-9]*)")
TAG_RE = re.compile(r"\[(LPJ-[A-Z]+-[0-9]+)\]")
MENTION_RE = re.compile(r"\bLPJ-[A-Z]+-[0-9]+\b")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
SECTION_NUMBER_RE = re.compile(r"^(\d+(?:\.\d+)*)\.?\s")
ANY_KEYWORD_RE = re.compile(r"\b(MUST|SHOULD|MAY|SHALL|REQUIRED|RECOMMENDED|OPTIONAL)\b")
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*]|\d+\.)\s")
KEYWORDS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
BINDS = ("server", "client", "both")
INDEX_TITLE = "Index of requirements"
INDEX_HEADER = "| ID | Keyword | Binds | Summary |"
# Sections whose prose must tag every paragraph that uses a capitalised keyword. Section 2
# defines the keywords and section 15 talks about them; the appendices are informative.
NORMATIVE_SECTIONS = range(3, 15)
SERVER_LIMIT_CEILING = (1 << 31) - 1


# --------------------------------------------------------------------------- loading


@cache
def requirements() -> tuple[dict[str, str], ...]:
    data = json.loads(REQUIREMENTS_JSON.read_text(encoding="utf-8"))
    return tuple(data["requirements"])


@cache
def requirement_map() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in requirements()}


@dataclass
class CodeBlock:
    info: str
    text: str
    line: int


@dataclass
class Block:
    """A paragraph or list item of prose, with the section it belongs to."""

    section: str
    text: str
    line: int


@dataclass
class Spec:
    lines: list[str]
    index_line: int  # 0-based line of the index heading
    blocks: list[Block] = field(default_factory=list)  # prose before the index
    code: list[CodeBlock] = field(default_factory=list)


@cache
def spec() -> Spec:
    lines = SPEC_MD.read_text(encoding="utf-8").splitlines()
    index_lines = [
        i for i, line in enumerate(lines) if (m := HEADING_RE.match(line)) and m.group(2).endswith(INDEX_TITLE)
    ]
    assert len(index_lines) == 1, f"expected one heading ending in {INDEX_TITLE!r}, found {len(index_lines)}"
    result = Spec(lines=lines, index_line=index_lines[0])

    section = ""
    fence: CodeBlock | None = None
    current: list[str] = []
    start = 0

    def flush() -> None:
        if current:
            result.blocks.append(Block(section, "\n".join(current), start + 1))
            current.clear()

    for i, line in enumerate(lines):
        if fence is not None:
            if line.startswith("```"):
                result.code.append(fence)
                fence = None
            else:
                fence.text += line + "\n"
            continue
        if line.startswith("```"):
            flush()
            fence = CodeBlock(info=line[3:].strip(), text="", line=i + 1)
            continue
        if i >= result.index_line:
            continue
        heading = HEADING_RE.match(line)
        if heading:
            flush()
            number = SECTION_NUMBER_RE.match(heading.group(2) + " ")
            section = number.group(1) if number else heading.group(2)
            continue
        if not line.strip() or LIST_ITEM_RE.match(line):
            flush()
        if line.strip():
            if not current:
                start = i
            current.append(line)
    flush()
    assert fence is None, f"unclosed code fence opened on line {fence.line}"
    return result


def body_text() -> str:
    """SPEC.md before the index, code blocks included."""
    s = spec()
    return "\n".join(s.lines[: s.index_line])


@cache
def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def schema_files() -> list[Path]:
    return sorted(SCHEMA_DIR.glob("*.json"))


def has_keyword(text: str, keyword: str) -> bool:
    return re.search(r"\b" + keyword.replace(" ", r"\s+") + r"\b", text) is not None


# --------------------------------------------------------------------------- requirements.json


def test_requirements_file_shape() -> None:
    data = json.loads(REQUIREMENTS_JSON.read_text(encoding="utf-8"))
    assert data["spec"] == "LPJ-RPC/1"
    assert isinstance(data["requirements"], list) and data["requirements"]
    for r in data["requirements"]:
        assert set(r) == {"id", "keyword", "binds", "section", "summary"}, r
        assert all(isinstance(v, str) for v in r.values()), r


def test_requirement_ids_are_unique_and_well_formed() -> None:
    ids = [r["id"] for r in requirements()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate requirement IDs: {duplicates}"
    malformed = [i for i in ids if not ID_RE.fullmatch(i)]
    assert not malformed, f"malformed requirement IDs: {malformed}"


def test_requirement_groups_are_contiguous_and_numbered_in_order() -> None:
    seen_groups: list[str] = []
    expected: dict[str, int] = {}
    for r in requirements():
        m = ID_RE.fullmatch(r["id"])
        assert m
        group, number = m.group(1), int(m.group(2))
        if not seen_groups or seen_groups[-1] != group:
            assert group not in seen_groups, f"group {group} is split in requirements.json"
            seen_groups.append(group)
        expected[group] = expected.get(group, 0) + 1
        assert number == expected[group], f"{r['id']}: expected LPJ-{group}-{expected[group]} here"


@pytest.mark.parametrize("req", requirements(), ids=lambda r: r["id"])
def test_requirement_fields(req: dict[str, str]) -> None:
    assert req["keyword"] in KEYWORDS, f"{req['id']}: keyword {req['keyword']!r}"
    assert req["binds"] in BINDS, f"{req['id']}: binds {req['binds']!r}"
    assert re.fullmatch(r"\d+(\.\d+)*", req["section"]), f"{req['id']}: section {req['section']!r}"
    summary = req["summary"]
    assert summary.strip() == summary and summary, f"{req['id']}: empty or padded summary"
    assert "\n" not in summary and "|" not in summary, f"{req['id']}: summary must fit one table cell"


# --------------------------------------------------------------------------- SPEC.md


def index_rows() -> list[tuple[str, str, str, str]]:
    s = spec()
    table = [line for line in s.lines[s.index_line + 1 :] if line.startswith("|")]
    assert table, "no table after the index heading"
    assert table[0] == INDEX_HEADER, f"index header is {table[0]!r}"
    assert re.fullmatch(r"\|(\s*:?-+:?\s*\|){4}", table[1]), f"bad separator row {table[1]!r}"
    rows = []
    for line in table[2:]:
        cells = [html.unescape(c.strip()) for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"index row does not have 4 cells: {line!r}"
        rows.append((cells[0], cells[1], cells[2], cells[3]))
    return rows


def test_index_table_equals_requirements_json() -> None:
    expected = [(r["id"], r["keyword"], r["binds"], r["summary"]) for r in requirements()]
    actual = index_rows()
    assert [row[0] for row in actual] == [row[0] for row in expected], "index IDs or order differ"
    for got, want in zip(actual, expected, strict=True):
        assert got == want, f"index row differs from requirements.json:\n  got  {got}\n  want {want}"


def test_index_is_the_last_section() -> None:
    s = spec()
    later = [line for line in s.lines[s.index_line + 1 :] if HEADING_RE.match(line)]
    assert not later, f"headings after the index: {later}"


def test_every_id_is_tagged_in_the_body() -> None:
    tagged = set(TAG_RE.findall(body_text()))
    missing = [r["id"] for r in requirements() if r["id"] not in tagged]
    assert not missing, f"IDs never stated as [ID] in SPEC.md before the index: {missing}"


def test_every_tag_and_mention_is_a_known_id() -> None:
    known = requirement_map()
    text = SPEC_MD.read_text(encoding="utf-8")
    unknown_tags = sorted(set(TAG_RE.findall(text)) - set(known))
    assert not unknown_tags, f"tags not in requirements.json: {unknown_tags}"
    unknown = sorted(set(MENTION_RE.findall(text)) - set(known))
    assert not unknown, f"IDs mentioned in SPEC.md but not in requirements.json: {unknown}"
    for path in schema_files():
        stray = sorted(set(MENTION_RE.findall(path.read_text(encoding="utf-8"))) - set(known))
        assert not stray, f"{path.name} mentions unknown IDs: {stray}"


def tagged_sentences() -> dict[str, list[tuple[str, str]]]:
    """For every tag in the body: (section, the text of the statement it ends).

    A statement runs from the end of the previous group of tags in the same paragraph (or
    from the start of the paragraph) to the tag. Tags separated only by spaces share one
    statement.
    """
    found: dict[str, list[tuple[str, str]]] = {}
    for block in spec().blocks:
        previous_end = 0
        statement = ""
        for m in TAG_RE.finditer(block.text):
            between = block.text[previous_end : m.start()]
            if between.strip() or previous_end == 0:
                statement = between
            found.setdefault(m.group(1), []).append((block.section, statement))
            previous_end = m.end()
    return found


@pytest.mark.parametrize("req", requirements(), ids=lambda r: r["id"])
def test_tag_follows_a_sentence_with_its_keyword(req: dict[str, str]) -> None:
    statements = tagged_sentences().get(req["id"], [])
    assert statements, f"{req['id']} is not tagged in the body"
    assert any(has_keyword(text, req["keyword"]) for _, text in statements), (
        f"no statement tagged [{req['id']}] contains its keyword {req['keyword']}: "
        f"{[text.strip()[-120:] for _, text in statements]}"
    )


@pytest.mark.parametrize("req", requirements(), ids=lambda r: r["id"])
def test_tag_appears_in_its_section(req: dict[str, str]) -> None:
    sections = [section for section, _ in tagged_sentences().get(req["id"], [])]
    wanted = req["section"]
    assert any(s == wanted or s.startswith(wanted + ".") for s in sections), (
        f"{req['id']} belongs to section {wanted} but is tagged only in sections {sections}"
    )


def test_normative_prose_with_keywords_carries_ids() -> None:
    untagged = []
    for block in spec().blocks:
        top = block.section.split(".")[0]
        if not (top.isdigit() and int(top) in NORMATIVE_SECTIONS):
            continue
        if ANY_KEYWORD_RE.search(block.text) and not TAG_RE.search(block.text):
            untagged.append(f"line {block.line} (section {block.section}): {block.text[:100]!r}")
    assert not untagged, "paragraphs with a capitalised keyword but no requirement ID:\n" + "\n".join(untagged)


@pytest.mark.parametrize("number", [str(n) for n in range(1, 16)])
def test_numbered_sections_exist(number: str) -> None:
    assert any(b.section == number or b.section.startswith(number + ".") for b in spec().blocks), (
        f"SPEC.md has no section {number}"
    )


# --------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("path", schema_files(), ids=lambda p: p.name)
def test_schema_is_valid_against_its_metaschema(path: Path) -> None:
    doc = schema(path.name)
    assert doc.get("$schema") == METASCHEMA, f"{path.name}: $schema must be {METASCHEMA}"
    Draft202012Validator.check_schema(doc)
    assert doc.get("$id") == SCHEMA_BASE + path.name, f"{path.name}: $id is {doc.get('$id')!r}"
    assert doc.get("title") and doc.get("description"), f"{path.name}: title and description required"


@pytest.mark.parametrize("path", schema_files(), ids=lambda p: p.name)
def test_schema_examples_validate(path: Path) -> None:
    doc = schema(path.name)
    v = Draft202012Validator(doc)
    for example in doc.get("examples", []):
        errors = [e.message for e in v.iter_errors(example)]
        assert not errors, f"{path.name}: example {example!r} is invalid: {errors}"


def test_message_schemas_have_examples_of_every_shape() -> None:
    request_examples = schema("request.schema.json")["examples"]
    response_examples = schema("response.schema.json")["examples"]
    assert any(e["params"] is None for e in request_examples), "no example with params null"
    outs = {e["out"] for e in response_examples}
    assert {"pong", "error"} <= outs, f"response examples cover only {outs}"


@pytest.mark.parametrize(
    "instance",
    [
        [],
        "ping",
        None,
        {"params": 1},
        {"in": "", "params": 1},
        {"in": 5, "params": 1},
        {"in": None, "params": 1},
        {"in": "ping"},
        {"In": "ping", "params": 1},
    ],
    ids=repr,
)
def test_request_schema_rejects(instance: Any) -> None:
    assert not validator("request.schema.json").is_valid(instance)


@pytest.mark.parametrize(
    "instance",
    [
        {"in": "ping", "params": None},
        {"in": "ping", "params": [[[]]], "extra": {"anything": True}},
        {"in": "\u00e9\U0001f600", "params": -0.0},
    ],
    ids=repr,
)
def test_request_schema_accepts(instance: Any) -> None:
    assert validator("request.schema.json").is_valid(instance)


@pytest.mark.parametrize(
    "instance",
    [
        [],
        {"out": "pong"},
        {"result": 1},
        {"out": 1, "result": 1},
        {"out": "error", "result": "oops"},
        {"out": "error", "result": None},
        {"out": "error", "result": {"code": -32600}},
        {"out": "error", "result": {"message": "no code"}},
        {"out": "error", "result": {"code": "-32600", "message": "m"}},
        {"out": "error", "result": {"code": -32600.5, "message": "m"}},
        {"out": "error", "result": {"code": -32600, "message": 7}},
    ],
    ids=repr,
)
def test_response_schema_rejects(instance: Any) -> None:
    assert not validator("response.schema.json").is_valid(instance)


@pytest.mark.parametrize(
    "instance",
    [
        {"out": "pong", "result": None},
        {"out": "pong", "result": {"code": "not an error"}},
        {"out": "error", "result": {"code": -32603, "message": "", "data": None, "x-more": [1]}},
        {"out": "later-method", "result": 1, "x-extra": True},
    ],
    ids=repr,
)
def test_response_schema_accepts(instance: Any) -> None:
    assert validator("response.schema.json").is_valid(instance)


# --------------------------------------------------------------------------- JSON examples in SPEC.md


def json_blocks() -> list[CodeBlock]:
    return [c for c in spec().code if c.info.split()[:1] == ["json"]]


def test_spec_has_json_examples() -> None:
    kinds = {tuple(c.info.split()[1:2]) for c in json_blocks()}
    assert ("request",) in kinds and ("response",) in kinds


@pytest.mark.parametrize("block", json_blocks(), ids=lambda c: f"line{c.line}")
def test_json_example_in_spec(block: CodeBlock) -> None:
    words = block.info.split()
    assert len(words) <= 2 and words[1:] in ([], ["request"], ["response"]), (
        f"line {block.line}: info string {block.info!r}; use 'json', 'json request' or 'json response'"
    )
    value = strict_loads(block.text.encode("utf-8"))
    if words[1:]:
        name = f"{words[1]}.schema.json"
        errors = [e.message for e in validator(name).iter_errors(value)]
        assert not errors, f"line {block.line}: example does not match {name}: {errors}"


# --------------------------------------------------------------------------- hex transcripts


@dataclass
class Record:
    marker: str  # "C:", "C!", "S:", "C~", "S~"
    data: bytes = b""
    event: str = ""
    line: int = 0


RECORD_MARKERS = ("C:", "C!", "S:")
EVENT_WORDS = {"C~": {"half-close"}, "S~": {"close"}}


def render_ascii(data: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


def parse_transcript(block: CodeBlock) -> list[Record]:
    """Parse one ```hex block (format: SPEC.md appendix C.0)."""
    records: list[Record] = []
    for offset, line in enumerate(block.text.splitlines()):
        where = f"line {block.line + 1 + offset}"
        if not line.strip() or line.startswith("#"):
            continue
        marker = line[:2]
        if marker in EVENT_WORDS:
            word = line[2:].strip()
            assert word in EVENT_WORDS[marker], f"{where}: unknown event {line!r}"
            records.append(Record(marker, event=word, line=block.line + 1 + offset))
            continue
        if marker in RECORD_MARKERS:
            assert line[2] == " ", f"{where}: marker must be followed by a space"
            records.append(Record(marker, line=block.line + 1 + offset))
        elif line.startswith(" "):
            assert records and records[-1].marker in RECORD_MARKERS, f"{where}: continuation without record"
        else:
            raise AssertionError(f"{where}: unknown marker in {line!r}")
        hex_part, bar, rendering = line[2:].partition("|")
        pairs = hex_part.split()
        assert pairs, f"{where}: no bytes"
        assert len(pairs) <= 16, f"{where}: more than 16 bytes on a line"
        assert all(re.fullmatch(r"[0-9a-f]{2}", p) for p in pairs), f"{where}: bad hex in {hex_part!r}"
        assert " ".join(pairs) == hex_part.strip(), f"{where}: hex pairs must be separated by single spaces"
        chunk = bytes.fromhex("".join(pairs))
        if bar:
            assert rendering.rstrip().endswith("|"), f"{where}: ASCII column must end with '|'"
            shown = rendering.rstrip()[:-1]
            assert shown == render_ascii(chunk), f"{where}: ASCII column {shown!r} does not match the bytes"
        records[-1].data += chunk
    return records


def split_frames(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete frame bodies in data, and the bytes left over (a partial or oversized frame)."""
    frames = []
    pos = 0
    while len(data) - pos >= 4:
        (length,) = struct.unpack_from("<I", data, pos)
        if len(data) - pos - 4 < length:
            break
        frames.append(data[pos + 4 : pos + 4 + length])
        pos += 4 + length
    return frames, data[pos:]


def strict_loads(body: bytes) -> Any:
    assert not body.startswith(b"\xef\xbb\xbf"), "body starts with a byte-order mark"
    text = body.decode("utf-8")  # strict: raises on invalid UTF-8

    def no_constants(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=no_constants)


def test_json_equal_follows_section_2_4() -> None:
    assert json_equal(json.loads("1"), json.loads("1.0"))
    assert json_equal(json.loads("1e0"), json.loads("1"))
    assert json_equal(json.loads("0"), json.loads("-0.0"))
    assert json_equal(json.loads("0.1"), json.loads("0.10000000000000001"))
    assert json_equal(json.loads('{"a": 1, "b": [true]}'), json.loads('{"b": [true], "a": 1.0}'))
    assert json_equal(json.loads('"\\u00e9\\ud83d\\ude00"'), "\u00e9\U0001f600")
    assert not json_equal(json.loads("0"), json.loads("false"))
    assert not json_equal(json.loads("1"), json.loads("true"))
    assert not json_equal(json.loads("null"), json.loads("[]"))
    assert not json_equal(json.loads("[1, 2]"), json.loads("[2, 1]"))
    assert not json_equal("\u00e9", "e\u0301")


def transcripts() -> list[CodeBlock]:
    return [c for c in spec().code if c.info == "hex"]


def test_spec_has_the_transcripts_of_appendix_c() -> None:
    blocks = transcripts()
    assert len(blocks) >= 8, f"expected at least 8 hex transcripts, found {len(blocks)}"
    markers = {r.marker for block in blocks for r in parse_transcript(block)}
    assert markers == {"C:", "C!", "S:", "C~", "S~"}, f"markers used: {sorted(markers)}"


@pytest.mark.parametrize("block", transcripts(), ids=lambda c: f"line{c.line}")
def test_transcript(block: CodeBlock) -> None:
    records = parse_transcript(block)
    assert records, f"line {block.line}: empty transcript"
    request_v = validator("request.schema.json")
    response_v = validator("response.schema.json")

    # What the client sent, frame by frame: ("valid", request) for C: frames, ("invalid", None)
    # for complete frames of C! records, ("oversized", None) for a prefix over any server limit.
    client: list[tuple[str, Any]] = []
    responses: list[dict[str, Any]] = []
    closed = False
    for r in records:
        where = f"line {r.line}"
        if r.marker in ("C~", "S~"):
            closed = closed or r.marker == "S~"
            continue
        assert not closed, f"{where}: bytes after the server closed the connection"
        frames, rest = split_frames(r.data)
        if r.marker == "C!":
            client.extend(("invalid", None) for _ in frames)
            if len(rest) >= 4 and struct.unpack_from("<I", rest)[0] > SERVER_LIMIT_CEILING:
                client.append(("oversized", None))
            continue
        assert frames and not rest, f"{where}: {r.marker} record is not a sequence of complete frames"
        for body in frames:
            assert body, f"{where}: frame with L = 0 in a {r.marker} record (use C! for invalid input)"
            value = strict_loads(body)
            v = request_v if r.marker == "C:" else response_v
            errors = [e.message for e in v.iter_errors(value)]
            assert not errors, f"{where}: body {value!r} fails its schema: {errors}"
            if r.marker == "C:":
                client.append(("valid", value))
            else:
                responses.append(value)

    assert len(responses) == len(client), (
        f"line {block.line}: {len(client)} client frames but {len(responses)} responses"
    )
    for (kind, request), response in zip(client, responses, strict=True):
        if kind == "valid" and request["in"] == "ping":
            assert response["out"] == "pong", f"line {block.line}: ping answered with {response!r}"
            assert json_equal(response["result"], request["params"]), (
                f"line {block.line}: pong result {response['result']!r} is not JSON-equal to "
                f"params {request['params']!r}"
            )
        elif kind == "valid":
            assert response["out"] == "error" and response["result"]["code"] == -32601, (
                f"line {block.line}: unknown method {request['in']!r} answered with {response!r}"
            )
        elif kind == "oversized":
            assert response["out"] == "error" and response["result"]["code"] == -32600, response
            assert closed, f"line {block.line}: frame too large must be followed by S~ close"
        else:
            assert response["out"] == "error", f"line {block.line}: invalid input answered with {response!r}"


def test_every_requirement_has_a_vector_a_kit_case_or_a_reason() -> None:
    from conformance.coverage import table

    assert not [line for line in table() if "NOT COVERED" in line]
