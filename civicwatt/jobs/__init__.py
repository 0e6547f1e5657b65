"""Jobs: each wires the store to a pure package (rules/, forecaster/); runs alone or scheduled."""
