"""Metering at the edges: tariff/factor files, CSV input, the offline command's pipeline."""
