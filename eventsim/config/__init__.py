"""Kafka configuration as frozen dataclasses: producer, consumer, broker, topic and cluster.

The client configs are in :mod:`eventsim.config.clients`, the broker and topic configs in
:mod:`eventsim.config.server`, the cluster's shape in :mod:`eventsim.config.cluster`, what they share in
:mod:`eventsim.config.common`.

What Kafka does: every client and broker setting is a named property declared with a type, a
default and a validator (``ProducerConfig.java``, ``ConsumerConfig.java`` in
``clients/src/main/java/org/apache/kafka/clients/``; ``LogConfig.java``, ``ServerLogConfigs.java``,
``ReplicationConfigs.java``, ``SocketServerConfigs.java`` on the broker). Some rules span properties:

* the producer's ``delivery.timeout.ms`` must be >= ``linger.ms + request.timeout.ms``; an explicit
  smaller value is a ``ConfigException``, a smaller value from defaults is raised with a warning
  (``KafkaProducer.configureDeliveryTimeout``, KIP-91);
* ``enable.idempotence`` (default true since 3.0, KIP-679) is turned off silently when the user
  leaves it unset and sets ``acks`` other than ``all`` or ``retries=0``, and is an error when set
  explicitly with them; ``max.in.flight.requests.per.connection`` above 5 while idempotence is
  configured on is an error from 4.0 (KAFKA-17927), even when acks turns idempotence off
  (``ProducerConfig.postProcessAndValidateIdempotenceConfigs``); set ``enable.idempotence=false``
  to use more in-flight requests;
* a consumer without ``group.id`` has ``enable.auto.commit`` forced to false, and setting it to true
  explicitly is an error (``ConsumerConfig.maybeOverrideEnableAutoCommit``); ``heartbeat.interval.ms``
  must be below ``session.timeout.ms`` (``consumer/internals/Heartbeat``);
* the broker's ``log.retention.ms`` wins over ``log.retention.minutes``, which wins over
  ``log.retention.hours``, and a negative result means unlimited (``KafkaConfig`` / ``LogConfig``);
  ``log.roll.ms`` wins over ``log.roll.hours``; ``replica.fetch.wait.max.ms`` must not exceed
  ``replica.lag.time.max.ms`` (``KafkaConfig.validateValues``), which must be at least 2 (the broker's
  ISR check runs every half of it, and a period of 0 ms does not start);
* a topic's properties (``retention.ms``, ``min.insync.replicas``...) override the broker's
  ``log.*`` defaults (``LogConfig.fromProps``), and topic names follow ``Topic.validate``.

Modelled: the properties the simulation uses, with Kafka 4.2's defaults (the ``define()`` calls of
the classes named above and ``CommonClientConfigs``, and Kafka's upgrade notes for older defaults)
and the ranges of those ``define()`` calls; where Kafka declares no range but a negative value is
meaningless to the model (``session.timeout.ms``, ``replica.lag.time.max.ms``, ...) eventsim
requires >= 0 or >= 1 and says so in the message. Values are parsed as ``ConfigDef`` parses them
(numeric strings for integers, ``"true"``/``"false"`` for booleans; see
:mod:`eventsim.core.validation`). A topic that gives no ``partitions`` or ``replication.factor``
takes the broker's ``num.partitions`` / ``default.replication.factor``, as a ``CreateTopics`` request
without them does (KIP-464); a topic's ``replicas`` is a manual assignment
(``kafka-topics --replica-assignment``) that implies both. The cluster's ``racks`` drive the KRaft
striped replica placement (:mod:`eventsim.controller.replica_placer`); ``hardware`` is a profile's name
or a mapping of fields that change one for every host (``ClusterConfig.cluster_profile``), and
``broker_hardware`` gives single brokers hardware of their own (``ClusterConfig.profile_for``).
Unknown property names are errors with a did-you-mean; real Kafka properties that are not modelled
(serializers, TLS, transactions) are errors that say so.

Not modelled yet, so accepted only at their default (each class's ``_NOT_MODELLED_YET`` table; any
other value is an error naming the capability that will model it):

* failover: the producer's ``partitioner.availability.timeout.ms`` and the consumer's
  ``request.timeout.ms``;
* consumer groups: ``session.timeout.ms``, ``heartbeat.interval.ms``, ``max.poll.interval.ms``,
  ``enable.auto.commit`` (accepted as Kafka derives it: true for a group), ``auto.commit.interval.ms``
  and ``isolation.level`` (``read_committed``).

Accepted and deliberately without effect: ``client.id`` (a label); ``group.id`` (names the group;
each consumer spec is one group); ``acks=1``, the same as ``acks=all`` on a topic with one replica
(Kafka's behaviour: the ISR is the leader alone). The broker's
``socket.request.max.bytes`` acts only on requests larger than it; the scenario refuses values a
client's requests could exceed (:mod:`eventsim.scenarios`). The broker's ``fetch.max.bytes`` caps every
consumer's ``fetch.max.bytes``, as in Kafka.

Socket buffers size the TCP windows of the connections (``eventsim.network``): the producer's
``send.buffer.bytes``, the consumer's ``receive.buffer.bytes``, the broker's ``socket.send.buffer.bytes``,
``socket.receive.buffer.bytes`` and ``replica.socket.receive.buffer.bytes`` (-1: the OS autotunes them; a
setting above Linux's ``net.core.rmem_max`` / ``wmem_max``, 212,992 bytes by default, gets that much, with a
warning, as Linux lowers it);
``metadata.max.age.ms`` sets how often clients refresh their metadata.

Not modelled: transactions (``transactional.id``), compression levels, the clients' other socket buffers
(the producer's ``receive.buffer.bytes``, the consumer's ``send.buffer.bytes``: only small messages use
them), SASL/SSL, the KIP-848 ``group.protocol`` settings, ``auto.offset.reset=by_duration:``,
and the broker-side check of ``session.timeout.ms`` against ``group.min/max.session.timeout.ms``.
"""

from eventsim.config.clients import ConsumerConfig, ProducerConfig
from eventsim.config.server import BrokerConfig, ClusterConfig, TopicConfig

__all__ = ["ProducerConfig", "ConsumerConfig", "BrokerConfig", "TopicConfig", "ClusterConfig"]
