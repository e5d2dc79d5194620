"""A short fuzz run of every parser that takes outside input (see tests/fuzz_targets.py): a few
hundred generated cases each, in a fixed order. fuzz/fuzz_all.py runs the long one."""

from __future__ import annotations

import pytest
from fuzz_targets import TARGETS
from hypothesis import HealthCheck, given, settings

SHORT_RUN = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_only_jazzgen_errors_escape(name):
    target, cases = TARGETS[name]

    @SHORT_RUN
    @given(cases())
    def run(case):
        assert target(case) in ("ok", "DataError", "UsageError")

    run()
