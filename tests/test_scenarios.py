"""Scenarios, distributions and keys: loading, cross-field checks, round trips and sampling invariants."""

import copy
import math
import warnings

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from eventsim.core.errors import InvalidConfigurationError, RecordTooLargeError, UnknownTopicOrPartitionError
from eventsim.protocol import record_size_upper_bound
from eventsim.scenarios import ProducerSpec, Scenario, presets
from eventsim.workload import Distribution, KeySpec

BASE = {
    "name": "t",
    "cluster": {"brokers": 3, "hardware": "laptop"},
    "topics": [{"name": "events", "partitions": 3, "replication.factor": 1}],
    "producers": [{"name": "app", "topic": "events", "rate_per_s": 1000, "value_bytes": 100}],
    "consumers": [{"name": "reader", "topic": "events"}],
    "horizon_ms": 1000,
}


def variant(path, value, *, drop=False):
    """BASE with the value at ``path`` (a tuple of keys / indexes) replaced or removed."""
    data = copy.deepcopy(BASE)
    *parents, last = path
    node = data
    for key in parents:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    if drop:
        del node[last]
    elif isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value
    return data


I = InvalidConfigurationError
# (scenario dict, error class, field, value as shown, text of the allowed values, further text)
BAD = [
    (
        variant(("topics", 0, "replication.factor"), 4),
        I,
        "topics[0].replication.factor",
        "4",
        "integer in [1, 3]",
        "more than the cluster's 3 brokers (InvalidReplicationFactorException)",
    ),
    (
        variant(("topics", 0, "config"), {"min.insync.replicas": 2}),
        I,
        "topics[0].config.min.insync.replicas",
        "2",
        "integer in [1, 1] (the replication factor of 'events')",
        "no acks=all write could ever succeed (NOT_ENOUGH_REPLICAS)",
    ),
    (
        variant(("broker",), {"min.insync.replicas": 2}),
        I,
        "broker.min.insync.replicas",
        "2",
        "integer in [1, 1]",
        "NOT_ENOUGH_REPLICAS",
    ),
    (
        variant(("broker",), {"broker.heartbeat.interval.ms": 9000}),
        I,
        "broker.broker.heartbeat.interval.ms",
        "9000",
        "integer < broker.session.timeout.ms (9000)",
        "fence every broker between two of its heartbeats",
    ),
    (
        variant(("faults",), [{"at_ms": 10, "kind": "crash", "broker": 7}]),
        I,
        "faults[0].broker",
        "7",
        "broker ids 0..2",
        "the cluster has 3 brokers",
    ),
    (
        variant(("faults",), [{"at_ms": 10, "kind": "restart", "broker": 1}]),
        I,
        "faults[0]",
        "{'at_ms': 10",
        "a restart of a broker that an earlier fault stopped",
        "broker 1 is running at 10 ms",
    ),
    (
        variant(("faults",), [{"at_ms": 10, "kind": "partition", "sides": [["broker-0"], ["broker-9"]]}]),
        I,
        "faults[0].sides[1]",
        "'broker-9'",
        "node names: broker-0, broker-1, broker-2, consumer-reader-0, controller-0, controller-1",
        "no such node",
    ),
    (
        variant(("cluster", "controller_mode"), "zookeeper"),
        I,
        "cluster.controller_mode",
        "'zookeeper'",
        "kraft",
        "Kafka 4.2 has no ZooKeeper mode: it was removed in 4.0",
    ),
    (
        variant(("cluster", "kafka_version"), "2.4"),
        I,
        "producers[0].keys",
        "None",
        "keyed records with kafka_version 2.4",
        "sticky partitioner of Kafka 2.4-3.2",
    ),
    (
        variant(("consumers", 0, "config"), {"session.timeout.ms": 10000}),
        I,
        "consumers[0].config.session.timeout.ms",
        "10000",
        "45000",
        "group membership is not modelled yet",
    ),
    (
        variant(("broker",), {"socket.request.max.bytes": 100000}),
        I,
        "broker.socket.request.max.bytes",
        "100000",
        "integer >= 1048656",
        "the broker would close the connection",
    ),
    (
        variant(("consumers", 0, "topic"), "event"),
        UnknownTopicOrPartitionError,
        "consumers[0].topic",
        "'event'",
        "one of events",
        "did you mean 'events'?",
    ),
    (
        variant(("producers", 0, "topic"), "evnts"),
        UnknownTopicOrPartitionError,
        "producers[0].topic",
        "'evnts'",
        "one of events",
        "did you mean 'events'?",
    ),
    (
        variant(("consumers", 0, "partitions"), [0, 3]),
        UnknownTopicOrPartitionError,
        "consumers[0].partitions",
        "[0, 3]",
        "partitions 0..2 of 'events'",
        "events-3 does not exist",
    ),
    (variant(("consumers", 0, "partitions"), [1, 1]), I, "consumers[0].partitions", "[1, 1]", "distinct", ""),
    (
        variant(("producers", 0, "value_bytes"), 2_000_000),
        RecordTooLargeError,
        "producers[0].value_bytes",
        "2000000",
        "max.request.size (1048576 bytes)",
        "2000088 bytes",
    ),
    (
        variant(("producers", 0, "config"), {"buffer.memory": 150}),
        RecordTooLargeError,
        "producers[0].value_bytes",
        "100",
        "buffer.memory (150 bytes)",
        "",
    ),
    (
        variant(("topics", 0, "config"), {"max.message.bytes": 150}),
        RecordTooLargeError,
        "producers[0].value_bytes",
        "100",
        "max.message.bytes of 'events' (150 bytes)",
        "RECORD_TOO_LARGE",
    ),
    (
        variant(("producers", 0, "topic"), None, drop=True),
        I,
        "producers[0].topic",
        "<missing>",
        "rate_per_s",
        "required key 'topic' is missing",
    ),
    (
        variant(("producers", 0, "rate_per_s"), -5),
        I,
        "producers[0].rate_per_s",
        "-5",
        "a finite number >= 0",
        "",
    ),
    (
        variant(("producers", 0, "rate_per_s"), "1e6"),
        I,
        "producers[0].rate_per_s",
        "'1e6'",
        "a finite number >= 0",
        "1.0e+6",
    ),
    (
        variant(("producers", 0, "value_bytes"), {"distribution": "gamma", "mean": 3}),
        I,
        "producers[0].value_bytes.distribution",
        "'gamma'",
        "fixed, uniform, exponential, normal, lognormal",
        "",
    ),
    (
        variant(("producers", 0, "value_bytes"), {"distribution": "lognormall", "mean": 3, "std": 1}),
        I,
        "producers[0].value_bytes.distribution",
        "'lognormall'",
        "lognormal",
        "did you mean 'lognormal'?",
    ),
    (
        variant(("producers", 0, "value_bytes"), {"distribution": "normal", "mean": 300, "std": 50}),
        I,
        "producers[0].value_bytes.min",
        "<missing>",
        "a lower bound >= 0",
        "add min: 0",
    ),
    (
        variant(("producers", 0, "value_bytes"), {"distribution": "exponential", "mean": 100}),
        I,
        "producers[0].value_bytes",
        "{'distribution': 'exponential', 'mean': 100}",
        "a finite max",
        "add max",
    ),
    (
        variant(("producers", 0, "value_bytes"), {"distribution": "normal", "mean": 1, "std": 1, "min": 100}),
        I,
        "producers[0].value_bytes.min",
        "100",
        "bounds keeping >= 1 % of the mass",
        "",
    ),
    (
        variant(("producers", 0, "value_bytes"), {"distribution": "normal", "mean": 300, "std": 0, "min": 0}),
        I,
        "producers[0].value_bytes.std",
        "0",
        "a number > 0",
        "fixed",
    ),
    (
        variant(("producers", 0, "keys"), {"distribution": "zipf", "count": 0}),
        I,
        "producers[0].keys.count",
        "0",
        ">= 1",
        "",
    ),
    (
        variant(("producers", 0, "keys"), {"distribution": "zipff", "count": 10}),
        I,
        "producers[0].keys.distribution",
        "'zipff'",
        "none, uniform, zipf",
        "did you mean 'zipf'?",
    ),
    (
        variant(("producers", 0, "keys"), {"distribution": "uniform", "count": 10, "format": "user"}),
        I,
        "producers[0].keys.format",
        "'user'",
        "one {} field",
        "",
    ),
    (
        variant(("producers", 0, "arrival"), "poison"),
        I,
        "producers[0].arrival",
        "'poison'",
        "poisson or constant",
        "did you mean 'poisson'?",
    ),
    (
        variant(("producers", 0, "config"), {"linger.ms": -1}),
        I,
        "producers[0].config.linger.ms",
        "-1",
        "integer >= 0",
        "",
    ),
    (
        variant(("producers", 0, "config"), {"acks": 1, "enable.idempotence": True}),
        I,
        "producers[0].config.acks",
        "'1'",
        "all while enable.idempotence=true",
        "",
    ),
    (
        variant(("producers", 0, "start_ms"), 5000),
        I,
        "producers[0].start_ms",
        "5000",
        "a time < horizon_ms (1000)",
        "",
    ),
    (
        variant(("consumers", 0, "config"), {"session.timeout.ms": 1000}),
        I,
        "consumers[0].config.heartbeat.interval.ms",
        "3000",
        "integer < session.timeout.ms (1000)",
        "",
    ),
    (
        variant(("consumers", 1), {"name": "r2", "topic": "events", "config": {"group.id": "reader"}}),
        I,
        "consumers[1].config.group.id",
        "'reader'",
        "not used before",
        "duplicate",
    ),
    (
        variant(("producers", 0, "count"), 8193),
        I,
        "producers[].count",
        "8193",
        "at most 8192 producer instances",
        "record id",
    ),
    (
        variant(("topics", 1), {"name": "events"}),
        I,
        "topics[1].name",
        "'events'",
        "unique",
        "duplicate topic",
    ),
    (
        variant(("topics", 1), {"name": "ev.a"}) | {"topics": [{"name": "ev.a"}, {"name": "ev_a"}]},
        I,
        "topics[1].name",
        "'ev_a'",
        "unique after replacing '.' with '_'",
        "collides with topic 'ev.a'",
    ),
    (variant(("topics",), []), I, "topics", "[]", "at least one topic", ""),
    (
        variant(("topics", 0, "name"), "bad/topic"),
        I,
        "topics[0].name",
        "'bad/topic'",
        "a-z A-Z 0-9 . _ -",
        "",
    ),
    (
        variant(("cluster", "hardware"), "mainframe"),
        I,
        "cluster.hardware",
        "'mainframe'",
        "cloud-2020, commodity-2014, laptop",
        "",
    ),
    (variant(("horizon",), 5), I, "horizon", "5", "horizon_ms", "did you mean 'horizon_ms'?"),
    (variant(("horizon_ms",), 0), I, "horizon_ms", "0", "a finite number > 0", ""),
    (variant(("seed",), 1.5), I, "seed", "1.5", "a finite integer >= 0", ""),
    (variant(("metrics",), {"record_sample": 2}), I, "metrics.record_sample", "2", "<= 1", ""),
    (variant(("producers",), {"name": "app"}), I, "producers", "{'name': 'app'}", "a list of producers", ""),
    (variant(("name",), None, drop=True), I, "name", "<missing>", "keys name,", "required key 'name'"),
]


