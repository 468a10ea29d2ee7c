"""Every case of spec/vectors, replayed byte for byte against the target."""

from __future__ import annotations

import pytest

from conformance.checks import Case, Outcome
from conformance.specdata import vector_cases

CASES = vector_cases()


@pytest.mark.parametrize(
    "vector",
    [pytest.param(v, id=v.id, marks=pytest.mark.requirement(*v.requirements)) for v in CASES],
)
def test_vector(case: Case, vector) -> None:
    outcomes = [Outcome.of(o) for o in vector.expect]
    case.exchange(vector.writes, outcomes, half_close=vector.half_close, requirement=vector.requirements[0])
