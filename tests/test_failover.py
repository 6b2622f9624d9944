"""Failover: the KRaft controller's fencing and elections, faults on a schedule, clients following.

Pure-rule tests of ``QuorumController.elect`` on a stub cluster; runs with one fault each whose timeline is
exact (heartbeats every ``broker.heartbeat.interval.ms``, fencing ``broker.session.timeout.ms`` after the
last one, changes reaching brokers a commit and a network latency later); and a property: single-broker
crashes and restarts at random times with RF 3, ``acks=all`` and ``min.insync.replicas=2`` lose no
acknowledged record and deliver each once.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventsim
from eventsim.controller.quorum_controller import NO_LEADER, PartitionRegistration, QuorumController
from eventsim.core.errors import InvalidConfigurationError
from eventsim.hardware import get_profile
from eventsim.scenarios import Scenario

LATENCY = get_profile("cloud-2020").network_latency_ms

BASE = {
    "name": "failover",
    "horizon_ms": 6000,
    "cluster": {"brokers": 3, "hardware": "cloud-2020"},
    "broker": {"broker.heartbeat.interval.ms": 100, "broker.session.timeout.ms": 400},
    "topics": [
        {"name": "events", "partitions": 3, "replication.factor": 3, "config": {"min.insync.replicas": 2}}
    ],
    "producers": [
        {
            "name": "app",
            "topic": "events",
            "rate_per_s": 3000,
            "value_bytes": 200,
            "keys": {"distribution": "uniform", "count": 100},
            "config": {"acks": "all"},
            "stop_ms": 4000,
        }
    ],
    "consumers": [{"name": "reader", "topic": "events"}],
    "metrics": {"window_ms": 500},
}


def scenario(faults, **broker):
    data = copy.deepcopy(BASE)
    data["faults"] = faults
    data["broker"].update(broker)
    return data


# ---------------------------------------------------------------------- pure rules: elections
class _Broker:
    def __init__(self, i):
        self.id = i
        self.registered = True
        self.host = type("Host", (), {"name": f"broker-{i}"})()

    def apply_partition_change(self, tp, state):
        pass


class _Network:
    latency_ms = 0.1

    def reachable(self, a, b):
        return True


class _Cluster:
    def __init__(self, n):
        self.brokers = [_Broker(i) for i in range(n)]
        self.network = _Network()


class _Config:
    broker_heartbeat_interval_ms = 2000
    broker_session_timeout_ms = 9000
    auto_leader_rebalance_enable = True
    leader_imbalance_check_interval_seconds = 300

    def __init__(self, unclean=False):
        self.unclean_leader_election_enable = unclean


def controller(elr=True, unclean=False, fenced=()):
    c = QuorumController(None, _Cluster(3), _Config(unclean), elr)
    c.fenced.update(fenced)
    return c


def test_the_current_leader_stays_while_it_is_in_the_isr_and_unfenced():
    reg = PartitionRegistration([0, 1, 2], 2)
    reg.leader = 1
    assert controller().elect(reg, [0, 1, 2], []) == (1, [0, 1, 2], [])


def test_the_first_replica_in_assignment_order_that_is_in_sync_and_unfenced_leads():
    reg = PartitionRegistration([2, 0, 1], 2)
    assert controller(fenced={2}).elect(reg, [0, 1], []) == (0, [0, 1], [])
    assert controller(fenced={2, 0}).elect(reg, [1], []) == (1, [1], [])


def test_an_empty_isr_elects_an_eligible_replica_cleanly_with_elr():
    reg = PartitionRegistration([0, 1, 2], 2)
    assert controller(fenced={0}).elect(reg, [], [0, 2]) == (2, [2], [0])


def test_without_an_eligible_replica_there_is_no_leader_unless_unclean_election_is_on():
    reg = PartitionRegistration([0, 1, 2], 2)
    assert controller(fenced={0})._acceptable(1)
    assert controller(fenced={0}).elect(reg, [], [0]) == (NO_LEADER, [], [0])
    assert controller(unclean=True, fenced={0}).elect(reg, [], [0]) == (1, [1], [])


def test_without_elr_the_last_replica_standing_stays_in_the_isr():
    c = controller(elr=False)
    c.env = type("Env", (), {"now": 0.0, "call_at": lambda *a: None})()
    tp = "t-0"
    reg = c.create_partition(tp, [0, 1, 2], 2)
    reg.isr = [0]
    c.fence(0)
    assert (reg.leader, reg.isr, reg.elr) == (NO_LEADER, [0], [])


def test_alter_partition_from_a_replaced_leader_is_refused():
    c = controller()
    c.env = type("Env", (), {"now": 0.0, "call_at": lambda *a: None})()
    reg = c.create_partition("t-0", [0, 1, 2], 2)
    assert c.alter_partition("t-0", 0, 0, [0, 1])
    reg.leader, reg.leader_epoch = 1, 1
    assert not c.alter_partition("t-0", 0, 0, [0])  # the zombie's shrink
    assert reg.isr == [0, 1]


# ---------------------------------------------------------------------- one fault each
def leadership(result, partition):
    df = result.frame("leadership")
    return df[df.partition == partition].reset_index(drop=True)


def test_a_crashed_leader_is_fenced_a_session_timeout_after_its_last_heartbeat():
    # Heartbeats leave every 100 ms from 0 and arrive a latency later; the crash at 1050 ms follows the
    # one sent at 1000 ms, so the controller fences broker 0 at 1000 + latency + 400 ms.
    r = eventsim.simulate(scenario([{"at_ms": 1050, "kind": "crash", "broker": 0}]), seed=1)
    fenced_s = (1000 + LATENCY + 400) / 1000
    led = r.frame("leadership")
    changes = led[led.time_s > 0]
    assert changes.time_s.round(9).unique().tolist() == [round(fenced_s, 9)]
    for p in range(3):
        rows = leadership(r, p)
        last = rows.iloc[-1]
        assert "0" not in last.isr.split(",")
        if rows.iloc[0].leader == 0:
            assert last.leader != 0 and last.leader_epoch == 1
        else:
            assert last.leader == rows.iloc[0].leader and last.leader_epoch == 0
    assert r.frame("faults").outcome.tolist() == ["done"]


def test_acks_all_waits_for_the_crashed_follower_until_it_is_fenced_then_nothing_is_lost():
    r = eventsim.simulate(scenario([{"at_ms": 1050, "kind": "crash", "broker": 0}]), seed=1)
    s = r.summary().iloc[0]
    assert s.records_failed == 0
    assert s.records_acked == s.records_produced  # the producer stopped at 4 s: everything settled
    assert s.records_consumed == s.records_acked and s.records_consumed_duplicate == 0
    # Nothing is acknowledged between the crash and the fencing: the ISR still holds broker 0.
    assert s.produce_latency_p99_ms > 300


def test_a_restarted_broker_truncates_catches_up_and_rejoins_every_isr():
    faults = [{"at_ms": 1050, "kind": "crash", "broker": 0}, {"at_ms": 2500, "kind": "restart", "broker": 0}]
    r = eventsim.simulate(scenario(faults), seed=1)
    topics = r.describe()
    assert topics.isr.map(lambda isr: sorted(isr.split(","))).tolist() == [["0", "1", "2"]] * 3
    assert not topics.under_replicated.any()
    assert (topics.high_watermark == topics.log_end_offset).all()
    # It does not lead again within the run: the preferred-leader check runs every 300 s by default.
    assert 0 not in topics.leader.tolist()
    s = r.summary().iloc[0]
    assert s.records_consumed == s.records_acked == s.records_produced


def test_a_crashed_broker_answers_none_of_its_parked_fetches_and_requests():
    """Kafka's purgatories live in the broker's process: when it dies, what was parked there (consumer
    fetches waiting for fetch.min.bytes, acks=all requests) dies with it, unanswered, also when its
    deadline comes. The crashed broker's NIC sends nothing after the crash."""
    from eventsim.broker import lifecycle
    from eventsim.runner import build

    scenario = Scenario.load("data/scenarios/reference.yaml").to_dict()
    scenario["producers"][0]["rate_per_s"] = 50  # a record now and then: consumer fetches wait parked
    run = build(scenario, seed=3, horizon_ms=3000)
    run.start()
    broker = run.cluster.brokers[1]
    run.env.run(until=1000.0)
    assert broker.purgatory.parked > 0
    lifecycle.crash(broker)
    sent = broker.host.bytes_out
    run.env.run(until=2500.0)  # past every parked fetch's fetch.max.wait.ms
    assert broker.host.bytes_out == sent


