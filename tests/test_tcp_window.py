"""TCP windows on the wire: a message larger than its connection's window takes bytes/window round trips,
each inflated by the wait at the receiver's NIC, and a connection delivers its messages in order; a
response sent window by window (``Network.send``) holds the NICs for one window at a time, so other
connections' bytes pass between its windows; the socket-buffer settings that size the windows are
Kafka's, and a bad one is refused before the run."""

from __future__ import annotations

import pytest

import eventsim
from eventsim.core.environment import Environment
from eventsim.core.errors import InvalidConfigurationError
from eventsim.network import Host, Network

RATE = 1_000_000.0  # bytes per ms: fast NICs, so the window is what binds


def wire(nbytes: int, rate: float = RATE) -> float:
    """A message's time on a NIC of ``rate`` payload bytes per ms: its packets' wire bytes (payload and 90
    bytes of overhead each), at 1448 bytes of payload per 1538 on the wire."""
    packets = -(-nbytes // 1448)
    return (nbytes + 90 * packets) * 1448 / 1538 / rate


def hosts():
    return Host("a", RATE, 1000.0), Host("b", RATE, 1000.0), Network(0.1)


def test_a_message_within_its_window_is_unchanged():
    a, b, net = hosts()
    _, free = net.transfer(a, b, 0.0, 50_000)
    a2, b2, net2 = hosts()
    _, windowed = net2.transfer(a2, b2, 0.0, 50_000, window=65_536)
    assert windowed == free == pytest.approx(wire(50_000) + 0.1)


def test_a_message_goes_in_packets_each_with_its_overhead_on_the_wire():
    # MTU 1500: 1448 bytes of TCP payload a packet, 90 bytes of headers, trailer and gap each.
    assert [Network.packets(n) for n in (0, 1, 1448, 1449, 1_048_576)] == [0, 1, 1, 2, 725]
    assert Network.wire_bytes(100) == 190 and Network.wire_bytes(1448) == 1538
    a, b, net = hosts()
    _, small = net.transfer(a, b, 0.0, 100)
    assert small - 0.1 == pytest.approx(190 * 1448 / 1538 / RATE)  # a 100-byte message: 1.9 times its bytes
    a, b, net = hosts()
    _, full = net.transfer(a, b, 0.0, 1448 * 100)
    assert full - 0.1 == pytest.approx(1448 * 100 / RATE)  # full packets: the NIC's payload rate exactly
    # The receiving NIC is held for the same wire time as the sending one.
    assert b.rx.busy.total_busy_ms == pytest.approx(a.tx.busy.total_busy_ms)


def test_a_larger_message_takes_bytes_over_window_round_trips():
    a, b, net = hosts()
    _, delivered = net.transfer(a, b, 0.0, 1_048_576, window=65_536)
    assert delivered == pytest.approx(16 * 0.2)  # 16 windows, a 0.2 ms round trip each


def test_a_wait_at_the_receiver_lengthens_every_round_trip():
    a, b, net = hosts()
    c = Host("c", RATE, 1000.0)
    net.transfer(c, b, 0.0, 5_000_000)  # 5 ms of bytes ahead at b's NIC
    _, delivered = net.transfer(a, b, 0.0, 1_048_576, window=65_536)
    queue = wire(5_000_000)  # c's bytes hold b's NIC from 0.1 to 5.1 ms; ours reach it at 0.1 and wait
    assert delivered == pytest.approx(16 * (0.2 + queue))


def test_a_connection_delivers_in_order():
    a, b, net = hosts()
    _, first = net.transfer(a, b, 0.0, 1_048_576, window=65_536)
    _, second = net.transfer(a, b, 0.0, 100_000, window=65_536, stream_ms=first)
    assert second >= first
    assert second == pytest.approx(first + (100_000 / 65_536) * 0.2)


def sending():
    """Hosts a, b and c on a network with an environment, and the deliveries it reports (name, time)."""
    env = Environment()
    a, b, net = hosts()
    net.env = env
    delivered = []
    return env, a, b, Host("c", RATE, 1000.0), net, lambda name: delivered.append((name, env.now)), delivered


def test_a_sent_message_within_its_window_is_one_transfer():
    env, a, b, _, net, done, delivered = sending()
    net.send(a, b, 0.0, 50_000, 65_536, done, ("m",))
    env.run(until=10)
    assert delivered == [("m", pytest.approx(wire(50_000) + 0.1))]


def test_a_larger_sent_message_goes_a_window_per_round_trip():
    env, a, b, _, net, done, delivered = sending()
    net.send(a, b, 0.0, 1_048_576, 65_536, done, ("m",))
    env.run(until=10)
    # 16 windows; each leaves when the first bytes of the one before are acknowledged (a 0.2 ms round
    # trip), and the last one takes its bytes' time on the NICs plus the latency.
    assert delivered == [("m", pytest.approx(15 * 0.2 + wire(65_536) + 0.1))]
    # The NICs carried the message's bytes and nothing more (a window at a time).
    assert a.bytes_out == b.bytes_in == 1_048_576
    assert b.rx.busy.total_busy_ms == pytest.approx(16 * wire(65_536))


def test_other_connections_pass_between_the_windows_of_a_sent_message():
    env, a, b, c, net, done, delivered = sending()
    net.send(a, b, 0.0, 1_048_576, 65_536, done, ("windowed",))
    # A message of another connection with no window limit, sent just after: it reaches b's NIC after the
    # first window and takes it, instead of waiting behind the whole 1 MiB.
    env.run(until=0.05)
    net.send(c, b, 0.05, 1_000_000, float("inf"), done, ("other",))
    env.run(until=20)
    first_window_done = 0.1 + wire(65_536)
    assert delivered[0] == ("other", pytest.approx(first_window_done + wire(1_000_000)))
    # The windowed message's second window left at 0.2 ms and waited for the other message's bytes.
    assert delivered[1][0] == "windowed"
    assert delivered[1][1] == pytest.approx(delivered[0][1] + 0.1 + 13 * 0.2 + wire(65_536) + 0.1)


def test_a_network_partition_stops_a_sent_message_between_windows():
    env, a, b, _, net, done, delivered = sending()
    net.send(a, b, 0.0, 1_048_576, 65_536, done, ("m",))
    env.run(until=1.0)
    net.blocked = {("a", "b")}
    env.run(until=10)
    assert delivered == []
    assert b.bytes_in < 1_048_576


def test_a_sender_that_dies_sends_no_more_windows():
    env, a, b, _, net, done, delivered = sending()

    class Sockets:
        generation = 0

    sockets = Sockets()
    net.send(a, b, 0.0, 1_048_576, 65_536, done, ("m",), sockets, sockets.generation)
    env.run(until=1.0)
    sockets.generation += 1  # the process died: the kernel resets its connections
    sent = a.bytes_out
    env.run(until=10)
    assert delivered == [] and a.bytes_out == sent < 1_048_576


@pytest.mark.parametrize(
    "path",
    [
        "producers[0].config.send.buffer.bytes",
        "consumers[0].config.receive.buffer.bytes",
        "broker.socket.send.buffer.bytes",
        "broker.socket.receive.buffer.bytes",
        "broker.replica.socket.receive.buffer.bytes",
    ],
)
def test_socket_buffers_are_minus_one_or_at_least_the_linux_minimum(path):
    eventsim.runner.build("data/scenarios/quickstart.yaml", overrides={path: -1})  # the OS default
    least = 2304 if "receive" in path else 4608  # SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF
    eventsim.runner.build("data/scenarios/quickstart.yaml", overrides={path: least})
    for bad in (0, -2, 1, least - 1):  # Linux would raise 1 byte to its minimum: it could not change the run
        with pytest.raises(InvalidConfigurationError, match=f"buffer.*>= ({least}|-1)"):
            eventsim.runner.build("data/scenarios/quickstart.yaml", overrides={path: bad})


def test_on_a_full_link_followers_with_small_windows_fall_behind_the_producers():
    """Three producers on three 1 GbE brokers, RF 3, acks=1: every broker's inbound NIC carries its
    share of the writes and two followers' fetches. The followers' 64 KiB windows (against the producers'
    100 KiB) and their one fetch at a time leave most of the link to the producers: the followers fall
    behind, as TCP shares a link between flows."""
    data = {
        "name": "three-producers",
        "horizon_ms": 1000,
        "cluster": {"brokers": 3, "hardware": "commodity-2014"},
        "topics": [{"name": "t", "partitions": 6, "replication.factor": 3}],
        "producers": [
            {"name": "p", "topic": "t", "count": 3, "rate_per_s": 6_000_000, "value_bytes": 100,
             "keys": None, "config": {"acks": 1, "batch.size": 8196, "linger.ms": 0}}
        ],
        "metrics": {"window_ms": 250},
    }
    res = eventsim.simulate(data, seed=1)
    lag = res.frame("replicas").groupby("time_s")["lag_records"].max()
    assert lag.iloc[-1] > 2 * lag.iloc[0] > 0  # the followers' lag grows
    brokers = res.frame("replication").groupby("time_s")["bytes_in"].sum()
    produced = res.summary().iloc[0]
    # The followers receive less than the two copies of every byte the producers wrote.
    assert brokers.sum() < 2 * produced["bytes_per_batch"] * produced["batches"]


def test_the_rest_of_a_message_follows_a_window_update():
    # The receiver reads again at t: its window update reaches the sender one latency later, and the bytes
    # the sender held back follow, at the slower NIC's rate, one latency on.
    a, b, net = hosts()
    slow = Host("s", RATE / 4, 1000.0)
    assert net.resume(a, b, 5.0, 30_000) == pytest.approx(5.0 + 0.2 + wire(30_000))
    assert net.resume(a, slow, 5.0, 30_000) == pytest.approx(5.0 + 0.2 + wire(30_000, RATE / 4))
    assert a.bytes_out == b.bytes_in == 0  # counted when the message was sent (transfer), not again


def _socket_server(receive_buffer_bytes: int):
    from types import SimpleNamespace

    from eventsim.broker.socket_server import SocketServer

    env = Environment()
    a, b, net = hosts()
    net.env = env
    booked = []
    config = SimpleNamespace(
        num_network_threads=1, queued_max_requests=500, num_io_threads=1,
        socket_receive_buffer_bytes=receive_buffer_bytes,
    )  # fmt: skip
    profile = SimpleNamespace(network_thread_cpu_ms=0.0)
    server = SocketServer("b", config, profile, b, net, 1000.0, (booked.append,))
    return server, a, booked


@pytest.mark.parametrize("receive_buffer", [102_400, 212_992, -1])
def test_a_request_that_waited_on_a_muted_connection_is_read_once_its_rest_has_come(receive_buffer):
    # Two requests of 128,000 bytes on one connection: the first is being handled (the connection is
    # muted), the second waits. Only the broker's receive buffer's worth of it can have come meanwhile;
    # the client sends the rest after the processor reads again (TCP's flow control).
    server, client, booked = _socket_server(receive_buffer)
    first = type("R", (), {"host": client, "arrive_ms": 1.0})()
    second = type("R", (), {"host": client, "arrive_ms": 1.3})()
    conn = server.connect()
    assert server.mute(conn, 0, first, 128_000) is False  # read: the connection is muted from now on
    assert server.mute(conn, 0, second, 128_000) is True  # waits
    server.unmute(conn, 6.0)  # the first request's response has left at 6 ms
    assert booked == [second]
    if receive_buffer == 102_400:
        assert second.arrive_ms == pytest.approx(6.0 + 0.2 + wire(128_000 - 102_400))
    else:  # a buffer that holds it all (-1: Linux autotuning, up to 6 MiB): read at once
        assert second.arrive_ms == 6.0


def test_a_small_request_that_waited_is_read_at_once():
    server, client, booked = _socket_server(102_400)
    first = type("R", (), {"host": client, "arrive_ms": 1.0})()
    second = type("R", (), {"host": client, "arrive_ms": 1.3})()
    conn = server.connect()
    server.mute(conn, 0, first, 16_000)
    server.mute(conn, 0, second, 16_000)
    server.unmute(conn, 6.0)
    assert booked == [second] and second.arrive_ms == 6.0


def _sync_producer(receive_buffer_bytes: int, seed: int = 1) -> float:
    sc = {
        "name": "sync",
        "horizon_ms": 400,
        "cluster": {"brokers": 3, "hardware": "commodity-2014"},
        "broker": {"socket.receive.buffer.bytes": receive_buffer_bytes},
        "topics": [{"name": "t", "partitions": 6, "replication.factor": 3}],
        "producers": [{"name": "p", "topic": "t", "rate_per_s": 2_000_000, "arrival": "constant",
                       "value_bytes": 100, "keys": None,
                       "config": {"acks": "all", "batch.size": 64000, "linger.ms": 0,
                                  "buffer.memory": 67108864}}],
    }  # fmt: skip
    return float(eventsim.simulate(sc, seed=seed).summary().throughput_records_per_s.sum())


@pytest.mark.parametrize("seed", [1, 2])
def test_a_receive_buffer_smaller_than_the_requests_slows_a_synchronous_producer(seed):
    # acks=all with 64,000-byte batches: each request (two batches, ~128 KB) waits behind the one being
    # replicated; with the default 100 KiB buffer its last bytes come only once the broker reads again.
    # (With the variability on, as a real cluster has it: without it, the three brokers' cycles lock into
    # step, and which of their bursts meet on a follower's link, not the buffer, sets the rate.)
    small, large = _sync_producer(102_400, seed), _sync_producer(212_992, seed)
    assert small < 0.95 * large


@pytest.mark.parametrize(
    "path", ["broker.socket.receive.buffer.bytes", "broker.socket.send.buffer.bytes",
             "producers[0].config.send.buffer.bytes"],
)  # fmt: skip
def test_a_socket_buffer_above_what_linux_gives_gets_that_much_with_a_warning(path):
    # Linux lowers SO_RCVBUF / SO_SNDBUF to net.core.rmem_max / wmem_max (212,992 bytes by default).
    from eventsim.config.common import socket_buffer_bytes, tcp_window

    assert socket_buffer_bytes(1_048_576, True) == socket_buffer_bytes(1_048_576, False) == 212_992
    assert socket_buffer_bytes(-1, True) > 212_992  # autotuning is bound by tcp_rmem, not rmem_max
    assert tcp_window(1_048_576, 1_048_576) == 212_992.0
    with pytest.warns(UserWarning, match="212,992"):
        eventsim.Scenario.load("quickstart", [f"{path}=1048576"])


def test_a_buffer_set_above_the_linux_maximum_runs_as_the_maximum():
    with pytest.warns(UserWarning):
        above = _sync_producer(1_048_576)
    assert above == _sync_producer(212_992)


def test_a_request_on_a_connection_the_server_never_made_is_refused():
    server, client, _ = _socket_server(102_400)
    req = type("R", (), {"host": client, "arrive_ms": 1.0})()
    with pytest.raises(ValueError, match="connection 0 was not made by connect"):
        server.mute(0, 0, req, 100)
    conn = server.connect()
    with pytest.raises(ValueError, match="connection -1 was not made"):
        server.mute(-1, 0, req, 100)
    assert server.mute(conn, 0, req, 100) is False
