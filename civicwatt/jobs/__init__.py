"""Jobs: the glue between the store and the pure packages (rules/, forecaster/)."""
