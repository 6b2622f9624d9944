"""Chapter 08, replication: what followers cost the brokers, and when a slow follower leaves the ISR.

Solvers: short simulations with the book's seed (a replicated topic's replication traffic, read from the
``replication`` frame; the first ISR shrink of a partition whose follower sits on a slow NIC, read from
the ``isr`` frame). The chapter's rules give the same numbers without a run: followers receive
``(RF - 1) x`` the bytes the leaders append, shared by the brokers; a follower not caught up for
``replica.lag.time.max.ms`` leaves the ISR when the leader's expiration task next runs, every half of
that time.
"""

from __future__ import annotations

from eventsim.book.registry import SEED, Choice, Exercise, Param, Range, Tolerance, register

CHAPTER = "08_replication"
MIB = 1024.0 * 1024.0


def follower_scenario(p) -> dict:
    """The replication-traffic exercise's run: RF ``p.rf`` on ``p.brokers`` cloud-2020 brokers."""
    return {
        "name": "follower-traffic",
        "horizon_ms": 2000,
        "cluster": {"brokers": p.brokers, "hardware": "cloud-2020"},
        "topics": [{"name": "orders", "partitions": 2 * p.brokers, "replication.factor": p.rf}],
        "producers": [
            {
                "name": "app",
                "topic": "orders",
                "rate_per_s": p.rate_per_s,
                "value_bytes": p.value_bytes,
                "keys": {"distribution": "uniform", "count": 10_000, "format": "order-{}"},
                "config": {"acks": 1},
            }
        ],
        "metrics": {"window_ms": 500},
    }


def _follower_mib_per_s(p) -> float:
    import eventsim

    result = eventsim.simulate(follower_scenario(p), seed=SEED)
    seconds = result.horizon_ms / 1000.0
    return float(result.frame("replication")["bytes_in"].sum()) / p.brokers / seconds / MIB


def slow_follower_scenario(p) -> dict:
    """The ISR exercise's run: two partitions led by brokers 0 and 1, both followed by broker 2 on a
    1 MB/s NIC; the producer (``acks=1``) writes faster than that."""
    return {
        "name": "slow-follower",
        "horizon_ms": 4 * p.lag_time_max_ms,
        "cluster": {
            "brokers": 3,
            "hardware": "cloud-2020",
            "broker_hardware": {2: {"nic_bytes_per_ms": 1000}},
        },
        "broker": {"min.insync.replicas": 2, "replica.lag.time.max.ms": p.lag_time_max_ms},
        "topics": [{"name": "orders", "replicas": [[0, 1, 2], [1, 0, 2]]}],
        "producers": [
            {
                "name": "app",
                "topic": "orders",
                "rate_per_s": p.rate_per_s,
                "value_bytes": 200,
                "keys": {"distribution": "uniform", "count": 1000, "format": "order-{}"},
                "config": {"acks": 1},
            }
        ],
        "metrics": {"window_ms": 250},
    }


def _first_shrink_ms(p) -> float:
    import eventsim

    isr = eventsim.simulate(slow_follower_scenario(p), seed=SEED).frame("isr")
    shrinks = isr[isr["isr_size"] < 3]
    return 1000.0 * float(shrinks["time_s"].min())


register(
    Exercise(
        key="replication.follower-mib-per-broker",
        title="What the followers cost",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "A topic with replication factor {rf} and twice as many partitions as brokers lives on "
            "{brokers} cloud-2020 brokers. One producer sends {rate_per_s} records/s of {value_bytes}-byte "
            "values (keys `order-0` ... `order-9999`, `acks=1`). On average over the brokers, how many "
            "MiB per second does one broker receive **as a follower** (the `replication` frame's `bytes_in`)?"
        ),
        params={
            "rate_per_s": Param(20_000, Range(10_000, 40_000, 5000), "records/s"),
            "value_bytes": Param(200, Range(100, 1000, 100), "bytes"),
            "rf": Param(3, Choice((2, 3)), "replicas", "replication.factor"),
            "brokers": Param(3, Range(3, 6, 1), "brokers"),
        },
        solve=_follower_mib_per_s,
        tolerance=Tolerance(rel=0.05),
        hint="every byte a leader appends is fetched by each of its RF - 1 followers, and the brokers share "
        "that work; the bytes are the stored batches (records with their overhead and the 61-byte batch "
        "header: bytes_per_batch x batches in the summary), not the values alone.",
        unit="MiB/s",
        solver="simulation",
    ),
    Exercise(
        key="replication.isr-shrink-ms",
        title="When does the slow follower leave the ISR?",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "Broker 2 follows both partitions of a topic over a 1 MB/s NIC, while a producer writes "
            "{rate_per_s} records/s of 200-byte values with `acks=1` (the section 3 scenario with "
            "`replica.lag.time.max.ms={lag_time_max_ms_raw}`). At what simulated time, in ms, does the "
            "first partition's ISR shrink?"
        ),
        params={
            "rate_per_s": Param(20_000, Range(15_000, 30_000, 5000), "records/s"),
            "lag_time_max_ms": Param(1000, Range(1000, 3000, 500), "ms", "replica.lag.time.max.ms"),
        },
        solve=_first_shrink_ms,
        tolerance=Tolerance(rel=0.05),
        hint="the follower leaves when it has not been caught up for replica.lag.time.max.ms, but "
        "the leader only looks when its isr-expiration task runs, every half of that time; read the first "
        "shrink from the isr frame of a run.",
        unit="ms",
        solver="simulation",
    ),
)
