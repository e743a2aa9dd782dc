"""Gateways that bring real sensors onto the contract's topics (see docs/devices.md).

- :mod:`monitor.gateway.ble_parse` — pure parsers of the standard Bluetooth LE Heart Rate and Running Speed and
  Cadence measurements;
- :mod:`monitor.gateway.assembler` — notifications to contract frames, one per host-clock second;
- :mod:`monitor.gateway.publisher` — QoS 1 frames to the broker, buffered while it is away; alerts back;
- :mod:`monitor.gateway.gateway` — the :class:`~monitor.gateway.gateway.Notifier` interface and the gateway;
- :mod:`monitor.gateway.bleak_notifier` — the notifier over `bleak` (extra ``crampwatch[ble]``).
"""
