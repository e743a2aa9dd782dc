"""Runs to publish: a simulated runner model and scenarios, and readers for recorded files (FIT, TCX, GPX, CSV).

Everything published goes through the same wire models the monitor validates (``monitor.core.wire``).
"""
