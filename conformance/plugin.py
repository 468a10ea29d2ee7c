"""The kit's pytest plugin (registered once, as a ``pytest11`` entry point).

It adds the command-line options, starts or reaches the server(s) under test,
turns :class:`~conformance.checks.Violation` failures into reports that name
the requirement broken, applies the verdict levels (MUST fails, SHOULD warns
unless ``--strict``, informational never fails) and writes the requirement
matrix and the JSON / Markdown reports.  The fixtures live in
``conformance/conftest.py`` so they exist only where kit cases are collected.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance import __version__
from conformance.checks import Violation
from conformance.report import CaseResult, KitReport
from conformance.specdata import requirements, spec_version
from conformance.targets import (
    REFERENCE_MODELS,
    Target,
    TargetError,
    accepts_connections,
    command_target,
    parse_address,
    probe,
    reference_target,
)

KIT_KEY = pytest.StashKey["Kit"]()
EXIT_USAGE = 2
NO_CASE_SELECTED = "lpj conformance: no case selected (check --requirement, -k and the paths given)"
_examples = 25  # set from --examples when the plugin is configured
_derandomize = True  # False when the user gives --hypothesis-seed


def kit_settings(examples: int | None = None, **overrides: Any) -> settings:
    """Hypothesis settings for kit properties: bounded, no database, deterministic
    unless the user passes --hypothesis-seed (then that seed is used)."""
    return settings(
        max_examples=examples or _examples,
        deadline=None,
        database=None,
        derandomize=_derandomize,
        print_blob=False,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        **overrides,
    )


class Kit:
    """Options and state of one conformance run."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.getoption
        self.config = config
        self.io_timeout_base: float = setting(config, "lpj_io_timeout")
        self.scale: float = setting(config, "lpj_timeout_scale")
        self.case_timeout: float = setting(config, "lpj_case_timeout") * self.scale
        self.io_timeout = self.io_timeout_base * self.scale
        self.strict: bool = bool(option("strict", False))
        self.characterise: bool = not option("lpj_no_characterise")
        self.examples: int = setting(config, "lpj_examples")
        self.idle_wait: float = setting(config, "lpj_idle_wait")
        self.requirement_filter: list[str] = option("lpj_requirement") or []
        self.expected_failures_path: str | None = option("lpj_expected_failures")
        self.report_json: str | None = option("lpj_report_json")
        self.report_md: str | None = option("lpj_report_md")
        self.targets: dict[str, Target] = {}
        self.active = False
        self.started = time.time()
        self.report = KitReport(strict=self.strict)
        target, command = setting(config, "lpj_target"), setting(config, "lpj_target_cmd")
        self.explicit = bool(target or command or option("lpj_requirement") or option("lpj_report_json"))
        if target and command:
            raise TargetError("give --target or --target-cmd, not both")
        for name in self.requirement_filter or []:
            if name not in requirements():
                raise TargetError(f"--requirement {name}: no such requirement in spec/requirements.json")
        if self.io_timeout <= 0 or self.scale <= 0 or self.case_timeout <= 0:
            raise TargetError("--io-timeout, --timeout-scale and --case-timeout must be positive")
        if target:
            try:
                address = parse_address(target)
            except TargetError as exc:
                raise TargetError(f"--target: {exc}") from None
            self.targets[target] = Target(name=target, address=address)
        elif command:
            found = command_target(command)
            found.startup_timeout *= self.scale
            self.targets[found.name] = found
        else:
            models = [m.strip() for m in setting(config, "lpj_models").split(",") if m.strip()]
            unknown = sorted(set(models) - set(REFERENCE_MODELS))
            if unknown or not models:
                raise TargetError(f"--models takes names from {', '.join(REFERENCE_MODELS)}; got {unknown or 'none'}")
            for model in models:
                self.targets[model] = reference_target(model)
        self.expected_failures = self._read_expected_failures()

    def _read_expected_failures(self) -> list[str]:
        if not self.expected_failures_path:
            return []
        path = Path(self.expected_failures_path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise TargetError(f"--expected-failures {path}: {exc.strerror or exc}") from None
        return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]

    def header(self) -> list[str]:
        names = ", ".join(t.describe() if not t.managed else t.name for t in self.targets.values())
        kind = (
            "reference models started by the kit"
            if all(t.managed and t.argv and "reference" in t.argv for t in self.targets.values())
            else "target"
        )
        return [
            f"lpj-rpc conformance kit {__version__}, spec LPJ-RPC/1 {spec_version()}",
            f"{kind}: {names}",
            f"io-timeout {self.io_timeout:.1f}s, case watchdog {self.case_timeout:.0f}s (timeout-scale {self.scale:g}),"
            f" {'strict: SHOULD failures fail' if self.strict else 'SHOULD failures warn (--strict makes them fail)'},"
            f" {self.examples} hypothesis examples per property",
        ]

    def shutdown(self) -> None:
        for target in self.targets.values():
            target.stop()


