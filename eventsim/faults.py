"""Faults on a schedule: broker crashes, restarts, controlled shutdowns and pauses at given times.

What happens in a Kafka cluster (and what the model does for each kind):

* ``crash`` (``kill -9`` of the broker process): the process stops at once; the operating system resets
  its TCP connections, so clients and followers notice one network latency later; the controller notices
  only when its heartbeats stop for ``broker.session.timeout.ms`` and then fences it and elects new
  leaders (``controller/quorum_controller.py``). The machine's page cache survives, so nothing appended
  is lost from the crashed broker's logs.
* ``restart``: the process starts again with the logs it had, registers with the controller, is unfenced
  with its first heartbeat, truncates where its logs diverge from the leaders' and catches up.
* ``shutdown`` (SIGTERM, a controlled shutdown): the controller moves the broker's leaderships away
  first; the broker stops once it has heard, so clients follow the new leaders without a timeout.
* ``pause`` (a long GC pause, a paused VM: ``duration_ms``): every thread of the process stops,
  heartbeats included; a pause longer than the session timeout gets it fenced, and it wakes up still
  believing it leads (a zombie) until it reads the metadata log.

A fault names its broker with ``broker: N`` or, for ``crash``, ``shutdown`` and ``pause``, with
``leader_of: "topic-partition"``, resolved when the fault happens. The schedule is checked before the
run: unknown kinds and keys, brokers the cluster does not have, times outside the run, and entries that
contradict the ones before them on a named broker (a crash of a broker already down, a restart of one
that is up) are errors. A fault that meets another state at run time (``leader_of`` a partition without
a leader) is skipped and says so in the ``faults`` frame.

* ``power_loss`` (``broker``, or ``brokers: [...]`` for machines that go down together): the machine goes
  down; what its page cache had not written back is lost (``Log.lose_unflushed``: the kernel writes a page
  back once it has been dirty for 30 s, when its flusher wakes every 5 s, unless ``flush.messages`` /
  ``flush.ms`` forced an fsync), and nothing resets its connections: clients and followers give up after
  their request timeouts (30 s). A ``restart`` brings it back with what its disks held.

* ``slow_disk`` (``broker`` or ``leader_of``, ``factor`` >= 1, ``duration_ms``): the broker's disks serve
  ``factor`` times slower for a while; write-back falls behind and, past ``vm.dirty_ratio``, appends wait.

* ``partition`` (``sides: [[names], [names]]``, ``one_way``) and ``heal`` (``sides``, or none for every
  partition): messages between the sides are lost and nothing tells either side
  (``Cluster.partition_network``); clients and followers give up after their 30 s timeouts; a broker cut
  off from ``controller-0`` misses its heartbeats and is fenced. When the partition heals, what crossed
  it unanswered is given up and sent again (TCP would retransmit it; the model resends it).

* ``crash`` and ``restart`` with ``controller: N`` instead of ``broker``: KRaft controller voter N's node
  (``controller-N``, with ``cluster.controller_nodes: dedicated``). With ``combined`` voters, voter N lives
  in broker N's process: a crash, power loss or controlled shutdown of broker N stops it as well, and a
  pause longer than ``controller.quorum.fetch.timeout.ms`` costs it the quorum's leadership.

Not modelled yet: faults of clients themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import check_keys, check_mapping, check_number, did_you_mean

__all__ = ["Fault", "FaultInjector", "check_faults", "node_names", "FAULT_KINDS"]

FAULT_KINDS = ("crash", "restart", "shutdown", "pause", "power_loss", "slow_disk", "partition", "heal")
NOT_MODELLED_YET: dict = {}
_KEYS = {
    "crash": ("at_ms", "kind", "broker", "leader_of", "controller"),
    "restart": ("at_ms", "kind", "broker", "controller"),
    "shutdown": ("at_ms", "kind", "broker", "leader_of"),
    "pause": ("at_ms", "kind", "broker", "leader_of", "duration_ms"),
    "power_loss": ("at_ms", "kind", "broker", "brokers"),
    "slow_disk": ("at_ms", "kind", "broker", "leader_of", "factor", "duration_ms"),
    "partition": ("at_ms", "kind", "sides", "one_way"),
    "heal": ("at_ms", "kind", "sides", "one_way"),
}


class Fault:
    """One scheduled fault (see module docstring); ``broker`` or ``leader_of`` (``(topic, partition)``)."""

    __slots__ = (
        "at_ms",
        "kind",
        "broker",
        "leader_of",
        "duration_ms",
        "factor",
        "sides",
        "one_way",
        "controller",
    )

    def __init__(self, at_ms: float, kind: str, broker=None, leader_of=None, duration_ms=None, factor=None):
        self.at_ms = at_ms
        self.kind = kind
        self.broker = broker
        self.leader_of = leader_of
        self.duration_ms = duration_ms
        self.factor = factor
        self.sides = None  # a network partition's two sides: tuples of node names
        self.one_way = False  # only the first side's messages to the second are lost
        self.controller = None  # a KRaft controller voter's crash or restart

    def pairs(self) -> frozenset:
        """The (sender, receiver) names whose messages a partition loses (None sides: every pair)."""
        a, b = self.sides
        out = {(x, y) for x in a for y in b}
        if not self.one_way:
            out |= {(y, x) for x in a for y in b}
        return frozenset(out)

    def target(self) -> str:
        if self.sides is not None:
            arrow = " -/-> " if self.one_way else " | "
            return arrow.join(",".join(side) for side in self.sides)
        if self.kind == "heal":
            return "every partition"
        if self.controller is not None:
            return f"controller-{self.controller}"
        if self.broker is not None:
            return f"broker-{self.broker}"
        return f"leader_of {self.leader_of[0]}-{self.leader_of[1]}"

    def to_dict(self) -> dict:
        out: dict = {"at_ms": self.at_ms, "kind": self.kind}
        if self.broker is not None:
            out["broker"] = self.broker
        if self.leader_of is not None:
            out["leader_of"] = f"{self.leader_of[0]}-{self.leader_of[1]}"
        if self.duration_ms is not None:
            out["duration_ms"] = self.duration_ms
        if self.factor is not None:
            out["factor"] = self.factor
        if self.controller is not None:
            out["controller"] = self.controller
        if self.sides is not None:
            out["sides"] = [list(side) for side in self.sides]
            if self.one_way:
                out["one_way"] = True
        return out

    def __eq__(self, other) -> bool:
        return isinstance(other, Fault) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items())))  # (sides are lists)

    def __repr__(self) -> str:
        return f"Fault({self.to_dict()})"


def _network_fault(path: str, item, kind: str, horizon_ms: float, nodes) -> Fault:
    at = check_number(f"{path}.at_ms", item["at_ms"], lo=0)
    if at >= horizon_ms:
        raise InvalidConfigurationError(
            f"{path}.at_ms", at, f"a time in [0, horizon_ms) = [0, {horizon_ms:g})", "after the run ends"
        )
    f = Fault(at, kind)
    one_way = item.get("one_way", False)
    if not isinstance(one_way, bool):
        raise InvalidConfigurationError(f"{path}.one_way", one_way, "true or false", "expected a boolean")
    f.one_way = one_way
    sides = item.get("sides")
    if sides is None:
        if kind == "partition":
            raise InvalidConfigurationError(
                f"{path}.sides", None, "two lists of node names", "a partition needs sides"
            )
        return f  # heal: every partition
    if isinstance(sides, (str, Mapping)) or not hasattr(sides, "__iter__") or len(list(sides)) != 2:
        raise InvalidConfigurationError(
            f"{path}.sides", sides, "two lists of node names", "expected two sides"
        )
    out = []
    for k, side in enumerate(sides):
        if isinstance(side, (str, Mapping)) or not hasattr(side, "__iter__") or not list(side):
            raise InvalidConfigurationError(
                f"{path}.sides[{k}]", side, "a non-empty list of node names", "expected a list"
            )
        for name in side:
            if name not in nodes:
                raise InvalidConfigurationError(
                    f"{path}.sides[{k}]",
                    name,
                    "node names: " + ", ".join(sorted(nodes)),
                    "no such node" + did_you_mean(str(name), sorted(nodes)),
                )
        out.append(tuple(str(n) for n in side))
    if set(out[0]) & set(out[1]):
        raise InvalidConfigurationError(
            f"{path}.sides", sides, "two sides without a common node", "a node on both sides"
        )
    f.sides = tuple(out)
    return f


def _controller_fault(path: str, item, kind: str, horizon_ms: float, nodes) -> Fault:
    if "broker" in item or "leader_of" in item:
        raise InvalidConfigurationError(path, dict(item), "controller, or broker", "a fault acts on one node")
    at = check_number(f"{path}.at_ms", item["at_ms"], lo=0)
    if at >= horizon_ms:
        raise InvalidConfigurationError(
            f"{path}.at_ms", at, f"a time in [0, horizon_ms) = [0, {horizon_ms:g})", "after the run ends"
        )
    voter = check_number(f"{path}.controller", item["controller"], lo=0, integer=True)
    voters = sorted(n for n in nodes if n.startswith("controller-"))
    if not voters:
        raise InvalidConfigurationError(
            f"{path}.controller",
            voter,
            "a broker fault instead (broker: N)",
            "the cluster has no controller nodes of its own: in ZooKeeper mode the controller is a broker, "
            "and with cluster.controller_nodes combined voter N runs inside broker N",
        )
    if f"controller-{voter}" not in voters:
        raise InvalidConfigurationError(
            f"{path}.controller",
            voter,
            f"controllers 0..{len(voters) - 1} (cluster.controllers)",
            "no such KRaft controller",
        )
    f = Fault(at, kind)
    f.controller = voter
    return f


def _one(path: str, item: object, brokers: int, horizon_ms: float, topics: dict, nodes=()) -> Fault:
    if isinstance(item, Fault):
        item = item.to_dict()
    check_mapping(path, item, "fault keys")
    kind = item.get("kind")
    if kind in NOT_MODELLED_YET:
        raise InvalidConfigurationError(
            f"{path}.kind",
            kind,
            "one of " + ", ".join(FAULT_KINDS),
            f"{NOT_MODELLED_YET[kind]} not modelled yet (later in the failover capability)",
        )
    if kind not in FAULT_KINDS:
        raise InvalidConfigurationError(
            f"{path}.kind",
            kind,
            "one of " + ", ".join(FAULT_KINDS),
            "unknown fault kind" + did_you_mean(kind, FAULT_KINDS + tuple(NOT_MODELLED_YET)),
        )
    check_keys(path, item, _KEYS[kind], ("at_ms", "kind"))
    if kind in ("partition", "heal"):
        return _network_fault(path, item, kind, horizon_ms, nodes)
    if "controller" in item:
        return _controller_fault(path, item, kind, horizon_ms, nodes)
    at = check_number(f"{path}.at_ms", item["at_ms"], lo=0)
    if at >= horizon_ms:
        raise InvalidConfigurationError(
            f"{path}.at_ms", at, f"a time in [0, horizon_ms) = [0, {horizon_ms:g})", "after the run ends"
        )
    broker = item.get("broker")
    leader_of = item.get("leader_of")
    if (broker is None) == (leader_of is None):
        names = "broker or leader_of" if "leader_of" in _KEYS[kind] else "broker"
        raise InvalidConfigurationError(
            path, dict(item), f"exactly one of {names}", "a fault needs one broker to act on"
        )
    if broker is not None:
        broker = check_number(f"{path}.broker", broker, lo=0, integer=True)
        if broker >= brokers:
            raise InvalidConfigurationError(
                f"{path}.broker", broker, f"broker ids 0..{brokers - 1}", f"the cluster has {brokers} brokers"
            )
    else:
        text = str(leader_of)
        topic, _, part = text.rpartition("-")
        if topic not in topics or not part.isdigit() or int(part) >= topics[topic]:
            allowed = ", ".join(f"{t}-0..{t}-{n - 1}" for t, n in topics.items())
            raise InvalidConfigurationError(
                f"{path}.leader_of",
                leader_of,
                f"a partition as 'topic-partition' ({allowed})",
                "no such partition",
            )
        leader_of = (topic, int(part))
    duration = factor = None
    if kind in ("pause", "slow_disk"):
        if "duration_ms" not in item:
            raise InvalidConfigurationError(
                f"{path}.duration_ms", None, "a number > 0", f"a {kind.replace('_', ' ')} needs its length"
            )
        duration = check_number(f"{path}.duration_ms", item["duration_ms"], lo=0, lo_open=True)
    if kind == "slow_disk":
        if "factor" not in item:
            raise InvalidConfigurationError(f"{path}.factor", None, "a number >= 1", "how many times slower")
        factor = check_number(f"{path}.factor", item["factor"], lo=1)
    return Fault(at, kind, broker, leader_of, duration, factor)


def node_names(cluster, producers, consumers) -> set:
    """The names a network partition's sides use, as the results name the hosts: ``broker-N``,
    ``controller-N`` (KRaft's dedicated voters; in ZooKeeper mode ``controller-0`` stands for ZooKeeper;
    combined voters are their brokers),
    ``producer-<name>-<i>``, ``consumer-<name>-<i>``; ``cluster`` is the scenario's ``ClusterConfig``."""
    if cluster.controller_mode != "kraft":
        voters = 1
    else:
        voters = cluster.controllers if cluster.controller_nodes == "dedicated" else 0  # combined: brokers
    nodes = {f"broker-{b}" for b in range(cluster.brokers)} | {f"controller-{c}" for c in range(voters)}
    for kind, specs in (("producer", producers), ("consumer", consumers)):
        for spec in specs:
            nodes |= {f"{kind}-{spec.name}-{i}" for i in range(spec.count)}
    return nodes