# Kafka's own replication checks, with the refusal tables emptied: they do not depend on them.
BAD_WITH_REPLICATION = [
    (
        variant(("topics", 0, "replication.factor"), 4),
        "topics[0].replication.factor",
        "4",
        "integer in [1, 3]",
        "InvalidReplicationFactorException",
    ),
    (
        variant(("broker",), {"default.replication.factor": 4}),
        "broker.default.replication.factor",
        "4",
        "integer in [1, 3]",
        "InvalidReplicationFactorException",
    ),
    (
        variant(("topics", 0, "config"), {"min.insync.replicas": 2}),
        "topics[0].config.min.insync.replicas",
        "2",
        "integer in [1, 1]",
        "NOT_ENOUGH_REPLICAS",
    ),
    (
        variant(("broker",), {"min.insync.replicas": 2}),
        "broker.min.insync.replicas",
        "2",
        "integer in [1, 1]",
        "",
    ),
]


@pytest.mark.parametrize(
    "data, field, shown, allowed, extra", BAD_WITH_REPLICATION, ids=lambda v: str(v)[:40]
)
def test_replication_checks_hold_once_replication_is_modelled(
    monkeypatch, data, field, shown, allowed, extra
):
    from eventsim.config import BrokerConfig, TopicConfig

    monkeypatch.setattr(TopicConfig, "_NOT_MODELLED_YET", {})
    monkeypatch.setattr(BrokerConfig, "_NOT_MODELLED_YET", {})
    data = copy.deepcopy(data)
    if field == "broker.default.replication.factor":
        del data["topics"][0]["replication.factor"]  # the topic takes the broker's default
    with pytest.raises(InvalidConfigurationError) as info:
        Scenario.from_dict(data)
    err = info.value
    assert err.field == field and str(err).startswith(f"{field}={shown}")
    assert allowed in err.allowed and extra in str(err)