def test_a_controlled_shutdown_moves_leadership_at_once_and_stalls_nothing():
    r = eventsim.simulate(scenario([{"at_ms": 1050, "kind": "shutdown", "broker": 0}]), seed=1)
    changes = r.frame("leadership").query("time_s > 0")
    assert (changes.time_s == 1.05).all() and len(changes) == 3
    s = r.summary().iloc[0]
    assert s.produce_latency_p99_ms < 50
    assert s.records_consumed == s.records_acked == s.records_produced


def test_leader_of_names_the_broker_when_the_fault_happens():
    r = eventsim.simulate(scenario([{"at_ms": 1000, "kind": "crash", "leader_of": "events-2"}]), seed=1)
    leader = leadership(r, 2).iloc[0].leader
    trace = r.frame("faults")
    assert trace.broker.tolist() == [leader] and trace.target.tolist() == ["leader_of events-2"]


def test_a_paused_leader_is_replaced_and_wakes_as_a_follower():
    r = eventsim.simulate(
        scenario([{"at_ms": 1050, "kind": "pause", "broker": 0, "duration_ms": 1500}]), seed=1
    )
    topics = r.describe()
    assert 0 not in topics.leader.tolist()
    assert topics.isr.map(lambda isr: "0" in isr.split(",")).all()  # back in sync after the pause
    s = r.summary().iloc[0]
    assert s.records_consumed == s.records_acked == s.records_produced


