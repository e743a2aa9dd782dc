"""The pure event-time driver: wire models, 1 Hz grid, per-athlete pipeline, router, profiles.

No I/O here: the live service (``monitor.mqtt``) and the offline commands drive the same code.
"""