@pytest.mark.parametrize("data, error, field, shown, allowed, extra", BAD, ids=lambda v: str(v)[:40])
def test_bad_scenario_gives_one_error_naming_file_field_value_and_allowed(
    data, error, field, shown, allowed, extra
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidConfigurationError) as info:
            Scenario.from_dict(data, source="exp.yaml")
    err = info.value
    assert type(err) is error
    assert err.field == field and err.source == "exp.yaml"
    assert str(err).startswith(f"exp.yaml: {field}={shown}")
    assert allowed in err.allowed and f"(allowed: {err.allowed})" in str(err)
    assert extra in str(err)


def test_bad_scenarios_are_distinct_and_numerous():
    assert len({yaml.safe_dump(data) for data, *_ in BAD}) == len(BAD) >= 24


@pytest.mark.parametrize(
    "text, value, reason",
    [
        ("name: x\ntopics: [\n", "line 3, column 1", "not valid YAML"),
        ("name: x\n  topics: 1\n bad", "line 2, column 9", "not valid YAML"),
        ("- name: x\n- name: y\n", "a list", "the top level must be a mapping"),
        ("", "an empty document", "the top level must be a mapping"),
        ("just text", "a str", "the top level must be a mapping"),
    ],
)
def test_malformed_yaml_is_one_error_naming_the_file(tmp_path, text, value, reason):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(InvalidConfigurationError) as info:
        Scenario.load(path)
    err = info.value
    assert err.source == str(path) and err.field == "(document)" and err.value == value
    assert str(err).startswith(f"{path}: (document)=") and reason in str(err)
    assert "a YAML mapping of scenario keys" in str(err)