def test_without_faults_there_is_one_record_per_partition_and_an_empty_trace():
    r = eventsim.simulate(scenario([]), seed=1)
    assert len(r.frame("leadership")) == 3 and r.frame("faults").empty


# ---------------------------------------------------------------------- bad schedules
@pytest.mark.parametrize(
    "faults, field, text",
    [
        ([{"at_ms": 7000, "kind": "crash", "broker": 0}], "faults[0].at_ms", "after the run ends"),
        ([{"at_ms": 10, "kind": "crash", "broker": 3}], "faults[0].broker", "the cluster has 3 brokers"),
        ([{"at_ms": 10, "kind": "crash"}], "faults[0]", "a fault needs one broker"),
        (
            [{"at_ms": 10, "kind": "crash", "leader_of": "events-9"}],
            "faults[0].leader_of",
            "no such partition",
        ),
        ([{"at_ms": 10, "kind": "pause", "broker": 0}], "faults[0].duration_ms", "a pause needs its length"),
        ([{"at_ms": 10, "kind": "reboot", "broker": 0}], "faults[0].kind", "unknown fault kind"),
        ([{"at_ms": 10, "kind": "partition", "broker": 0}], "faults[0].broker", "unknown key"),
        ([{"at_ms": 10, "kind": "partition"}], "faults[0].sides", "a partition needs sides"),
        (
            [{"at_ms": 10, "kind": "partition", "sides": [["broker-0"], ["broker-0", "broker-1"]]}],
            "faults[0].sides",
            "a node on both sides",
        ),
        ([{"at_ms": 10, "kind": "power_loss", "brokers": []}], "faults[0].brokers", "expected a list"),
        (
            [
                {"at_ms": 10, "kind": "power_loss", "brokers": [0, 1]},
                {"at_ms": 20, "kind": "crash", "broker": 1},
            ],
            "faults[1]",
            "broker 1 is already down",
        ),
        ([{"at_ms": 10, "kind": "restart", "broker": 0}], "faults[0]", "broker 0 is running"),
        (
            [{"at_ms": 10, "kind": "crash", "broker": 0}, {"at_ms": 20, "kind": "crash", "broker": 0}],
            "faults[1]",
            "broker 0 is already down",
        ),
        (
            [{"at_ms": 10, "kind": "restart", "broker": 0, "leader_of": "events-0"}],
            "faults[0].leader_of",
            "unknown key",
        ),
    ],
)
def test_a_bad_schedule_is_one_error_before_the_run(faults, field, text):
    with pytest.raises(InvalidConfigurationError) as info:
        Scenario.from_dict(scenario(faults))
    assert info.value.field == field
    assert text in str(info.value)


