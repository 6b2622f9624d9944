# cython: boundscheck=False, wraparound=False
# (Compiled, the heap's typed views are indexed without checks: its indices are heap positions below its
# size and slots below its room, never negative; the heap is property-tested against heapq.)
"""The simulation kernel: a SimPy environment with a millisecond clock and per-scope random streams.

SimPy is the kernel (``env.now`` is simulated time in **milliseconds**). eventsim adds two things:

* :class:`RandomStreams` — one seed per run, one independent ``numpy.random.Generator`` per *scope*
  (``"producer.app-0.arrivals"``), derived with ``numpy.random.SeedSequence`` from the run seed and a
  stable hash of the scope name. Adding a consumer never changes the producers' arrivals, and the same
  seed always gives the same run. Nothing in eventsim draws from global randomness.
* :meth:`Environment.call_at` — schedule a plain function at a simulated time as one heap entry
  (``(time, priority, id, fn, args)``: no event object), which :meth:`Environment.step` runs
  directly, without SimPy's callback list. It is a timer, not something a process can ``yield`` on.
  Request pipelines (a produce request crossing NIC, network thread, request queue and I/O thread)
  use it so that each *request* costs a handful of events and no generator resumption. A consumer's
  poll loop, woken by every fetch response, is such a chain of timers too; :meth:`Environment.call_soon`
  starts one where SimPy would start a process (ahead of the events already due now), so a loop kept
  as timers runs in the same order, with the same number of events, as it would as a process.
  Timers due now wait in a queue beside the heap, in the heap's own order, so that the most frequent
  timer (a loop woken "now") costs no heap push and pop. Compiled, the heap is ``_EntryHeap``: the
  entries' time, priority and id as C numbers in arrays, so a push or pop reads no entry; entries come
  out in the order of the tuples (a list with ``heapq`` running as Python), so the run is the same.

:class:`Environment` is ``simpy.Environment`` rewritten rather than subclassed (the same interface,
which SimPy's events, processes and resources use, and the same behaviour), so that compiled it is a
C-level class: the components on the request path hold it typed, read the clock (``now``) as a C double
and schedule with :meth:`Environment.at` / :meth:`Environment.later` (``call_at`` / ``call_later`` with
the arguments as a tuple) as C calls.

What is not modelled here: SimPy's real-time environment, and ``Environment.exit`` (gone from SimPy 4).
"""

from __future__ import annotations

import hashlib
from array import array
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import numpy as np
from simpy.core import NORMAL, URGENT, BoundClass, EmptySchedule, EventPriority, StopSimulation
from simpy.events import AllOf, AnyOf, Event, Process, Timeout

__all__ = ["Environment", "RandomStreams"]


class RandomStreams:
    """Independent, reproducible random generators keyed by a dotted scope name."""

    def __init__(self, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}

    @staticmethod
    def _scope_key(scope: str) -> tuple[int, ...]:
        digest = hashlib.blake2b(scope.encode(), digest_size=16).digest()
        return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))

    def stream(self, scope: str) -> np.random.Generator:
        """The generator for ``scope``; the same object on every call within a run."""
        gen = self._cache.get(scope)
        if gen is None:
            seq = np.random.SeedSequence(entropy=self.seed, spawn_key=self._scope_key(scope))
            gen = np.random.Generator(np.random.PCG64(seq))
            self._cache[scope] = gen
        return gen


def _before(a: tuple, b: tuple) -> bool:
    """``a < b`` for two queue entries ``(time, priority, id, ...)``: the order of the tuples themselves
    (the first field that differs decides; ids are unique, so it is never past the id). Compiled, the
    three fields are compared as C numbers; a tuple comparison goes through Python's rich comparison
    for each field, and it is most of what a heap push or pop costs."""
    ta = a[0]
    tb = b[0]
    if ta != tb:
        return ta < tb
    pa = a[1]
    pb = b[1]
    if pa != pb:
        return pa < pb
    return a[2] < b[2]


def _sift_down(heap: list, start: int, pos: int) -> None:
    """heapq's ``_siftdown`` with ``_before``: the new entry at ``pos`` moves up towards ``start``."""
    item = heap[pos]
    while pos > start:
        parent_pos = (pos - 1) >> 1
        parent = heap[parent_pos]
        if _before(item, parent):
            heap[pos] = parent
            pos = parent_pos
            continue
        break
    heap[pos] = item