def test_error_inside_yaml_file_names_file_and_field(tmp_path):
    data = variant(("producers", 0, "config"), {"lingr.ms": 5})
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(
        InvalidConfigurationError,
        match=r"exp\.yaml: producers\[0\]\.config\.lingr\.ms=5 .*"
        r"did you mean 'linger\.ms'\?",
    ):
        Scenario.from_yaml(path)


def test_presets_and_load_by_name():
    found = presets()
    assert {"reference", "quickstart"} <= set(found)
    assert all(path.suffix == ".yaml" and path.exists() for path in found.values())
    assert (
        Scenario.load("reference")
        == Scenario.load(found["reference"])
        == Scenario.from_yaml(found["reference"])
    )
    with pytest.raises(InvalidConfigurationError, match="did you mean 'reference'"):
        Scenario.load("referenc")


def test_reference_scenario_matches_its_description():
    s = Scenario.load("reference")
    assert (s.name, s.horizon_ms, s.metrics.window_ms) == ("reference", 60000, 1000)
    assert (s.cluster.brokers, s.cluster.hardware) == (3, "cloud-2020")
    assert [(t.name, t.partitions, t.replication_factor) for t in s.topics] == [("posts", 12, 1)]
    (p,) = s.producers
    assert (p.topic, p.count, p.rate_per_s, p.arrival) == ("posts", 2, 50000, "poisson")
    assert p.value_bytes.kind == "lognormal" and p.value_bytes.params["mean"] == 300
    assert p.value_bytes.params["std"] == 60 and p.value_bytes.max < p.config.max_request_size / 100
    assert (p.keys.distribution, p.keys.count, p.keys.exponent, p.keys.format) == (
        "zipf",
        10**6,
        1.0,
        "user-{}",
    )
    assert (p.config.linger_ms, p.config.acks, p.config.enable_idempotence) == (5, "all", True)
    (c,) = s.consumers
    assert (c.topic, c.count, c.partitions) == ("posts", 3, None)
    assert c.processing_ms == Distribution.fixed(0.01) and c.config.group_id == "feed-builder"
    assert s.topic("posts").resolve(s.broker).min_insync_replicas == 1