def test_faults_round_trip_through_to_dict():
    sc = Scenario.from_dict(
        scenario([{"at_ms": 20, "kind": "restart", "broker": 1}, {"at_ms": 10, "kind": "crash", "broker": 1}])
    )
    assert [f.kind for f in sc.faults] == ["crash", "restart"]  # in time order
    assert Scenario.from_dict(sc.to_dict()) == sc


# ---------------------------------------------------------------------- property
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    broker=st.integers(0, 2),
    crash_ms=st.integers(200, 2500),
    down_ms=st.integers(50, 1500),
    kind=st.sampled_from(["crash", "shutdown", "pause", "partition"]),
    check=st.booleans(),
    seed=st.integers(0, 50),
)
def test_single_broker_failures_lose_nothing_acknowledged(broker, crash_ms, down_ms, kind, check, seed):
    if kind == "pause":
        faults = [{"at_ms": crash_ms, "kind": "pause", "broker": broker, "duration_ms": down_ms}]
    elif kind == "partition":  # the broker cut off from the other brokers and the controller, then healed
        others = [f"broker-{b}" for b in range(3) if b != broker] + ["controller-0"]
        faults = [
            {"at_ms": crash_ms, "kind": "partition", "sides": [[f"broker-{broker}"], others]},
            {"at_ms": crash_ms + down_ms, "kind": "heal"},
        ]
    else:
        faults = [
            {"at_ms": crash_ms, "kind": kind, "broker": broker},
            {"at_ms": crash_ms + down_ms, "kind": "restart", "broker": broker},
        ]
    data = scenario(faults)
    data["metrics"]["check"] = check  # with every log entry kept, and without
    r = eventsim.simulate(data, seed=seed)
    s = r.summary().iloc[0]
    assert s.records_failed == 0
    assert s.records_consumed == s.records_acked == s.records_produced
    assert s.records_consumed_duplicate == 0
    if check:
        c = r.check()
        assert (c["lost"], c["duplicate"], c["poll_skip"], c["nonmonotonic_poll"]) == (0, 0, 0, 0)
        assert c["acked"] == s.records_acked
    led = r.frame("leadership")
    # At most one leader per partition and epoch.
    assert (led[led.leader >= 0].groupby(["partition", "leader_epoch"]).leader.nunique() <= 1).all()
    # The high watermark never goes backwards while a leader leads (window by window).
    parts = r.frame("partitions")
    for _, rows in parts.groupby("partition"):
        stint = (rows.leader != rows.leader.shift()).cumsum()
        for _, same in rows.groupby(stint):
            assert same.high_watermark.is_monotonic_increasing


# ---------------------------------------------------------------------- ZooKeeper mode
def zk_scenario(faults, partitions=3, version="3.9", **broker):
    data = scenario(faults, **broker)
    data["cluster"] = {"brokers": 3, "hardware": "cloud-2020", "kafka_version": version}
    data["topics"][0]["partitions"] = partitions
    data["broker"] = {"zookeeper.session.timeout.ms": 1800, **broker}  # sessions expire within the run
    data["metrics"]["check"] = True
    return data


def test_zookeeper_mode_notices_a_crash_when_the_session_expires_and_writes_each_partition_in_turn():
    # Pings every third of zookeeper.session.timeout.ms (600 ms): the last before the crash at 1050 ms is
    # the one at 600 ms; the session expires 1800 ms later. Each partition change then takes 0.3 ms.
    r = eventsim.simulate(zk_scenario([{"at_ms": 1050, "kind": "crash", "broker": 1}],
                                      **{"zookeeper.session.timeout.ms": 1800}), seed=1)  # fmt: skip
    changes = r.frame("leadership").query("time_s > 0").time_s.to_numpy() * 1000
    expired = 600 + LATENCY + 1800
    assert changes[0] == pytest.approx(expired + 0.3)
    assert changes == pytest.approx(expired + 0.3 * np.arange(1, len(changes) + 1))
    c = r.check()
    assert c["lost"] == 0 and c["acked"] == r.summary().records_produced.sum()


