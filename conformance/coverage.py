"""Which requirement is checked by which vectors and kit cases: ``python -m conformance.coverage``.

Kit cases are found by their ``requirement`` markers, without running anything.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import pytest

import conformance
from conformance.report import UNTESTABLE
from conformance.specdata import requirements, vector_cases


def kit_cases() -> dict[str, list[str]]:
    """requirement ID -> names of the kit's test functions marked with it."""
    found: dict[str, list[str]] = defaultdict(list)
    for info in pkgutil.iter_modules(conformance.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"conformance.{info.name}")
        module_marks = getattr(module, "pytestmark", [])
        module_marks = module_marks if isinstance(module_marks, list) else [module_marks]
        for name, function in vars(module).items():
            if not name.startswith("test_") or not callable(function):
                continue
            marks = [*module_marks, *getattr(function, "pytestmark", [])]
            for mark in (getattr(m, "mark", m) for m in marks):  # module marks are MarkDecorators
                if isinstance(mark, pytest.Mark) and mark.name == "requirement":
                    for requirement in mark.args:
                        found[requirement].append(f"{info.name}::{name}")
    return found


def vector_counts() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for case in vector_cases():
        for requirement in case.requirements:
            counts[requirement] += 1
    return counts


def table() -> list[str]:
    cases, vectors = kit_cases(), vector_counts()
    lines = [f"{'requirement':<13} {'keyword':<9} {'binds':<7} {'vectors':>7} {'kit cases':>9}  note"]
    for requirement in requirements().values():
        note = UNTESTABLE.get(requirement.id, "")
        if not vectors[requirement.id] and not cases[requirement.id] and not note:
            note = "NOT COVERED"
        lines.append(
            f"{requirement.id:<13} {requirement.keyword:<9} {requirement.binds:<7} "
            f"{vectors[requirement.id]:>7} {len(cases[requirement.id]):>9}  {note}"
        )
    covered = sum(1 for r in requirements() if vectors[r] or cases[r])
    lines.append(
        f"{covered} of {len(requirements())} requirements have a vector or a kit case; "
        f"{len(vector_cases())} vectors, {sum(len(v) for v in cases.values())} case markers"
    )
    return lines


if __name__ == "__main__":
    print("\n".join(table()))
