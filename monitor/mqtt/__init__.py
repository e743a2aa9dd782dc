"""MQTT I/O: the ``Monitor`` service, broker URLs and the embedded amqtt broker."""