def test_zookeeper_failover_slows_down_with_partitions_and_kraft_does_not():
    def worst(mode, partitions, version="3.9"):
        data = zk_scenario([{"at_ms": 1050, "kind": "crash", "broker": 1}], partitions, version)
        data["cluster"]["controller_mode"] = mode
        return max(eventsim.simulate(data, seed=1).check()["unavailable_ms"].values())

    assert worst("kraft", 600) == pytest.approx(worst("kraft", 6))  # in memory, batched
    # 600 partitions: ~200 leaders and ~400 ISR changes at 0.3 ms each (Kafka 1.1+) before the last one.
    assert worst("zookeeper", 600) - worst("zookeeper", 6) == pytest.approx(0.3 * 594, rel=0.1)
    # Before 1.1 each change took about 39 ms (6.5 minutes for 10,000 leaders).
    assert worst("zookeeper", 60, "1.0") - worst("zookeeper", 6, "1.0") > 1500


def test_a_new_zookeeper_mode_controller_reads_every_partition_before_it_acts():
    leader = eventsim.simulate(zk_scenario([{"at_ms": 1050, "kind": "crash", "broker": 1}], 300), seed=1)
    controller = eventsim.simulate(zk_scenario([{"at_ms": 1050, "kind": "crash", "broker": 0}], 300), seed=1)
    first = [r.frame("leadership").query("time_s > 0").time_s.min() * 1000 for r in (leader, controller)]
    assert first[1] - first[0] == pytest.approx(0.14 * 300, abs=1)  # broker 0 held /controller
    assert leader.frame("faults").query("kind == 'controller'").empty
    won = controller.frame("faults").query("kind == 'controller'").iloc[0]
    assert won.target == "broker-1" and won.time_s * 1000 < first[1]
    assert won.outcome == f"elected; active at {(won.time_s * 1000 + 0.14 * 300) / 1000:.4f} s"


def test_zookeeper_mode_has_no_eligible_leader_replicas_and_a_controlled_shutdown_moves_leaders_first():
    r = eventsim.simulate(zk_scenario([{"at_ms": 1050, "kind": "shutdown", "broker": 1}], 30), seed=1)
    c = r.check()
    assert c["lost"] == 0 and c["acked"] == r.summary().records_produced.sum()
    assert max(c["unavailable_ms"].values()) < 20  # 0.3 ms per change, before the broker stops
    assert (r.frame("leadership").elr == "").all()


@pytest.mark.parametrize("mode", ["kraft", "zookeeper"])
def test_the_preferred_replica_leads_again_at_the_next_imbalance_check(mode):
    faults = [{"at_ms": 1050, "kind": "crash", "broker": 0}, {"at_ms": 2500, "kind": "restart", "broker": 0}]
    data = scenario(faults) if mode == "kraft" else zk_scenario(faults)
    data["broker"]["leader.imbalance.check.interval.seconds"] = 1
    r = eventsim.simulate(data, seed=1)
    topics = r.describe()
    assert (topics.leader == topics.replicas.str.split(",").str[0].astype(int)).all()
    moved_back = r.frame("leadership").query("leader == 0 and leader_epoch == 2")
    assert len(moved_back) == 1 and round(moved_back.time_s.iloc[0]) == 3  # the check after it rejoined
    off = copy.deepcopy(data)
    off["broker"]["auto.leader.rebalance.enable"] = False
    assert 0 not in eventsim.simulate(off, seed=1).describe().leader.tolist()


def test_a_slow_disk_keeps_the_broker_s_disks_busier_for_its_duration():
    faults = [{"at_ms": 1000, "kind": "slow_disk", "broker": 0, "factor": 50, "duration_ms": 2000}]
    # Written through (page_cache_writeback off): every append books the disk, so its load shows at once
    # (with write-back, this run's few MB/s would stay in the page cache for its 6 s).
    through = {"variability": {"page_cache_writeback": False}}
    slow = eventsim.simulate({**scenario(faults), **through}, seed=1)
    base = eventsim.simulate({**scenario([]), **through}, seed=1)

    def disk(r, lo, hi):
        b = r.frame("brokers")
        b = b[(b.broker == 0) & (b.resource == "disk") & (b.time_s >= lo) & (b.time_s < hi)]
        return b.utilisation.mean()

    assert disk(slow, 1.0, 3.0) > 10 * disk(base, 1.0, 3.0)
    assert disk(slow, 4.0, 6.0) == pytest.approx(disk(base, 4.0, 6.0), rel=0.2)  # back to normal
    assert slow.frame("faults").outcome.tolist() == ["done"]
    with pytest.raises(InvalidConfigurationError, match="how many times slower"):
        Scenario.from_dict(scenario([{"at_ms": 10, "kind": "slow_disk", "broker": 0, "duration_ms": 5}]))


