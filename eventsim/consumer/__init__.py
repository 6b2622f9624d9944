"""Consumers: the poll loop and the fetcher (standalone ``assign()``; groups come with ``group/``)."""
