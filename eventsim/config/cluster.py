"""The cluster's shape (``scenario.cluster``): broker count, hardware, racks, controllers, Kafka release.

These keys are eventsim's own, not Kafka properties: they say what machines the brokers run on and which
release and controller they run (see :mod:`eventsim.config` for what is modelled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from eventsim.config.common import int_prop
from eventsim.config.versions import (
    LATEST,
    VERSIONS,
    check_controller_mode,
    check_eligible_leader_replicas,
    default_controller_mode,
    default_eligible_leader_replicas,
)
from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import Prop, PropertyConfig, did_you_mean
from eventsim.hardware import DEFAULT_PROFILE, PROFILES, broker_profile, cluster_profile

__all__ = ["ClusterConfig"]


class _VersionProp(Prop):
    """``cluster.kafka_version``: a release as ``"major.minor"``; YAML's unquoted ``3.9`` (a number) is
    read as the text it was written as, except ``0.10``, which YAML reads as 0.1 and must be quoted."""

    def allowed(self) -> str:
        return "one of " + ", ".join(VERSIONS)

    def _check_version(self, name: str, value: object) -> str:
        if isinstance(value, bool):
            raise self._fail(name, value, "expected a version such as 3.9")
        text = repr(value) if isinstance(value, float) else str(value).strip()
        if text == "0.1":
            raise self._fail(name, value, 'write 0.10 in quotes ("0.10"): unquoted, YAML reads it as 0.1')
        if text not in VERSIONS:
            reason = "not a Kafka release the model knows" + did_you_mean(text, VERSIONS)
            raise self._fail(name, value, reason)
        return text


def _name_or_fields(where: str, spec: object):
    """A hardware spec as stored: a profile name, or a tuple of ``(field, value)`` pairs (so that the
    config stays frozen and hashable); anything else is an error naming ``where``."""
    if isinstance(spec, tuple):  # already stored form (dataclasses.replace)
        spec = dict(spec)
    if isinstance(spec, str):
        return spec.strip()
    if isinstance(spec, Mapping):
        return tuple((str(k).strip(), v) for k, v in spec.items())
    raise InvalidConfigurationError(
        where,
        spec,
        "a hardware profile name or a mapping of profile fields",
        f"expected a name or a mapping, got {type(spec).__name__}",
    )


class _BrokerHardwareProp(Prop):
    """``cluster.broker_hardware``: broker id -> a profile name or a mapping of profile fields.

    Stored as a tuple of ``(broker id, override)`` pairs in broker order, each override a profile name
    or a tuple of ``(field, value)`` pairs, so that the config stays frozen and hashable. Broker ids may
    be integers or numeric strings (YAML and ``--set`` may give either)."""

    def allowed(self) -> str:
        return "a mapping of broker ids to a hardware profile name or a mapping of profile fields" + (
            " or null" if self.nullable else ""
        )

    def _check_broker_hardware(self, name: str, value: object) -> tuple:
        if isinstance(value, tuple):  # already stored form (dataclasses.replace)
            value = dict(value)
        if not isinstance(value, Mapping):
            raise self._fail(name, value, "expected a mapping of broker ids")
        out: dict[int, object] = {}
        for key, spec in value.items():
            broker = int_prop(0).check(f"{name}.{key}", key)
            where = f"{name}.{broker}"
            if broker in out:
                raise InvalidConfigurationError(
                    where, spec, "each broker once", f"broker {broker} is given twice"
                )
            out[broker] = _name_or_fields(where, spec)
        return tuple(sorted(out.items()))


class _HardwareProp(Prop):
    """``cluster.hardware``: a profile name, or a mapping of profile fields that change one
    (``{hardware: commodity-2014, network_latency_ms: 0.25}``). Stored as the name, or as a tuple of
    ``(field, value)`` pairs (``_name_or_fields``)."""

    def allowed(self) -> str:
        return "a hardware profile name or a mapping of profile fields"

    def _check_hardware(self, name: str, value: object):
        return _name_or_fields(name, value)


@dataclass(frozen=True)
class ClusterConfig(PropertyConfig):
    """The cluster's shape: broker count, hardware, racks and controller mode (eventsim's own keys).

    ``hardware`` names the profile of every host (:data:`eventsim.hardware.PROFILES`), or changes fields
    of one for the whole cluster: ``{hardware: commodity-2014, network_latency_ms: 0.25}`` (every field
    of :class:`~eventsim.hardware.HardwareProfile` but its labels, the network latency and the client
    hosts' included; without ``hardware:`` the fields change ``cloud-2020``). ``racks`` gives
    each broker its ``broker.rack`` (one name per broker, broker 0 first); the KRaft controller's
    striped placement then puts a partition's replicas on different racks
    (:mod:`eventsim.controller.replica_placer`). ``broker_hardware`` lets single brokers run on other
    hardware, e.g. one slow follower: ``{2: {disk_write_bytes_per_ms: 50000}}`` changes fields of the
    cluster's profile for broker 2 (the names of :data:`eventsim.hardware.BROKER_HOST_FIELDS`), and
    ``{2: laptop}`` makes broker 2 a whole other machine (``{2: {hardware: laptop, disks: 1}}`` both).
    The network latency and the client hosts stay the cluster's. :meth:`profile_for` gives a broker's
    profile. ``eligible_leader_replicas`` is KIP-966's feature (``eligible.leader.replicas.version=1``, on
    for new clusters from Kafka 4.1): the high watermark waits while the ISR is below
    ``min.insync.replicas``, and replicas that left the ISR meanwhile stay eligible to lead.
    ``controllers`` is the size of the KRaft quorum; ``controller_nodes`` says where its voters run:
    ``dedicated`` nodes ``controller-0`` ... (``process.roles=controller``, what Kafka recommends for
    production) or ``combined`` with brokers ``0`` ... ``controllers - 1``
    (``process.roles=broker,controller``), so that a broker's crash, power loss, shutdown or long pause
    takes its voter with it.
    """

    brokers: int = 3
    hardware: str | tuple = DEFAULT_PROFILE
    racks: tuple[str, ...] | None = None
    controller_mode: str | None = None  # None: what kafka_version offers (ZooKeeper before 4.0)
    broker_hardware: tuple | None = None
    eligible_leader_replicas: bool | None = None  # None: kafka_version's (on for KRaft from 4.1)
    kafka_version: str = LATEST
    controllers: int = 3  # KRaft: the controller quorum's voters (dedicated nodes controller-0 ...)
    controller_nodes: str = "dedicated"  # KRaft: voters on nodes of their own, or inside brokers 0 ...

    _KIND: ClassVar[str] = "cluster"

    @staticmethod
    def dotted(name: str) -> str:
        """Cluster keys are eventsim's own, not Kafka properties, so they keep their underscores."""
        return name

    _PROPS: ClassVar[dict[str, Prop]] = {
        "brokers": int_prop(1),
        "hardware": _HardwareProp("hardware"),
        "racks": Prop("strs", nullable=True),
        "controller_mode": Prop("choice", choices=("kraft", "zookeeper"), nullable=True),
        "broker_hardware": _BrokerHardwareProp("broker_hardware", nullable=True),
        "eligible_leader_replicas": Prop("bool", nullable=True),
        "kafka_version": _VersionProp("version"),
        "controllers": int_prop(1, 9),
        "controller_nodes": Prop("choice", choices=("dedicated", "combined")),
    }

    def _resolve(self, derived: dict[str, object]) -> None:
        if not isinstance(self.hardware, str):
            self.cluster_profile()  # a mapping of fields: every one checked before the run
        elif self.hardware not in PROFILES:
            raise InvalidConfigurationError(
                "hardware",
                self.hardware,
                "one of " + ", ".join(sorted(PROFILES)),
                "unknown hardware profile" + did_you_mean(self.hardware, PROFILES),
            )
        # The release's controllers and Eligible Leader Replicas (config/versions.py).
        if self._is_unset("controller_mode"):
            self._derive(derived, "controller_mode", default_controller_mode(self.kafka_version))
        check_controller_mode(self.kafka_version, self.controller_mode)
        if self._is_unset("eligible_leader_replicas"):
            elr = default_eligible_leader_replicas(self.kafka_version, self.controller_mode)
            self._derive(derived, "eligible_leader_replicas", elr)
        elr = self.eligible_leader_replicas
        check_eligible_leader_replicas(self.kafka_version, self.controller_mode, elr)
        if self.controller_mode == "zookeeper" and self.controllers != 3:
            raise InvalidConfigurationError(
                "controllers",
                self.controllers,
                "3 (unused) with controller_mode zookeeper",
                "controllers counts KRaft's voters; in ZooKeeper mode the controller is one of the brokers",
            )
        if self.controller_nodes == "combined":
            if self.controller_mode == "zookeeper":
                raise InvalidConfigurationError(
                    "controller_nodes",
                    self.controller_nodes,
                    "dedicated with controller_mode zookeeper",
                    "combined nodes (process.roles=broker,controller) are KRaft's; in ZooKeeper mode the "
                    "controller is always one of the brokers",
                )
            if self.controllers > self.brokers:
                raise InvalidConfigurationError(
                    "controllers",
                    self.controllers,
                    f"1..{self.brokers} with controller_nodes combined",
                    f"combined voters run on brokers 0..{self.controllers - 1}, and the cluster has "
                    f"{self.brokers} brokers",
                )
        if self.controller_mode == "zookeeper" and self.racks is not None:
            raise InvalidConfigurationError(
                "racks",
                list(self.racks),
                "null with controller_mode zookeeper",
                "the ZooKeeper-era rack-aware placement (AdminUtils) is not modelled yet",
            )
        if self.racks is not None and len(self.racks) != self.brokers:
            raise InvalidConfigurationError(
                "racks",
                list(self.racks),
                f"a list of {self.brokers} rack names, one per broker",
                f"{len(self.racks)} racks for {self.brokers} brokers",
            )
        for broker, override in self.broker_hardware or ():
            if broker >= self.brokers:
                raise InvalidConfigurationError(
                    f"broker_hardware.{broker}",
                    override if isinstance(override, str) else dict(override),
                    f"broker ids 0..{self.brokers - 1}",
                    f"the cluster has {self.brokers} brokers; there is no broker {broker}",
                )
            self.profile_for(broker)  # every override is checked before the run

    def cluster_profile(self):
        """The cluster's :class:`~eventsim.hardware.HardwareProfile`: the named one, or the one that
        ``hardware``'s mapping of fields makes (:func:`eventsim.hardware.cluster_profile`)."""
        spec = self.hardware if isinstance(self.hardware, str) else dict(self.hardware)
        return cluster_profile(spec, "hardware")  # (a config's errors name fields under it: "cluster.")

    def profile_for(self, broker_id: int):
        """The :class:`~eventsim.hardware.HardwareProfile` of broker ``broker_id``: the cluster's, with
        its ``broker_hardware`` override applied when it has one."""
        cluster = self.cluster_profile()
        override = dict(self.broker_hardware or ()).get(broker_id)
        if override is None:
            return cluster
        return broker_profile(cluster, override, f"broker_hardware.{broker_id}")

    def to_properties(self) -> dict[str, object]:
        props = super().to_properties()
        if not isinstance(self.hardware, str):
            props["hardware"] = dict(self.hardware)
        if self.broker_hardware is not None:
            props["broker_hardware"] = {
                broker: spec if isinstance(spec, str) else dict(spec) for broker, spec in self.broker_hardware
            }
        return props
