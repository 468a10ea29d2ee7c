"""The kit's only shared knowledge: the files in spec/ (requirements, schemas, vectors).

In a clone they are read from ``<repo>/spec``; an installed kit carries the same
files as ``conformance/_spec`` (mapped at build time, never copied by hand).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema


@cache
def spec_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_spec", here.parent / "spec"):
        if (candidate / "requirements.json").is_file():
            return candidate
    raise FileNotFoundError(f"cannot find the LPJ-RPC spec files next to {here}")


@dataclass(frozen=True)
class Requirement:
    id: str
    keyword: str
    binds: str
    section: str
    summary: str

    @property
    def severity(self) -> str:
        """must: a violation fails the run; should: it warns (fails under --strict); may: never fails."""
        if self.keyword.startswith("MUST"):
            return "must"
        if self.keyword.startswith("SHOULD"):
            return "should"
        return "may"


@cache
def spec_document() -> dict[str, Any]:
    return json.loads((spec_dir() / "requirements.json").read_text(encoding="utf-8"))


@cache
def requirements() -> dict[str, Requirement]:
    return {
        r["id"]: Requirement(r["id"], r["keyword"], r["binds"], r.get("section", ""), r["summary"])
        for r in spec_document()["requirements"]
    }


def spec_version() -> str:
    return str(spec_document().get("version", "?"))


@cache
def schema(name: str) -> dict[str, Any]:
    return json.loads((spec_dir() / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    document = schema(name)
    cls = jsonschema.validators.validator_for(document)
    cls.check_schema(document)
    return cls(document)


@dataclass(frozen=True)
class VectorCase:
    id: str
    file: str
    requirements: tuple[str, ...]
    description: str
    writes: tuple[bytes, ...]
    half_close: bool
    expect: tuple[dict[str, Any], ...]


def _write_bytes(write: str | list[Any]) -> bytes:
    if isinstance(write, str):
        return bytes.fromhex(write)
    parts = []
    for piece in write:
        if isinstance(piece, str):
            parts.append(bytes.fromhex(piece))
        else:
            parts.append(bytes.fromhex(piece["repeat"]) * piece["times"])
    return b"".join(parts)


@cache
def vector_cases() -> tuple[VectorCase, ...]:
    folder = spec_dir() / "vectors"
    file_validator = validator("vectors")
    cases = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        file_validator.validate(document)
        for case in document["cases"]:
            cases.append(
                VectorCase(
                    id=case["id"],
                    file=path.name,
                    requirements=tuple(case["requirements"]),
                    description=case["description"],
                    writes=tuple(_write_bytes(w) for w in case["writes"]),
                    half_close=case["half_close"],
                    expect=tuple(case["expect"]),
                )
            )
    return tuple(cases)
