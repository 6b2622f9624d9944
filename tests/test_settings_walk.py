"""Nothing accepted is ignored: every key and property the scenario schema accepts is walked here.

Each one is classified in ``TABLE`` as

* :class:`Changes` -- a small run with the value differs from the same run without it (``context``
  first sets what the property needs in order to act, e.g. retries need requests that time out);
* :class:`Alias` -- another name for a property walked as :class:`Changes`;
* :class:`Refused` -- not modelled yet: any value but the default is one ``InvalidConfigurationError``
  naming the field, saying "not modelled yet" and the capability that will model it; the default is
  still accepted;
* :class:`NoOp` -- deliberately changes nothing, with the reason (a label, or Kafka's own behaviour
  in what the model covers); ``same`` runs assert that the run is identical;
* :class:`Container` -- a key holding other keys, which are walked themselves.

The properties are enumerated from the config classes' ``_PROPS`` (and ``_ALIASES``) and the spec
dataclasses' fields, so a new property fails ``test_every_accepted_key_is_classified`` until it is
classified. A capability that models a refused property deletes its ``_NOT_MODELLED_YET`` entry and
moves its row here from :class:`Refused` to :class:`Changes`.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import pytest

import eventsim
from eventsim.config import BrokerConfig, ClusterConfig, ConsumerConfig, ProducerConfig, TopicConfig
from eventsim.config.server import _TOPIC_OVERRIDES
from eventsim.core.errors import InvalidConfigurationError
from eventsim.metrics.result import FRAMES
from eventsim.scenarios import ConsumerSpec, MetricsSpec, ProducerSpec, Scenario, VariabilitySpec
from eventsim.workload.keys import KeySpec

# A small, fast run (~0.05 s) that every case starts from: one broker pair, a keyed producer, a reader.
BASE = {
    "name": "walk",
    "horizon_ms": 500,
    "cluster": {"brokers": 2, "hardware": "laptop"},
    "broker": {},
    "topics": [{"name": "events", "partitions": 2, "config": {}}],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 2000,
            "value_bytes": 100,
            "keys": {"distribution": "uniform", "count": 50},
            "config": {},
        }
    ],
    "consumers": [{"name": "reader", "topic": "events", "config": {}}],
    "metrics": {"window_ms": 100},
    "variability": {},
}

# Where each owner's keys live in BASE.
WHERE = {
    "producer": ("producers", 0, "config"),
    "consumer": ("consumers", 0, "config"),
    "broker": ("broker",),
    "topic": ("topics", 0),
    "topic.config": ("topics", 0, "config"),
    "cluster": ("cluster",),
    "ProducerSpec": ("producers", 0),
    "KeySpec": ("producers", 0, "keys"),
    "ConsumerSpec": ("consumers", 0),
    "MetricsSpec": ("metrics",),
    "VariabilitySpec": ("variability",),
    "Scenario": (),
}
PATH = {  # the same places as the error messages spell them
    "producer": "producers[0].config.",
    "consumer": "consumers[0].config.",
    "broker": "broker.",
    "topic": "topics[0].",
    "topic.config": "topics[0].config.",
    "cluster": "cluster.",
}
CONFIG_CLASS = {
    "producer": ProducerConfig,
    "consumer": ConsumerConfig,
    "broker": BrokerConfig,
    "cluster": ClusterConfig,
    "topic": TopicConfig,
    "topic.config": TopicConfig,
}

FAILOVER = "failover capability"
GROUPS = "consumer-group capability"
_DROP = object()


@dataclass(frozen=True)
class Changes:
    value: object
    context: tuple = ()  # ((owner, key, value), ...) applied to both runs; value _DROP removes the key
    xfail: str = ""


@dataclass(frozen=True)
class Alias:
    of: str
    value: object
    equals: object


@dataclass(frozen=True)
class Refused:
    value: object
    capability: str
    default: object = _DROP  # the value still accepted; _DROP: the field's default


@dataclass(frozen=True)
class NoOp:
    reason: str
    value: object
    same: bool = True  # False for labels that also name a random stream or appear in the frames
    context: tuple = ()
    refused: tuple = ()  # (value, field, text): the range in which the property would act is refused


@dataclass(frozen=True)
class Container:
    holds: str


_TIMEOUTS = (("producer", "request.timeout.ms", 0),)  # every request times out: retries happen
_ROLLING = (("broker", "log.roll.ms", 50), ("broker", "log.retention.check.interval.ms", 100))
_BACKLOG = (  # the reader starts late from the log start: its fetches find more than one batch
    ("ConsumerSpec", "start_ms", 200),
    ("consumer", "auto.offset.reset", "earliest"),
    ("topic", "partitions", 4),
)
_BIG = (("ProducerSpec", "rate_per_s", 20000), ("ProducerSpec", "value_bytes", 1000))
_REPLICATED = (("topic", "replication.factor", 2),)
_INSTANT_TIMEOUTS = (
    ("producer", "request.timeout.ms", 0),
    ("producer", "retry.backoff.ms", 1),
    ("producer", "retry.backoff.max.ms", 1),
)  # both brokers hold each partition: followers fetch
# Broker 0 leads both partitions and broker 1 follows both, through a NIC too slow to keep up: its
# fetches bring several batches each and it falls behind the leader.
_ONE_LEADER = (("topic", "replicas", [[0, 1], [0, 1]]),)
_SLOW_FOLLOWER = _ONE_LEADER + (("cluster", "broker_hardware", {1: {"nic_bytes_per_ms": 100}}),)
# ... and is dropped from the ISR after 50 ms without catching up (well within the 500 ms run).
_LAGGING = (("broker", "replica.fetch.wait.max.ms", 50),)
_SHRINKING = _SLOW_FOLLOWER + _LAGGING + (("broker", "replica.lag.time.max.ms", 50),)
_OTHER_TOPIC = (
    ("Scenario", "topics", [{"name": "events", "partitions": 2}, {"name": "other", "partitions": 5}]),
)
_FOUR_BROKERS = (("cluster", "brokers", 4), ("topic", "partitions", 8))
# Broker 0 leads both partitions and crashes at 200 ms; the controller fences it after a short session
# timeout (heartbeats every 10 ms), and broker 1 takes over.
_GC = (("VariabilitySpec", "gc", True), ("VariabilitySpec", "gc_eden_mb", 0.02))
_SERVICE = (("VariabilitySpec", "service_times", True),)
_JITTER = (("VariabilitySpec", "network_jitter", True),)
_FAST_FENCE = (("broker", "broker.heartbeat.interval.ms", 10), ("broker", "broker.session.timeout.ms", 40))
_CRASH = _ONE_LEADER + (("Scenario", "faults", [{"at_ms": 200, "kind": "crash", "broker": 0}]),)
# ... once the slow follower is out of the ISR (at 475 ms), fenced within 8 ms: only an unclean
# election gives the partitions a leader.
_CRASH_OUT_OF_SYNC = _SHRINKING + (
    ("broker", "broker.heartbeat.interval.ms", 2),
    ("broker", "broker.session.timeout.ms", 8),
    ("Scenario", "faults", [{"at_ms": 480, "kind": "crash", "broker": 0}]),
)
# Broker 0 crashes and restarts before it is fenced: its follower's fetcher reconnects after its backoff.
_CRASH_RESTART = _ONE_LEADER + (
    (
        "Scenario",
        "faults",
        [{"at_ms": 100, "kind": "crash", "broker": 0}, {"at_ms": 120, "kind": "restart", "broker": 0}],
    ),
)
_CRASH_BACK = (
    _ONE_LEADER
    + _FAST_FENCE
    + (
        ("Scenario", "horizon_ms", 1600),
        ("broker", "leader.imbalance.check.interval.seconds", 1),
        (
            "Scenario",
            "faults",
            [{"at_ms": 100, "kind": "crash", "broker": 0}, {"at_ms": 300, "kind": "restart", "broker": 0}],
        ),
    )
)
_RF1 = "acks=1 and acks=all are identical while every topic has one replica (Kafka's behaviour)"

TABLE = {
    # ---------------------------------------------------------------- producer
    ("producer", "acks"): Changes("0"),  # and "1": see _RF1
    # Without idempotence a retry after a lost acknowledgement writes the batch again.
    ("producer", "enable.idempotence"): Changes(
        False,
        context=(
            ("producer", "request.timeout.ms", 0),
            ("producer", "delivery.timeout.ms", 500),  # several attempts, reconnect.backoff.ms (50) apart
            ("producer", "retry.backoff.ms", 1),
            ("producer", "retry.backoff.max.ms", 1),
        ),
    ),
    # Every request times out at once: the connection closes and opens again after the reconnect backoff.
    ("producer", "reconnect.backoff.ms"): Changes(5, context=_INSTANT_TIMEOUTS),
    ("producer", "reconnect.backoff.max.ms"): Changes(10, context=_INSTANT_TIMEOUTS),  # caps the first wait
    ("producer", "linger.ms"): Changes(0),
    ("producer", "batch.size"): Changes(512),
    ("producer", "buffer.memory"): Changes(4096),
    ("producer", "max.block.ms"): Changes(0, context=(("producer", "buffer.memory", 2048),)),
    ("producer", "max.in.flight.requests.per.connection"): Changes(
        1, context=(("producer", "linger.ms", 0),)
    ),
    ("producer", "request.timeout.ms"): Changes(0),
    ("producer", "retries"): Changes(0, context=_TIMEOUTS),
    ("producer", "retry.backoff.ms"): Changes(10, context=_TIMEOUTS),
    ("producer", "retry.backoff.max.ms"): Changes(
        20, context=_TIMEOUTS + (("producer", "retry.backoff.ms", 10),)
    ),
    ("producer", "delivery.timeout.ms"): Changes(20, context=_TIMEOUTS),
    ("producer", "compression.type"): Changes("gzip"),
    ("producer", "max.request.size"): Changes(1000, context=(("topic", "partitions", 4),)),
    ("producer", "partitioner.ignore.keys"): Changes(True),
    ("producer", "partitioner.adaptive.partitioning.enable"): Changes(
        False,
        context=(
            ("ProducerSpec", "keys", None),
            ("ProducerSpec", "rate_per_s", 20000),
            ("ProducerSpec", "value_bytes", 1000),
            ("producer", "max.in.flight.requests.per.connection", 1),
            ("topic", "partitions", 4),
        ),
    ),
    ("producer", "partitioner.availability.timeout.ms"): Refused(100, FAILOVER),
    # Metadata requests every 100 ms go through a broker's network and request-handler threads.
    ("producer", "metadata.max.age.ms"): Changes(100),
    # A TCP window smaller than a request: it takes several round trips to arrive.
    ("producer", "send.buffer.bytes"): Changes(4608, context=_BIG),  # SOCK_MIN_SNDBUF
    ("producer", "client.id"): NoOp(
        "a label in Kafka's logs, metrics and quotas (quotas are not modelled)", "web"
    ),
    # ---------------------------------------------------------------- consumer
    ("consumer", "fetch.min.bytes"): Changes(10000),
    ("consumer", "fetch.max.wait.ms"): Changes(50, context=(("consumer", "fetch.min.bytes", 100000),)),
    ("consumer", "fetch.max.bytes"): Changes(300, context=_BACKLOG),
    ("consumer", "max.partition.fetch.bytes"): Changes(300, context=_BACKLOG),
    ("consumer", "max.poll.records"): Changes(1, context=(("ConsumerSpec", "processing_ms", 0.5),)),
    ("consumer", "max.poll.interval.ms"): Refused(600000, GROUPS),
    ("consumer", "auto.offset.reset"): Changes("earliest", context=(("ConsumerSpec", "start_ms", 200),)),
    ("consumer", "group.id"): NoOp(
        "names the group (default: the consumer spec's name); which broker coordinates the group "
        "matters once consumer groups are modelled",
        "other-group",
    ),
    ("consumer", "enable.auto.commit"): Refused(False, GROUPS, default=True),
    ("consumer", "auto.commit.interval.ms"): Refused(1000, GROUPS),
    ("consumer", "isolation.level"): Refused("read_committed", GROUPS),
    ("consumer", "request.timeout.ms"): Refused(10000, FAILOVER),
    ("consumer", "session.timeout.ms"): Refused(10000, GROUPS),
    ("consumer", "heartbeat.interval.ms"): Refused(1000, GROUPS),
    ("consumer", "metadata.max.age.ms"): Changes(100),
    # Broker 0 crashes and restarts: the consumer connects to it again after its reconnect backoff.
    ("consumer", "reconnect.backoff.ms"): Changes(5, context=_CRASH_RESTART),
    ("consumer", "reconnect.backoff.max.ms"): Changes(10, context=_CRASH_RESTART),
    ("consumer", "receive.buffer.bytes"): Changes(2304, context=_BACKLOG),  # SOCK_MIN_RCVBUF
    ("consumer", "client.id"): NoOp(
        "a label in Kafka's logs, metrics and quotas (quotas are not modelled)", "web"
    ),
    # ---------------------------------------------------------------- broker
    ("broker", "num.network.threads"): Changes(1),
    ("broker", "num.io.threads"): Changes(1),
    ("broker", "queued.max.requests"): Changes(
        1,
        context=(("broker", "num.io.threads", 1), ("ProducerSpec", "count", 4), ("producer", "linger.ms", 0)),
    ),
    ("broker", "message.max.bytes"): Changes(500),
    ("broker", "log.segment.bytes"): Changes(1048576, context=_BIG),
    ("broker", "log.retention.ms"): Changes(100, context=_ROLLING),
    ("broker", "log.retention.bytes"): Changes(5000, context=_ROLLING),
    ("broker", "log.retention.check.interval.ms"): Changes(
        50, context=(("broker", "log.roll.ms", 50), ("broker", "log.retention.ms", 100))
    ),
    ("broker", "log.roll.ms"): Changes(50),
    ("broker", "log.flush.interval.messages"): Changes(1),
    ("broker", "log.flush.interval.ms"): Changes(10),
    ("broker", "log.retention.hours"): Alias("log.retention.ms", 2, 7_200_000),
    ("broker", "log.retention.minutes"): Alias("log.retention.ms", 2, 120_000),
    ("broker", "log.roll.hours"): Alias("log.roll.ms", 2, 7_200_000),
    # With the follower out of the ISR, acks=all writes are refused (NOT_ENOUGH_REPLICAS).
    ("broker", "min.insync.replicas"): Changes(2, context=_SHRINKING),
    ("broker", "default.replication.factor"): Changes(2, context=(("topic", "replication.factor", _DROP),)),
    ("broker", "num.partitions"): Changes(4, context=(("topic", "partitions", _DROP),)),
    ("broker", "unclean.leader.election.enable"): Changes(True, context=_CRASH_OUT_OF_SYNC),
    # The heartbeat before the crash comes at another time: the controller fences broker 0 at another time.
    ("broker", "broker.heartbeat.interval.ms"): Changes(7, context=_CRASH + _FAST_FENCE),
    ("broker", "broker.session.timeout.ms"): Changes(  # fenced within the run
        40, context=_CRASH + (("broker", "broker.heartbeat.interval.ms", 10),)
    ),
    ("broker", "replica.fetch.backoff.ms"): Changes(10, context=_CRASH_RESTART),
    # Broker 0 leads again once it is back in sync, at the next check (here every second, in a longer run).
    ("broker", "auto.leader.rebalance.enable"): Changes(False, context=_CRASH_BACK),
    ("broker", "leader.imbalance.check.interval.seconds"): Changes(300, context=_CRASH_BACK),
    # ZooKeeper mode moves a broker's partitions back only above this share of them led elsewhere (both are).
    ("broker", "leader.imbalance.per.broker.percentage"): Changes(
        100,
        context=_CRASH_BACK
        + (("cluster", "kafka_version", "3.9"), ("broker", "zookeeper.session.timeout.ms", 40)),
    ),
    # A ZooKeeper-mode cluster (Kafka 3.9) notices the crash when broker 0's session expires.
    ("broker", "zookeeper.session.timeout.ms"): Changes(
        60, context=_CRASH + (("cluster", "kafka_version", "3.9"),)
    ),
    ("broker", "replica.lag.time.max.ms"): Changes(50, context=_SLOW_FOLLOWER + _LAGGING),  # the ISR shrinks
    # Once the producer stops, the follower's fetches park and return after the wait: more fetches.
    ("broker", "replica.fetch.wait.max.ms"): Changes(
        100, context=_ONE_LEADER + (("ProducerSpec", "stop_ms", 100),)
    ),
    ("broker", "replica.fetch.min.bytes"): Changes(1000, context=_REPLICATED),  # followers wait for data
    # The slow follower gets one batch per partition (or per response) a fetch instead of several.
    ("broker", "replica.fetch.max.bytes"): Changes(100, context=_SLOW_FOLLOWER),
    ("broker", "replica.fetch.response.max.bytes"): Changes(100, context=_SLOW_FOLLOWER),
    # Broker 1 follows both partitions of broker 0: one fetcher (one request) for each instead of one.
    ("broker", "num.replica.fetchers"): Changes(2, context=_ONE_LEADER),
    ("broker", "socket.request.max.bytes"): NoOp(
        "only a request larger than it matters (the broker closes the connection); the scenario refuses "
        "any value a produce or fetch request could exceed, so within what it accepts Kafka behaves the same",
        2 * 1048576,
        refused=(100000, "broker.socket.request.max.bytes", "not modelled yet"),
    ),
    ("broker", "fetch.max.bytes"): Changes(1024, context=_BACKLOG),  # caps every consumer's fetch
    ("broker", "socket.send.buffer.bytes"): Changes(4608, context=_BACKLOG),  # windows fetch responses
    ("broker", "socket.receive.buffer.bytes"): Changes(2304, context=_BIG),  # windows produce requests
    ("broker", "replica.socket.receive.buffer.bytes"): Changes(2304, context=_REPLICATED + _BIG),
    ("broker", "compression.type"): Changes("gzip"),
    # ---------------------------------------------------------------- topic
    ("topic", "name"): NoOp(
        "identifies the topic (and keys its replica placement draw); producers and consumers refer to it",
        "clicks",
        same=False,
        context=(("ProducerSpec", "topic", "clicks"), ("ConsumerSpec", "topic", "clicks")),
    ),
    ("topic", "partitions"): Changes(3),
    ("topic", "replication.factor"): Changes(2),
    ("topic", "replicas"): Changes([[0], [0]]),  # both partitions on broker 0 instead of one each
    ("topic.config", "retention.ms"): Changes(100, context=_ROLLING),
    ("topic.config", "retention.bytes"): Changes(5000, context=_ROLLING),
    ("topic.config", "segment.bytes"): Changes(1048576, context=_BIG),
    ("topic.config", "segment.ms"): Changes(50),
    ("topic.config", "min.insync.replicas"): Changes(2, context=_SHRINKING),
    ("topic.config", "max.message.bytes"): Changes(500),
    ("topic.config", "compression.type"): Changes("gzip"),
    ("topic.config", "flush.messages"): Changes(1),
    ("topic.config", "flush.ms"): Changes(10),
    # ---------------------------------------------------------------- cluster
    ("cluster", "brokers"): Changes(1),
    ("cluster", "hardware"): Changes("cloud-2020"),
    # Racks change which broker leads which partition (the striped placer visits racks in turn).
    ("cluster", "racks"): Changes(["a", "b", "a", "b"], context=_FOUR_BROKERS),
    ("cluster", "broker_hardware"): Changes({1: "commodity-2014"}),
    # Kafka 3.9 defaults to ZooKeeper, whose AdminUtils places the partitions otherwise than KRaft.
    ("cluster", "controller_mode"): Changes(
        "kraft", context=_FOUR_BROKERS + (("cluster", "kafka_version", "3.9"),)
    ),
    ("cluster", "kafka_version"): Changes("3.9"),  # linger.ms 0, not 5 (KIP-1030)
    # The active controller dies: three voters elect another, one voter leaves the cluster without one.
    ("cluster", "controllers"): Changes(
        1,
        context=(
            ("Scenario", "horizon_ms", 4500),
            ("Scenario", "faults", [{"at_ms": 10, "kind": "crash", "controller": 0}]),
        ),
    ),
    # One voter inside broker 0: its crash takes the only controller with it, so broker 0 is never fenced.
    ("cluster", "controller_nodes"): Changes(
        "combined",
        context=(("cluster", "controllers", 1),) + _CRASH + _FAST_FENCE,
    ),
    # Once the slow follower leaves the ISR (below min.insync.replicas 2), the high watermark stops with
    # Eligible Leader Replicas and goes on without them: the reader gets acks=1 records or not.
    ("cluster", "eligible_leader_replicas"): Changes(
        False,
        context=_SHRINKING + (("broker", "min.insync.replicas", 2), ("producer", "acks", "1")),
    ),
    # ---------------------------------------------------------------- producer spec
    ("ProducerSpec", "name"): NoOp("a label; it also names the producer's random stream", "web", same=False),
    ("ProducerSpec", "topic"): Changes("other", context=_OTHER_TOPIC),
    ("ProducerSpec", "count"): Changes(2),
    ("ProducerSpec", "rate_per_s"): Changes(500),
    ("ProducerSpec", "arrival"): Changes("constant"),
    ("ProducerSpec", "value_bytes"): Changes(200),
    ("ProducerSpec", "keys"): Changes(None),
    ("ProducerSpec", "config"): Container("producer properties"),
    ("ProducerSpec", "start_ms"): Changes(100),
    ("ProducerSpec", "stop_ms"): Changes(200),
    ("KeySpec", "distribution"): Changes("zipf"),
    ("KeySpec", "count"): Changes(10),
    ("KeySpec", "exponent"): Changes(2.0, context=(("KeySpec", "distribution", "zipf"),)),
    ("KeySpec", "format"): Changes("a-much-longer-key-{}"),
    # ---------------------------------------------------------------- consumer spec
    ("ConsumerSpec", "name"): NoOp(
        "a label; it is also the default group.id and names the consumer's random stream", "feed", same=False
    ),
    ("ConsumerSpec", "topic"): Changes("other", context=_OTHER_TOPIC),
    ("ConsumerSpec", "count"): Changes(2, context=(("ConsumerSpec", "processing_ms", 0.5),)),
    ("ConsumerSpec", "partitions"): Changes([0]),
    ("ConsumerSpec", "processing_ms"): Changes(0.5),
    ("ConsumerSpec", "config"): Container("consumer properties"),
    ("ConsumerSpec", "start_ms"): Changes(100),
    # ---------------------------------------------------------------- metrics and the scenario
    ("MetricsSpec", "window_ms"): Changes(50),
    ("MetricsSpec", "record_sample"): Changes(0.5),
    ("MetricsSpec", "check"): NoOp(
        "keeps every record's history for Result.check() (tests/test_checker.py); the frames are the same",
        True,
    ),
    ("Scenario", "name"): NoOp("a label (progress bar, reports)", "walk-2"),
    ("Scenario", "description"): NoOp("free text for the reader", "a description"),
    ("Scenario", "seed"): Changes(7),
    ("Scenario", "horizon_ms"): Changes(300),
    ("Scenario", "cluster"): Container("cluster keys"),
    ("Scenario", "broker"): Container("broker properties"),
    ("Scenario", "topics"): Container("topic keys and topic properties"),
    ("Scenario", "producers"): Container("producer spec keys"),
    ("Scenario", "consumers"): Container("consumer spec keys"),
    ("Scenario", "faults"): Changes([{"at_ms": 200, "kind": "crash", "broker": 0}]),
    ("Scenario", "metrics"): Container("metrics keys"),
    ("Scenario", "variability"): Container("variability switches and parameters"),
    # The brokers' young collections (eventsim.jvm): a small eden fills within the run, and each pause
    # stops the broker's threads. Every source is on by default: a switch's change is to turn it off.
    ("VariabilitySpec", "gc"): Changes(False, context=(("VariabilitySpec", "gc_eden_mb", 0.02),)),
    ("VariabilitySpec", "gc_eden_mb"): Changes(0.02, context=(("VariabilitySpec", "gc", True),)),
    ("VariabilitySpec", "gc_pause_p50_ms"): Changes(5, context=_GC),
    ("VariabilitySpec", "gc_pause_p90_ms"): Changes(60, context=_GC),
    # The clients' young collections: a small eden fills with the producer's records and the consumer's
    # fetch responses within the run, and each pause stops that client's threads.
    ("VariabilitySpec", "client_gc"): Changes(
        False, context=(("VariabilitySpec", "client_gc_eden_mb", 0.02),)
    ),
    ("VariabilitySpec", "client_gc_eden_mb"): Changes(
        0.02, context=(("VariabilitySpec", "client_gc", True),)
    ),
    # Service times around their means at the brokers' threads and disks; latency jitter on the wire.
    ("VariabilitySpec", "service_times"): Changes(False),
    ("VariabilitySpec", "service_cv_cpu"): Changes(2.0, context=_SERVICE),
    # Written through (no write-back model), every append books its disk: the disks' service times show.
    ("VariabilitySpec", "service_cv_disk"): Changes(
        3.0, context=_SERVICE + (("VariabilitySpec", "page_cache_writeback", False),)
    ),
    ("VariabilitySpec", "network_jitter"): Changes(False),
    ("VariabilitySpec", "network_jitter_p50_ms"): Changes(0.5, context=_JITTER),
    ("VariabilitySpec", "network_jitter_p99_ms"): Changes(5.0, context=_JITTER),
    # The page cache as Linux runs it: appends only dirty pages (the disk no longer writes each one at
    # once); warm, the disks start at the background threshold and write back from the first appends.
    ("VariabilitySpec", "page_cache_writeback"): Changes(False),
    ("VariabilitySpec", "page_cache_start"): Changes(
        "warm", context=(("VariabilitySpec", "page_cache_writeback", True),)
    ),
}


def accepted_keys() -> set[tuple[str, str]]:
    """Every key the schema accepts, from the classes themselves."""
    keys = set()
    for owner, cls in (("producer", ProducerConfig), ("consumer", ConsumerConfig), ("broker", BrokerConfig)):
        keys |= {(owner, cls.dotted(name)) for name in cls._PROPS}
        keys |= {(owner, alias) for alias in cls._ALIASES}
    keys |= {("cluster", ClusterConfig.dotted(name)) for name in ClusterConfig._PROPS}
    keys |= {("topic", TopicConfig.dotted(name)) for name in TopicConfig._TOP_LEVEL}
    keys |= {("topic.config", TopicConfig.dotted(name)) for name in _TOPIC_OVERRIDES}
    assert set(TopicConfig._PROPS) == set(TopicConfig._TOP_LEVEL) | set(_TOPIC_OVERRIDES)
    for cls in (ProducerSpec, KeySpec, ConsumerSpec, MetricsSpec, VariabilitySpec, Scenario):
        keys |= {(cls.__name__, f.name) for f in dataclasses.fields(cls) if f.init}
    return keys


def scenario(*edits) -> dict:
    data = copy.deepcopy(BASE)
    for owner, key, value in edits:
        node = data
        for step in WHERE[owner]:
            node = node[step]
        if value is _DROP:
            node.pop(key, None)
        else:
            node[key] = copy.deepcopy(value)
    return data


# Columns that name things rather than measure them: a label's value shows there and nowhere else.
LABELS = {"lag": ["group"]}


def fingerprint(data: dict) -> dict:
    result = eventsim.simulate(data)
    return {name: result.frame(name).drop(columns=LABELS.get(name, [])) for name in FRAMES}


_RUNS: dict = {}


def run(*edits) -> dict:
    key = repr(edits)
    if key not in _RUNS:
        _RUNS[key] = fingerprint(scenario(*edits))
    return _RUNS[key]


def same(a: dict, b: dict) -> bool:
    return all(a[name].equals(b[name]) for name in FRAMES)


def test_every_accepted_key_is_classified():
    keys = accepted_keys()
    assert sorted(keys - set(TABLE)) == [], "classify these in TABLE"
    assert sorted(set(TABLE) - keys) == [], "these are no longer accepted: remove them from TABLE"


def test_refusals_are_declared_in_one_table_per_config_class():
    declared = {
        (owner, cls.dotted(name))
        for owner, cls in CONFIG_CLASS.items()
        for name in cls._NOT_MODELLED_YET
        if (owner, cls.dotted(name)) in TABLE
    }
    refused = {key for key, case in TABLE.items() if isinstance(case, Refused)}
    assert declared == refused


def _ids(kind):
    return [
        pytest.param(key, case, id=".".join(key)) for key, case in TABLE.items() if isinstance(case, kind)
    ]


@pytest.mark.parametrize("key, case", _ids(Changes))
def test_property_changes_the_run(key, case, request):
    if case.xfail:
        request.applymarker(pytest.mark.xfail(reason=case.xfail, strict=True))
    owner, name = key
    base = run(*case.context)
    assert not same(run(*case.context, (owner, name, case.value)), base), (
        f"{name}={case.value!r} changed nothing"
    )


@pytest.mark.parametrize("key, case", _ids(Alias))
def test_alias_sets_the_property_it_stands_for(key, case):
    owner, name = key
    built = Scenario.from_dict(scenario((owner, name, case.value)))
    assert getattr(getattr(built, owner), case.of.replace(".", "_")) == case.equals
    assert ("broker", case.of) in TABLE and isinstance(TABLE[("broker", case.of)], Changes)


@pytest.mark.parametrize("key, case", _ids(Refused))
def test_unmodelled_property_is_refused_off_its_default(key, case):
    owner, name = key
    with pytest.raises(InvalidConfigurationError) as info:
        Scenario.from_dict(scenario((owner, name, case.value)))
    err = info.value
    assert err.field == PATH[owner] + name
    assert "not modelled yet" in str(err) and case.capability in str(err)
    assert err.value == (tuple(case.value) if isinstance(case.value, list) else case.value)
    # The config class refuses it on its own too, before any run.
    props = scenario((owner, name, case.value))
    for step in WHERE["topic" if owner == "topic.config" else owner]:
        props = props[step]
    if owner == "consumer":
        props = {**props, "group.id": "reader"}  # as the consumer spec sets it
    with pytest.raises(InvalidConfigurationError, match="not modelled yet"):
        CONFIG_CLASS[owner].from_properties(props)
    # Its default is still accepted, set explicitly or left out.
    cls = CONFIG_CLASS[owner]
    attr = name if owner == "cluster" else name.replace(".", "_")
    default = case.default if case.default is not _DROP else cls.__dataclass_fields__[attr].default
    Scenario.from_dict(scenario((owner, name, default)))


@pytest.mark.parametrize("key, case", _ids(NoOp))
def test_deliberate_no_op(key, case):
    owner, name = key
    assert case.reason
    changed = run(*case.context, (owner, name, case.value))  # accepted, and runs
    if case.same:
        assert same(changed, run(*case.context)), (
            f"{name}={case.value!r} is declared a no-op but changed the run"
        )
    if case.refused:
        value, where, text = case.refused
        with pytest.raises(InvalidConfigurationError, match=text) as info:
            Scenario.from_dict(scenario((owner, name, value)))
        assert info.value.field == where


def test_acks_1_and_all_are_the_same_with_one_replica():
    """Not an omission: with one replica the leader's append is every in-sync replica's."""
    assert same(run(("producer", "acks", "1")), run(("producer", "acks", "all"))), _RF1


def test_acks_1_and_all_differ_once_a_partition_has_followers():
    """acks=all waits for the followers; acks=1 is answered after the leader's append."""
    assert not same(
        run(*_REPLICATED, ("producer", "acks", "1")), run(*_REPLICATED, ("producer", "acks", "all"))
    )


@pytest.mark.parametrize(
    "load",
    [
        lambda tmp: Scenario.from_yaml(_yaml(tmp, "    config: {session.timeout.ms: 10000}\n")),
        lambda tmp: eventsim.simulate(scenario(("consumer", "session.timeout.ms", 10000))),
        lambda tmp: ConsumerConfig.from_properties({"session.timeout.ms": "10000"}),
        lambda tmp: ConsumerConfig(session_timeout_ms=10000),
    ],
    ids=["yaml", "dict", "from_properties", "constructor"],
)
def test_refusal_reaches_the_user_before_the_run_from_every_entry_point(tmp_path, load):
    with pytest.raises(InvalidConfigurationError) as info:
        load(tmp_path)
    assert info.value.field.endswith("session.timeout.ms")
    assert "group membership is not modelled yet" in str(info.value)
    assert "allowed: 45000" in str(info.value)


def _yaml(tmp, body: str):
    path = tmp / "groups.yaml"
    path.write_text(
        "name: groups\ntopics:\n  - name: events\nconsumers:\n  - name: reader\n    topic: events\n" + body,
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("name", sorted(eventsim.scenarios.presets()))
def test_presets_still_validate(name):
    Scenario.load(name)
