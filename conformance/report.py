"""Results of a conformance run: the requirement matrix, JSON and Markdown reports.

Status of a requirement for one target, worst first:
FAIL (a MUST violated, or a SHOULD under --strict), WARN (a SHOULD violated),
XFAIL (violated, but listed in --expected-failures), BLOCKED (the server was
down), pass (at least one case checking it passed), and "-" (no case ran:
the reason is given).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.specdata import requirements

# Requirements no black-box test of a server can check, and why.
UNTESTABLE: dict[str, str] = {
    "LPJ-REQ-1": "binds clients; the kit is the client",
    "LPJ-RESP-2": "binds clients",
    "LPJ-ERR-5": "binds clients",
    "LPJ-ERR-6": "binds clients",
    "LPJ-ORDER-4": "binds clients",
    "LPJ-LIMIT-5": "binds clients",
    "LPJ-ERR-3": "needs a method that fails; ping cannot be made to fail from outside",
    "LPJ-CONN-4": "a permission (MAY), nothing to fail",
    "LPJ-CONN-6": "graceful shutdown is started by the operator, not by a client",
    "LPJ-LIMIT-6": "memory is not visible over the wire; the robustness cases check the server survives",
    "LPJ-EXT-1": "constrains future versions of the specification",
    "LPJ-EXT-2": "naming advice for extension authors",
}

RANK = {"FAIL": 6, "ERROR": 5, "WARN": 4, "XFAIL": 3, "BLOCKED": 2, "pass": 1}


@dataclass
class CaseResult:
    case: str
    target: str
    requirements: tuple[str, ...]
    outcome: str  # passed, failed, warned, skipped, blocked, xfailed, stale, informational-error
    phase: str = "call"
    violated: str | None = None
    also: tuple[str, ...] = ()
    message: str | None = None


@dataclass
class KitReport:
    strict: bool = False
    results: list[CaseResult] = field(default_factory=list)
    skipped_cases: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    characterisation: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)

    def add(self, result: CaseResult) -> None:
        self.results.append(result)

    def not_run(self, case: str, ids: tuple[str, ...], reason: str) -> None:
        self.skipped_cases.append({"case": case, "requirements": list(ids), "reason": reason})

    # -- the matrix -------------------------------------------------------------
    def target_names(self) -> list[str]:
        return list(dict.fromkeys(r.target for r in self.results)) or [""]

    def status(self, requirement: str, target: str) -> tuple[str, str | None]:
        """(status, first failing case) of one requirement on one target."""
        best, first = "-", None
        for r in self.results:
            if r.target != target:
                continue
            if (
                r.violated == requirement
                or requirement in r.also
                or (r.violated is None and requirement in r.requirements)
            ):
                status = {
                    "failed": "FAIL",
                    "warned": "WARN",
                    "xfailed": "XFAIL",
                    "stale": "FAIL",
                    "blocked": "BLOCKED",
                    "passed": "pass",
                }.get(r.outcome)
                if r.outcome == "failed" and r.violated is None:
                    status = "ERROR"
                if status and RANK[status] > RANK.get(best, 0):
                    best = status
                    first = r.case if status != "pass" else None
        return best, first

    def why_not_run(self, requirement: str) -> str:
        if requirement in UNTESTABLE:
            return UNTESTABLE[requirement]
        if any(requirement in c["requirements"] for c in self.skipped_cases):
            return "deselected"
        return "no kit case"

    def matrix_lines(self) -> list[str]:
        targets = self.target_names()
        width = max(8, *(len(t) for t in targets))
        head = (
            f"{'requirement':<13} {'keyword':<9}"
            + "".join(f" {t[:width]:<{width}}" for t in targets)
            + "  first failing case"
        )
        lines = [head, "-" * len(head)]
        for requirement in requirements().values():
            cells, first = [], None
            for target in targets:
                status, failing = self.status(requirement.id, target)
                cells.append(status)
                first = first or failing
            if all(c == "-" for c in cells):
                first = f"({self.why_not_run(requirement.id)})"
            row = f"{requirement.id:<13} {requirement.keyword:<9}" + "".join(f" {c:<{width}}" for c in cells)
            lines.append(f"{row}  {first or ''}".rstrip())
        return lines

    def characterisation_lines(self) -> list[str]:
        lines = []
        for target, found in self.characterisation.items():
            shown = ", ".join(f"{k}: {v}" for k, v in found.items())
            lines.append(f"characterisation of {target} (informational): {shown}")
        return lines

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.results:
            counts[r.outcome] += 1
        return dict(counts)

    def verdict_line(self) -> str:
        counts = self.counts()
        failed = counts.get("failed", 0) + counts.get("stale", 0)
        verdict = "NOT CONFORMANT" if failed else "CONFORMANT (every MUST checked holds)"
        shown = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        return f"verdict: {verdict}; cases: {shown}"

    # -- files --------------------------------------------------------------------
    def as_dict(self, meta: dict[str, Any]) -> dict[str, Any]:
        targets = self.target_names()
        table = []
        for requirement in requirements().values():
            per_target = {}
            for target in targets:
                status, failing = self.status(requirement.id, target)
                per_target[target] = {"status": status, "first_failing_case": failing}
            entry = {**asdict(requirement), "results": per_target}
            if all(v["status"] == "-" for v in per_target.values()):
                entry["not_run_because"] = self.why_not_run(requirement.id)
            table.append(entry)
        return {
            **meta,
            "targets": self.targets,
            "verdict": self.verdict_line(),
            "counts": self.counts(),
            "requirements": table,
            "cases": [asdict(r) for r in self.results],
            "cases_not_run": self.skipped_cases,
            "characterisation": self.characterisation,
        }

    def write_json(self, path: Path, meta: dict[str, Any]) -> None:
        path.write_text(json.dumps(self.as_dict(meta), indent=2) + "\n", encoding="utf-8")

    def write_markdown(self, path: Path, meta: dict[str, Any]) -> None:
        targets = self.target_names()
        lines = [
            f"## LPJ-RPC/1 conformance: {self.verdict_line()}",
            "",
            f"Kit {meta['kit_version']}, spec {meta['spec_version']}; targets: "
            + ", ".join(f"`{name}` ({where})" for name, where in self.targets.items()),
            "",
            "| Requirement | Keyword | " + " | ".join(f"`{t}`" for t in targets) + " | First failing case |",
            "|---|---|" + "---|" * len(targets) + "---|",
        ]
        for requirement in requirements().values():
            cells, first = [], ""
            for target in targets:
                status, failing = self.status(requirement.id, target)
                cells.append({"FAIL": "❌ FAIL", "WARN": "⚠️ WARN", "pass": "✅ pass"}.get(status, status))
                first = first or (f"`{failing}`" if failing else "")
            if all(c == "-" for c in cells):
                first = self.why_not_run(requirement.id)
            lines.append(f"| {requirement.id} | {requirement.keyword} | " + " | ".join(cells) + f" | {first} |")
        for line in self.characterisation_lines():
            lines += ["", line]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
