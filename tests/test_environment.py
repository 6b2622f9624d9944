"""The kernel's order of timers and SimPy events (``eventsim.core.environment``).

Timers due now (``call_later(0)``, ``call_at(now)``) wait in a queue beside the heap; the kernel takes
the smaller of the two heads. The order must be the one a single heap of ``(time, priority, id)`` gives:
checked against a kernel that pushes every timer on the heap, for random programs of timers, urgent
timers and SimPy processes that schedule one another.
"""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st
from simpy.core import NORMAL

from eventsim.core.environment import Environment, _EntryHeap


class HeapOnly(Environment):
    """Every timer on the heap, as the kernel did before it kept the due-now queue."""

    def call_at(self, when_ms, fn, *args):
        at = when_ms if when_ms > self.now else self.now
        self._push((at, NORMAL, next(self._eid), fn, args))

    def call_later(self, delay_ms, fn, *args):
        at = self.now + (delay_ms if delay_ms > 0.0 else 0.0)
        self._push((at, NORMAL, next(self._eid), fn, args))


KINDS = ("at", "at_past", "later", "soon", "process")
ops = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5]), st.integers(0, 3)),
    min_size=1,
    max_size=80,
)


def run(env_cls, program):
    env = env_cls(seed=1)
    log = []
    pending = iter(range(len(program)))

    def spawn():
        i = next(pending, None)
        if i is None:
            return
        kind, delay, fanout = program[i]

        def callback():
            log.append((i, env.now))
            for _ in range(fanout):
                spawn()

        if kind == "at":
            env.call_at(env.now + delay, callback)
        elif kind == "at_past":
            env.call_at(env.now - delay, callback)  # never in the past: now
        elif kind == "later":
            env.call_later(delay, callback)
        elif kind == "soon":
            env.call_soon(callback)
        else:

            def process():
                yield env.timeout(delay)
                callback()

            env.process(process())

    for _ in range(3):
        spawn()
    env.run()
    return log


@given(ops)
def test_timers_due_now_run_in_the_order_of_one_heap(program):
    log = run(Environment, program)
    assert log == run(HeapOnly, program)
    assert len(log) == len({i for i, _ in log})


def test_order_at_one_instant():
    env = Environment(seed=1)
    log = []
    env.call_at(1.0, lambda: log.append("a"))
    env.call_at(1.0, lambda: (log.append("b"), env.call_later(0.0, lambda: log.append("d")),
                              env.call_soon(lambda: log.append("c"))))
    env.call_at(1.0, lambda: (log.append("e"), env.call_at(0.5, lambda: log.append("f"))))
    env.call_at(2.0, lambda: log.append("g"))
    env.run()
    # b's urgent timer runs before e (already due); its plain one after e, and before the one e schedules
    assert log == ["a", "b", "c", "e", "d", "f", "g"]


def test_peek_sees_timers_due_now():
    env = Environment(seed=1)
    env.call_at(5.0, lambda: None)
    assert env.peek() == 5.0
    env.call_later(0.0, lambda: None)
    assert env.peek() == 0.0
    env.step()
    assert env.peek() == 5.0
    env.step()
    assert env.peek() == float("inf")


heap_ops = st.lists(
    st.tuples(
        st.sampled_from(["push", "push", "call", "pop"]),
        st.sampled_from([0.0, 0.5, 1.0, 2.5]),
        st.sampled_from([-1, 0, 1]),
    ),
    max_size=200,
)


@given(heap_ops)
def test_the_heap_of_numbers_gives_the_entries_in_the_order_of_the_tuples(ops):
    """``_EntryHeap`` (the compiled kernel's heap) against ``heapq`` on the tuples themselves: the same entry
    first after every push and pop, growing from a small room; timers pushed without a tuple among them."""
    heap = _EntryHeap(room=2)
    ref: list = []
    for eid, (op, t, priority) in enumerate(ops):
        if op == "push":
            entry = (t, priority, eid, None, ())
            heap.push(entry)
            heapq.heappush(ref, entry)
        elif op == "call":  # a timer pushed without its tuple: it comes out as the tuple it stands for
            heap.push_call(t, eid, print, (eid,))
            heapq.heappush(ref, (t, NORMAL, eid, print, (eid,)))
        elif ref:
            assert heap.pop() == heapq.heappop(ref)
        assert len(heap) == len(ref)
        if ref:
            assert heap.first() == ref[0]
    while ref:
        assert heap.pop() == heapq.heappop(ref)
