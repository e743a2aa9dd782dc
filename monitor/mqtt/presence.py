"""The monitor's presence on ``{prefix}/_monitor/online`` (retained, QoS 1; docs/contract.md) and the look at it
before going online that keeps a second monitor off a prefix that already has one.

One topic per prefix, retained: a second monitor on the same prefix overwrote the first one's ``online``, and
when it left, its ``offline`` (or its MQTT will) said the first one was gone while it still served — a paced
``simulate --speed 0`` then published unpaced. Two monitors on one prefix are a mistake in any case: both read
every input, so every status and alert is sent twice. So each presence names its client (``client_id``, an
addition: ``{"online": true}`` stays the contract's part), and ``crampwatch monitor`` looks before it says
``online``: another client's ``online`` there means another monitor serves the prefix, and this one refuses
(:class:`MonitorConflict`) instead of taking the topic over.

Limits: two monitors that look in the same instant both find the prefix free; a broker with persistence that
crashed while a monitor was connected keeps its ``online`` (no will is sent): the refusal says how to clear it.
"""

from __future__ import annotations

import json

from monitor.errors import BrokerError
from monitor.mqtt.broker import BrokerURL


class MonitorConflict(BrokerError):
    """Another monitor says it is online on this prefix (a different client id)."""


def presence(online: bool, client_id: str | None) -> bytes:
    """The retained payload: the contract's ``online`` and, when known, who says it.

    >>> presence(True, "cw-host"), presence(False, None)
    (b'{"online": true, "client_id": "cw-host"}', b'{"online": false}')
    """
    said: dict[str, object] = {"online": online}
    if client_id is not None:
        said["client_id"] = client_id
    return json.dumps(said).encode()


def online_client(payload: bytes) -> str | None:
    """Who a presence payload says is online: its ``client_id`` ("" when it does not say: an older monitor), or
    None for ``offline``, a cleared topic or anything else.

    >>> online_client(b'{"online": true, "client_id": "a"}'), online_client(b'{"online": true}')
    ('a', '')
    >>> online_client(b'{"online": false, "client_id": "a"}'), online_client(b""), online_client(b"[1]")
    (None, None, None)
    """
    try:
        said = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(said, dict) or said.get("online") is not True:
        return None
    who = said.get("client_id")
    return who if isinstance(who, str) else ""


async def online_elsewhere(broker: BrokerURL, topic: str, own: set[str]) -> str | None:
    """The client id of another monitor that the retained presence on ``topic`` says is online ("" if it does not
    name one), or None (nobody, offline, or one of ``own``: this monitor's earlier connections). A connection of
    its own (clean session, no will: it never says anything on the topic): it subscribes to the presence, then
    unsubscribes — the broker sends a retained message right after the subscription's acknowledgement, so once
    the unsubscription is acknowledged the presence, if any, is in the client's queue (an ACL without read on the
    topic: nothing comes, nothing is refused). Raises :class:`aiomqtt.MqttError` if the broker cannot be reached."""
    said: str | None = None
    async with broker.client(clean_session=True) as client:
        await client.subscribe(topic, qos=1)
        await client.unsubscribe(topic)
        for _ in range(len(client.messages)):
            message = await anext(client.messages)
            if str(message.topic) == topic:
                said = online_client(message.payload if isinstance(message.payload, bytes) else b"")
    return None if said is None or said in own else said


def conflict_message(broker: BrokerURL, prefix: str, topic: str, other: str, *, same_id: bool = False) -> str:
    """The one line a refused monitor ends with.

    >>> conflict_message(BrokerURL.parse("mqtt://b"), "cw", "cw/_monitor/online", "cw-h", same_id=True)[:96]
    "another monitor is online on mqtt://b:1883 with prefix cw (client id 'cw-h', this one's own too:"
    """
    who = f"client id {other!r}" if other else "an older crampwatch"
    if same_id:
        who += ", this one's own too: two monitors with one id take the session from each other"
    return (
        f"another monitor is online on {broker} with prefix {prefix} ({who}, on {topic}): two monitors on one "
        "prefix send every status and alert twice. Stop it, or give this one another --prefix; if none runs (a "
        "monitor that lost its network is said offline by the broker within 45 s; a broker that crashed keeps its "
        f"last word), clear it: mosquitto_pub -r -n -t '{topic}'"
    )