def check_faults(faults: object, brokers: int, horizon_ms: float, topics: dict, nodes=()) -> tuple:
    """The scenario's ``faults`` list, checked (see module docstring); ``topics`` maps names to
    partition counts, ``nodes`` holds the names a network partition may use. Returns a tuple of ``Fault``
    in time order (entries at the same time in list order)."""
    if faults is None:
        return ()
    if isinstance(faults, (str, Mapping)) or not hasattr(faults, "__iter__"):
        raise InvalidConfigurationError("faults", faults, "a list of faults", "expected a list")
    out = []
    paths = []
    for i, item in enumerate(faults):
        path = f"faults[{i}]"
        if isinstance(item, Mapping) and item.get("kind") == "power_loss" and "brokers" in item:
            if "broker" in item:
                raise InvalidConfigurationError(path, dict(item), "broker or brokers", "give one of them")
            ids = item["brokers"]
            if isinstance(ids, (str, Mapping)) or not hasattr(ids, "__iter__") or not list(ids):
                raise InvalidConfigurationError(
                    f"{path}.brokers", ids, "a non-empty list of broker ids", "expected a list"
                )
            for b in ids:  # one power loss per machine, at the same time
                out.append(_one(path, {**{k: v for k, v in item.items() if k != "brokers"}, "broker": b},
                                brokers, horizon_ms, topics, nodes))  # fmt: skip
                paths.append(path)
        else:
            out.append(_one(path, item, brokers, horizon_ms, topics, nodes))
            paths.append(path)
    order = sorted(range(len(out)), key=lambda i: (out[i].at_ms, i))
    where = {i: paths[i] for i in range(len(out))}
    up = [True] * brokers
    voter_up: dict = {}
    for i in order:
        f = out[i]
        if f.controller is not None:
            v = f.controller
            running = voter_up.get(v, True)
            if (f.kind == "restart") == running:
                state = "running" if running else "already down"
                raise InvalidConfigurationError(
                    where[i],
                    f.to_dict(),
                    "a crash of a running controller, a restart of a stopped one",
                    f"controller {v} is {state} at {f.at_ms:g} ms",
                )
            voter_up[v] = f.kind == "restart"
            continue
        if f.broker is None:
            continue
        b = f.broker
        if f.kind == "restart" and up[b]:
            raise InvalidConfigurationError(
                where[i],
                f.to_dict(),
                "a restart of a broker that an earlier fault stopped",
                f"broker {b} is running at {f.at_ms:g} ms",
            )
        if f.kind != "restart" and not up[b]:
            raise InvalidConfigurationError(
                where[i],
                f.to_dict(),
                "faults on a running broker",
                f"broker {b} is already down at {f.at_ms:g} ms (restart it first)",
            )
        if f.kind in ("crash", "shutdown", "power_loss"):
            up[b] = False
        elif f.kind == "restart":
            up[b] = True
    return tuple(out[i] for i in order)


