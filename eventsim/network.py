"""Hosts, NICs and the wire between them.

Kafka clients and brokers talk TCP over Ethernet. What limits a transfer is the slower NIC on its path
(bytes divided by the link's usable payload rate, see ``hardware.py``) plus the one-way latency, and
NICs are shared: a broker's inbound NIC carries every producer's requests and every follower's fetch
responses; its outbound NIC carries fetch responses to consumers and followers.

Modelled: each host has a transmit and a receive :class:`~eventsim.core.stations.Station` (full
duplex, FCFS). A transfer of ``n`` bytes started at ``t`` occupies the sender's transmit side for
its wire bytes (``Network.wire_bytes(n)``, see Packets) at its rate and the receiver's receive side
for the same bytes at its own rate, starting one latency later; the two are pipelined, so the bytes
are delivered at ``max(tx_end, rx_end - ...)``: whichever side is the bottleneck sets the time, plus
latency. Both sides are reserved when the transfer starts.

Packets: a NIC's rate (``nic_bytes_per_ms``) is its TCP payload rate in full packets, 1448 bytes of
payload per 1538 bytes on the wire at MTU 1500 (``hardware.TCP_PAYLOAD_SHARE``). A message goes as
``ceil(n / 1448)`` packets and each one, the last partial one too, carries the same 90 bytes of
headers, trailer and gap on the wire (IP 20, TCP 20 with the timestamp option 12, Ethernet 14 + 4 FCS,
preamble 8, inter-frame gap 12; ``PACKET_OVERHEAD_BYTES``): a 100-byte message takes as long on the wire
as 179 bytes of full packets, a 1 MiB one as 1 MiB (to within a packet). So small messages cost more per
byte, as on a real link.

Control messages of a few hundred bytes (fetch requests, produce responses) take the latency but are not
queued on the NICs (``Network.control``).

TCP windows: a connection has at most a window of unacknowledged bytes in flight, the smaller of the
sender's send buffer and the receiver's receive buffer (Kafka's ``socket.send.buffer.bytes`` /
``socket.receive.buffer.bytes`` on brokers, ``send.buffer.bytes`` / ``receive.buffer.bytes`` on clients,
``replica.socket.receive.buffer.bytes`` on followers; -1 lets Linux autotune up to its maximum, and a setting
above ``net.core.rmem_max`` / ``wmem_max`` gets that, 212,992 bytes). A message
larger than the window takes at least ``bytes / window`` round trips, and a round trip includes the time
its bytes wait behind others at the receiver's NIC: on a congested NIC, a connection with a small window
(a follower's, 64 KiB by default) gets less of the bandwidth than one with a larger window, which is how
TCP shares a link between flows. Messages of one connection are delivered in order (``stream_ms``: when the
connection's previous message was delivered).

Responses (``Network.send``: fetch responses to consumers and followers) go a window at a time: each
window occupies the sender's and the receiver's NICs for its own bytes, and the next one leaves when the
acknowledgement of the previous one's first bytes is back, so other connections' bytes pass between the
windows (an event per window). Produce requests (``Network.transfer``) are booked whole when they are sent,
delivered no sooner than their round trips allow: a producer's window (``send.buffer.bytes``, 128 KiB)
holds a request of default settings, and several requests may be in flight on its connection. A broker
reads nothing from a connection while it works on one of its requests (it is muted,
``eventsim.broker.socket_server``): the requests behind it fill the broker's receive buffer and the
client's sender stops there, as TCP's flow control makes it. So a request larger than that buffer is
not all there when the broker reads the connection again: the rest comes once the window update has
reached the client (``Network.resume``).

A network partition (a ``partition`` fault, ``eventsim.faults``) blocks the messages between the hosts on
its two sides (``blocked``: pairs of host names, one way or both): they never arrive, and nothing tells
either side; the senders' timeouts do.

Client hosts (``Cluster.client_host``) also carry the application thread's CPU (``Host.cpu``: a producer's
per-record ``send()`` work, a consumer's processing), which the ``clients`` frame reports with their NICs.

Latency jitter (the scenario's ``variability.network_jitter``, ``Network.jitter``): each message, a
transfer or a control message, takes an extra one-way delay drawn from a lognormal (median and 99th
percentile given) from the network's own random stream: the time a real message spends in switch
queues, interrupt coalescing and the kernel's scheduling, which pings show as a spread above their
minimum. A connection's messages still arrive in order. Messages of the control plane (heartbeats,
metadata, elections) keep the profile's latency.

Not modelled: TCP slow start and congestion control, packet loss, ACK packets (about 3 % of a bulk
transfer's bytes in the other direction), switches and oversubscription, TLS, and the kernel's CPU per
packet (interrupts and the TCP stack run on whichever core takes the NIC's interrupts, not on Kafka's
threads; the network threads' CPU per request, ``network_thread_cpu_ms``, is the syscalls Kafka makes).
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from eventsim.core.stations import Station

__all__ = ["Host", "Network"]

INF = math.inf
MSS = 1448  # TCP payload per packet at MTU 1500: 1500 - 20 IP - 20 TCP - 12 timestamp option
# Wire bytes of a packet beyond its payload: 52 of IP and TCP headers, 14 + 4 of Ethernet header and
# FCS, 8 of preamble and 12 of inter-frame gap (IEEE 802.3); 1448 + 90 = 1538 (hardware.TCP_PAYLOAD_SHARE).
PACKET_OVERHEAD_BYTES = 90


def _packets(nbytes: int) -> int:
    """The TCP packets a message of ``nbytes`` goes in (MTU 1500)."""
    return (nbytes + MSS - 1) // MSS


def _wire(nbytes: int) -> int:
    """The bytes a message of ``nbytes`` occupies on the wire: its payload and each packet's overhead."""
    return nbytes + PACKET_OVERHEAD_BYTES * _packets(nbytes)
