"""Kafka's ``ExponentialBackoff`` (KIP-580) as a pure rule.

``backoff(attempts) = min((long) (random(1 - 0.2, 1 + 0.2) * initial * 2 ** min(attempts, exp_max)), max)``
with ``exp_max = log(max / max(initial, 1)) / log(2)``, and the constant ``initial`` when ``max <= initial``.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsim.core.backoff import ExponentialBackoff


def test_kafka_defaults_first_retry_and_cap():
    b = ExponentialBackoff(100, 2, 1000, 0.2)
    assert b.backoff(0) == 100  # no jitter factor given: the mean
    assert b.backoff(1) == 200
    assert b.backoff(3) == 800
    assert b.backoff(4) == 1000  # the exponent is capped at log2(10): 100 * 2**3.32 = 1000
    assert b.backoff(0, 0.8) == 80 and b.backoff(0, 1.2) == 120
    assert b.backoff(10, 1.2) == 1000  # jitter never exceeds the max
    assert b.backoff(10, 0.8) == 800  # and may pull a capped backoff below it


@given(
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.integers(0, 10**9),
    st.floats(0.8, 1.2, exclude_max=True),
)
def test_backoff_bounds_for_any_configuration_and_attempt(initial, maximum, attempts, factor):
    """Never overflows, never negative, never above retry.backoff.max.ms, within ±20 % of the base."""
    b = ExponentialBackoff(initial, 2, maximum, 0.2)
    v = b.backoff(attempts, factor)
    assert 0 <= v <= max(maximum, 0)
    if maximum <= initial:
        assert v == min(initial, maximum)  # constant, no jitter
        return
    base = initial * 2 ** min(attempts, b.exp_max)
    assert math.floor(0.8 * base) <= v <= min(math.floor(1.2 * base), maximum)


def test_a_huge_number_of_retries_does_not_overflow():
    b = ExponentialBackoff(0, 2, 0, 0.2)  # retry.backoff.ms = retry.backoff.max.ms = 0
    assert b.backoff(10**12) == 0
    b = ExponentialBackoff(1, 2, 1000, 0.2)
    assert b.backoff(2000, 1.1) == 1000
    assert b.draw(2000, np.random.default_rng(0)) <= 1000


def test_jitter_comes_from_the_given_stream_and_is_reproducible():
    b = ExponentialBackoff(100, 2, 1000, 0.2)
    draws = [b.draw(0, np.random.default_rng(5)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = np.random.default_rng(1)
    values = np.array([b.draw(0, rng) for _ in range(2000)])
    assert values.min() >= 80 and values.max() <= 120
    assert values.std() > 5  # jittered, not constant
    assert values.mean() == pytest.approx(99.5, abs=1.0)  # truncation lowers the mean by about half a ms
    assert b.draw(0, None) == 100  # no stream: no jitter


def test_jitter_out_of_range_is_refused():
    with pytest.raises(ValueError, match="jitter"):
        ExponentialBackoff(100, 2, 1000, 1.5)
