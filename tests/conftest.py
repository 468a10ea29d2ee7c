"""Project test settings: hypothesis is deterministic and bounded here (CI included)."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "lpj-tests",
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("lpj-tests")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print which requirement IDs have vectors and kit cases (python -m conformance.coverage)."""
    from conformance.coverage import table

    terminalreporter.write_sep("-", "requirement coverage: spec vectors and kit cases")
    for line in table():
        terminalreporter.write_line(line)