class FaultInjector:
    """Applies a run's faults at their times and keeps their trace (the ``faults`` frame)."""

    def __init__(self, env, cluster, faults):
        self.env = env
        self.cluster = cluster
        self.faults = tuple(faults)
        self.trace: list = []  # (time_s, kind, target, broker or -1, outcome)
        self.pauses: dict = {}  # broker -> [(start_ms, end_ms)] of its pauses
        self.stopped: dict = {}  # broker -> when its last controlled shutdown stopped it

    def start(self) -> None:
        if not self.faults:
            return
        self.cluster.controller.start_heartbeats()
        for f in self.faults:
            self.env.call_at(f.at_ms, self._fire, f)

    def _fire(self, f: Fault) -> None:
        from eventsim.broker import lifecycle  # the run's side: scenarios validate faults without brokers
        from eventsim.controller.quorum_controller import QUORUM_FETCH_TIMEOUT_MS

        cluster = self.cluster
        if f.controller is not None:
            if f.kind == "crash":
                cluster.controller.voter_down(f.controller)
            else:
                cluster.controller.voter_restarted(f.controller)
            self._trace(f, -1, "done")
            return
        if f.kind == "partition":
            cluster.partition_network(f.pairs())
            self._trace(f, -1, "done")
            return
        if f.kind == "heal":
            cluster.heal_network(None if f.sides is None else f.pairs())
            self._trace(f, -1, "done")
            return
        b = f.broker
        if b is None:
            tp = next(tp for tp in cluster.topics[f.leader_of[0]].tps() if tp.partition == f.leader_of[1])
            b = cluster.leader_of(tp)
            if b < 0:
                self._trace(f, -1, "skipped: the partition has no leader")
                return
        broker = cluster.brokers[b]
        controller = cluster.controller
        voter = getattr(controller, "combined", False) and b < controller.voters  # its process holds a voter
        now = self.env.now
        if f.kind == "restart":
            if broker.running:
                self._trace(f, b, "skipped: the broker is running")
                return
            lifecycle.restart(broker)
            if voter:
                controller.voter_restarted(b)
        elif not broker.running:
            self._trace(f, b, "skipped: the broker is down")
            return
        elif f.kind == "crash":
            lifecycle.crash(broker)
            if voter:
                controller.voter_down(b)
        elif f.kind == "shutdown":
            self.stopped[b] = lifecycle.controlled_shutdown(broker)
            if voter:  # the voter resigns when the process stops
                self.env.call_at(max(now, self.stopped[b]), controller.voter_down, b, True)
        elif f.kind == "power_loss":
            lifecycle.power_loss(broker)
            if voter:
                controller.voter_down(b)
        elif f.kind == "slow_disk":
            broker.log_manager.slow_down(now, now + f.duration_ms, f.factor)
        else:
            lifecycle.pause(broker, f.duration_ms)
            self.pauses.setdefault(b, []).append((now, now + f.duration_ms))
            if voter and f.duration_ms > QUORUM_FETCH_TIMEOUT_MS:  # the other voters stop waiting for it
                controller.voter_down(b)
                self.env.call_at(now + f.duration_ms, controller.voter_restarted, b)
        self._trace(f, b, "done")

    def _trace(self, f: Fault, broker: int, outcome: str) -> None:
        self.trace.append((self.env.now / 1000.0, f.kind, f.target(), broker, outcome))
