"""Kafka-named errors raised by eventsim.

Kafka reports a bad setting with ``org.apache.kafka.common.config.ConfigException`` (client side,
``ConfigDef.parse``) or ``InvalidConfigurationException`` (broker side), and problems with records
and partitions with ``ApiException`` subclasses such as ``RecordTooLargeException`` and
``UnknownTopicOrPartitionException`` (``clients/src/main/java/org/apache/kafka/common/errors/``).

Modelled: the configuration errors that eventsim detects before a run, each carrying which field,
which value, and which values are allowed, so a notebook reader can fix the scenario from the message
alone. ``field`` is the Kafka property name (``linger.ms``), prefixed with its place in the scenario
when known (``producers[0].config.linger.ms``); ``source`` names the YAML file when there is one.

Warnings about a scenario (a setting Kafka or Linux adjusts rather than refuses) go through
:func:`warn_user`, which points them at the user's own line rather than at eventsim's code.

Not modelled here: errors that occur *during* a run (``NotEnoughReplicasException``, timeouts); the
components that raise those define them next to their behaviour.
"""

from __future__ import annotations

import os
import reprlib
import sys
import warnings

__all__ = [
    "counted",
    "warn_user",
    "KafkaError",
    "InvalidConfigurationError",
    "RecordTooLargeError",
    "UnknownTopicOrPartitionError",
]


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # eventsim/


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the caller of eventsim's outermost frame: the notebook cell or script line that
    loaded the scenario, whichever path inside eventsim (and the code it generates, such as dataclasses'
    ``__init__``) led here."""
    frame = sys._getframe(1)
    depth = outermost = 0  # frames above warn_user; the outermost of them inside eventsim
    while frame is not None:
        depth += 1
        if frame.f_code.co_filename.startswith(_PACKAGE):
            outermost = depth
        frame = frame.f_back
    warnings.warn(message, category, stacklevel=outermost + 2)


class KafkaError(Exception):
    """Base class of eventsim's Kafka-named errors (Kafka's ``KafkaException``)."""


class InvalidConfigurationError(KafkaError, ValueError):
    """A configuration value Kafka (or the model) does not accept: Kafka's ``ConfigException``.

    The message reads ``"<field>=<value> is invalid: <reason> (allowed: <allowed>)"``, prefixed with
    ``"<source>: "`` when the value came from a file.
    """

    def __init__(
        self, field: str, value: object, allowed: str, reason: str | None = None, *, source: str | None = None
    ):
        self.field = field
        self.value = value
        self.allowed = allowed
        self.reason = reason
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.source}: " if self.source else ""
        why = f": {self.reason}" if self.reason else ""
        return f"{head}{self.field}={shown(self.value)} is invalid{why} (allowed: {self.allowed})"

    def __reduce__(self):  # keep the attributes when pickled (multiprocessing / Dask sweeps)
        return (_rebuild, (type(self), self.field, self.value, self.allowed, self.reason, self.source))

    def prefixed(self, path: str) -> InvalidConfigurationError:
        """The same error with ``path`` put in front of the field (``"producers[0].config"``)."""
        if not path:
            return self
        field = f"{path}{self.field}" if self.field.startswith("[") else f"{path}.{self.field}"
        return type(self)(field, self.value, self.allowed, self.reason, source=self.source)

    def in_file(self, source: str) -> InvalidConfigurationError:
        """The same error, naming the file the value came from."""
        return type(self)(self.field, self.value, self.allowed, self.reason, source=source)


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 120
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 6
_SHOWN.maxlevel = 2
SHOWN_CHARS = 160


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun`` as a message says them: "1 broker", "3 brokers"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def shown(value: object) -> str:
    """``repr(value)`` cut to a line: a huge value (a YAML alias bomb, a long list) is never printed whole."""
    text = _SHOWN.repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _rebuild(cls, field, value, allowed, reason, source):
    return cls(field, value, allowed, reason, source=source)


class RecordTooLargeError(InvalidConfigurationError):
    """A record larger than ``max.request.size`` / ``buffer.memory`` (producer) or
    ``max.message.bytes`` / ``message.max.bytes`` (broker): Kafka's ``RecordTooLargeException``."""


class UnknownTopicOrPartitionError(InvalidConfigurationError):
    """A topic or partition the cluster does not have: Kafka's ``UnknownTopicOrPartitionException``."""