def _heap_push(heap: list, item: tuple) -> None:
    """``heapq.heappush`` of a queue entry (the same steps, so the same heap)."""
    heap.append(item)
    _sift_down(heap, 0, len(heap) - 1)


def _heap_pop(heap: list) -> tuple:
    """``heapq.heappop`` of the first queue entry (the same steps: ``_siftup`` to a leaf, then back up);
    ``IndexError`` when the heap is empty."""
    last = heap.pop()
    if not heap:
        return last
    first = heap[0]
    end = len(heap)
    pos = 0
    child = 1
    while child < end:
        right = child + 1
        if right < end and not _before(heap[child], heap[right]):
            child = right
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    heap[pos] = last
    _sift_down(heap, 0, pos)
    return first


if type(_heap_push).__name__ == "function":
    # Running as Python (not compiled): heapq's own functions, in C, are faster than these sifts, and
    # keep the same order. (Compiled, the calls below go to the C functions above.)
    _heap_push = heappush  # noqa: F811
    _heap_pop = heappop  # noqa: F811


def _next_entry(queue: list, due_now: deque) -> tuple:
    """The entry to run next: the smaller of the heap's head and the due-now queue's (ids are unique,
    so two entries never tie); ``EmptySchedule`` when both are empty."""
    if due_now:
        return _heap_pop(queue) if queue and queue[0] < due_now[0] else due_now.popleft()
    try:
        return _heap_pop(queue)
    except IndexError:
        raise EmptySchedule from None


def _key(entry: tuple) -> int:
    """An entry's priority and id as one integer that orders as the pair: the priority (SimPy's -1, 0
    or 1) above the id's 61 bits."""
    priority = entry[1]
    eid = entry[2]
    return ((priority + 1) << 61) | eid


_CALL_KEY = (NORMAL + 1) << 61  # ``_key`` of a timer (priority NORMAL) but for its id
_ID_MASK = (1 << 61) - 1  # the id's bits of a key


