"""Scenario documents before validation: reading YAML files safely, and ``--set PATH=VALUE`` overrides.

What Kafka does: nothing comparable; this is eventsim's own front door. A scenario file is read as
UTF-8 YAML with the rules a careful reader expects and PyYAML does not enforce by itself:

* a path that is a directory, unreadable, larger than ``MAX_DOCUMENT_BYTES`` or not UTF-8 text is one
  :class:`~eventsim.core.errors.InvalidConfigurationError` naming the file;
* a key given twice in one mapping is an error naming its path and both lines (the YAML 1.2 spec
  requires mapping keys to be unique; PyYAML silently keeps the last one);
* aliases are allowed, but the document they expand to may have at most ``MAX_DOCUMENT_NODES``
  nodes and ``MAX_DOCUMENT_DEPTH`` levels: a "billion laughs" file (a few lines of nested aliases
  that expand exponentially) fails at once, counted on the node graph without expanding it, and
  the error never prints the expanded value.

Overrides (:func:`apply_overrides`) change one field of the raw document each, addressed with the
paths that error messages use: ``cluster.brokers``, ``producers[0].rate_per_s``,
``producers[0].config.linger.ms`` (the rest of the path after ``config``, ``broker`` or a topic's
``config`` is one Kafka property name, dots included), ``topics[0].replication.factor``. The value is
read as a YAML scalar or flow collection (``20``, ``true``, ``lz4``, ``{distribution: zipf,
count: 1000}``), and the document is then validated exactly as a file would be. A path that names no
field is refused with the closest valid path.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import join_path

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_NODES",
    "MAX_DOCUMENT_DEPTH",
    "read_document",
    "parse_yaml",
    "apply_overrides",
    "parse_override",
]

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # a scenario is a page of YAML; 16 MiB is far beyond any real one
MAX_DOCUMENT_NODES = 200_000  # nodes after expanding aliases (a scenario has hundreds)
MAX_DOCUMENT_DEPTH = 64  # nesting levels (a scenario has five or six)
_DOCUMENT = "a YAML mapping of scenario keys (see data/scenarios/README.md)"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def read_document(path: str | os.PathLike) -> dict:
    """The mapping in the YAML file at ``path``; any problem is one error naming the file."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise InvalidConfigurationError(
            "scenario", source, "a YAML file or a preset name", "is a directory, not a scenario file"
        )
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise InvalidConfigurationError(
                "(document)",
                f"{size:,} bytes",
                f"a file of at most {MAX_DOCUMENT_BYTES:,} bytes",
                "far larger than any scenario",
                source=source,
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidConfigurationError(
            "scenario", source, "a readable YAML file", exc.strerror or type(exc).__name__
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidConfigurationError(
            "(document)",
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} (line {line})",
            "UTF-8 text",
            "not a UTF-8 text file",
            source=source,
        ) from None
    try:
        data = parse_yaml(text)
    except InvalidConfigurationError as err:
        raise err.in_file(source) from None
    if not isinstance(data, Mapping):
        got = "an empty document" if data is None else f"a {type(data).__name__}"
        raise InvalidConfigurationError(
            "(document)", got, _DOCUMENT, "the top level must be a mapping", source=source
        )
    return dict(data)


def parse_yaml(text: str, what: str = "(document)"):
    """YAML ``text`` as Python data, refusing duplicate keys and alias bombs (see module docstring)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, what)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidConfigurationError(what, where, _DOCUMENT, f"not valid YAML: {problem}") from None
    except RecursionError:
        raise InvalidConfigurationError(
            what, "deep nesting", f"at most {MAX_DOCUMENT_DEPTH} levels", "nested too deeply to read"
        ) from None
    finally:
        loader.dispose()


def _line(node) -> int:
    return node.start_mark.line + 1


def _check_nodes(root, what: str) -> None:
    """Count the nodes ``root`` expands to (aliases included, without expanding them) and find
    duplicate keys; raises on the first problem."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node, path: str, depth: int) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known  # an alias of a node already counted: its size, no second walk
        if key in active:
            raise InvalidConfigurationError(
                path or what, "a recursive alias", "aliases to earlier nodes only", "the node contains itself"
            )
        if depth > MAX_DOCUMENT_DEPTH:
            limit = f"at most {MAX_DOCUMENT_DEPTH} levels"
            raise InvalidConfigurationError(path or what, "deeper", limit, "nested too deeply for a scenario")
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for k, v in node.value:
                name = k.value if isinstance(k, yaml.ScalarNode) else None
                if name is not None and k.tag != _MERGE_TAG:
                    if name in seen:
                        raise InvalidConfigurationError(
                            join_path(path, str(name)),
                            f"line {_line(k)}",
                            "each key once per mapping",
                            f"duplicate key {name!r}: given at line {seen[name]} and again at line "
                            f"{_line(k)}; YAML keeps only one of them",
                        )
                    seen[name] = _line(k)
                total += size(k, path, depth + 1)
                total += size(v, join_path(path, str(name)), depth + 1)
                if total > MAX_DOCUMENT_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                total += size(item, f"{path}[{i}]", depth + 1)
                if total > MAX_DOCUMENT_NODES:
                    break
        active.discard(key)
        if total > MAX_DOCUMENT_NODES:
            raise InvalidConfigurationError(
                path or what,
                f"more than {MAX_DOCUMENT_NODES:,} nodes",
                f"a document of at most {MAX_DOCUMENT_NODES:,} nodes once aliases are expanded",
                "its aliases expand far beyond any scenario (an alias bomb?)",
            )
        sizes[key] = total
        return total

    size(root, "", 0)


# ---------------------------------------------------------------------------------------- overrides
_EXPONENT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")
_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parse_override(text: str) -> tuple[str, object]:
    """``"producers[0].config.linger.ms=20"`` -> ``("producers[0].config.linger.ms", 20)``."""
    path, sep, value = str(text).partition("=")
    path = path.strip()
    if not sep or not path:
        raise InvalidConfigurationError(
            "--set", text, "PATH=VALUE, e.g. producers[0].config.linger.ms=20", "expected PATH=VALUE"
        )
    parsed = parse_yaml(value, path) if value.strip() else None
    if isinstance(parsed, str) and _EXPONENT.fullmatch(parsed):
        # YAML 1.1 reads 1e6 (no dot, no sign) as text; on a command line it is a number.
        number = float(parsed)
        parsed = int(number) if number.is_integer() and abs(number) < 2**63 else number
    return path, parsed


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        gap = path[pos : m.start()]
        if gap not in ("", "."):
            break
        out.append(int(m.group(1)) if m.group(1) is not None else m.group(2))
        pos = m.end()
    if pos != len(path) or path.startswith(".") or path.endswith("."):
        raise InvalidConfigurationError(
            path, path, "a path such as producers[0].config.linger.ms", "not a valid path"
        )
    return out


def _schema():
    """Names valid at each kind of place (imported lazily: the config classes import this package)."""
    import dataclasses

    from eventsim.config import BrokerConfig, ClusterConfig, ConsumerConfig, ProducerConfig, TopicConfig
    from eventsim.scenarios import _TOP_KEYS, ConsumerSpec, MetricsSpec, ProducerSpec, VariabilitySpec

    def props(cls, names=None) -> list[str]:
        names = cls._PROPS if names is None else names
        return sorted({*(cls.dotted(n) for n in names), *cls._ALIASES})

    topic_overrides = [n for n in TopicConfig._PROPS if n not in TopicConfig._TOP_LEVEL]
    return {
        "": list(_TOP_KEYS),
        "cluster": props(ClusterConfig),
        "broker": props(BrokerConfig),
        "metrics": [f.name for f in dataclasses.fields(MetricsSpec)],
        "variability": [f.name for f in dataclasses.fields(VariabilitySpec)],
        "topic": [*(TopicConfig.dotted(n) for n in TopicConfig._TOP_LEVEL), "config"],
        "topic.config": props(TopicConfig, topic_overrides),
        "producer": [f.name for f in dataclasses.fields(ProducerSpec)],
        "producer.config": props(ProducerConfig),
        "producer.keys": ["distribution", "count", "exponent", "format"],
        "consumer": [f.name for f in dataclasses.fields(ConsumerSpec)],
        "consumer.config": props(ConsumerConfig),
    }


_LISTS = {"topics": "topic", "producers": "producer", "consumers": "consumer"}
_PROPERTY_PLACES = ("broker", "topic.config", "producer.config", "consumer.config")


def _child_place(place: str, key: str) -> str | None:
    if place == "":
        return key if key in ("cluster", "broker", "metrics", "variability") else None
    if place in ("topic", "producer", "consumer") and key in ("config", "keys"):
        return f"{place}.{key}"
    return None


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word``, also comparing with the part after ``config.``."""
    best, score = None, 0.6
    for cand in candidates:
        tail = cand.rsplit("config.", 1)[-1]
        s = max(
            difflib.SequenceMatcher(None, word, cand).ratio(),
            difflib.SequenceMatcher(None, word, tail).ratio(),
        )
        if s > score:
            best, score = cand, s
    return best


def _unknown(path: str, value: object, prefix: str, rest: str, names: Sequence[str], place: str, schema):
    candidates = list(names)
    for name in names:  # one level down as well: lingr.ms -> config.linger.ms
        sub = _child_place(place, name)
        if sub in _PROPERTY_PLACES or sub == "producer.keys":
            candidates += [f"{name}.{p}" for p in schema[sub]]
    match = _closest(rest, candidates)
    hint = f"; did you mean {join_path(prefix, match)!r}?" if match else ""
    raise InvalidConfigurationError(
        path,
        value,
        "a field path such as " + ", ".join(join_path(prefix, n) for n in list(names)[:6]) + ", ...",
        "no such field" + hint,
    )


def _set_path(data: dict, path: str, value: object, schema) -> None:
    tokens = _tokens(path)
    node: object = data
    place = ""
    prefix = ""
    i = 0
    while True:
        if isinstance(node, list):
            token = tokens[i]
            if not isinstance(token, int):
                raise InvalidConfigurationError(
                    path, value, f"an index {prefix}[0..{len(node) - 1}]", f"{prefix} is a list"
                )
            if token >= len(node):
                raise InvalidConfigurationError(
                    path, value, f"an index in [0, {len(node) - 1}]" if node else "no index",
                    f"{prefix} has {len(node)} {'entry' if len(node) == 1 else 'entries'}",
                )  # fmt: skip
            prefix = f"{prefix}[{token}]"
            if i == len(tokens) - 1:
                node[token] = value
                return
            node, i = node[token], i + 1
            continue
        if not isinstance(node, dict):
            raise InvalidConfigurationError(
                prefix, node, "a mapping here", f"cannot set {path}: {prefix} is not a mapping"
            )
        names = [n for n in tokens[i:] if isinstance(n, str)]
        if len(names) != len(tokens) - i and place in _PROPERTY_PLACES:
            names = []  # an index inside a property name: never valid
        allowed = schema.get(place, [])
        if place in _PROPERTY_PLACES:
            key = ".".join(str(t) for t in tokens[i:])
            if key not in node and key.replace("_", ".") not in allowed and not any(
                str(k).replace("_", ".") == key.replace("_", ".") for k in node
            ):
                _unknown(path, value, prefix, key, allowed, place, schema)
            for k in list(node):  # the same property spelled the other way (linger_ms / linger.ms)
                if str(k) != key and str(k).replace("_", ".") == key.replace("_", "."):
                    del node[k]
            node[key] = value
            return
        # The longest run of names that is a key here (topics[0].replication.factor).
        run = 0
        for j in range(i, len(tokens)):
            if not isinstance(tokens[j], str):
                break
            run += 1
        key = None
        for n in range(run, 0, -1):
            cand = ".".join(str(t) for t in tokens[i : i + n])
            if cand in node or cand in allowed or (place == "" and cand in _LISTS):
                key, i = cand, i + n
                break
        if key is None:
            rest = ".".join(str(t) for t in tokens[i:])
            _unknown(path, value, prefix, rest, allowed or list(node), place, schema)
        prefix = join_path(prefix, key)
        if i == len(tokens):
            node[key] = value
            return
        child = node.get(key)
        sub = _LISTS.get(key) if place == "" else None
        if sub is not None:
            if not isinstance(child, list):
                raise InvalidConfigurationError(
                    prefix, child, f"a list of {key}", f"no {key} to change in this scenario"
                )
            node, place = child, sub
            continue
        sub = _child_place(place, key)
        if child is None and sub is not None:
            child = node[key] = {}
        if child is None or (sub is None and not isinstance(child, (dict, list))):
            raise InvalidConfigurationError(
                path, value, f"{prefix} itself (it has no fields)", f"{prefix} is a value, not a mapping"
            )
        node, place = child, sub if sub is not None else "(free)"


def apply_overrides(data: Mapping, overrides: Iterable[str] | Mapping[str, object]) -> dict:
    """A copy of the raw scenario ``data`` with each ``PATH=VALUE`` (or ``{path: value}``) applied."""
    out = copy.deepcopy(dict(data))
    items = overrides.items() if isinstance(overrides, Mapping) else map(parse_override, overrides)
    schema = None
    try:
        for path, value in items:
            if schema is None:
                schema = _schema()
            _set_path(out, str(path), value, schema)
    except InvalidConfigurationError as err:
        raise err.in_file("--set") from None
    return out
