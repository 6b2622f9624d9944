"""The ``eventsim`` command line, called in-process through ``eventsim.cli.main``."""

import json

import pandas as pd
import pytest

import eventsim
from eventsim.cli import main
from eventsim.metrics.result import FRAMES
from eventsim.scenarios import presets

SUMMARY_KEYS = {
    "topic",
    "records_offered",
    "records_produced",
    "records_acked",
    "records_failed",
    "records_consumed",
    "records_consumed_duplicate",
    "bytes_produced",
    "produce_latency_p50_ms",
    "produce_latency_p99_ms",
    "e2e_latency_p50_ms",
    "e2e_latency_p99_ms",
    "bottleneck",
    "bottleneck_utilisation",
    "throughput_records_per_s",
    "throughput_mb_per_s",
    "batches",
    "records_per_batch",
    "bytes_per_batch",
    "requests",
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_presets_lists_every_bundled_scenario(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [line.split("\t")[0] for line in out]
    assert names == sorted(presets())
    assert {"quickstart", "reference"} <= set(names)


@pytest.mark.parametrize("name", sorted(presets()))
def test_validate_presets(name, capsys):
    assert main(["validate", name]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{name}: valid")
    assert captured.err == ""


def test_validate_a_path(tmp_path, capsys):
    path = tmp_path / "ok.yaml"
    path.write_text(presets()["quickstart"].read_text())
    assert main(["validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_bad_yaml_names_the_field(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\n"
        "topics:\n"
        "  - name: t\n"
        "producers:\n"
        "  - name: p\n"
        "    topic: t\n"
        "    rate_per_s: 10\n"
        "    config:\n"
        "      linger.ms: -1\n"
    )
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "producers[0].config.linger.ms" in lines[0]
    assert "bad.yaml" in lines[0]
    assert "-1" in lines[0]


def test_validate_unknown_key_suggests_the_right_one(tmp_path, capsys):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: typo\ntopics:\n  - name: t\nproducers:\n  - name: p\n    topic: t\n    rate_per_s: 10\n"
        "    config:\n      lingr.ms: 5\n"
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "lingr.ms" in err and "linger.ms" in err


def test_validate_not_yaml(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "broken.yaml" in err


def test_unknown_scenario_exits_2(capsys):
    assert main(["validate", "no-such-preset"]) == 2
    err = capsys.readouterr().err
    assert "no-such-preset" in err and "quickstart" in err


def test_run_json(capsys):
    assert main(["run", "quickstart", "--horizon-ms", "2000", "--json", "--quiet"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["scenario"] == "quickstart"
    assert payload["seed"] == 0
    assert payload["horizon_ms"] == 2000.0
    (topic,) = payload["topics"]
    assert set(topic) == SUMMARY_KEYS
    assert topic["topic"] == "events"
    assert 1_600 < topic["records_produced"] < 2_400  # 1000 records/s for 2 s
    assert topic["records_acked"] <= topic["records_produced"]
    assert all(v is None or isinstance(v, (int, float, str)) for v in topic.values())


def test_run_json_seed_changes_the_run(capsys):
    assert main(["run", "quickstart", "--horizon-ms", "500", "--json", "--quiet", "--seed", "0"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["run", "quickstart", "--horizon-ms", "500", "--json", "--quiet", "--seed", "0"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert main(["run", "quickstart", "--horizon-ms", "500", "--json", "--quiet", "--seed", "9"]) == 0
    c = json.loads(capsys.readouterr().out)
    assert a == b
    assert c["seed"] == 9
    assert a["topics"] != c["topics"]


def test_run_prints_a_table(capsys):
    assert main(["run", "quickstart", "--horizon-ms", "500", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("scenario quickstart, seed 0, 0.5 s simulated")
    assert "records_produced" in out and "events" in out


def test_run_out_writes_charts_and_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "quickstart", "--horizon-ms", "1000", "--quiet", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    pngs = sorted(out.glob("*.png"))
    csvs = sorted(out.glob("*.csv"))
    assert {p.stem for p in csvs} == set(FRAMES)
    assert len(pngs) >= 1
    for p in pngs:
        assert p.read_bytes()[:8] == PNG_MAGIC
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary.columns) == SUMMARY_KEYS
    assert summary.records_produced.iloc[0] > 0
    records = pd.read_csv(out / "records.csv")
    assert len(records) == summary.records_acked.iloc[0]
    assert f"wrote {len(pngs)} charts and {len(csvs)} tables" in stdout


def test_a_run_with_faults_prints_the_checker_and_draws_the_failover(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "failure-zombie-leader", "--quiet", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    line = next(x for x in stdout.splitlines() if x.startswith("check: "))
    lost = int(line.split(" lost")[0].rsplit(" ", 1)[1].replace(",", ""))
    assert lost == eventsim.simulate("failure-zombie-leader").check()["lost"] > 0
    assert (out / "leadership.png").read_bytes()[:8] == PNG_MAGIC
    assert (out / "around_failure.png").read_bytes()[:8] == PNG_MAGIC
    assert main(["run", "failure-zombie-leader", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["check"]["lost"] == lost


def test_run_bad_horizon_exits_2(capsys):
    assert main(["run", "quickstart", "--horizon-ms", "-5", "--quiet"]) == 2
    assert "horizon_ms" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("eventsim: error:")