def test_quickstart_scenario_is_tiny():
    s = Scenario.load("quickstart")
    assert (s.cluster.brokers, s.cluster.hardware, s.horizon_ms) == (1, "laptop", 10000)
    assert [(t.partitions, len(s.producers), len(s.consumers)) for t in s.topics] == [(3, 1, 1)]
    assert s.producers[0].rate_per_s == 1000


@pytest.mark.parametrize("name", ["reference", "quickstart"])
def test_to_dict_from_dict_round_trip(name):
    s = Scenario.load(name)
    data = s.to_dict()
    assert Scenario.from_dict(data) == s
    assert Scenario.from_dict(yaml.safe_load(yaml.safe_dump(data, sort_keys=False))) == s
    assert data["producers"][0]["config"]["linger.ms"] == 5  # Kafka names, effective values
    assert data["consumers"][0]["config"]["enable.auto.commit"] is True


def test_python_construction_coerces_plain_values_and_replace_revalidates():
    s = Scenario(
        name="py",
        topics=[{"name": "a", "partitions": 2}],
        producers=[
            ProducerSpec(
                name="p",
                topic="a",
                rate_per_s=10,
                value_bytes=50,
                keys={"distribution": "uniform", "count": 5},
                config={"linger_ms": 1},
            )
        ],
    )
    assert isinstance(s.topics, tuple) and s.producers[0].config.linger_ms == 1
    assert s.producers[0].keys == KeySpec("uniform", 5)
    assert s.replace(horizon_ms=5000).horizon_ms == 5000
    with pytest.raises(UnknownTopicOrPartitionError):
        s.replace(consumers=[{"name": "c", "topic": "a", "partitions": [2]}])
    with pytest.raises(UnknownTopicOrPartitionError, match="no such topic"):
        s.topic("b")


def test_record_size_bound_matches_kafka_layout():
    # 61-byte batch header + 21 max record overhead + varint lengths + key + value + header count.
    assert record_size_upper_bound(None, 100) == 61 + 21 + 1 + 2 + 100 + 1
    assert record_size_upper_bound(10, 63) == 61 + 21 + 1 + 10 + 1 + 63 + 1
    assert record_size_upper_bound(10, 64) == 61 + 21 + 1 + 10 + 2 + 64 + 1


# ---- distributions -------------------------------------------------------------------------------

positive = st.floats(min_value=0.5, max_value=1e5, allow_nan=False)
spread = st.floats(min_value=0.05, max_value=2.0)


@st.composite
def distributions(draw):
    kind = draw(st.sampled_from(["fixed", "uniform", "exponential", "normal", "lognormal"]))
    mean = draw(positive)
    if kind == "fixed":
        return Distribution.fixed(mean)
    if kind == "uniform":
        return Distribution("uniform", {"min": mean, "max": mean * (1 + draw(spread))})
    params = {"mean": mean} if kind == "exponential" else {"mean": mean, "std": mean * draw(spread)}
    params["min"] = 0 if kind == "normal" else draw(st.sampled_from([0, mean / 10]))
    if draw(st.booleans()):
        params["max"] = mean * (1 + draw(spread)) * 2
    return Distribution(kind, params)


@given(dist=distributions(), n=st.integers(min_value=0, max_value=2000), seed=st.integers(0, 2**32))
def test_samples_are_within_bounds_sized_and_reproducible(dist, n, seed):
    a = dist.sample(np.random.default_rng(seed), n)
    b = dist.sample(np.random.default_rng(seed), n)
    assert a.dtype == np.float64 and a.shape == (n,)
    assert np.array_equal(a, b)
    assert np.all(a >= dist.min) and np.all(a <= dist.max)
    assert Distribution.from_spec(dist.to_spec()) == dist