class _EntryHeap:
    """The kernel's heap, compiled: the entries by slot, and a four-ary heap of their keys as C numbers
    (the time, and ``_key``: priority and id), each with its entry's slot. A push or pop compares numbers
    in contiguous arrays, where a heap of the tuples themselves reads two tuples and their float objects
    per comparison. Keys are unique (ids are), so entries come out in the tuples' own order: the same run.
    Four children a node, not two: a run's heap holds tens of thousands of entries, and a pop's path from
    the root then passes half as many levels, each reading its children's times from one cache line.
    Running as Python the kernel keeps a list and ``heapq`` instead (C functions: faster than this there).

    A timer scheduled ahead (``Environment.at`` and ``later``) goes in without its tuple (``push_call``): its
    function in ``_items`` and its arguments in ``_args`` by slot, its time and key among the numbers, so
    that scheduling it allocates no tuple, float or id object and running it frees none, the tuple made
    only where an entry is asked for as one (``pop``, ``first``). ``_args`` is None for a tuple entry.
    """

    def __init__(self, room: int = 256):
        self.n = 0
        self._room = 0
        self._items: list = []
        self._args: list = []
        self.last_t = 0.0  # the time of the entry ``pop_slot`` took out last
        self._popped_key = 0  # and its key
        self._nfree = 0  # slots of entries popped (the first _nfree of _free), reused first
        self._grow(room)

    def _grow(self, room: int) -> None:
        """Arrays for ``room`` entries, the ``n`` in the heap kept."""
        n = self.n
        zeros = bytes(8 * room)
        times, keys, slots, free = array("d", zeros), array("q", zeros), array("q", zeros), array("q", zeros)
        if n:
            times[:n] = self._times[:n]
            keys[:n] = self._keys[:n]
            slots[:n] = self._slots[:n]
        if self._nfree:
            free[: self._nfree] = self._free[: self._nfree]
        self._times, self._keys, self._slots, self._free = times, keys, slots, free
        self._tv, self._kv, self._sv, self._fv = times, keys, slots, free
        self._items.extend([None] * (room - self._room))
        self._args.extend([None] * (room - self._room))
        self._room = room

    def push(self, entry: tuple) -> None:
        slot = self._slot()
        self._items[slot] = entry
        self._sift_up(self.n, entry[0], _key(entry), slot)
        self.n += 1

    def push_call(self, t: float, eid: int, fn, args: tuple) -> None:
        """The timer ``(t, NORMAL, eid, fn, args)`` without its tuple (see the class docstring)."""
        slot = self._slot()
        self._items[slot] = fn
        self._args[slot] = args
        self._sift_up(self.n, t, _CALL_KEY | eid, slot)
        self.n += 1

    def _slot(self) -> int:
        """A free slot for a new entry (the heap grown when full)."""
        n = self.n
        if n == self._room:
            self._grow(2 * n)
        if self._nfree:
            self._nfree -= 1
            return self._fv[self._nfree]
        return n  # with no slot free, entries fill slots 0 .. n-1

    def _entry(self, slot: int, t: float, key: int) -> tuple:
        """The entry in ``slot`` as a tuple (a timer pushed without one made into it)."""
        args = self._args[slot]
        if args is None:
            return self._items[slot]
        return (t, NORMAL, key & _ID_MASK, self._items[slot], args)  # (push_call: a NORMAL timer)

    def _sift_up(self, pos: int, t: float, key: int, slot: int) -> None:
        """Place ``(t, key, slot)`` at ``pos`` or above it (heapq's ``_siftdown``)."""
        while pos > 0:
            parent = (pos - 1) >> 2
            pt = self._tv[parent]
            if t < pt or (t == pt and key < self._kv[parent]):
                self._tv[pos] = pt
                self._kv[pos] = self._kv[parent]
                self._sv[pos] = self._sv[parent]
                pos = parent
                continue
            break
        self._tv[pos] = t
        self._kv[pos] = key
        self._sv[pos] = slot

    def pop(self) -> tuple:
        """The first entry, out of the heap (``IndexError`` when it is empty)."""
        slot = self.pop_slot()
        entry = self._entry(slot, self.last_t, self._popped_key)
        self._items[slot] = None
        self._args[slot] = None
        return entry

    def pop_slot(self) -> int:
        """Take the first entry out of the heap, leaving it in its slot (``_items``, ``_args``) for the caller
        to read and clear before anything is pushed; its time in ``last_t``."""
        n = self.n
        if n == 0:
            raise IndexError("pop from an empty heap")
        slot = self._sv[0]
        self.last_t = self._tv[0]
        self._popped_key = self._kv[0]
        self._fv[self._nfree] = slot
        self._nfree += 1
        n -= 1
        self.n = n
        if n:
            t = self._tv[n]  # the last one sinks from the root (heapq's _siftup, then _siftdown)
            key = self._kv[n]
            last = self._sv[n]
            pos = 0
            child = 1
            while child < n:
                best = child  # the first of up to four children (their times side by side in _tv)
                bt = self._tv[child]
                end = child + 4 if child + 4 < n else n
                for c in range(child + 1, end):
                    ct = self._tv[c]
                    if ct < bt or (ct == bt and self._kv[c] < self._kv[best]):
                        best = c
                        bt = ct
                self._tv[pos] = bt
                self._kv[pos] = self._kv[best]
                self._sv[pos] = self._sv[best]
                pos = best
                child = 4 * pos + 1
            self._sift_up(pos, t, key, last)
        return slot

    def first(self) -> tuple:
        """The first entry, left in the heap."""
        return self._entry(self._sv[0], self._tv[0], self._kv[0])

    def __len__(self) -> int:
        return self.n


try:  # compiled, the kernel uses _EntryHeap; as Python, heapq on tuples
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_TYPED_HEAP = cython.compiled



