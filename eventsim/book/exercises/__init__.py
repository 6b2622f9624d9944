"""The exercises, one module per chapter: events (01), queueing (02), topics (03), producers (04, 05),
keys (06), replication (08), controllers (09), failover (10).

Each module registers its :class:`~eventsim.book.registry.Exercise` entries when imported; the registry
imports them all on first use.
"""
