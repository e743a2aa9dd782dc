"""Session recording."""

from monitor.store.jsonl import JsonlStore

__all__ = ["JsonlStore"]
