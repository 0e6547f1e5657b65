"""The setpoint service's edges: MQTT 5 link and input sources (rules live in `rules/`)."""
