"""Jobs that wire the store and MQTT to the pure rules; `civicwatt run` schedules them."""