Z99 = 2.3263478740408408  # the standard normal's 99th percentile
JITTER_BLOCK = 4096  # extra delays drawn at a time


class Host:
    """A machine's NIC: a transmit and a receive station with a payload rate in bytes per ms."""

    def __init__(self, name: str, nic_bytes_per_ms: float, window_ms: float):
        self.name = name
        self.rate = float(nic_bytes_per_ms)
        # ms per wire byte: the rate is payload in full packets, MSS per MSS + overhead bytes on the wire
        self.wire_ms_per_byte = MSS / ((MSS + PACKET_OVERHEAD_BYTES) * self.rate)
        self.tx = Station(f"{name}.nic_out", 1, window_ms)
        self.rx = Station(f"{name}.nic_in", 1, window_ms)
        self.bytes_out = 0
        self.bytes_in = 0
        self.record_cpu_ms = None  # on a client host: producer CPU per record (Cluster.client_host)
        self.cpu = None  # on a client host: the application thread's busy time (a BusyTracker)


class Network:
    """Transfers between hosts with a fixed one-way latency."""

    def __init__(self, latency_ms: float):
        self.latency_ms = float(latency_ms)
        self.blocked = None  # a network partition: the (sender, receiver) names that cannot reach
        self._jitter = False
        self._extra = None  # a block of drawn extra delays (``jitter``)
        self._extra_view = None
        self._extra_i = 0
        self._rng = None
        self._mu = 0.0
        self._sigma = 0.0
        self.env = None  # the run's environment (set by the cluster): ``send`` schedules deliveries
        self._tx_end = 0.0  # when the sender's NIC finished the last transfer (``_delivered``)
        self._lat = 0.0  # and the one-way latency it took

    def jitter(self, p50_ms: float, p99_ms: float, rng) -> None:
        """Each message from now on takes an extra one-way delay, lognormal with median ``p50_ms`` and 99th
        percentile ``p99_ms``, drawn from ``rng``."""
        self._mu = math.log(p50_ms)
        self._sigma = (math.log(p99_ms) - self._mu) / Z99
        self._rng = rng
        self._extra = array("d", bytes(8 * JITTER_BLOCK))
        self._extra_view = self._extra
        self._extra_i = JITTER_BLOCK
        self._jitter = True

    def _draw_extra(self) -> None:
        out = np.frombuffer(self._extra, dtype=np.float64)
        out[:] = self._rng.lognormal(self._mu, self._sigma, JITTER_BLOCK)
        self._extra_i = 0

    def _latency(self) -> float:
        """The one-way latency of the next message: the profile's, plus its jitter when on."""
        if not self._jitter:
            return self.latency_ms
        i = self._extra_i
        if i >= JITTER_BLOCK:
            self._draw_extra()
            i = 0
        self._extra_i = i + 1
        return self.latency_ms + self._extra_view[i]

    @staticmethod
    def packets(nbytes: int) -> int:
        """The TCP packets a message of ``nbytes`` goes in (MTU 1500)."""
        return _packets(nbytes)

    @staticmethod
    def wire_bytes(nbytes: int) -> int:
        """The bytes a message of ``nbytes`` occupies on the wire: its payload and each packet's overhead."""
        return _wire(nbytes)

    def reachable(self, src_name: str, dst_name: str) -> bool:
        """Whether ``src_name`` can send to ``dst_name`` (no network partition between them)."""
        blocked = self.blocked
        return blocked is None or (src_name, dst_name) not in blocked

    def transfer(
        self, src: Host, dst: Host, t_ms: float, nbytes: int, window: float = INF, stream_ms: float = 0.0
    ) -> tuple[float, float]:
        """Start sending ``nbytes`` from ``src`` to ``dst`` at ``t_ms`` on a connection whose TCP window is
        ``window`` bytes and whose previous message was delivered at ``stream_ms``.

        Returns ``(tx_end_ms, delivered_ms)``: when the sender's NIC has put the last byte on the wire,
        and when the receiver has all of it.
        """
        delivered = self._delivered(src, dst, t_ms, nbytes, window, stream_ms)
        return self._tx_end, delivered

    def _delivered(
        self, src: Host, dst: Host, t_ms: float, nbytes: int, window: float, stream_ms: float
    ) -> float:
        """``transfer``'s delivery time; the sender's NIC is done at ``_tx_end``."""
        if self.blocked is not None and (src.name, dst.name) in self.blocked:
            self._tx_end = t_ms
            return INF  # a network partition: it never arrives
        lat = self._latency() if self._jitter else self.latency_ms
        wire = _wire(nbytes)
        tx_ms = wire * src.wire_ms_per_byte
        tx_end = src.tx.reserve_end(t_ms, tx_ms)
        tx_start = tx_end - tx_ms
        arrive = tx_start + lat
        rx = dst.rx
        rx_end = rx.reserve_end(arrive, wire * dst.wire_ms_per_byte)
        rx_start = rx.last_start
        src.bytes_out += nbytes
        dst.bytes_in += nbytes
        delivered = tx_end + lat
        if rx_end > delivered:
            delivered = rx_end
        if nbytes > window:
            # Window-limited: bytes / window round trips, each two latencies plus the wait at the receiver.
            start = tx_start if tx_start > stream_ms else stream_ms
            paced = start + (nbytes / window) * (2.0 * lat + (rx_start - arrive))
            if paced > delivered:
                delivered = paced
        if delivered < stream_ms:
            delivered = stream_ms  # in order on its connection
        self._tx_end = tx_end
        self._lat = lat
        return delivered

    def send(
        self, src: Host, dst: Host, t_ms: float, nbytes: int, window: float, fn, args: tuple, owner=None,
        generation: int = 0,
    ) -> None:
        """Send ``nbytes`` from ``src`` to ``dst`` from ``t_ms`` on a connection whose TCP window is
        ``window`` bytes, and call ``fn(*args)`` when the receiver has all of it (never, across a network
        partition).

        A message that fits its window is one ``transfer``. A larger one goes a window at a time: each
        window occupies the sender's and the receiver's NICs for its own bytes only, and the next one
        leaves when the acknowledgement of the previous one's first bytes is back (one latency after the
        receiver started taking them in). Between two windows the NICs carry other connections'
        bytes, as TCP shares a link: a connection with a small window gets less of a busy NIC, instead of
        holding it for the whole message. The caller must not have another message in flight on the
        connection (a fetch response: one fetch per connection at a time).

        ``owner`` (the sender's sockets, with a ``generation`` that a reset bumps) stops what is not yet sent
        when the process dies: its kernel resets the connections and drops the bytes still waiting in
        them, so the windows after a reset never leave.
        """
        if nbytes <= window:
            delivered = self._delivered(src, dst, t_ms, nbytes, INF, 0.0)
            if delivered < INF:
                self.env.at(delivered, fn, args)
            return
        self._window(src, dst, t_ms, nbytes, window, 0.0, fn, args, owner, generation)

    def _window(
        self, src: Host, dst: Host, t_ms: float, left: int, window: float, delivered: float, fn, args: tuple,
        owner, generation: int,
    ) -> None:
        """The next window of a message larger than its window (``send``): ``left`` bytes remain, the
        windows before it were delivered by ``delivered``."""
        if self.blocked is not None and (src.name, dst.name) in self.blocked:
            return  # a network partition: the rest never arrives
        if owner is not None and owner.generation != generation:
            return  # the sender's process died: its connections were reset
        n = left if left <= window else int(window)
        done = self._delivered(src, dst, t_ms, n, INF, delivered)  # no earlier than the windows before it
        left -= n
        if left > 0:
            nxt = dst.rx.last_start + self._lat
            self.env.at(nxt, self._window, (src, dst, nxt, left, window, done, fn, args, owner, generation))
        else:
            self.env.at(done, fn, args)

    def resume(self, src: Host, dst: Host, t_ms: float, nbytes: int) -> float:
        """When the last ``nbytes`` of a message arrive whose sender stopped at a full receive window (the
        receiver was not reading): the receiver reads again at ``t_ms``, its window update reaches the
        sender one latency later, and the bytes follow at the slower NIC's rate. They were counted on the
        NICs when the message was sent (``transfer``), so they are not booked again. (A network partition
        that began meanwhile does not hold them up: not modelled.)"""
        per_byte = src.wire_ms_per_byte if src.rate < dst.rate else dst.wire_ms_per_byte
        back = self._latency()  # the window update's way to the sender
        return t_ms + back + self._latency() + _wire(nbytes) * per_byte

    def control(self, src: Host, dst: Host, t_ms: float, nbytes: int) -> float:
        """A small control message (fetch request, produce response): latency only.

        A few hundred bytes (one packet) occupy a NIC for a microsecond or two at 1 GbE, so such messages
        are not queued on the NICs (their bytes are still counted).
        """
        if self.blocked is not None and (src.name, dst.name) in self.blocked:
            return INF  # a network partition: it never arrives
        src.bytes_out += nbytes
        dst.bytes_in += nbytes
        return t_ms + (self._latency() if self._jitter else self.latency_ms)
