"""``SocketServer``: a broker's network threads, its request queue and its request-handler threads.

What Kafka does (``core/.../network/SocketServer.scala``, ``RequestChannel``, ``KafkaRequestHandlerPool``):
each connection belongs to one of ``num.network.threads`` processors, which read requests off the socket
and put them on one bounded request queue (``queued.max.requests``; a full queue blocks the processor);
``num.io.threads`` request-handler threads take them in order. A processor mutes a connection from the
receipt of a request until its response has been sent (``mute`` on a completed receive, ``unmute`` after
the completed send; for a request without a response, once handled), so the broker works on one request
per connection at a time, in the order sent, while the client's other in-flight requests wait in the
socket. Responses go back through the connection's processor and out through the NIC. While a connection
is muted its bytes wait in the broker's socket receive buffer (``socket.receive.buffer.bytes``); once that
is full, TCP's flow control stops the client, so the rest of a larger request follows only when the
processor reads again and its window update has reached the client.

What is modelled: exactly that, as FCFS stations on a virtual clock booked ahead of time
(``core/stations.py``): ``admit`` books a request's way to a handler thread, ``send_response`` its
response's way out (``eventsim.network``: a small one costs the latency only, a large one queues on the
NICs under its TCP window), and ``mute`` / ``unmute`` keep the requests of a muted connection until its
response leaves, then hand the next one to the broker to book; a request that waited and is larger than
the receive buffer is read once its rest has come (``Network.resume``: a window update to the client and
the bytes back).

Not modelled: connection setup and quotas' throttling of connections.
"""

from __future__ import annotations

from collections import deque

from eventsim.config.common import socket_buffer_bytes
from eventsim.core.stations import BoundedQueue, Station

__all__ = ["SocketServer", "CONTROL_BYTES"]

INF = float("inf")
CONTROL_BYTES = 1024  # messages up to this size skip NIC queueing (see network.Network.control)
_CONTROL_BYTES = CONTROL_BYTES  # compiled, a C number (the public name stays a Python one)
_NONE_WAITING = ()  # a muted connection on which no request waits (empty, as an empty queue)


class SocketServer:
    """One broker's processors, request queue and handler pool (see module docstring).

    ``book`` is the broker's ``(kind -> book(request))`` table: how a request that waited on a muted
    connection is booked once the connection is read again.
    """

    def __init__(self, name: str, config, profile, host, network, window_ms: float, book):
        self.profile = profile
        self.network_thread_cpu_ms = profile.network_thread_cpu_ms  # read on every request: a field
        self.host = host
        self.network = network
        self.processors = [
            Station(f"{name}.network-thread-{i}", 1, window_ms) for i in range(config.num_network_threads)
        ]
        self.request_queue = BoundedQueue(config.queued_max_requests)
        self.handlers = Station(f"{name}.io-threads", config.num_io_threads, window_ms)
        self.book = book
        # By connection id (ids are handed out in order, ``connect``): None while the connection is read,
        # else the requests waiting for it to be unmuted (``_NONE_WAITING`` when none).
        self.muted: list = []
        self.connections = 0
        self.generation = 0  # bumped when the process dies: responses still going out window by window stop
        # What a muted connection's waiting requests can hold at the broker: its socket receive buffer.
        self.receive_window = socket_buffer_bytes(config.socket_receive_buffer_bytes, True)
        self.last_queued = 0.0  # the last request admitted: when it entered the request queue (admit_end)

    def connect(self) -> int:
        """A new client connection; returns its id (which processor owns it)."""
        self.connections += 1
        self.muted.append(None)
        return self.connections - 1

    def reset(self) -> None:
        """The broker stopped: what waited on its connections is gone, and so is what its responses had
        not sent yet."""
        self.muted = [None] * len(self.muted)
        self.generation += 1

    def close(self, conn: int) -> None:
        """The client closed ``conn``: the requests waiting on it were never read and are gone."""
        self.muted[conn] = None

    def admit(self, conn: int, now: float, service_ms: float) -> tuple:
        """Network thread → request queue → I/O thread; returns (queued_ms, start_ms, end_ms)."""
        end = self.admit_end(conn, now, service_ms)
        return self.last_queued, self.handlers.last_start, end

    def admit_end(self, conn: int, now: float, service_ms: float) -> float:
        """``admit``'s booking, returning its end time only (compiled, a C number: no tuple of three float
        objects); the request's time in the queue is kept in ``last_queued``."""
        proc = self.processors[conn % len(self.processors)]
        parsed = proc.reserve_end(now, self.network_thread_cpu_ms)
        queued = self.request_queue.admit(parsed)
        handlers = self.handlers
        end = handlers.reserve_end(queued, service_ms)
        self.request_queue.started(handlers.last_start)
        self.last_queued = queued
        return end

    def mute(self, conn: int, kind: int, req, nbytes: int = 0) -> bool:
        """``req`` (``nbytes`` on the wire) arrived on ``conn``: True when the connection is muted and ``req``
        must wait on it."""
        muted = self.muted
        if not 0 <= conn < len(muted):  # every request comes on a connection ``connect`` made
            raise ValueError(f"connection {conn} was not made by connect() (ids 0 to {len(muted) - 1})")
        q = muted[conn]
        if q is None:
            muted[conn] = _NONE_WAITING  # muted; a queue only once a request waits on it
            return False
        if q is _NONE_WAITING:
            q = muted[conn] = deque()
        q.append((kind, req, nbytes))
        return True

    def unmute(self, conn: int, at_ms: float) -> None:
        """The response on ``conn`` is sent at ``at_ms``: the next request waiting on it is read then."""
        q = self.muted[conn]  # (a connection a request came on: checked by ``mute``)
        if q is None:
            return
        if not q:
            self.muted[conn] = None
            return
        kind, req, nbytes = q.popleft()
        arrive = at_ms
        if nbytes > self.receive_window:
            # Only the receive buffer's worth came while the connection was muted; the client sends the
            # rest once the processor reads again.
            arrive = self.network.resume(req.host, self.host, at_ms, nbytes - self.receive_window)
        if req.arrive_ms < arrive:
            req.arrive_ms = arrive
        self.book[kind](req)

    def send_response(
        self, conn: int, now: float, host, nbytes: int, cpu_ms: float, window: float, fn, args: tuple
    ) -> None:
        """The response leaves through ``conn``'s processor and the NICs; ``fn(*args)`` runs when it is
        delivered (a response larger than the connection's TCP window goes a window at a time,
        ``Network.send``)."""
        proc = self.processors[conn % len(self.processors)]
        sent = proc.reserve_end(now, cpu_ms)
        self.unmute(conn, sent)
        network = self.network
        if nbytes <= _CONTROL_BYTES:
            delivered = network.control(self.host, host, sent, nbytes)
            if delivered < INF:
                network.env.at(delivered, fn, args)
            return
        network.send(self.host, host, sent, nbytes, window, fn, args, self, self.generation)
