"""Hosts, NICs and the wire between them.

Kafka clients and brokers talk TCP over Ethernet. What limits a transfer is the slower NIC on its path
(bytes divided by the link's usable payload rate, see ``hardware.py``) plus the one-way latency, and
NICs are shared: a broker's inbound NIC carries every producer's requests and every follower's fetch
responses; its outbound NIC carries fetch responses to consumers and followers.

Modelled: each host has a transmit and a receive :class:`~eventsim.core.stations.Station` (full
duplex, FCFS). A transfer of ``n`` bytes started at ``t`` occupies the sender's transmit side for
``n / rate_tx`` and the receiver's receive side for ``n / rate_rx`` starting one latency later; the
two are pipelined, so the bytes are delivered at ``max(tx_end, rx_end - ...)``: whichever side is
the bottleneck sets the time, plus latency. Both sides are reserved when the transfer starts.

Control messages of a few hundred bytes (fetch requests, produce responses) take the latency but are not
queued on the NICs (``Network.control``).

Not modelled: TCP slow start and windows (``socket.send.buffer.bytes``), packet loss, switches and
oversubscription, TLS.
"""

from __future__ import annotations

from eventsim.core.stations import Station

__all__ = ["Host", "Network"]


class Host:
    """A machine's NIC: a transmit and a receive station with a payload rate in bytes per ms."""

    def __init__(self, name: str, nic_bytes_per_ms: float, window_ms: float):
        self.name = name
        self.rate = float(nic_bytes_per_ms)
        self.tx = Station(f"{name}.nic_out", 1, window_ms)
        self.rx = Station(f"{name}.nic_in", 1, window_ms)
        self.bytes_out = 0
        self.bytes_in = 0
        self.record_cpu_ms = None  # on a client host: producer CPU per record (Cluster.client_host)


class Network:
    """Transfers between hosts with a fixed one-way latency."""

    def __init__(self, latency_ms: float):
        self.latency_ms = float(latency_ms)

    def transfer(self, src: Host, dst: Host, t_ms: float, nbytes: int) -> tuple[float, float]:
        """Start sending ``nbytes`` from ``src`` to ``dst`` at ``t_ms``.

        Returns ``(tx_end_ms, delivered_ms)``: when the sender's NIC has put the last byte on the wire,
        and when the receiver has all of it.
        """
        lat = self.latency_ms
        _, tx_end = src.tx.reserve(t_ms, nbytes / src.rate)
        tx_start = tx_end - nbytes / src.rate
        _, rx_end = dst.rx.reserve(tx_start + lat, nbytes / dst.rate)
        src.bytes_out += nbytes
        dst.bytes_in += nbytes
        delivered = tx_end + lat
        return tx_end, (rx_end if rx_end > delivered else delivered)

    def control(self, src: Host, dst: Host, t_ms: float, nbytes: int) -> float:
        """A small control message (fetch request, produce response): latency only.

        A few hundred bytes occupy a NIC for well under a microsecond, so such messages are not queued
        on the NICs (their bytes are still counted).
        """
        src.bytes_out += nbytes
        dst.bytes_in += nbytes
        return t_ms + self.latency_ms
