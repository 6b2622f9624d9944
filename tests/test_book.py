"""eventsim.book: the exercise registry, per-student parameters, auto-checks and predict comparisons."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from eventsim import book
from eventsim.book import check

REPO_ROOT = Path(__file__).resolve().parents[1]
STUDENTS = ["alice", "bob", "carol", "dave", "erin"]
ALL = book.exercises()
CLOSED_FORM = [e for e in ALL if e.solver == "closed form"]
SIMULATION = [e for e in ALL if e.solver == "simulation"]


@pytest.fixture(autouse=True)
def no_student():
    """Every test starts and ends with no student set (the book's own numbers)."""
    book.student(None)
    yield
    book.student(None)


def wrong_value(exercise, who):
    """A value clearly outside the tolerance: 3x the allowed error away (at least 1 for integer answers)."""
    expected = exercise.expected(who)
    step = max(3 * exercise.tolerance.allowed(expected), 1 if exercise.answer == "integer" else 1e-9)
    return expected + step


# --- the registry --------------------------------------------------------------------------------------


def test_keys_are_unique_and_name_a_concept():
    keys = book.keys()
    assert len(keys) == len(set(keys))
    for key in keys:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*", key), key
        assert not re.match(r"(ch|chapter)?\d", key), f"{key}: keys name the concept, not the chapter number"


def test_every_written_chapter_has_at_least_two_exercises():
    chapters = {e.chapter for e in ALL}
    for stem in ["01_events", "02_simpy_single_log", "03_topics_partitions_offsets", "04_producer_batching",
                 "05_producer_acks_compression", "06_keys_partitioning", "08_replication", "09_controllers",
                 "10_losing_data"]:
        assert (REPO_ROOT / "notebooks" / "solutions" / f"{stem}.ipynb").exists()
        assert sum(e.chapter == stem for e in ALL) >= 2, stem
    assert chapters <= {p.stem for p in (REPO_ROOT / "notebooks" / "solutions").glob("*.ipynb")}


def test_every_exercise_is_complete():
    for e in ALL:
        assert e.title and e.hint and e.question and e.source, e.key
        assert e.solver in ("closed form", "simulation")
        assert e.answer in ("number", "integer")
        assert e.tolerance.abs > 0 or e.tolerance.rel > 0 or e.answer == "integer", e.key
        assert e.varies(), f"{e.key}: an exercise without ranges gives every student the same numbers"
        text = e.question_text()
        assert "{" not in text and "}" not in text, f"{e.key}: unfilled field in {text!r}"


def test_unknown_key_suggests_the_close_ones():
    with pytest.raises(KeyError, match="producers.linger-latency"):
        book.params("producers.linger-latncy")


# --- defaults are the solution notebooks' numbers ------------------------------------------------------

# key -> (the parameters the solution notebook uses, the value it prints or derives, tolerance of that figure)
NOTEBOOK = {
    "events.latency-growth-rate": ({"rate_per_s": 1000, "processing_ms": 1.2}, 167, 0.5),  # "prediction: 167"
    "events.keep-up-processing-ms": ({"rate_per_s": 1000}, 1.0, 1e-9),  # "exactly 1.0 ms"
    "events.late-consumer-missed": ({"rate_per_s": 1000, "start_ms": 4000}, 4141, 0),  # 01, Exercise 1
    "queueing.mm1-time-in-system": ({"service_ms": 1.0, "utilisation": 0.9}, 10.00, 0.005),  # M/M/1 10.00 ms
    "queueing.mmc-time-in-system": ({"threads": 8, "service_ms": 1.0, "utilisation": 0.9}, 1.88, 0.005),
    "queueing.md1-time-in-system": ({"service_ms": 1.0, "utilisation": 0.9}, 5.50, 0.005),
    "partitions.most-leaders-per-broker": ({"partitions": 7, "brokers": 3}, 3, 0),  # {0: 3, 1: 2, 2: 2}
    "segments.count-without-retention": ({"rate_per_s": 5000, "partitions": 2, "value_bytes": 1000}, 25, 0),
    "retention.size-band-top": (
        {"rate_per_s": 5000, "partitions": 2, "value_bytes": 1000, "retention_segments": 4,
         "check_interval_ms": 1000},
        7.46, 0.03,  # "predicted band 4.00 to 7.46 MiB" (the notebook's rate includes batch headers)
    ),
    "producers.linger-records-per-batch": ({"rate_per_s": 20_000, "linger_ms": 10}, 201.33, 0.5),
    "producers.linger-latency": ({"rate_per_s": 20_000, "linger_ms": 5}, 2.524, 0.005),  # linger mean_ms
    "producers.requests-per-second": ({"rate_per_s": 20_000, "linger_ms": 10, "partitions": 6}, 99.33, 0.5),
    "producers.batch-full-linger-ms": ({"rate_per_s": 20_000, "value_bytes": 100}, 6.8, 0.005),
    "producers.compression-ceiling": ({"codec": "gzip", "value_bytes": 1000}, 25_356, 0.5),
    "producers.network-capacity": ({"value_bytes": 1000, "partitions": 3}, 114_885, 1),  # 05, section 3
    "keys.stay-on-resize": ({"key_count": 10_000, "partitions": 12, "added": 1}, 0.0763, 0.00005),  # 7.63 %
    "keys.hot-partition-share": ({"partitions": 6, "exponent": 1.2, "key_count": 1000}, 0.332, 0.0005),
    "keys.hot-consumer-max-processing-ms": (
        {"rate_per_s": 6000, "partitions": 12, "exponent": 1.5}, 0.373, 0.0005
    ),
    "replication.follower-mib-per-broker": (  # 08, Exercise 1: "each broker receives 2.83 MiB/s as follower"
        {"rate_per_s": 20_000, "value_bytes": 200, "rf": 3, "brokers": 3}, 2.83, 0.005
    ),
    "replication.isr-shrink-ms": ({"rate_per_s": 20_000, "lag_time_max_ms": 1000}, 1500, 0),  # 08, Exercise 2
    "controllers.fencing-unavailable-ms": (  # 09, Exercise 1: "8,000.125 ms without a leader"
        {"crash_ms": 7000, "heartbeat_ms": 2000, "session_ms": 9000}, 8000.125, 1e-6
    ),
    "controllers.zookeeper-writes-s": ({"version": "1.0", "partitions": 10_000}, 390, 1e-6),  # 09, section 4
    "failover.unclean-lost-records": ({"rate_per_s": 3000, "first_crash_ms": 500}, 4530, 0),  # 10, section 4
    "failover.zombie-lost-records": ({"rate_per_s": 3000, "pause_ms": 1500}, 21, 0),  # 10, Exercise 2
    "calibration.nic-records-per-s": ({"value_bytes": 200}, 497_319, 0),  # 14, Exercise 1: "the run 497,319"
    "calibration.format-gain": ({"value_bytes": 100}, 1.147, 0.0005),  # 14, Exercise 2: "1.147 times"
    "calibration.gc-paused-percent": (  # 14, Exercise 3: "paused 0.31 % of the time"
        {"received_mib_per_s": 60, "eden_mb": 256, "pause_p50_ms": 12, "pause_p90_ms": 21}, 0.309, 0.0005
    ),
}


def test_the_table_covers_the_registry():
    assert set(NOTEBOOK) == set(book.keys())


@pytest.mark.parametrize("key", sorted(NOTEBOOK))
def test_defaults_are_the_solution_notebooks_values(key):
    values, figure, within = NOTEBOOK[key]
    assert dict(book.params(key)) == values
    assert book.get(key).expected() == pytest.approx(figure, abs=within)
    assert check.exercise(key, figure).correct  # the notebook's own answer passes


# --- per-student parameters ----------------------------------------------------------------------------


def test_two_students_get_different_parameters_for_every_exercise():
    for e in ALL:
        assert dict(e.params_for("alice")) != dict(e.params_for("bob")), e.key
        distinct = {tuple(sorted(e.params_for(s).items())) for s in STUDENTS}
        assert len(distinct) >= 4, f"{e.key}: five students share parameters too often"


def test_variants_lie_in_their_ranges_and_keep_the_constraint():
    for e in ALL:
        for who in STUDENTS + ["x", "student-42", "Zoë"]:
            p = e.params_for(who)
            assert set(p) == set(e.params), e.key
            for name, param in e.params.items():
                if param.vary is None:
                    assert p[name] == param.default
                else:
                    assert p[name] in param.vary.values(), (e.key, name, p[name])
                    assert type(p[name]) is type(param.vary.values()[0])
            if e.constraint is not None:
                assert e.constraint(p), (e.key, dict(p))


def test_ranges_round_to_sensible_values():
    assert book.Range(1000, 1500, 100).values() == (1000, 1100, 1200, 1300, 1400, 1500)
    assert book.Range(1.2, 1.8, 0.1).values() == (1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8)
    assert all(isinstance(v, int) for v in book.Range(2, 12).values())
    assert book.Choice(("gzip", "zstd")).values() == ("gzip", "zstd")


def test_parameters_are_stable_across_runs_and_versions():
    # The derivation is SHA-256 of (student, key, parameter): these values must never change, or keys an
    # instructor has already handed out would no longer match the students' copies.
    golden = {
        "producers.linger-latency": {"rate_per_s": 14_000, "linger_ms": 10},
        "partitions.most-leaders-per-broker": {"partitions": 29, "brokers": 3},
        "producers.compression-ceiling": {"codec": "zstd", "value_bytes": 1600},
    }
    for key, values in golden.items():
        assert dict(book.params(key, student="alice")) == values


def test_the_current_student_sets_params_and_none_restores_the_book():
    key = "producers.linger-latency"
    assert book.current_student() is None
    book.student("alice")
    assert book.current_student() == "alice"
    assert book.params(key) == book.params(key, student="alice") != book.params(key, student=None)
    assert book.params(key).student == "alice"
    book.student(None)
    assert dict(book.params(key)) == {"rate_per_s": 20_000, "linger_ms": 5}


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", 42])
def test_bad_student_ids_are_refused(bad):
    with pytest.raises(ValueError, match="student id"):
        book.student(bad)


def test_params_read_as_attributes_and_show_as_a_table():
    p = book.params("producers.linger-latency", student="bob")
    assert p.rate_per_s == p["rate_per_s"]
    with pytest.raises(AttributeError, match="no parameter 'rate'"):
        p.rate  # noqa: B018
    table = p._repr_markdown_()
    assert "`bob`" in table and "| `linger_ms` |" in table


def test_the_question_shows_the_students_numbers():
    p = book.params("keys.hot-partition-share", student="bob")
    q = book.question("keys.hot-partition-share", student="bob")
    assert f"{p.partitions} partitions" in q.text
    assert "keys.hot-partition-share" in q._repr_markdown_() and "within" in q._repr_markdown_()


# --- checks --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", CLOSED_FORM, ids=lambda e: e.key)
def test_each_students_own_answer_passes_and_a_wrong_one_fails(exercise):
    for who in STUDENTS:
        book.student(who)
        expected = exercise.expected(who)
        assert check.exercise(exercise.key, expected).correct
        assert check.exercise(exercise.key, np.float64(expected)).correct  # numpy scalars are numbers too
        wrong = check.exercise(exercise.key, wrong_value(exercise, who))
        assert not wrong.correct and wrong.status == "wrong"
        low = check.exercise(exercise.key, expected - (wrong_value(exercise, who) - expected))
        assert not low.correct


def test_a_student_answer_is_checked_against_their_own_numbers():
    key = "producers.linger-latency"
    alice, bob = book.expected(key, student="alice"), book.expected(key, student="bob")
    assert not book.get(key).tolerance.accepts(alice, bob)
    book.student("alice")
    assert check.exercise(key, alice).correct
    assert not check.exercise(key, bob).correct
    assert check.exercise(key, bob, student="bob").correct


@pytest.mark.parametrize("exercise", SIMULATION, ids=lambda e: e.key)
def test_simulation_solvers_pass_their_own_check_for_two_students(exercise):
    for who in ["alice", "bob"]:
        expected = exercise.expected(who)
        assert expected > 0
        assert check.exercise(exercise.key, expected, student=who).correct
        assert not check.exercise(exercise.key, wrong_value(exercise, who), student=who).correct


def test_checks_are_deterministic():
    for e in CLOSED_FORM:
        first = check.exercise(e.key, 1.0, student="carol")
        again = check.exercise(e.key, 1.0, student="carol")
        assert first == again
        assert repr(first) == repr(again)


def test_a_wrong_answer_never_shows_the_expected_value():
    key = "producers.requests-per-second"
    book.student("dave")
    expected = book.expected(key)
    for factor in (1.04, 1.3, 0.6, 3.0, 1000.0):
        result = check.exercise(key, expected * factor)
        assert not result.correct
        shown = repr(result) + result._repr_markdown_()
        for text in {f"{expected:.0f}", f"{expected:.1f}", f"{expected:,.0f}", f"{expected:.3g}"}:
            assert text not in shown, (factor, text, shown)
        assert "Hint:" in shown
    assert "too high" in repr(check.exercise(key, expected * 1.3))
    assert "too low" in repr(check.exercise(key, expected * 0.6))
    assert "check the units" in repr(check.exercise(key, expected * 1000))


def test_a_correct_answer_says_so():
    key = "queueing.mm1-time-in-system"
    result = check.exercise(key, 10.0)
    assert result and result.status == "correct"
    assert "Correct" in repr(result) and "PASS" in repr(result) and "✅" in result._repr_markdown_()
    assert result.abs_error == pytest.approx(0, abs=1e-12) and result.rel_error == pytest.approx(0, abs=1e-12)


def test_a_missing_answer_asks_for_one():
    for blank in (..., None, math.nan):
        result = check.exercise("queueing.mm1-time-in-system", blank)
        assert result.status == "missing" and not result.correct
        assert "No answer yet" in repr(result)


def test_integer_answers_must_be_whole():
    key = "partitions.most-leaders-per-broker"
    assert check.exercise(key, 3).correct
    assert not check.exercise(key, 3.4).correct
    assert not check.exercise(key, 2).correct


def test_non_numbers_are_refused():
    with pytest.raises(TypeError, match="a number"):
        check.exercise("queueing.mm1-time-in-system", "10 ms")
    with pytest.raises(ValueError, match="finite"):
        check.exercise("queueing.mm1-time-in-system", math.inf)


def test_tolerances_describe_themselves():
    assert book.Tolerance(rel=0.05).describe() == "within 5 %"
    assert book.Tolerance(abs=1, rel=0.05).describe("segments") == (
        "within 5 % or 1 segments (whichever is larger)"
    )
    assert book.Tolerance().describe() == "exactly"
    both = book.Tolerance(abs=1, rel=0.05)
    assert both.allowed(100) == 5 and both.allowed(4) == 1


# --- the instructor's key ------------------------------------------------------------------------------


def test_answer_key_has_a_row_per_student_and_exercise():
    keys = [e.key for e in CLOSED_FORM]
    rows = book.answer_key(["alice", "bob"], keys)
    assert len(rows) == 2 * len(keys)
    assert {(r["student"], r["exercise"]) for r in rows} == {(s, k) for s in ("alice", "bob") for k in keys}
    row = next(r for r in rows if r["student"] == "bob" and r["exercise"] == "producers.linger-latency")
    assert row["expected"] == book.expected("producers.linger-latency", student="bob")
    bob = book.params(row["exercise"], student="bob")
    assert row["parameters"] == "; ".join(f"{k}={v}" for k, v in bob.items())


# --- predict cells -------------------------------------------------------------------------------------


def test_compare_says_how_far_off_and_why_it_matters():
    why = "the producer's own linger.ms outweighs the broker."
    c = book.compare(5, 2.89, unit="ms", why=why)
    assert c.status == "off" and not c.close and c.rel_error == pytest.approx(5 / 2.89 - 1)
    text = repr(c)
    assert "You predicted 5 ms" in text and "2.89 ms" in text and "too high" in text
    assert "Why it matters: " + why in text and why in c._repr_markdown_()
    assert book.compare(2.7, 2.89).status == "spot on"
    assert book.compare(2.3, 2.89).status == "close" and book.compare(2.3, 2.89).close
    assert book.compare(1.6, 2.89).status == "the right ballpark"
    assert book.compare(np.float64(3.0), np.int64(3)).status == "exact"


def test_compare_without_a_prediction_or_with_a_choice():
    missing = book.compare(..., 167.0, unit="ms per s")
    assert missing.status == "missing" and "No prediction recorded" in repr(missing)
    assert book.compare("same", "Same").status == "exact"
    wrong = book.compare("acks=1 is faster", "the same", why="with RF 1 the ISR is the leader")
    assert wrong.status == "wrong" and "Not this time" in repr(wrong)
    assert book.compare(5, 0).status == "off"
