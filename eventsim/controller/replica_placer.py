"""Replica placement for new topics, as Kafka's ``AdminUtils.assignReplicasToBrokers`` (no racks).

Kafka picks a random start index and a random shift; partition ``p``'s first replica (its preferred
leader) is broker ``(p + start) % n``; followers are spread by a shift that grows every ``n`` partitions
so that replicas of consecutive partitions do not pile onto the same brokers. Rack-aware placement comes
with replication.
"""

from __future__ import annotations

__all__ = ["assign_replicas"]


def assign_replicas(
    broker_ids: list[int], partitions: int, replication_factor: int, start_index: int, shift: int
) -> list[list[int]]:
    n = len(broker_ids)
    if replication_factor > n:
        raise ValueError(f"replication factor {replication_factor} larger than {n} brokers")
    out = []
    next_shift = shift
    for p in range(partitions):
        if p > 0 and p % n == 0:
            next_shift += 1
        first = (p + start_index) % n
        replicas = [broker_ids[first]]
        for j in range(replication_factor - 1):
            idx = (first + 1 + (next_shift + j) % (n - 1)) % n
            replicas.append(broker_ids[idx])
        out.append(replicas)
    return out
