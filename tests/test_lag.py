"""The ``lag`` frame: consumer lag per window, group and partition, against the high watermark."""

from __future__ import annotations

import numpy as np

import eventsim


def _scenario(processing_ms=0.6, count=2, groups=1):
    return {
        "name": "lag",
        "horizon_ms": 3000,
        "cluster": {"brokers": 1},
        "topics": [{"name": "t", "partitions": 4}],
        "producers": [
            {"name": "p", "topic": "t", "rate_per_s": 2000, "keys": {"distribution": "uniform", "count": 99}}
        ],
        "consumers": [
            {"name": f"g{g}", "topic": "t", "count": count, "processing_ms": processing_ms}
            for g in range(groups)
        ],
        "metrics": {"window_ms": 500},
    }


def test_columns_and_one_row_per_window_group_partition():
    res = eventsim.simulate(_scenario(groups=2), seed=3)
    lag = res.frame("lag")
    assert list(lag.columns) == [
        "time_s", "group", "topic", "partition", "consumer", "high_watermark", "position", "lag"
    ]  # fmt: skip
    assert sorted(lag["time_s"].unique()) == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]  # window ends
    assert len(lag) == 6 * 2 * 4
    assert (lag["lag"] == lag["high_watermark"] - lag["position"]).all()
    assert (lag["lag"] >= 0).all()
    # RangeAssignor: g0-0 reads partitions 0-1, g0-1 reads 2-3.
    last = lag[(lag["time_s"] == 3.0) & (lag["group"] == "g0")]
    assert last["consumer"].tolist() == ["g0-0", "g0-0", "g0-1", "g0-1"]


def test_high_watermark_is_the_log_end_offset_and_positions_sum_to_records_consumed():
    res = eventsim.simulate(_scenario(), seed=3)
    lag = res.frame("lag")
    parts = res.frame("partitions")
    merged = lag.merge(parts, on=["time_s", "topic", "partition"], suffixes=("", "_leader"))
    assert len(merged) == len(lag)
    # Lag is measured against the leader's high watermark at the same instant.
    assert (merged["high_watermark"] == merged["high_watermark_leader"]).all()
    # One replica per partition: the high watermark equals the log end offset.
    assert (merged["high_watermark"] == merged["log_end_offset"]).all()
    assert (parts["isr_size"] == 1).all() and not parts["under_replicated"].any()
    end = lag[lag["time_s"] == lag["time_s"].max()]
    # The group started at offset 0 of every partition: its positions add up to what poll() handed out.
    assert int(end["position"].sum()) == res.stats["records_consumed"]


def test_lag_of_an_overloaded_consumer_grows():
    # One consumer at 1 ms per record can handle 1,000 records/s of the 2,000 arriving.
    res = eventsim.simulate(_scenario(processing_ms=1.0, count=1), seed=3)
    total = res.frame("lag").groupby("time_s")["lag"].sum()
    assert total.is_monotonic_increasing
    # About 1,000 records/s fall behind (less what poll() has handed over but not yet processed).
    assert 2000 < total.iloc[-1] < 3200


def test_lag_matches_the_records_frame():
    # What chapter 05 computed by hand: records appended by t minus records poll() handed out by t.
    res = eventsim.simulate(_scenario(processing_ms=1.0, count=1), seed=5)
    recs = res.frame("records")
    lag = res.frame("lag")
    for _, row in lag[lag["partition"] == 2].iterrows():
        t = row["time_s"] * 1000
        mine = recs[recs["partition"] == 2]
        appended = int((mine["append_ms"] <= t).sum())
        polled = int((mine["consume_ms"] <= t).sum())
        assert row["high_watermark"] == appended
        assert row["lag"] == appended - polled


def test_no_consumers_no_rows_and_csv_export(tmp_path):
    sc = _scenario()
    sc["consumers"] = []
    res = eventsim.simulate(sc, seed=1)
    assert res.frame("lag").empty
    paths = res.to_csv(tmp_path)
    assert (tmp_path / "lag.csv") in paths


def test_late_consumer_has_no_rows_before_it_starts():
    sc = _scenario()
    sc["consumers"][0]["start_ms"] = 1200
    lag = eventsim.simulate(sc, seed=1).frame("lag")
    assert lag["time_s"].min() == 1.5
    assert np.isfinite(lag["lag"]).all()


def test_fetch_positions_lead_the_consumed_positions_by_the_buffered_records():
    """A consumer's fetch position per partition (the next offset it asks for) is empty until it positions
    itself; afterwards it is past its ``position()`` by exactly the records fetched and still buffered."""
    from eventsim import runner

    run = runner.build(_scenario(processing_ms=1.0, count=1), 3, 1500)
    c = run.consumers[0]
    assert c.positions == {} and c.consumed_positions() == {}
    run.start()
    run.run()
    fetched, consumed = c.positions, c.consumed_positions()
    assert set(fetched) == set(consumed) == set(c.assignment)
    buffered = dict.fromkeys(c.assignment, 0)
    for state, batch, index, _ in c.buffer:
        buffered[state.tp] += batch.count - index
    assert sum(buffered.values()) > 0  # overloaded: it has fetched more than poll() handed out
    assert all(fetched[tp] - consumed[tp] == buffered[tp] for tp in c.assignment)
