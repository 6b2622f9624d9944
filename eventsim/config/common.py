"""What the config classes share: property kinds, codecs, and what arrives with which capability.

See :mod:`eventsim.config` for what Kafka does and what is modelled.
"""

from __future__ import annotations

from eventsim.core.validation import NotModelledYet, Prop

__all__ = [
    "PRODUCER_CODECS", "BROKER_CODECS", "CLIENT_UNMODELLED", "int_prop", "long_prop", "BOOL", "STR",
    "REPLICATION", "FOLLOWERS", "GROUPS", "COMMITS", "RECONNECT_BACKOFF_MS",
    "RECONNECT_BACKOFF_MAX_MS", "tcp_window",
    "socket_buffer_bytes", "check_socket_buffer",
]  # fmt: skip


PRODUCER_CODECS = ("none", "gzip", "snappy", "lz4", "zstd")  # CompressionType.java
BROKER_CODECS = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")  # BrokerCompressionType
CLIENT_UNMODELLED = frozenset(
    "bootstrap.servers key.serializer value.serializer key.deserializer "
    "value.deserializer send.buffer.bytes receive.buffer.bytes "
    "connections.max.idle.ms reconnect.backoff.ms reconnect.backoff.max.ms "
    "security.protocol interceptor.classes transactional.id transaction.timeout.ms "
    "partitioner.class compression.gzip.level compression.lz4.level "
    "compression.zstd.level group.protocol group.instance.id "
    "partition.assignment.strategy default.api.timeout.ms client.rack check.crcs".split()
)


def int_prop(lo: int | None = None, hi: int | None = None, nullable: bool = False) -> Prop:
    return Prop("int", lo, hi, nullable=nullable)


def long_prop(lo: int | None = None, hi: int | None = None, nullable: bool = False) -> Prop:
    return Prop("long", lo, hi, nullable=nullable)


BOOL = Prop("bool")
STR = Prop("str")

# What arrives with which capability. A capability that models a property deletes its entry from the
# _NOT_MODELLED_YET table of its config class; tests/test_settings_walk.py then expects it to change a run.
REPLICATION = NotModelledYet(
    "replication", "followers, the ISR and acks=all waiting for them arrive with the replication capability"
)
FOLLOWERS = NotModelledYet(
    "follower fetching", "followers copying the leader's log arrive with the replication capability"
)
GROUPS = NotModelledYet(
    "group membership",
    "heartbeats, session expiry and rebalances arrive with the consumer-group capability",
)
COMMITS = NotModelledYet(
    "committing offsets", "committed offsets and auto-commit arrive with the consumer-group capability"
)

OS_DEFAULT_BUFFER = -1  # Selectable.USE_DEFAULT_BUFFER_SIZE: the operating system sizes the socket buffer
LINUX_RECEIVE_BUFFER_MAX = 6291456  # net.ipv4.tcp_rmem's default maximum: what autotuning grows to
LINUX_SEND_BUFFER_MAX = 4194304  # net.ipv4.tcp_wmem's default maximum
# Linux raises a smaller setting to its minimum (include/net/sock.h: SOCK_MIN_RCVBUF is TCP_SKB_MIN_TRUESIZE,
# 2,048 bytes of data plus an sk_buff; SOCK_MIN_SNDBUF is twice that): a window is never smaller.
LINUX_RECEIVE_BUFFER_MIN = 2304
LINUX_SEND_BUFFER_MIN = 4608
# And lowers a larger one to net.core.rmem_max / wmem_max (socket(7): "the maximum allowed value is set by
# the rmem_max sysctl"): 212,992 bytes by default (include/net/sock.h: SK_RMEM_MAX and SK_WMEM_MAX, 256
# packets of SKB_TRUESIZE(256) = 832 bytes). Autotuning (-1) is not bound by them, only by tcp_rmem/tcp_wmem.
# The model's machines run with Linux's defaults; a scenario cannot raise these sysctls.
LINUX_RMEM_MAX = 212992
LINUX_WMEM_MAX = 212992


def socket_buffer_bytes(value: int, receive: bool) -> int:
    """A socket buffer setting in bytes as Linux gives it: -1 (the OS default) is what autotuning grows it
    to; a larger setting than ``net.core.rmem_max`` / ``wmem_max`` is lowered to it."""
    if value == OS_DEFAULT_BUFFER:
        return LINUX_RECEIVE_BUFFER_MAX if receive else LINUX_SEND_BUFFER_MAX
    cap = LINUX_RMEM_MAX if receive else LINUX_WMEM_MAX
    return value if value < cap else cap


def tcp_window(send_buffer_bytes: int, receive_buffer_bytes: int) -> float:
    """A connection's TCP window: the sender's send buffer or the receiver's receive buffer, the smaller."""
    return float(
        min(socket_buffer_bytes(send_buffer_bytes, False), socket_buffer_bytes(receive_buffer_bytes, True))
    )


def check_socket_buffer(name: str, value: int) -> None:
    """-1 or a size Linux keeps: Kafka hands the value to ``Socket.setReceiveBufferSize`` /
    ``setSendBufferSize``, which refuse one below 1 when the connection opens, and Linux raises one below
    its minimum to the minimum, so such a setting would not change the run: refused here. One above
    ``net.core.rmem_max`` / ``wmem_max`` is lowered to it, silently in Linux: said here with a warning."""
    receive = "receive" in name
    least = LINUX_RECEIVE_BUFFER_MIN if receive else LINUX_SEND_BUFFER_MIN
    if value != OS_DEFAULT_BUFFER and value < least:
        from eventsim.core.errors import InvalidConfigurationError

        raise InvalidConfigurationError(
            name,
            value,
            f"-1 (the OS default) or an integer >= {least}",
            f"Linux raises a smaller socket buffer to {least} bytes (SOCK_MIN_"
            + ("RCVBUF)" if receive else "SNDBUF)"),
        )
    cap = socket_buffer_bytes(value, receive)
    if cap < value:
        from eventsim.core.errors import warn_user

        sysctl = "net.core.rmem_max" if receive else "net.core.wmem_max"
        warn_user(
            f"{name}={value} is more than Linux gives a socket ({sysctl}, {cap:,} bytes by default): "
            f"the socket gets {cap:,} bytes, in the model as on a machine whose {sysctl} was not raised"
        )


# CommonClientConfigs' reconnect.backoff.ms and reconnect.backoff.max.ms defaults: how soon a client tries
# a broker again after a refused connection (doubling per failure); both clients take them as settings
# (core/backoff.py: ReconnectBackoff).
RECONNECT_BACKOFF_MS = 50.0
RECONNECT_BACKOFF_MAX_MS = 1000.0
