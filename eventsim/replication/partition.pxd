# Compiled build only (setup.py): C-level attributes for ReplicaState and Partition (see partition.py).
cimport cython

from eventsim.log.log cimport Log


cdef class ReplicaState:
    cdef public long long broker_id
    cdef public long long log_end_offset
    cdef public double last_caught_up_ms
    cdef public long long last_fetch_leader_leo
    cdef public double last_fetch_ms


cdef class Partition:
    # Field order is memory order: what a follower's fetch reads (``update_follower_fetch_state``,
    # ``maybe_increment_hw``) comes first, in the object's first cache lines: a large cluster's leaders
    # hold thousands of partitions, each read now and then.
    cdef public Log log
    cdef public tuple _followers
    cdef public list isr
    cdef public bint elr
    cdef public long long min_insync_replicas
    cdef public double lag_time_max_ms
    cdef public object fenced
    cdef public object tp
    cdef public long long leader
    cdef public list replicas
    cdef public long long leader_epoch
    cdef public long long leader_epoch_start_offset
    cdef public dict remote
    cdef public list isr_history
    cdef public object alter

    @cython.locals(r=ReplicaState, leo=cython.longlong, state=ReplicaState, in_isr=bint, b=cython.longlong)
    cpdef bint update_follower_fetch_state(self, long long broker, long long fetch_offset, double now_ms) except? -1

    @cython.locals(r=ReplicaState, hw=cython.longlong, leo=cython.longlong, lag=double)
    cpdef bint maybe_increment_hw(self, double now_ms) except? -1

    cpdef check_enough_replicas_reach_offset(self, long long required_offset)
