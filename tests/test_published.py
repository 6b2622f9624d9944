"""eventsim.published: the published rows and the runs that reproduce them."""

from __future__ import annotations

import pytest

import eventsim
from eventsim.published import KREPS_2014, rows, size_sweep


def test_each_row_names_a_preset_of_the_post_as_kafka_0_8():
    for row in KREPS_2014:
        scenario = eventsim.Scenario.load(row.preset)
        assert scenario.cluster.kafka_version == "0.8"
        assert scenario.cluster.hardware == "commodity-2014"


def test_rows_put_simulated_beside_published_with_the_deviation():
    table = rows(seed=1, horizon_ms=1000, published=KREPS_2014[:1])
    row = table.loc["1 producer, no replication"]
    assert row.published_records_per_s == 821_557
    assert row.deviation == pytest.approx(row.simulated_records_per_s / 821_557 - 1)
    assert row.bottleneck == "producer-perf-0 nic_out"  # 100-byte records fill the producer's 1 GbE NIC


def test_changes_reach_every_row():
    plain = rows(seed=1, horizon_ms=1000, published=KREPS_2014[:1])
    v2 = rows(seed=1, horizon_ms=1000, published=KREPS_2014[:1], changes={"cluster.kafka_version": "3.9"})
    assert v2.simulated_records_per_s.iloc[0] > 1.1 * plain.simulated_records_per_s.iloc[0]  # smaller records


def test_the_size_sweep_trades_records_for_bytes():
    sweep = size_sweep(seed=1, horizon_ms=500, sizes=(10, 1000))
    small, large = sweep.iloc[0], sweep.iloc[1]
    assert small.records_per_s > large.records_per_s and small.mb_per_s < large.mb_per_s
    assert small.bottleneck.endswith(" cpu") and large.bottleneck.endswith(" nic_out")
