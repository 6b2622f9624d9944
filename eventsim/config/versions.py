"""Kafka versions: the defaults and behaviours of a release, from ``cluster.kafka_version``.

What Kafka does: each release has its own defaults (``acks`` became ``all`` and the producer idempotent
in 3.0, KIP-679; ``linger.ms`` became 5 in 4.0, KIP-1030; unclean leader election was on until 0.11,
KIP-106; ...), its own controllers (ZooKeeper only before 2.8, KRaft from 2.8, KRaft only from 4.0,
KIP-500) and behaviours (followers truncated to their high watermark before 0.11 and to the leader's
epoch boundary after, KIP-101; Eligible Leader Replicas from 4.0, on for new clusters from 4.1, KIP-966),
and some settings did not exist yet (``delivery.timeout.ms`` arrived in 2.1, KIP-91;
``retry.backoff.max.ms`` in 3.7, KIP-580; the adaptive partitioner's settings in 3.3, KIP-794).

What is modelled: ``cluster.kafka_version`` (``"0.8"`` ... ``"4.2"``; a minor version stands for its last
patch release, so ``3.0`` has the idempotent producer that 3.0.0 itself failed to turn on, KAFKA-13598)
fills every property a scenario leaves unset with that release's default (the version history of
``kafka-defaults.md``), for the properties the model uses. An explicit property still wins, except a
setting the release did not have: it may only hold the value that stands for its absence (for
``delivery.timeout.ms`` no limit, for ``retry.backoff.max.ms`` the constant ``retry.backoff.ms``), and
any other value is an error naming the release that added it. The cluster's ``controller_mode`` and
``eligible_leader_replicas`` default to what the release offers, and a mode it does not offer is an
error. ``truncates_to_high_watermark`` tells the replicas which truncation rule they follow. Records
without keys go round-robin before Kafka 2.4 (``DefaultPartitioner``) and to the adaptive sticky
partitioner from 3.3 (KIP-794); the sticky partitioner of 2.4-3.2 (KIP-480) is refused.

Not modelled: the defaults of properties the model does not use, patch-level differences, the old
(Scala) clients, and the message format of old releases (the realism capability adds it).
"""

from __future__ import annotations

from collections.abc import Mapping

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import check_mapping

__all__ = [
    "VERSIONS",
    "LATEST",
    "parse_version",
    "version_defaults",
    "check_absent",
    "apply_version",
    "check_version",
    "default_controller_mode",
    "check_controller_mode",
    "default_eligible_leader_replicas",
    "check_eligible_leader_replicas",
    "truncates_to_high_watermark",
    "message_format",
]

VERSIONS = (
    "0.8", "0.9", "0.10", "0.11", "1.0", "1.1",
    "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8",
    "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9",
    "4.0", "4.1", "4.2",
)  # fmt: skip
LATEST = "4.2"
INT_MAX = 2**31 - 1


def parse_version(text: str) -> tuple[int, int]:
    major, minor = str(text).split(".")
    return int(major), int(minor)


def _canonical(name: object) -> str:
    return str(name).strip().replace("_", ".")


# (owner, property): [(first version that has the value, value)], oldest first; the last entry holds
# up to the latest release. Only changes of default of properties the model uses are listed.
_DEFAULTS: dict[tuple[str, str], list[tuple[tuple[int, int], object]]] = {
    ("producer", "acks"): [((0, 8), "1"), ((3, 0), "all")],
    ("producer", "enable.idempotence"): [((0, 8), False), ((3, 0), None)],  # None: Kafka 4.2's rule
    ("producer", "linger.ms"): [((0, 8), 0), ((4, 0), 5)],
    ("producer", "retries"): [((0, 8), 0), ((2, 1), INT_MAX)],
    ("broker", "unclean.leader.election.enable"): [((0, 8), True), ((0, 11), False)],
    ("broker", "replica.lag.time.max.ms"): [((0, 8), 10000), ((2, 5), 30000)],
    ("broker", "zookeeper.session.timeout.ms"): [((0, 8), 6000), ((2, 5), 18000)],
}