def test_a_leader_cut_off_from_its_cluster_but_not_its_producer_loses_acks_1_writes_and_no_acks_all_ones():
    # Jepsen's network partition: broker 0 leads events-2 and still hears the producer, but neither its
    # followers nor the controller; the controller fences it and elects broker 1, while broker 0 goes on
    # acknowledging acks=1 writes until it hears of the new leader after the partition heals.
    faults = [
        {
            "at_ms": 1000,
            "kind": "partition",
            "sides": [["broker-0"], ["broker-1", "broker-2", "controller-0"]],
        },
        {"at_ms": 3000, "kind": "heal"},
    ]
    results = {}
    for acks in ("1", "all"):
        data = scenario(faults)
        data["producers"][0]["config"]["acks"] = acks
        data["metrics"]["check"] = True
        results[acks] = eventsim.simulate(data, seed=1)
    assert results["1"].check()["lost"] > 0
    assert results["all"].check()["lost"] == 0
    for r in results.values():  # broker 0 is back in every ISR once the partition heals
        assert (r.describe().isr.str.split(",").map(len) == 3).all()
        assert r.frame("faults").target.tolist() == [
            "broker-0 | broker-1,broker-2,controller-0",
            "every partition",
        ]


def test_the_kraft_quorum_elects_a_new_active_controller_and_brokers_keep_their_sessions():
    # Controller 0 (active) dies at 1 s; the others notice after the fetch timeout (2 s) and elect one of
    # them within the election timeout and its backoff (1-2 s). Nobody is fenced meanwhile.
    faults = [
        {"at_ms": 1000, "kind": "crash", "controller": 0},
        {"at_ms": 5000, "kind": "restart", "controller": 0},
    ]
    r = eventsim.simulate(scenario(faults), seed=1)
    quorum = r.frame("faults").query("kind == 'quorum'")
    assert quorum.target.tolist()[0] == "none" and quorum.target.tolist()[1] in (
        "controller-1",
        "controller-2",
    )
    assert 4.0 <= quorum.time_s.iloc[1] <= 5.0 + 1e-9
    assert r.frame("leadership").query("time_s > 0").empty  # no broker fenced, no leader moved
    s = r.summary().iloc[0]
    assert s.records_acked == s.records_produced


def test_a_broker_crash_while_the_quorum_has_no_leader_is_noticed_by_the_next_controller():
    faults = [
        {"at_ms": 1000, "kind": "crash", "controller": 0},
        {"at_ms": 1100, "kind": "crash", "broker": 1},
    ]
    r = eventsim.simulate(scenario(faults), seed=1)
    elected = r.frame("faults").query("kind == 'quorum' and target != 'none'").time_s.iloc[0]
    changes = r.frame("leadership").query("time_s > 0").time_s
    # A fresh session from the election: fenced broker.session.timeout.ms (400 ms) after it.
    assert changes.min() == pytest.approx(elected + 0.4, abs=0.01)


def test_without_a_majority_of_voters_no_controller_acts():
    data = scenario(
        [{"at_ms": 1000, "kind": "crash", "controller": 0}, {"at_ms": 1100, "kind": "crash", "broker": 1}]
    )
    data["cluster"]["controllers"] = 1
    r = eventsim.simulate(data, seed=1)
    assert r.frame("leadership").query("time_s > 0").empty  # broker 1 is never fenced
    assert r.frame("faults").query("kind == 'quorum'").target.tolist() == ["none"]
    with pytest.raises(InvalidConfigurationError, match="no such KRaft controller"):
        Scenario.from_dict(scenario([{"at_ms": 10, "kind": "crash", "controller": 5}]))


def combined(faults):
    data = scenario(faults)
    data["cluster"]["controller_nodes"] = "combined"
    return data


