"""A deliberately naive, one-event-per-record SimPy model of Kafka's data path: the speed baseline.

What Kafka does: a producer serialises each record, picks a partition (murmur2 of the key modulo the
partition count, ``DefaultPartitioner`` / ``BuiltInPartitioner``), holds it in the ``RecordAccumulator``
for up to ``linger.ms``, and the ``Sender`` ships it to the partition leader. On the broker a network
thread reads the request and a request-handler (I/O) thread, one of ``num.io.threads`` (default 8),
appends it to the partition's log (``ReplicaManager.appendRecords``) and the producer gets an ack.
Consumers fetch from the log and process each record. (Apache Kafka source: clients/.../producer/
internals/RecordAccumulator.java and Sender.java; core/.../kafka/server/KafkaRequestHandler.scala.)

What is modelled here, on purpose the slow way, with SimPy events *per record*:

* each producer is a process that yields one exponential inter-arrival timeout per record and
  starts one process per record (the "one message = one process" pattern);
* the producer picks the record's partition (a multiplicative hash of a random key id, modulo the
  partition count; leader = partition modulo brokers); the record's process waits ``linger_ms``
  plus the one-way network latency (one timeout), holds the leader's inbound NIC (a
  ``simpy.Resource`` of capacity 1) for ``record_bytes / nic_bytes_per_ms``, queues for the
  leader's ``io_threads`` request-handler threads (a ``simpy.Resource``, default 8) for
  ``handler_ms``, puts the record into the partition's ``simpy.Store`` (the log) and waits the
  one-way ack latency (one timeout);
* consumers get the partitions round-robin; a consumer runs one process per assigned partition
  that does ``yield store.get()`` per record and then one ``processing_ms`` timeout. A consumer
  processes one record at a time: the timeout runs to the consumer's ``busy_until`` time plus
  ``processing_ms`` (first come, first served), which serialises its partitions without the extra
  request and release events a ``simpy.Resource`` would cost (those would make the baseline slower
  and eventsim's speed-up look larger).

What is not modelled: batching (the whole point: every record pays its own events), request
framing, replication, the page cache and disk, compression, fetch sessions, offsets and commits.
The numbers it produces are only there to show what the same data path costs when simulated one
record at a time; eventsim's batch-level model is measured against it in ``benchmarks/throughput.py``.

Randomness comes from one ``numpy.random.Generator`` built from ``seed``; scalar draws per record
are part of the naive cost.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

# Knuth's multiplicative hash constant: spreads consecutive key ids over partitions.
_HASH_MULTIPLIER = 2654435761
_HASH_MASK = 0xFFFFFFFF


def _partition_for(key_id: int, partitions: int) -> int:
    """Partition of a key: a 32-bit multiplicative hash of the key id modulo the partition count."""
    return ((key_id * _HASH_MULTIPLIER) & _HASH_MASK) % partitions


def _split(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` near-equal non-negative integers (first ones get the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def run_naive(
    num_records: int,
    rate_per_s: float = 50000,
    brokers: int = 3,
    partitions: int = 12,
    producers: int = 2,
    consumers: int = 3,
    linger_ms: float = 5,
    record_bytes: float = 300,
    seed: int = 0,
    *,
    handler_ms: float = 0.01,
    nic_bytes_per_ms: float = 1_250_000.0,
    network_latency_ms: float = 0.1,
    processing_ms: float = 0.01,
    io_threads: int = 8,
    key_count: int = 10_000,
) -> dict:
    """Simulate ``num_records`` records through the naive per-record model until all are consumed.

    ``rate_per_s`` is the total produce rate across all ``producers`` (each gets an equal share, as
    ``ProducerSpec.rate_per_s`` in eventsim). Times are in ms. Returns a dict with ``records``
    (records consumed), ``wall_s`` (wall-clock seconds for building and running the model),
    ``records_per_wall_s``, ``sim_ms`` (simulated time when the last record was consumed),
    ``mean_e2e_ms`` (create to end of processing), and ``mean_produce_ms`` (create to ack,
    over the records acked by then).
    """
    if num_records < 1:
        raise ValueError(f"num_records must be >= 1, got {num_records}")
    for name, value in (
        ("brokers", brokers),
        ("partitions", partitions),
        ("producers", producers),
        ("consumers", consumers),
        ("io_threads", io_threads),
        ("key_count", key_count),
    ):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if rate_per_s <= 0:
        raise ValueError(f"rate_per_s must be > 0, got {rate_per_s}")

    wall_start = time.perf_counter()
    env = simpy.Environment()
    rng = np.random.default_rng(seed)

    nics = [simpy.Resource(env, capacity=1) for _ in range(brokers)]
    io_pools = [simpy.Resource(env, capacity=io_threads) for _ in range(brokers)]
    logs = [simpy.Store(env) for _ in range(partitions)]

    transmit_ms = record_bytes / nic_bytes_per_ms
    mean_gap_ms = 1000.0 * producers / rate_per_s
    stats = {"consumed": 0, "acked": 0, "e2e_sum": 0.0, "produce_sum": 0.0}
    all_consumed = env.event()

    def send(create_ms: float, partition: int):
        """One record from the accumulator to the leader's log and back to the producer as an ack."""
        broker = partition % brokers
        yield env.timeout(linger_ms + network_latency_ms)
        with nics[broker].request() as req:
            yield req
            yield env.timeout(transmit_ms)
        with io_pools[broker].request() as req:
            yield req
            yield env.timeout(handler_ms)
        yield logs[partition].put(create_ms)
        yield env.timeout(network_latency_ms)
        stats["acked"] += 1
        stats["produce_sum"] += env.now - create_ms

    def producer(count: int):
        for _ in range(count):
            yield env.timeout(rng.exponential(mean_gap_ms))
            key_id = int(rng.integers(key_count))
            env.process(send(env.now, _partition_for(key_id, partitions)))

    def consume(partition: int, consumer: int):
        log = logs[partition]
        while True:
            create_ms = yield log.get()
            # Invariant: a consumer processes one record at a time, in the order its processes got them.
            done_ms = max(env.now, busy_until[consumer]) + processing_ms
            busy_until[consumer] = done_ms
            yield env.timeout(done_ms - env.now)
            stats["consumed"] += 1
            stats["e2e_sum"] += env.now - create_ms
            if stats["consumed"] == num_records:
                all_consumed.succeed()

    for count in _split(num_records, producers):
        env.process(producer(count))
    busy_until = [0.0] * consumers
    for partition in range(partitions):
        env.process(consume(partition, partition % consumers))

    env.run(until=all_consumed)
    wall_s = time.perf_counter() - wall_start
    consumed = stats["consumed"]
    return {
        "records": consumed,
        "wall_s": wall_s,
        "records_per_wall_s": consumed / wall_s if wall_s > 0 else float("inf"),
        "sim_ms": float(env.now),
        "mean_e2e_ms": stats["e2e_sum"] / consumed,
        "mean_produce_ms": stats["produce_sum"] / stats["acked"] if stats["acked"] else float("nan"),
    }