# Settings that also come from the environment (LPJ_TARGET, ...) or an ini file
# (lpj_target = ...), as pytest-timeout's do: the command line wins, then the
# environment, then the ini file, then the default.
SETTINGS: dict[str, tuple[str, type, Any, str, str]] = {
    # dest: (option, type, default, metavar, help)
    "lpj_target": ("--target", str, None, "HOST:PORT", "test the LPJ-RPC server listening there"),
    "lpj_target_cmd": (
        "--target-cmd",
        str,
        None,
        "COMMAND",
        "start this server command ({port} is replaced by a free port), test it, restart it if it dies",
    ),
    "lpj_models": (
        "--models",
        str,
        ",".join(REFERENCE_MODELS),
        "LIST",
        "without a target: the reference models to start and test (default: all six)",
    ),
    "lpj_io_timeout": ("--io-timeout", float, 5.0, "SECONDS", "timeout of every socket operation (default 5)"),
    "lpj_timeout_scale": (
        "--timeout-scale",
        float,
        1.0,
        "FACTOR",
        "multiply every timeout by this, for slow machines (default 1)",
    ),
    "lpj_case_timeout": ("--case-timeout", float, 60.0, "SECONDS", "watchdog: the most one case may take (default 60)"),
    "lpj_examples": (
        "--examples",
        int,
        25,
        "N",
        "hypothesis examples per property (default 25; deterministic unless --hypothesis-seed)",
    ),
    "lpj_idle_wait": (
        "--idle-wait",
        float,
        1.0,
        "SECONDS",
        "how long the idle-connection case stays idle, between frames and mid-frame (default 1;"
        " the spec forbids closing before 30 s, so --idle-wait 31 checks the whole floor)",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lpj-rpc", "LPJ-RPC/1 conformance kit")
    add = group.addoption
    for dest, (flag, kind, _, metavar, text) in SETTINGS.items():
        add(flag, dest=dest, type=kind, metavar=metavar, help=f"{text}; also ${dest.upper()} or ini {dest}")
        parser.addini(dest, f"{text} (the {flag} option)", default=None)
    add(
        "--requirement",
        dest="lpj_requirement",
        action="append",
        metavar="ID",
        help="run only the cases of this requirement (repeatable), e.g. LPJ-FRAME-3",
    )
    add(
        "--no-characterise",
        dest="lpj_no_characterise",
        action="store_true",
        help="skip the informational characterisation (concurrency class, largest frame, latency)",
    )
    add("--report-json", dest="lpj_report_json", metavar="PATH", help="write the full report as JSON")
    add("--report-md", dest="lpj_report_md", metavar="PATH", help="write a Markdown compliance table")
    add(
        "--expected-failures",
        dest="lpj_expected_failures",
        metavar="FILE",
        help="a baseline of case IDs known to fail; a listed case that passes fails the run as stale",
    )


def setting(config: pytest.Config, dest: str) -> Any:
    """A setting's value: command line, then environment, then ini file, then default."""
    flag, kind, default, _, _ = SETTINGS[dest]
    value = config.getoption(dest)
    if value is not None:
        return value
    for source, raw in ((f"${dest.upper()}", os.environ.get(dest.upper())), (f"ini {dest}", config.getini(dest))):
        if raw not in (None, ""):
            try:
                return kind(raw)
            except ValueError:
                raise TargetError(f"{source} (like {flag}) must be a {kind.__name__}, got {raw!r}") from None
    return default


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): the LPJ-RPC requirement IDs a kit case checks")
    config.addinivalue_line("markers", "informational: a kit case that characterises the server and never fails")
    config.addinivalue_line("markers", "runs_when_down: a kit case that diagnoses a server that answers no ping")
    global _examples, _derandomize
    try:
        config.stash[KIT_KEY] = kit = Kit(config)
        _examples = kit.examples
        _derandomize = config.getoption("hypothesis_seed", None) is None
    except TargetError as exc:
        pytest.exit(f"lpj conformance: {exc}", EXIT_USAGE)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    kit = config.stash.get(KIT_KEY, None)
    return kit.header() if kit and (kit.explicit or _collecting_kit(config)) else None


def _collecting_kit(config: pytest.Config) -> bool:
    return any("conformance" in str(arg) for arg in config.args)


def is_kit_item(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and module.__name__.startswith("conformance.")


def item_requirements(item: pytest.Item) -> tuple[str, ...]:
    found: list[str] = []
    for mark in item.iter_markers("requirement"):
        found.extend(mark.args)
    return tuple(dict.fromkeys(found))


def case_id(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[-1]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    kit = config.stash[KIT_KEY]
    kit_items = [item for item in items if is_kit_item(item)]
    if not kit_items:
        if kit.explicit or _collecting_kit(config):
            pytest.exit(NO_CASE_SELECTED, EXIT_USAGE)
        return
    kit.active = True
    keep, dropped = [], []
    for item in items:
        if not is_kit_item(item):
            keep.append(item)
            continue
        ids = item_requirements(item)
        if kit.requirement_filter and not set(ids) & set(kit.requirement_filter):
            dropped.append((item, "not selected by --requirement"))
        elif item.get_closest_marker("informational") and not kit.characterise:
            dropped.append((item, "--no-characterise"))
        else:
            keep.append(item)
            for requirement in ids:
                item.user_properties.append(("requirement", requirement))
            item.add_marker(pytest.mark.timeout(kit.case_timeout))
            if any(case_id(item) == e or item.nodeid.endswith(e) for e in kit.expected_failures):
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"listed in {kit.expected_failures_path}"))
    for item, reason in dropped:
        kit.report.not_run(case_id(item), item_requirements(item), reason)
    if dropped:
        config.hook.pytest_deselected(items=[item for item, _ in dropped])
    items[:] = keep
    if not any(is_kit_item(item) for item in items):
        pytest.exit(NO_CASE_SELECTED, EXIT_USAGE)
    for target in kit.targets.values():
        if not target.managed:
            assert target.address is not None
            if not accepts_connections(target.address):
                problem = probe(target.address, kit.io_timeout)
                pytest.exit(f"lpj conformance: target {target.describe()} is not usable: {problem}", EXIT_USAGE)
            target.check_answers_pings(kit.io_timeout)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    if not is_kit_item(item):
        return report
    kit = item.config.stash[KIT_KEY]
    target = getattr(item, "callspec", None) and item.callspec.params.get("target")
    violation = find_violation(call.excinfo.value) if call.excinfo else None
    outcome = report.outcome
    if violation is not None:
        notes = [n for n in getattr(violation, "__notes__", []) if n.strip()]
        text = violation.report()
        if notes:
            text += "\nhypothesis: " + "\n            ".join(notes)
        report.longrepr = text
        severity = requirements()[violation.requirement].severity if violation.requirement in requirements() else "must"
        for violated in (violation.requirement, *violation.also):
            report.user_properties.append(("violated", violated))
            item.user_properties.append(("violated", violated))  # junitxml writes them from the teardown report
        if severity != "must" and not kit.strict and not hasattr(report, "wasxfail"):
            report.outcome = "passed"
            report.sections.append(("lpj-rpc warning", text))
            kit.report.warnings.append(f"{case_id(item)}\n{text}")
            outcome = "warned"
    if item.get_closest_marker("informational") and report.outcome == "failed" and not hasattr(report, "wasxfail"):
        report.outcome = "passed"
        outcome = "informational-error"
    if report.when == "call" or report.outcome != "passed" or (report.when == "setup" and report.skipped):
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "stale"
        blocked = report.skipped and "blocked" in str(report.longrepr)
        kit.report.add(
            CaseResult(
                case=case_id(item),
                target=str(target or ""),
                requirements=item_requirements(item),
                outcome="blocked" if blocked else outcome,
                phase=report.when,
                violated=violation.requirement if violation else None,
                also=violation.also if violation else (),
                message=(violation.problem if violation else _short_longrepr(report)) if outcome != "passed" else None,
            )
        )
    return report


def find_violation(error: BaseException) -> Violation | None:
    """The Violation behind an exception: itself, or one inside a group (hypothesis
    raises a group, FlakyFailure, when the server answers the same input differently)."""
    if isinstance(error, Violation):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = find_violation(inner)
        if found is not None:
            if not isinstance(error, Violation) and "flaky" in type(error).__name__.lower():
                found.note = (found.note + " " if found.note else "") + (
                    "(flaky: the same input did not fail again; the server's behaviour changed between tries)"
                )
            return found
    return None


def _short_longrepr(report: pytest.TestReport) -> str | None:
    if report.longrepr is None:
        return None
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    text = str(report.longrepr).strip().splitlines()
    return text[-1][:300] if text else None


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    kit = config.stash.get(KIT_KEY, None)
    if kit is None or not kit.active or not kit.report.results:
        return
    kit.report.characterisation = {name: t.character for name, t in kit.targets.items() if t.character}
    kit.report.targets = {name: t.describe() for name, t in kit.targets.items()}
    matrix = kit.report.matrix_lines()
    if kit.report.warnings:
        terminalreporter.write_sep(
            "=", f"SHOULD violations (warnings; --strict makes them fail): {len(kit.report.warnings)}"
        )
        for warning in kit.report.warnings[:10]:
            terminalreporter.write_line(warning + "\n")
    terminalreporter.write_sep("=", "LPJ-RPC/1 requirement matrix")
    for line in matrix:
        terminalreporter.write_line(line)
    for line in kit.report.characterisation_lines():
        terminalreporter.write_line(line)
    for name, target in kit.targets.items():
        if target.down_since:
            terminalreporter.write_line(f"{name}: later cases blocked, server down since {target.down_since}")
    terminalreporter.write_line(kit.report.verdict_line())
    meta = {
        "kit_version": __version__,
        "spec_version": spec_version(),
        "strict": kit.strict,
        "io_timeout": kit.io_timeout,
        "timeout_scale": kit.scale,
        "examples": kit.examples,
        "hypothesis_seed": config.getoption("hypothesis_seed", None) or "derandomized",
        "started": kit.started,
        "duration": time.time() - kit.started,
    }
    for path, writer in ((kit.report_json, kit.report.write_json), (kit.report_md, kit.report.write_markdown)):
        if path:
            writer(Path(path), meta)
            terminalreporter.write_line(f"report written to {path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    kit = session.config.stash.get(KIT_KEY, None)
    if kit is None:
        return
    kit.shutdown()
    if kit.active and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = EXIT_USAGE
