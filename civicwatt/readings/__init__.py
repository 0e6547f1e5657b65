"""Manual readings, bills and corrections (手工补录, issue 16): import, audit, metering overlay."""