class _Ids:
    """The ids handed out in scheduling order (``itertools.count``'s ``next``, and ``take``: compiled, a C
    call returning a C number, where ``next`` makes an int object for every timer)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def take(self) -> int:
        n = self.n
        self.n = n + 1
        return n

    def __iter__(self):
        return self

    def __next__(self) -> int:
        return self.take()

class Environment:
    """SimPy's environment, with the millisecond as its time unit and the run's random streams.

    It is ``simpy.Environment`` (its interface and behaviour, which SimPy's events, processes and
    resources use: ``now``, ``schedule``, ``process``, ``timeout``, ``event``, ``all_of``, ``any_of``,
    ``active_process``, ``run``, ``step``, ``peek``) rewritten rather than subclassed, so that compiled it is
    a C-level class (``environment.pxd``): the clock, the queue and the timers' state are C fields, which
    every component holding a typed reference to the environment reads without an attribute lookup.
    """

    # SimPy's event types bound to this environment (``env.timeout(5)``), as simpy.Environment binds them.
    process = BoundClass(Process)
    timeout = BoundClass(Timeout)
    event = BoundClass(Event)
    all_of = BoundClass(AllOf)
    any_of = BoundClass(AnyOf)

    @property
    def _now(self) -> float:
        """SimPy's name for the clock: the same value as ``now``."""
        return self.now

    @_now.setter
    def _now(self, value: float) -> None:
        self.now = value

    @property
    def active_process(self):
        """The process whose step is running (SimPy's ``active_process``)."""
        return self._active_proc

    def __init__(self, seed: int = 0, initial_time: float = 0.0):
        # The current simulated time in ms: a plain field that the kernel sets as the clock moves (SimPy's
        # ``now`` is a property over ``_now``). Reading the time is the most frequent thing the model does.
        self.now = float(initial_time)
        self._queue: list = []  # the heap of SimPy events (four fields) and timers (five), as SimPy's
        self._heap = _EntryHeap() if _TYPED_HEAP else None  # compiled, the heap itself (``_queue`` unused)
        self._eid = _Ids()  # ids in scheduling order: they break ties of time and priority
        self._active_proc = None
        BoundClass.bind_early(self)
        self.streams = RandomStreams(seed)
        self._simpy_events = 0  # events SimPy itself scheduled (``schedule``); the other ids went to timers
        # Timers due now (no delay), in the order scheduled: they follow every heap entry already due now
        # at their priority and precede those scheduled after them, so a queue holds them in the heap's
        # own order (time, priority, id) and the kernel takes the smaller of the two heads, without
        # a heap push and pop for each. A poll loop or a sender woken "now" is the most frequent timer.
        self._due_now: deque = deque()

    @property
    def events_scheduled(self) -> int:
        """Timers scheduled so far (``call_at``, ``call_later``, ``call_soon``): the ids handed out less
        SimPy's own events, so that scheduling a timer counts nothing itself."""
        return self._eid.n - self._simpy_events

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """SimPy's ``schedule`` (events: timeouts, process steps), counted."""
        self._simpy_events += 1
        self._push((self.now + delay, priority, next(self._eid), event))

    def rng(self, scope: str) -> np.random.Generator:
        return self.streams.stream(scope)

    def call_at(self, when_ms: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at simulated time ``when_ms`` (never in the past)."""
        self.at(when_ms, fn, args)

    def at(self, when_ms: float, fn: Callable[..., Any], args: tuple) -> None:
        """``call_at(when_ms, fn, *args)`` with the arguments as a tuple: compiled, a C call for the
        components that hold a typed reference to the environment (no attribute lookup, no packing). The
        timer runs at ``when_ms`` itself (``now`` plus ``when_ms - now`` can round a unit away from it)."""
        now = self.now
        if when_ms > now:
            if self._heap is not None:
                self._heap.push_call(when_ms, self._eid.take(), fn, args)
            else:
                self._push((when_ms, NORMAL, self._eid.take(), fn, args))
        else:
            self._due_now.append((now, NORMAL, self._eid.take(), fn, args))

    def call_later(self, delay_ms: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` ``delay_ms`` from now."""
        self.later(delay_ms, fn, args)

    def later(self, delay_ms: float, fn: Callable[..., Any], args: tuple) -> None:
        """``call_later(delay_ms, fn, *args)`` with the arguments as a tuple (see ``at``)."""
        if delay_ms > 0.0:
            if self._heap is not None:
                self._heap.push_call(self.now + delay_ms, self._eid.take(), fn, args)
            else:
                self._push((self.now + delay_ms, NORMAL, self._eid.take(), fn, args))
        else:
            self._due_now.append((self.now, NORMAL, self._eid.take(), fn, args))

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` now, ahead of the events already due now: where ``env.process`` would run
        a new process's first step (SimPy's ``Initialize`` event is urgent)."""
        self._push((self.now, URGENT, next(self._eid), fn, args))

    def run(self, until: Any = None) -> Any:
        """SimPy's ``Environment.run`` (same ``until`` rules and results), stepping in its own loop."""
        if until is not None:
            if not isinstance(until, Event):
                at = until if isinstance(until, int) else float(until)
                if at <= self.now:
                    raise ValueError(f"until ({at}) must be greater than the current simulation time")
                # Scheduled before all regular events at that time, as SimPy does.
                until = Event(self)
                until._ok = True
                until._value = None
                self.schedule(until, URGENT, at - self.now)
            elif until.callbacks is None:
                return until.value  # already processed
            until.callbacks.append(StopSimulation.callback)
        try:
            self._steps()
        except StopSimulation as exc:
            return exc.args[0]  # the until event's value
        except EmptySchedule:
            if until is not None:
                assert not until.triggered
                raise RuntimeError(
                    f'No scheduled events left but "until" event was not triggered: {until}'
                ) from None
        return None

    def peek(self) -> float:
        """The time of the next scheduled event or timer (infinity when none is left)."""
        if self._due_now:
            return self.now
        if self._heap is not None:
            return self._heap.first()[0] if self._heap.n else float("inf")
        return self._queue[0][0] if self._queue else float("inf")

    def _push(self, entry: tuple) -> None:
        """Put ``entry`` in the heap."""
        if self._heap is not None:
            self._heap.push(entry)
        else:
            _heap_push(self._queue, entry)

    def _next(self) -> tuple:
        """The entry to run next, out of the queues (see ``_next_entry``)."""
        if self._heap is None:
            return _next_entry(self._queue, self._due_now)
        return self._heap.pop() if self._heap_next() else self._due_now.popleft()

    def _heap_next(self) -> bool:
        """Compiled: whether the next entry is the heap's first rather than the due-now queue's (the smaller
        of the two; ids are unique, so they never tie); ``EmptySchedule`` when both are empty."""
        heap = self._heap
        due_now = self._due_now
        if due_now:
            if not heap.n:
                return False
            d = due_now[0]
            t = heap._tv[0]
            dt = d[0]
            return t < dt or (t == dt and heap._kv[0] < _key(d))
        if not heap.n:
            raise EmptySchedule
        return True

    def _steps(self) -> None:
        """``step`` until an exception (``StopSimulation``, ``EmptySchedule``) ends the run. Compiled, a
        timer in the heap runs from its slot, with no tuple made for it (``_EntryHeap.push_call``)."""
        heap = self._heap
        if heap is None:
            while True:  # (``_run`` written in: running as Python, a call per entry costs)
                entry = self._next()
                self.now = entry[0]
                if len(entry) == 5:
                    entry[3](*entry[4])
                else:
                    self._process(entry[3])
        due_now = self._due_now
        while True:
            if not self._heap_next():
                self._run(due_now.popleft())
                continue
            slot = heap.pop_slot()
            self.now = heap.last_t
            fn = heap._items[slot]
            args = heap._args[slot]
            heap._items[slot] = None  # (read and cleared before the entry runs: it may push into the slot)
            if args is None:
                self._run(fn)  # a tuple entry: an event, or a timer pushed as one
            else:
                heap._args[slot] = None
                fn(*args)

    def _run(self, entry: tuple) -> None:
        """Run a queue entry: a timer (five fields) calls its function; an event is SimPy's."""
        self.now = entry[0]
        if len(entry) == 5:
            entry[3](*entry[4])
        else:
            self._process(entry[3])

    def step(self) -> None:
        """Process the next entry: a timer (five fields) runs its function; an event is SimPy's."""
        self._run(self._next())

    def _process(self, event) -> None:
        """Run a SimPy event's callbacks, as ``simpy.Environment.step`` does."""
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))  # as simpy.Environment.step
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