# Settings a release no longer has: (owner, property) -> (the release that removed it, the KIP, the value
# that stands for its absence).
_REMOVED: dict[tuple[str, str], tuple[tuple[int, int], str, object]] = {
    ("broker", "zookeeper.session.timeout.ms"): ((4, 0), "KIP-500", 18000),
    ("broker", "leader.imbalance.per.broker.percentage"): ((4, 0), "KAFKA-18743", 10),
}

# Settings a release did not have: (owner, property) -> (the release that added it, the KIP, the value
# that stands for its absence, or a callable of the owner's other properties giving it).
_ADDED: dict[tuple[str, str], tuple[tuple[int, int], str, object]] = {
    ("producer", "delivery.timeout.ms"): ((2, 1), "KIP-91", INT_MAX),
    ("producer", "retry.backoff.max.ms"): (
        (3, 7),
        "KIP-580",
        lambda props: props.get("retry.backoff.ms", 100),
    ),
    ("producer", "partitioner.adaptive.partitioning.enable"): ((3, 3), "KIP-794", False),
    ("producer", "partitioner.ignore.keys"): ((3, 3), "KIP-794", False),
    ("producer", "partitioner.availability.timeout.ms"): ((3, 3), "KIP-794", 0),
    ("consumer", "max.poll.records"): ((0, 10), "KIP-41", INT_MAX),
    # KRaft's: before 2.8 they stand at their defaults, unused (a ZooKeeper cluster has no heartbeats to
    # a controller; its failover is not modelled yet).
    ("broker", "broker.heartbeat.interval.ms"): ((2, 8), "KIP-500", 2000),
    ("broker", "broker.session.timeout.ms"): ((2, 8), "KIP-500", 9000),
}


def _value_for(entries, v):
    value = None
    for since, val in entries:
        if v >= since:
            value = val
    return value


def version_defaults(owner: str, version: str, given: Mapping) -> dict:
    """The properties of ``owner`` (``producer``, ``consumer``, ``broker``) that ``version`` sets where the
    scenario left them unset (``given`` is what it set), under their dotted names."""
    v = parse_version(version)
    given_names = {_canonical(k) for k in given}
    out: dict = {}
    for (who, name), entries in _DEFAULTS.items():
        if who != owner or name in given_names:
            continue
        value = _value_for(entries, v)
        if value is not None:
            out[name] = value
    props = {_canonical(k): val for k, val in given.items()}
    for (who, name), (since, _kip, absent) in _ADDED.items():
        if who != owner or name in given_names or v >= since or absent is None:
            continue
        out[name] = absent({**out, **props}) if callable(absent) else absent
    return out


def check_absent(owner: str, version: str, given: Mapping, path: str) -> None:
    """Refuse a setting ``version`` did not have, unless it holds the value standing for its absence."""
    v = parse_version(version)
    props = {_canonical(k): val for k, val in given.items()}
    for (who, name), (removed, kip, absent) in _REMOVED.items():
        if who == owner and name in props and v >= removed and not _same(props[name], absent):
            raise InvalidConfigurationError(
                f"{path}.{name}" if path else name,
                props[name],
                f"unset or {absent!r} (its absence)",
                f"Kafka {version} has no {name}: it was removed in {removed[0]}.{removed[1]} ({kip})",
            )
    for (who, name), (since, kip, absent) in _ADDED.items():
        if who != owner or name not in props or v >= since:
            continue
        expected = absent(props) if callable(absent) else absent
        value = props[name]
        if expected is not None and _same(value, expected):
            continue
        added = f"{since[0]}.{since[1]}"
        raise InvalidConfigurationError(
            f"{path}.{name}" if path else name,
            value,
            "unset" if expected is None else f"unset or {expected!r} (its absence)",
            f"Kafka {version} has no {name}: it arrived in {added} ({kip})",
        )