def run_lean(num_records: int, partitions: int = 12, rate_per_s: float = 50000.0, seed: int = 0) -> dict:
    """The leanest per-record model: about five SimPy events per record, no NICs or handler pool.

    One producer process draws an exponential gap per record and starts a process per record; that
    process takes one shared ``simpy.Resource`` (the append) for 2 microseconds and puts the record into
    its partition's ``simpy.Store``; one consumer process per partition gets it. Nothing else: it is the
    floor of the one-process-per-record pattern, against which ``benchmarks/scaling.py`` reports the
    reference scenario. Returns ``records``, ``wall_s`` and ``records_per_wall_s``.
    """
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1000.0 / rate_per_s, num_records).tolist()
    keys = rng.integers(0, 1_000_000, num_records).tolist()
    append = simpy.Resource(env, capacity=1)
    logs = [simpy.Store(env) for _ in range(partitions)]
    received = [0]

    def record(p: int):
        with append.request() as req:
            yield req
            yield env.timeout(0.002)
        yield logs[p].put(env.now)

    def producer():
        for gap, key in zip(gaps, keys, strict=True):
            yield env.timeout(gap)
            env.process(record(_partition_for(key, partitions)))

    def consumer(p: int):
        while True:
            yield logs[p].get()
            received[0] += 1

    env.process(producer())
    for p in range(partitions):
        env.process(consumer(p))
    start = time.perf_counter()
    env.run()
    wall = time.perf_counter() - start
    assert received[0] == num_records
    return {"records": num_records, "wall_s": wall, "records_per_wall_s": num_records / wall}
