"""crampwatch's I/O side: the MQTT service, wire models, CLI, dashboard, and the event-time pipeline driver."""