def _same(value: object, expected: object) -> bool:
    if isinstance(expected, bool):
        return value is expected or str(value).strip().lower() == str(expected).lower()
    try:
        return int(str(value).strip()) == int(expected)
    except ValueError:
        return False


def apply_version(version: str, broker, producers, consumers) -> tuple:
    """A scenario's ``broker`` properties and ``producers`` / ``consumers`` entries with ``version``'s
    defaults under what they set, where they are given as mappings (config objects built beforehand are
    taken as they are); a setting the release did not have is refused. Returns the three, in order."""

    def fill(owner: str, props: object, path: str) -> dict:
        props = check_mapping(path, {} if props is None else props, f"{owner} properties")
        check_absent(owner, version, props, path)
        return {**version_defaults(owner, version, props), **props}

    if isinstance(broker, Mapping) or broker is None:
        broker = fill("broker", broker, "broker")
    lists = []
    for key, owner, items in (("producers", "producer", producers), ("consumers", "consumer", consumers)):
        if isinstance(items, (str, Mapping)) or not hasattr(items, "__iter__"):
            lists.append(items)  # refused as not a list by the scenario
            continue
        out = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                item = {**item, "config": fill(owner, item.get("config"), f"{key}[{i}].config")}
            out.append(item)
        lists.append(tuple(out))
    return broker, lists[0], lists[1]


def check_version(version: str, producers) -> None:
    """What the model does not reproduce of an older release is refused, not approximated."""
    if (2, 4) <= parse_version(version) < (3, 3):
        for i, spec in enumerate(producers):
            if spec.keys.distribution == "none":
                raise InvalidConfigurationError(
                    f"producers[{i}].keys",
                    None,
                    f"keyed records with kafka_version {version}, or kafka_version 3.3+ or before 2.4",
                    "records without keys were spread by the sticky partitioner of Kafka 2.4-3.2 "
                    "(KIP-480), which is not modelled yet",
                )


def default_controller_mode(version: str) -> str:
    """ZooKeeper for the releases before 4.0 (the architecture of Kafka 2.x-3.x clusters), KRaft after."""
    return "zookeeper" if parse_version(version) < (4, 0) else "kraft"


def check_controller_mode(version: str, mode: str) -> None:
    v = parse_version(version)
    if mode == "kraft" and v < (2, 8):
        raise InvalidConfigurationError(
            "controller_mode",
            mode,
            "zookeeper",
            f"Kafka {version} has no KRaft controller: it arrived in 2.8 (KIP-500)",
        )
    if mode == "zookeeper" and v >= (4, 0):
        raise InvalidConfigurationError(
            "controller_mode",
            mode,
            "kraft",
            f"Kafka {version} has no ZooKeeper mode: it was removed in 4.0 (KIP-500)",
        )


def default_eligible_leader_replicas(version: str, mode: str) -> bool:
    """KIP-966's Eligible Leader Replicas: on for new KRaft clusters from 4.1 (available, off, in 4.0)."""
    return mode == "kraft" and parse_version(version) >= (4, 1)


def check_eligible_leader_replicas(version: str, mode: str, on: bool) -> None:
    if not on:
        return
    if parse_version(version) < (4, 0) or mode != "kraft":
        raise InvalidConfigurationError(
            "eligible_leader_replicas",
            on,
            "false",
            f"Kafka {version} in {mode} mode has no Eligible Leader Replicas: "
            "they arrived with KRaft in 4.0 (KIP-966)",
        )


def message_format(version: str) -> int:
    """The record format (magic) a release writes: v0 messages before 0.10, v1 (with a timestamp, KIP-32)
    in 0.10, v2 record batches from 0.11 (KIP-98)."""
    v = parse_version(version)
    return 0 if v < (0, 10) else 1 if v < (0, 11) else 2


def truncates_to_high_watermark(version: str) -> bool:
    """Before 0.11 a follower truncated to its high watermark when it followed a new leader; from 0.11
    it truncates to where its log and the leader's agree by leader epoch (KIP-101)."""
    return parse_version(version) < (0, 11)
