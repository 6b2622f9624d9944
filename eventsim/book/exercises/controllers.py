"""Chapter 09, controllers: how long a partition waits for the controller after a broker dies.

Solvers: closed forms the chapter teaches. A crashed broker is noticed when its session runs out: its last
heartbeat (KRaft: every ``broker.heartbeat.interval.ms``, from the time the faults start) reaches the
controller one network latency after it left, and the controller fences the broker
``broker.session.timeout.ms`` later; the partitions it led have no working leader from the crash until
then. In ZooKeeper mode the controller then writes one znode per partition change, one after the other:
39 ms each before Kafka 1.1 and 0.3 ms from it (J. Rao, 2018), so a broker in the ISR of P partitions costs
P writes. ``fencing_scenario`` and ``shutdown_scenario`` build runs that show both.
"""

from __future__ import annotations

from eventsim.book.registry import Choice, Exercise, Param, Range, Tolerance, register

CHAPTER = "09_controllers"
HARDWARE = "cloud-2020"


def _latency_ms() -> float:
    from eventsim.hardware import get_profile

    return float(get_profile(HARDWARE).network_latency_ms)


def _cluster(version: str, mode: str, partitions: int, horizon_ms: float, faults: list, broker: dict) -> dict:
    return {
        "name": "controllers",
        "horizon_ms": horizon_ms,
        "cluster": {"brokers": 3, "hardware": HARDWARE, "kafka_version": version, "controller_mode": mode},
        "broker": broker,
        "topics": [{"name": "events", "partitions": partitions, "replication.factor": 3,
                    "config": {"min.insync.replicas": 2}}],  # fmt: skip
        "producers": [{"name": "app", "topic": "events", "rate_per_s": 20, "value_bytes": 200,
                       "keys": {"distribution": "uniform", "count": 1000},
                       "config": {"acks": "all"}}],  # fmt: skip
        "metrics": {"window_ms": 500, "check": True},
        "faults": faults,
    }


def fencing_scenario(p):
    """The chapter's KRaft cluster (Kafka 3.9, six partitions, 20 records/s) whose broker 1 crashes at
    ``p.crash_ms``, with ``broker.heartbeat.interval.ms`` ``p.heartbeat_ms`` and ``broker.session.timeout.ms``
    ``p.session_ms``; the run lasts until well after the fencing."""
    import eventsim

    broker = {"broker.heartbeat.interval.ms": p.heartbeat_ms, "broker.session.timeout.ms": p.session_ms}
    faults = [{"at_ms": p.crash_ms, "kind": "crash", "broker": 1}]
    horizon = p.crash_ms + p.session_ms + 1000
    return eventsim.Scenario.from_dict(_cluster("3.9", "kraft", 6, horizon, faults, broker))


def _fencing_unavailable_ms(p) -> float:
    last_heartbeat = (p.crash_ms // p.heartbeat_ms) * p.heartbeat_ms
    return last_heartbeat + _latency_ms() + p.session_ms - p.crash_ms


def shutdown_scenario(p, partitions: int = 30):
    """A ZooKeeper-mode cluster on Kafka ``p.version`` with ``partitions`` partitions (replication factor
    3 on three brokers: broker 1 is in every ISR) whose broker 1 shuts down cleanly at 2100 ms, just after
    a ZooKeeper ping; the run lasts 4 s plus the writes."""
    import eventsim
    from eventsim.controller.kafka_controller import change_ms_per_partition

    horizon = 4000 + partitions * change_ms_per_partition(p.version)
    faults = [{"at_ms": 2100, "kind": "shutdown", "broker": 1}]
    return eventsim.Scenario.from_dict(_cluster(p.version, "zookeeper", partitions, horizon, faults, {}))


def _zookeeper_writes_s(p) -> float:
    from eventsim.controller.kafka_controller import change_ms_per_partition

    return p.partitions * change_ms_per_partition(p.version) / 1000.0


register(
    Exercise(
        key="controllers.fencing-unavailable-ms",
        title="How long without a leader after a crash?",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "A KRaft cluster (latency 0.125 ms) has `broker.heartbeat.interval.ms={heartbeat_ms_raw}` "
            "and `broker.session.timeout.ms={session_ms_raw}`; "
            "heartbeats leave every interval from time 0. Broker 1 crashes (`kill -9`) at {crash_ms_raw} ms. "
            "For how many **ms** are the partitions it led without a working leader (the checker's "
            "`unavailable_ms`)?"
        ),
        params={
            "crash_ms": Param(7000, Range(3100, 9900, 100), "ms", "when broker 1 crashes"),
            "heartbeat_ms": Param(2000, Choice((500, 1000, 1500, 2000, 3000)), "ms",
                                  "broker.heartbeat.interval.ms"),  # fmt: skip
            "session_ms": Param(9000, Range(4000, 12000, 1000), "ms", "broker.session.timeout.ms"),
        },
        solve=_fencing_unavailable_ms,
        tolerance=Tolerance(abs=1, rel=0.02),
        hint="the controller counts the session from the last heartbeat that arrived, not from the crash: "
        "find the last multiple of the interval before the crash, add the latency and the session timeout, "
        "and subtract the crash time; or run fencing_scenario(p) and read check()['unavailable_ms'].",
        unit="ms",
        constraint=lambda p: p.heartbeat_ms < p.session_ms and p.crash_ms % p.heartbeat_ms != 0,
    ),
    Exercise(
        key="controllers.zookeeper-writes-s",
        title="The ZooKeeper-mode controller's writes",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "A ZooKeeper-mode cluster on Kafka {version} has three brokers and {partitions} partitions with "
            "replication factor 3, so broker 1 is in every partition's ISR. Broker 1 shuts down cleanly (or "
            "its session expires). How many **seconds** does the controller take to write every partition's "
            "change to ZooKeeper?"
        ),
        params={
            "version": Param("1.0", Choice(("1.0", "1.1", "2.8", "3.9")), "", "cluster.kafka_version"),
            "partitions": Param(10_000, Range(1000, 20_000, 1000), "partitions"),
        },
        solve=_zookeeper_writes_s,
        tolerance=Tolerance(rel=0.05),
        hint="one ZooKeeper write per partition, one after the other: 39 ms each before Kafka 1.1, 0.3 ms "
        "from it. Measure the time per change with shutdown_scenario(p) (30 partitions) and multiply.",
        unit="s",
    ),
)
