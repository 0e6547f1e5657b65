"""Where the shipped YAML lives: `config/` of the repository, or `$CIVICWATT_CONFIG_DIR`."""

import os
from pathlib import Path

SHIPPED_CONFIG = Path(os.environ.get("CIVICWATT_CONFIG_DIR",
                                     Path(__file__).resolve().parents[1] / "config"))
