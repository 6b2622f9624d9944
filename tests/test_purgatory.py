"""The purgatory's deadline queues: operations expire at their deadlines, in (deadline, park) order, and
the operations finished early leave the queues without waiting for their own deadlines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.broker.purgatory import COMPACT_SLACK, Purgatory
from eventsim.core.environment import Environment


class _Op:
    def __init__(self, ident: int, deadline: float):
        self.ident = ident
        self.deadline = deadline
        self.done = False
        self.seq = 0


class _Recording(Purgatory):
    """A purgatory whose operations are finished by the test; expiries are logged."""

    def __init__(self, env):
        super().__init__(env, None)
        self.expired: list = []

    def _set_seq(self, op, seq: int) -> None:
        op.seq = seq

    def _on_expiry(self, op) -> None:
        self.finish(op)
        self.expired.append((self.env.now, op.ident))

    def finish(self, op) -> None:
        op.done = True
        self._finish(op.seq)  # a finished operation leaves the parked ones at once


steps = st.lists(
    st.tuples(
        st.sampled_from(["park", "park", "park", "finish", "advance"]),
        st.integers(min_value=0, max_value=40),  # a wait (park), a pick (finish) or a step (advance)
    ),
    max_size=400,
)


@given(steps)
@settings(max_examples=150, deadline=None)
def test_operations_expire_at_their_deadlines_in_order_and_finished_ones_leave(program):
    env = Environment()
    p = _Recording(env)
    ops: list[_Op] = []
    open_ops: list[_Op] = []
    finished_by_test: set[int] = set()
    for kind, x in program:
        if kind == "park":
            # waits of 0.5 ms steps from 0 to 20 ms: many deadlines come out of order
            op = _Op(len(ops), env.now + x * 0.5)
            ops.append(op)
            open_ops.append(op)
            p._deadline(op, op.deadline)
            assert len(p._in_order) + len(p._deadlines) <= 2 * p.parked + COMPACT_SLACK
        elif kind == "finish":
            open_ops = [o for o in open_ops if not o.done]
            if open_ops:
                op = open_ops.pop(x % len(open_ops))
                p.finish(op)
                finished_by_test.add(op.ident)
        else:
            env.run(until=env.now + x * 0.25 + 0.1)
    env.run()
    expired = {i for _, i in p.expired}
    assert expired == {o.ident for o in ops} - finished_by_test  # the others expired, each once
    assert len(p.expired) == len(expired)
    assert p.expired == sorted((ops[i].deadline, i) for i in expired)  # at its deadline, ties in park order
    assert p.parked == 0 and not p.parked_seqs() and not p._ops


def test_a_released_fetch_leaves_every_watcher_list_it_joined():
    """A parked fetch leaves the watcher lists of all the partitions it was parked on when it is released,
    also one dropped from its partitions meanwhile (a resignation answers a consumer's fetch without the
    partition it no longer leads)."""
    from types import SimpleNamespace

    from eventsim.broker.purgatory import DelayedFetchPurgatory
    from eventsim.config import BrokerConfig, TopicConfig
    from eventsim.log.log import Log
    from eventsim.protocol import FetchRequest

    env = Environment()
    answered: list = []
    purgatory = DelayedFetchPurgatory(env, answered.append)
    limits = SimpleNamespace(fetch_min_bytes=1, fetch_max_wait_ms=500.0, fetch_max_bytes=1 << 20,
                             max_partition_fetch_bytes=1 << 20)
    client = SimpleNamespace(response_cb=None)
    a, b = ("t", 0), ("t", 1)
    config = TopicConfig(name="t").resolve(BrokerConfig())
    log_a, log_b = Log(a, config), Log(b, config)  # the broker's logs, which keep their watcher lists
    first = FetchRequest(client, 0, [(a, 0), (b, 0)], limits, 0.0, 1, None)
    second = FetchRequest(client, 0, [(b, 0)], limits, 0.0, 2, None)
    purgatory.watch(first, [log_a, log_b], 500.0)
    purgatory.watch(second, [log_b], 500.0)
    assert purgatory.watchers == {a: [first], b: [first, second]}
    assert log_a.fetch_watchers is purgatory.watchers[a] and log_b.fetch_watchers is purgatory.watchers[b]
    first.partitions = [(b, 0)]  # as a resignation from ``a`` leaves it
    purgatory.release(first)
    assert purgatory.watchers == {a: [], b: [second]}
    assert answered == [first] and not first.parked and first.watching is None
    env.run(until=600.0)  # the second one's wait is over
    assert answered == [first, second] and purgatory.watchers == {a: [], b: []}
