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