def test_a_combined_node_crash_costs_the_quorums_failover_and_then_a_whole_session():
    # Broker 0 hosts the active controller. Its crash stops both: the other voters elect one of them
    # after the fetch timeout (2 s) and the election timeout with its backoff (1-2 s); the new controller
    # starts broker 0's session afresh, so broker 0 is fenced 400 ms after the election, not 400 ms after
    # its last heartbeat as with dedicated controllers.
    fault = [{"at_ms": 1000, "kind": "crash", "broker": 0}]
    r = eventsim.simulate(combined(fault), seed=1)
    quorum = r.frame("faults").query("kind == 'quorum'")
    assert quorum.target.tolist()[0] == "none" and quorum.target.tolist()[1] in ("broker-1", "broker-2")
    elected = quorum.time_s.iloc[1]
    assert 4.0 <= elected <= 5.0 + 1e-9
    moved = r.frame("leadership").query("time_s > 0").time_s
    assert moved.min() == pytest.approx(elected + 0.4, abs=0.01)
    dedicated = eventsim.simulate(scenario(fault), seed=1).frame("leadership").query("time_s > 0").time_s
    assert dedicated.min() < 1.5 < moved.min()
    assert r.frame("faults").query("kind == 'quorum'").shape[0] == 2


def test_a_combined_voter_that_is_not_active_is_only_a_broker_crash():
    r = eventsim.simulate(combined([{"at_ms": 1000, "kind": "crash", "broker": 1}]), seed=1)
    assert r.frame("faults").query("kind == 'quorum'").empty
    assert r.frame("leadership").query("time_s > 0").time_s.min() < 1.5


def test_a_combined_controller_shutdown_resigns_without_waiting_for_the_fetch_timeout():
    r = eventsim.simulate(combined([{"at_ms": 1000, "kind": "shutdown", "broker": 0}]), seed=1)
    quorum = r.frame("faults").query("kind == 'quorum'")
    assert quorum.target.tolist()[0] == "none"
    assert quorum.time_s.iloc[1] - quorum.time_s.iloc[0] <= 1.0 + 1e-9  # the backoff only
    s = r.summary().iloc[0]
    assert s.records_acked == s.records_produced


def test_combined_voters_lose_the_quorum_with_their_brokers_and_get_it_back_when_one_restarts():
    faults = [
        {"at_ms": 1000, "kind": "crash", "broker": 1},
        {"at_ms": 1200, "kind": "crash", "broker": 0},
        {"at_ms": 3000, "kind": "restart", "broker": 1},
    ]
    r = eventsim.simulate(combined(faults), seed=1)
    quorum = r.frame("faults").query("kind == 'quorum'")
    assert quorum.target.tolist() == ["none", "broker-1"] or quorum.target.tolist() == ["none", "broker-2"]
    assert quorum.time_s.iloc[1] >= 3.0  # nobody leads while 2 of 3 voters are down


def test_a_long_pause_of_the_active_combined_voter_moves_the_quorums_leadership():
    def paused(ms):
        fault = {"at_ms": 1000, "kind": "pause", "broker": 0, "duration_ms": ms}
        return eventsim.simulate(combined([fault]), seed=1)

    assert paused(300).frame("faults").query("kind == 'quorum'").empty
    assert paused(2500).frame("faults").query("kind == 'quorum'").target.tolist()[0] == "none"


def test_combined_controller_nodes_are_checked():
    with pytest.raises(InvalidConfigurationError, match="controller_nodes"):
        Scenario.from_dict({**combined([]), "cluster": {"brokers": 3, "controller_nodes": "both"}})
    data = combined([])
    data["cluster"]["controllers"] = 5
    with pytest.raises(InvalidConfigurationError, match=r"1\.\.3 with controller_nodes combined"):
        Scenario.from_dict(data)
    data = combined([])
    data["cluster"].update(controller_mode="zookeeper", kafka_version="3.9")
    with pytest.raises(InvalidConfigurationError, match="dedicated with controller_mode zookeeper"):
        Scenario.from_dict(data)
    with pytest.raises(InvalidConfigurationError, match="broker fault instead"):
        Scenario.from_dict(combined([{"at_ms": 10, "kind": "crash", "controller": 0}]))
    with pytest.raises(InvalidConfigurationError, match="unknown node|controller-0"):
        Scenario.from_dict(
            combined([{"at_ms": 10, "kind": "partition", "sides": [["controller-0"], ["broker-1"]]}])
        )
