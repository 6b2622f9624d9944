"""A broker process's life: it crashes, loses power, restarts, shuts down under control, or pauses.

What Kafka does (``BrokerServer.startup`` / ``shutdown``, and what happens to a JVM and its machine):
a process killed with ``kill -9`` stops at once and the operating system resets its TCP connections; a
machine that loses power takes its page cache with it and resets nothing (the other side finds out when
its requests time out); a restarted broker registers with the controller and follows what it says; a
controlled shutdown (SIGTERM) asks the controller to move the broker's leaderships first; a process that
pauses (a long GC, a paused VM) stops every thread and wakes still believing what it believed.

What is modelled: each of those as a function of the ``Broker`` (``eventsim.faults`` calls them): the
broker's epoch drops what it had booked (``Broker.stop``), its fetcher threads stop, the cluster tells the
clients and followers (``Cluster.disconnected``, at once or after their timeouts), the logs keep what had
reached the disks (``Log.lose_unflushed``) after a power loss, and a pause is a stall of every thread with
fetches that expire meanwhile answered when it ends. The broker's periodic tasks (``kafka-log-retention``,
``isr-expiration``) are processes here too, which skip their turn while the process is stopped or paused.

Not modelled: the time a restarted broker spends recovering its logs, and a machine that comes back with
a different disk.
"""

from __future__ import annotations

__all__ = [
    "crash",
    "power_loss",
    "restart",
    "controlled_shutdown",
    "pause",
    "log_retention_loop",
    "isr_expiration_loop",
]


def _stop(broker) -> None:
    broker.stop()
    broker.registered = False
    for f in broker.fetchers:
        f.running = False


def crash(broker) -> None:
    """The broker process dies (``kill -9``): it stops as ``Broker.stop`` says, and its clients see their
    connections reset (the operating system closes the sockets), one network latency later. The
    machine's page cache survives, so its logs keep everything they had appended."""
    if not broker.running:
        return
    _stop(broker)
    broker.cluster.disconnected(broker)


def power_loss(broker) -> None:
    """The machine loses power: the process stops, the page cache is gone (each log keeps what had
    reached its disk: ``Log.lose_unflushed``), and nothing resets the connections: clients and
    followers find out when their requests time out."""
    if not broker.running:
        return
    now = broker.env.now
    _stop(broker)
    for log in broker.logs.values():
        log.lose_unflushed(now)
    broker.cluster.disconnected(broker, silent=True)


def restart(broker) -> None:
    """The broker process starts again: it leads and follows nothing until the controller, which it
    registers with, says what; its logs are as the failure left them (log recovery's time is not
    modelled)."""
    if broker.running:
        return
    broker.running = True
    broker.registered = True
    broker.partitions = {}
    broker.led_version += 1
    broker.following = {}
    broker.metadata_cache = {}
    for f in broker.fetchers:
        f.clear()
    for log in broker.logs.values():
        log.hw_follows_leo = False  # a replica follows until the controller makes it a leader
    broker.cluster.controller.register(broker)


def controlled_shutdown(broker) -> float:
    """SIGTERM: the controller moves the broker's leaderships away and it stops once it has heard;
    returns when it stops."""
    if not broker.running:
        return broker.env.now
    done = broker.cluster.controller.controlled_shutdown(broker.id)
    broker.env.call_at(done, _shut_down, broker, broker.epoch)
    return done


def _shut_down(broker, epoch: int) -> None:
    if epoch == broker.epoch:
        crash(broker)


def pause(broker, duration_ms: float) -> None:
    """The whole process stops for ``duration_ms`` (a long GC, a paused VM): its threads and heartbeats
    stop, and it wakes still believing what it believed (a zombie leader until it hears otherwise)."""
    env = broker.env
    now = env.now
    end = now + float(duration_ms)
    broker.stall(now, end)
    if end > broker.paused_until:
        broker.paused_until = end
    # Fetches whose wait runs out during the pause are answered when it ends, not booked ahead of it.
    broker.purgatory._complete = lambda fetch: _respond_when_awake(broker, fetch)
    env.call_at(end, _awake, broker, end)


def _respond_when_awake(broker, fetch) -> None:
    if broker.paused_until > broker.env.now:
        broker.env.call_at(broker.paused_until, _respond_when_awake, broker, fetch)
    elif broker.running:
        broker._respond_fetch(fetch)


def _awake(broker, end: float) -> None:
    if end == broker.paused_until:
        broker.purgatory._complete = broker._respond_fetch


# ------------------------------------------------------------------ background tasks
def log_retention_loop(broker):
    """Kafka's ``kafka-log-retention`` task, every ``log.retention.check.interval.ms``."""
    interval = broker.config.log_retention_check_interval_ms
    while True:
        yield broker.env.timeout(interval)
        if not broker.running:
            continue
        broker.log_manager.enforce_retention(broker.env.now, broker.recorder)


def isr_expiration_loop(broker):
    """Kafka's ``isr-expiration`` task, every half of ``replica.lag.time.max.ms``: followers not caught
    up for that long leave the ISR of the partitions this broker leads."""
    interval = broker.config.replica_lag_time_max_ms / 2.0
    while True:
        yield broker.env.timeout(interval)
        now = broker.env.now
        if not broker.running or broker.paused_until > now:
            continue  # a stopped or paused process runs no task
        for partition in broker.partitions.values():
            if partition.remote and partition.maybe_shrink_isr(now):
                broker._hw_advanced(partition)
