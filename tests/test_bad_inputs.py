"""Bad input, every kind: one clear error naming the field, before the run; never a traceback or a hang.

Each case is checked twice: through the API (the error's type and its ``field``) and through the command
line (exit status 2 and exactly one line on standard error that names the field, no traceback).
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

import eventsim
from eventsim.cli import main
from eventsim.core.errors import InvalidConfigurationError, RecordTooLargeError, UnknownTopicOrPartitionError
from eventsim.scenario_io import MAX_DOCUMENT_BYTES
from eventsim.scenarios import Scenario

BASE = {
    "name": "bad",
    "horizon_ms": 2000,
    "cluster": {"brokers": 2, "hardware": "laptop"},
    "topics": [{"name": "events", "partitions": 3}],
    "producers": [{"name": "app", "topic": "events", "rate_per_s": 1000, "config": {}}],
    "consumers": [{"name": "reader", "topic": "events"}],
}

LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "name: *i",
        "topics: *i",
    ]
)


def _edit(path: str, value):
    def change(doc):
        node = doc
        parts = path.split("/")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return doc

    return change


def _yaml(edit=None) -> str:
    doc = copy.deepcopy(BASE)
    if edit is not None:
        doc = edit(doc)
    return yaml.safe_dump(doc, sort_keys=False)


# name -> (file text or bytes, --set overrides, error type, field the error names)
DOCUMENT_CASES = {
    "non-utf8": (b"name: caf\xe9\ntopics: []\n", [], InvalidConfigurationError, "(document)"),
    "empty file": ("", [], InvalidConfigurationError, "(document)"),
    "top level is a list": ("- a\n- b\n", [], InvalidConfigurationError, "(document)"),
    "not yaml": ("name: [unclosed\n", [], InvalidConfigurationError, "(document)"),
    "undefined alias": ("name: *nothing\n", [], InvalidConfigurationError, "(document)"),
    "duplicate top-level key": (_yaml() + "name: again\n", [], InvalidConfigurationError, "name"),
    "duplicate property": (
        _yaml().replace("config: {}", "config:\n    linger.ms: 5\n    linger.ms: 50"),
        [],
        InvalidConfigurationError,
        "producers[0].config.linger.ms",
    ),
    "billion laughs": (LAUGHS, [], InvalidConfigurationError, "f"),  # where the count passes the limit
    "recursive alias": ("name: &n [x, *n]\n", [], InvalidConfigurationError, "name[1]"),
    "nested too deeply": ("name: " + "[" * 500 + "]" * 500, [], InvalidConfigurationError, "(document)"),
    "unknown top-level key": (_yaml(_edit("nme", "x")), [], InvalidConfigurationError, "nme"),
    "negative seed in file": (_yaml(_edit("seed", -1)), [], InvalidConfigurationError, "seed"),
    "zero horizon": (_yaml(_edit("horizon_ms", 0)), [], InvalidConfigurationError, "horizon_ms"),
    "unknown hardware": (_yaml(_edit("cluster/hardware", "mainframe")), [], InvalidConfigurationError,
                         "cluster.hardware"),
    "zero brokers": (_yaml(_edit("cluster/brokers", 0)), [], InvalidConfigurationError, "cluster.brokers"),
    "illegal topic name": (_yaml(_edit("topics/0/name", "a/b")), [], InvalidConfigurationError,
                           "topics[0].name"),
    "replication above brokers": (_yaml(_edit("topics/0/replication.factor", 5)), [],
                                  InvalidConfigurationError, "topics[0].replication.factor"),
    "acks 2": (_yaml(_edit("producers/0/config", {"acks": 2})), [], InvalidConfigurationError,
               "producers[0].config.acks"),
    "unknown producer property": (_yaml(_edit("producers/0/config", {"lingr.ms": 5})), [],
                                  InvalidConfigurationError, "producers[0].config.lingr.ms"),
    "negative linger": (_yaml(_edit("producers/0/config", {"linger.ms": -1})), [], InvalidConfigurationError,
                        "producers[0].config.linger.ms"),
    "batch size text": (_yaml(_edit("producers/0/config", {"batch.size": "big"})), [],
                        InvalidConfigurationError, "producers[0].config.batch.size"),
    "idempotence with acks 1": (_yaml(_edit("producers/0/config", {"enable.idempotence": True, "acks": "1"})),
                                [], InvalidConfigurationError, "producers[0].config.acks"),
    "six in flight with idempotence": (
        _yaml(_edit("producers/0/config", {"max.in.flight.requests.per.connection": 6})), [],
        InvalidConfigurationError, "producers[0].config.max.in.flight.requests.per.connection"),
    "delivery timeout too short": (
        _yaml(_edit("producers/0/config", {"delivery.timeout.ms": 10})), [], InvalidConfigurationError,
        "producers[0].config.delivery.timeout.ms"),
    "serializer not modelled": (_yaml(_edit("producers/0/config", {"key.serializer": "x"})), [],
                                InvalidConfigurationError, "producers[0].config.key.serializer"),
    "unknown topic": (_yaml(_edit("producers/0/topic", "evnts")), [], UnknownTopicOrPartitionError,
                      "producers[0].topic"),
    "unknown arrival": (_yaml(_edit("producers/0/arrival", "bursty")), [], InvalidConfigurationError,
                        "producers[0].arrival"),
    "negative rate": (_yaml(_edit("producers/0/rate_per_s", -5)), [], InvalidConfigurationError,
                      "producers[0].rate_per_s"),
    "unbounded values": (
        _yaml(_edit("producers/0/value_bytes", {"distribution": "exponential", "mean": 100})), [],
        InvalidConfigurationError, "producers[0].value_bytes"),
    "record too large": (_yaml(_edit("producers/0/value_bytes", 2_000_000)), [], RecordTooLargeError,
                         "producers[0].value_bytes"),
    "unknown key distribution": (_yaml(_edit("producers/0/keys", {"distribution": "pareto"})), [],
                                 InvalidConfigurationError, "producers[0].keys.distribution"),
    "duplicate producer": (_yaml(lambda d: {**d, "producers": d["producers"] * 2}), [],
                           InvalidConfigurationError, "producers[1].name"),
    "consumer partition missing": (_yaml(_edit("consumers/0/partitions", [7])), [],
                                   UnknownTopicOrPartitionError, "consumers[0].partitions"),
    "consumer starts after the horizon": (_yaml(_edit("consumers/0/start_ms", 5000)), [],
                                          InvalidConfigurationError, "consumers[0].start_ms"),
    "zero window": (_yaml(_edit("metrics/window_ms", 0)), [], InvalidConfigurationError, "metrics.window_ms"),
    # Absurd sizes: refused with the estimate, before anything is allocated.
    "key space beyond memory": (
        _yaml(_edit("producers/0/keys", {"distribution": "uniform", "count": 100_000_000_000})), [],
        InvalidConfigurationError, "producers[0].keys.count"),
    "rate of 1e12 records/s": (_yaml(_edit("producers/0/rate_per_s", 1e12)), [], InvalidConfigurationError,
                               "producers[0].rate_per_s"),
    "windows beyond memory": (_yaml(_edit("metrics/window_ms", 1e-6)), [], InvalidConfigurationError,
                              "metrics.window_ms"),
    "partitions beyond memory": (_yaml(_edit("topics/0/partitions", 200_000_000)), [],
                                 InvalidConfigurationError, "topics[0].partitions"),
    "every record sampled for a day": (
        _yaml(lambda d: {**d, "horizon_ms": 86_400_000, "metrics": {"record_sample": 1.0},
                         "producers": [{**d["producers"][0], "rate_per_s": 100_000}]}), [],
        InvalidConfigurationError, "metrics.record_sample"),
    # --set: the same paths as the errors, validated as the file is.
    "set without =": (_yaml(), ["cluster.brokers"], InvalidConfigurationError, "--set"),
    "set misspelt path": (_yaml(), ["producers[0].lingr.ms=5"], InvalidConfigurationError,
                          "producers[0].lingr.ms"),
    "set index out of range": (_yaml(), ["producers[4].rate_per_s=1"], InvalidConfigurationError,
                               "producers[4].rate_per_s"),
    "set bad value": (_yaml(), ["producers[0].config.linger.ms=soon"], InvalidConfigurationError,
                      "producers[0].config.linger.ms"),
    "set unreadable value": (_yaml(), ["producers[0].config.linger.ms=[5"], InvalidConfigurationError,
                             "producers[0].config.linger.ms"),
    "set zero brokers": (_yaml(), ["cluster.brokers=0"], InvalidConfigurationError, "cluster.brokers"),
    "set into a number": (_yaml(), ["producers[0].rate_per_s.max=5"], InvalidConfigurationError,
                          "producers[0].rate_per_s.max"),
    "set a list by name": (_yaml(), ["producers.rate_per_s=5"], InvalidConfigurationError,
                           "producers.rate_per_s"),
}  # fmt: skip


def _write(tmp_path: Path, text) -> Path:
    path = tmp_path / "scenario.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert len(lines[0]) < 1000  # a huge value is never printed whole
    return lines[0]


def test_there_are_at_least_forty_bad_inputs():
    assert len(DOCUMENT_CASES) + len(CLI_CASES) + len(API_CASES) >= 40


@pytest.mark.parametrize("name", sorted(DOCUMENT_CASES))
def test_bad_document_through_the_api(name, tmp_path):
    text, overrides, kind, field = DOCUMENT_CASES[name]
    path = _write(tmp_path, text)
    with pytest.raises(kind) as exc:
        Scenario.load(path, overrides)
    assert exc.value.field == field, str(exc.value)
    assert str(path) in str(exc.value) or exc.value.source == "--set"
    assert len(str(exc.value)) < 1000


@pytest.mark.parametrize("name", sorted(DOCUMENT_CASES))
def test_bad_document_through_the_cli(name, tmp_path, capsys):
    text, overrides, _, field = DOCUMENT_CASES[name]
    path = _write(tmp_path, text)
    args = [a for o in overrides for a in ("--set", o)]
    assert main(["validate", str(path), *args]) == 2
    line = _one_line(capsys)
    assert line.startswith("eventsim: ")
    assert field in line
    assert main(["run", str(path), "--quiet", *args]) == 2  # run refuses it the same way
    assert field in _one_line(capsys)


def _bad_out_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    return str(f)


def _bad_out_below_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    return str(f / "charts")


# name -> (extra arguments after `run quickstart --quiet --horizon-ms 200`, text the one line must hold)
CLI_CASES = {
    "negative seed": (["--seed", "-1"], "seed"),
    "seed not a number": (["--seed", "x"], "seed"),
    "negative horizon": (["--horizon-ms", "-5"], "horizon_ms"),
    "nan horizon": (["--horizon-ms", "nan"], "horizon_ms"),
    "out is a file": ([_bad_out_file], "--out"),
    "out below a file": ([_bad_out_below_file], "--out"),
    "unknown option": (["--sed", "1"], "--sed"),
    "horizon makes it absurd": (["--horizon-ms", "1e13"], "rate_per_s"),
}


@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_bad_command_line(name, tmp_path, capsys):
    extra, text = CLI_CASES[name]
    args = []
    for a in extra:
        args += ["--out", a(tmp_path)] if callable(a) else [a]
    base = ["run", "quickstart", "--quiet"] + ([] if "--horizon-ms" in args else ["--horizon-ms", "200"])
    assert main(base + args) == 2
    assert text in _one_line(capsys)


def test_out_is_checked_before_the_run(tmp_path, capsys, monkeypatch):
    import eventsim.runner

    def boom(*a, **k):
        raise AssertionError("the run started")

    monkeypatch.setattr(eventsim.runner, "build", boom)
    assert main(["run", "quickstart", "--quiet", "--out", _bad_out_file(tmp_path)]) == 2
    assert "--out" in _one_line(capsys)


# The Python API: simulate() arguments.
API_CASES = {
    "simulate negative seed": ({"seed": -1}, "seed"),
    "simulate boolean seed": ({"seed": True}, "seed"),
    "simulate zero horizon": ({"horizon_ms": 0}, "horizon_ms"),
    "simulate infinite horizon": ({"horizon_ms": float("inf")}, "horizon_ms"),
    "simulate absurd horizon": ({"horizon_ms": 1e13}, "producers[0].rate_per_s"),
    "simulate bad override": ({"overrides": ["cluster.brokrs=2"]}, "cluster.brokrs"),
}


@pytest.mark.parametrize("name", sorted(API_CASES))
def test_bad_simulate_arguments(name):
    kwargs, field = API_CASES[name]
    with pytest.raises(InvalidConfigurationError) as exc:
        eventsim.simulate("quickstart", **kwargs)
    assert exc.value.field == field


def test_a_directory_is_not_a_scenario(tmp_path, capsys):
    with pytest.raises(InvalidConfigurationError) as exc:
        Scenario.load(tmp_path)
    assert exc.value.field == "scenario"
    assert main(["validate", str(tmp_path)]) == 2
    assert "directory" in _one_line(capsys)


def test_a_missing_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in _one_line(capsys)


def test_an_enormous_file_is_not_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: no need to write the bytes
    with pytest.raises(InvalidConfigurationError) as exc:
        Scenario.load(path)
    assert exc.value.field == "(document)"


def test_billion_laughs_fails_fast_and_small(tmp_path):
    path = _write(tmp_path, LAUGHS)
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(InvalidConfigurationError) as exc:
        Scenario.load(path)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "alias" in str(exc.value) and "lol" not in str(exc.value)
    assert elapsed < 10  # generous: it takes milliseconds; a naive expansion takes minutes and gigabytes
    assert peak < 50 * 1024 * 1024


def test_large_runs_the_model_is_for_are_admitted():
    # Tens of millions of records per second for a few seconds.
    fast = copy.deepcopy(BASE)
    fast["horizon_ms"] = 3000
    fast["producers"][0].update(count=4, rate_per_s=4.0e7)
    Scenario.load(fast)
    # 30 brokers, 1,000 partitions, 50 producers.
    wide = copy.deepcopy(BASE)
    wide.update(horizon_ms=60_000, cluster={"brokers": 30})
    wide["topics"][0]["partitions"] = 1000
    wide["producers"][0].update(count=50, rate_per_s=1_000_000)
    Scenario.load(wide)


def test_validate_prints_the_expected_size(capsys):
    assert main(["validate", "quickstart"]) == 0
    out = capsys.readouterr().out
    assert "10,000 records offered" in out and "10 windows" in out and "GiB" in out


def test_a_warning_is_one_plain_line(capsys):
    args = ["quickstart", "--set", "producers[0].config.linger.ms=200000"]
    assert main(["validate", *args]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["eventsim: warning: delivery.timeout.ms should be equal to or larger than linger.ms + "
                   "request.timeout.ms; setting it to 230000"]  # fmt: skip
    assert main(["run", *args, "--quiet", "--horizon-ms", "100"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("warning") == 1 and "UserWarning" not in captured.err


def _cli(*args):
    env = dict(os.environ, PYTHONWARNINGS="default")
    return subprocess.run(
        [sys.executable, "-m", "eventsim.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_the_real_command_exits_2_with_one_line(tmp_path):
    for args in (["validate", str(tmp_path)], ["run", "quickstart", "--seed", "-4"],
                 ["run", "quickstart", "--set", "producers[0].lingr.ms=5"]):  # fmt: skip
        r = _cli(*args)
        assert r.returncode == 2, r
        assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_ctrl_c_stops_a_run_with_one_line():
    proc = subprocess.Popen(
        [sys.executable, "-m", "eventsim.cli", "run", "reference", "--quiet", "--horizon-ms", "3600000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a shell's & would ignore SIGINT
    )
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eventsim: interrupted at ") and "Traceback" not in err
