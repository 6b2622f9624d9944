"""``--set PATH=VALUE`` (``eventsim.scenario_io.apply_overrides``) and the seed a run uses."""

from __future__ import annotations

import json

import pytest

import eventsim
from eventsim.cli import main
from eventsim.core.errors import InvalidConfigurationError
from eventsim.scenario_io import apply_overrides, parse_override
from eventsim.scenarios import Scenario

DOC = {
    "name": "s",
    "topics": [{"name": "t", "partitions": 3}],
    "producers": [{"name": "p", "topic": "t", "rate_per_s": 10, "config": {"linger_ms": 5}}],
    "consumers": [{"name": "c", "topic": "t"}],
}


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("cluster.brokers=5", "cluster.brokers", 5),
        ("producers[0].rate_per_s=1.5e3", "producers[0].rate_per_s", 1500),
        ("producers[0].rate_per_s=2.5e-1", "producers[0].rate_per_s", 0.25),
        ("producers[0].config.compression.type=lz4", "producers[0].config.compression.type", "lz4"),
        ("producers[0].config.enable.idempotence=false", "producers[0].config.enable.idempotence", False),
        ("producers[0].keys={distribution: zipf, count: 50}", "producers[0].keys",
         {"distribution": "zipf", "count": 50}),
        ("description=", "description", None),
        ("name = a=b", "name", "a=b"),
    ],
)  # fmt: skip
def test_parse_override_reads_the_value_as_yaml(text, path, value):
    assert parse_override(text) == (path, value)


def test_top_level_key():
    assert apply_overrides(DOC, ["horizon_ms=5000"])["horizon_ms"] == 5000
    assert Scenario.load(DOC, ["seed=9"]).seed == 9


def test_nested_mapping_is_created_when_absent():
    out = apply_overrides(DOC, ["cluster.brokers=4", "metrics.window_ms=250"])
    assert out["cluster"] == {"brokers": 4} and out["metrics"] == {"window_ms": 250}
    assert "cluster" not in DOC  # the input is not changed


def test_variability_switches_are_overridable():
    sc = Scenario.load(DOC, ["variability.gc=true", "variability.gc_eden_mb=64"])
    assert sc.variability.gc is True and sc.variability.gc_eden_mb == 64
    with pytest.raises(InvalidConfigurationError, match="variability.gc_pause"):
        Scenario.load(DOC, ["variability.gc_pauses=true"])


def test_list_element_field():
    sc = Scenario.load(DOC, ["producers[0].rate_per_s=2000", "consumers[0].count=2"])
    assert sc.producers[0].rate_per_s == 2000 and sc.consumers[0].count == 2


def test_dotted_kafka_property_replaces_either_spelling():
    out = apply_overrides(DOC, ["producers[0].config.linger.ms=20"])
    assert out["producers"][0]["config"] == {"linger.ms": 20}  # linger_ms given in the file is replaced
    sc = Scenario.load(DOC, ["producers[0].config.linger.ms=20", "topics[0].config.retention.ms=1000"])
    assert sc.producers[0].config.linger_ms == 20 and sc.topics[0].retention_ms == 1000


def test_topic_key_with_a_dot():
    out = apply_overrides(DOC, ["topics[0].replication.factor=1"])
    assert out["topics"][0]["replication.factor"] == 1


def test_broker_property():
    assert Scenario.load(DOC, ["broker.num.io.threads=2"]).broker.num_io_threads == 2


def test_a_scenario_object_and_a_mapping_of_overrides():
    sc = Scenario.load(DOC)
    assert Scenario.load(sc, {"cluster.brokers": 2}).cluster.brokers == 2


@pytest.mark.parametrize(
    ("override", "field", "suggestion"),
    [
        ("producers[0].lingr.ms=5", "producers[0].lingr.ms", "producers[0].config.linger.ms"),
        ("producers[0].config.lingr.ms=5", "producers[0].config.lingr.ms", "producers[0].config.linger.ms"),
        ("cluster.brokrs=3", "cluster.brokrs", "cluster.brokers"),
        ("topics[0].replication.factr=1", "topics[0].replication.factr", "topics[0].replication.factor"),
        ("horizn_ms=5", "horizn_ms", "horizon_ms"),
        ("producers[0].keys.cont=5", "producers[0].keys.cont", "producers[0].keys.count"),
    ],
)
def test_a_misspelt_path_gets_a_did_you_mean(override, field, suggestion):
    with pytest.raises(InvalidConfigurationError) as exc:
        Scenario.load(DOC, [override])
    assert exc.value.field == field
    assert f"did you mean {suggestion!r}" in str(exc.value)
    assert exc.value.source == "--set"


def test_values_are_validated_as_the_file_is():
    with pytest.raises(InvalidConfigurationError) as exc:
        Scenario.load(DOC, ["producers[0].config.acks=2"])
    assert exc.value.field == "producers[0].config.acks"


def test_cli_set_changes_the_run(capsys):
    base = ["run", "quickstart", "--horizon-ms", "2000", "--json", "--quiet"]
    assert main(base) == 0
    a = json.loads(capsys.readouterr().out)["topics"][0]
    more = ["--set", "producers[0].rate_per_s=2000", "--set", "producers[0].config.linger.ms=50"]
    assert main([*base, *more]) == 0
    b = json.loads(capsys.readouterr().out)["topics"][0]
    assert 1.8 < b["records_produced"] / a["records_produced"] < 2.2
    assert b["produce_latency_p50_ms"] > a["produce_latency_p50_ms"] + 20


def test_cli_validate_accepts_set(capsys):
    assert main(["validate", "quickstart", "--set", "cluster.brokers=3"]) == 0
    assert "3 brokers" in capsys.readouterr().out
    assert main(["validate", "quickstart", "--set", "producers[0].lingr.ms=5"]) == 2
    err = capsys.readouterr().err
    assert "linger.ms" in err and len(err.strip().splitlines()) == 1


def test_simulate_runs_the_scenarios_own_seed_by_default():
    doc = dict(DOC, seed=7, horizon_ms=500)
    a = eventsim.simulate(doc)
    assert a.seed == 7
    assert a.summary().equals(eventsim.simulate(doc, seed=7).summary())
    c = eventsim.simulate(doc, seed=8)
    assert c.seed == 8 and not a.summary().equals(c.summary())


def test_cli_echoes_the_seed_that_ran(capsys):
    assert main(["run", "quickstart", "--horizon-ms", "200", "--json", "--quiet", "--set", "seed=3"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 3


def test_a_change_re_derives_what_kafka_derives_from_unset_properties():
    # enable.idempotence is derived (true with acks=all); acks=0 must turn it off, not clash with it.
    sc = Scenario.load(DOC)
    assert sc.producers[0].config.enable_idempotence is True
    by_with = sc.with_({"producers[0].config.acks": "0"})
    for changed in (by_with, Scenario.load(sc, ["producers[0].config.acks=0"])):
        assert changed.producers[0].config.acks == "0"
        assert changed.producers[0].config.enable_idempotence is False
    # An explicit setting stays explicit: set true with acks=0 is Kafka's ConfigException.
    explicit = Scenario.load(DOC, ["producers[0].config.enable.idempotence=true"])
    with pytest.raises(InvalidConfigurationError) as exc:
        explicit.with_({"producers[0].config.acks": "0"})
    assert exc.value.field == "producers[0].config.acks"