@pytest.mark.parametrize(
    "spec",
    [
        {"distribution": "lognormal", "mean": 300, "std": 60},
        {"distribution": "lognormal", "mean": 300, "std": 60, "max": 320},
        {"distribution": "normal", "mean": 10, "std": 5, "min": 0},
        {"distribution": "exponential", "mean": 2, "min": 1, "max": 4},
        {"distribution": "uniform", "min": 2, "max": 4},
    ],
)
def test_sample_mean_matches_analytic_mean(spec):
    dist = Distribution.from_spec(spec)
    sample = dist.sample(np.random.default_rng(7), 200_000)
    std_error = sample.std() / math.sqrt(sample.size)
    assert abs(sample.mean() - dist.mean) < 5 * std_error
    if "max" not in spec and spec["distribution"] == "lognormal":
        assert dist.mean == pytest.approx(300) and sample.std() == pytest.approx(60, rel=0.02)


# ---- keys ----------------------------------------------------------------------------------------


def test_zipf_rank_zero_is_most_frequent_and_matches_pmf():
    keys = KeySpec("zipf", count=1000, exponent=1.0)
    ids = keys.sample_ids(np.random.default_rng(3), 200_000)
    assert ids.dtype == np.int64 and ids.min() >= 0 and ids.max() < 1000
    counts = np.bincount(ids, minlength=1000)
    assert counts.argmax() == 0 and counts[0] > counts[1] > counts[3] > counts[10] > counts[100]
    pmf = keys.pmf()
    assert pmf.sum() == pytest.approx(1.0) and pmf[0] == pytest.approx(1 / sum(1 / k for k in range(1, 1001)))
    assert counts[0] / ids.size == pytest.approx(pmf[0], rel=0.03)
    assert np.array_equal(ids, keys.sample_ids(np.random.default_rng(3), 200_000))


@given(
    count=st.integers(1, 3_000_000),
    exponent=st.sampled_from([0.0, 0.5, 1.0, 1.2, 2.5]),
    seed=st.integers(0, 2**32 - 1),
)
def test_zipf_draws_are_the_cdf_search_in_both_builds(count, exponent, seed):
    """The guided Zipf draw (a C loop compiled, numpy's passes as Python) gives the ids a binary search
    of the CDF gives, at the ends of [0, 1) too."""
    from eventsim.workload.keys import _zipf_cdf, _zipf_guide, _zipf_ids_loop, _zipf_ids_numpy

    cdf, guide = _zipf_cdf(count, exponent), _zipf_guide(count, exponent)
    u = np.random.default_rng(seed).random(200)
    u[:4] = [0.0, np.nextafter(1.0, 0.0), 1.0 - 2.0**-38, cdf[0] if cdf[0] < 1.0 else 0.5]
    expected = cdf.searchsorted(u, side="right")
    assert np.array_equal(_zipf_ids_numpy(cdf, guide, u), expected)
    out = np.empty(u.size, dtype=np.int64)
    _zipf_ids_loop(cdf, guide, u, out)
    assert np.array_equal(out, expected)


def test_uniform_and_null_keys():
    uniform = KeySpec("uniform", count=7)
    ids = uniform.sample_ids(np.random.default_rng(1), 5000)
    assert set(np.unique(ids)) == set(range(7))
    none = KeySpec()
    assert np.array_equal(none.sample_ids(np.random.default_rng(1), 4), np.full(4, -1))
    assert none.key_bytes(np.array([-1, -1])) == [None, None] and none.max_key_length() == 0
    assert KeySpec.from_spec(None) == none and none.to_spec() is None


@given(
    ids=st.lists(st.integers(-1, 10**12), max_size=50),
    fmt=st.sampled_from(["user-{}", "{}", "k{:06d}é", "{0}x"]),
)
def test_key_lengths_match_key_bytes(ids, fmt):
    from eventsim.workload.keys import _key_lengths_loop

    keys = KeySpec("uniform", count=10**12 + 1, format=fmt)
    arr = np.array(ids, dtype=np.int64)
    expected = [0 if k is None else len(k) for k in keys.key_bytes(arr)]
    assert keys.key_length(arr).tolist() == expected
    if keys.key_affixes() is not None:  # the compiled build's loop (as Python in a pure build)
        prefix, suffix = keys.key_affixes()
        out = np.empty(arr.size, dtype=np.int64)
        _key_lengths_loop(arr, len(prefix) + len(suffix), out)
        assert out.tolist() == expected
    assert keys.key_bytes(np.array([42]))[0] == fmt.format(42).encode()
