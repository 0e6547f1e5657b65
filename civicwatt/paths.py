"""Where the shipped data lives: `civicwatt/data/` inside the installed package.

Tariffs (`tariffs/*.yaml`), grid emission factors and coal factors are package
data, found with `importlib.resources`, so a wheel installed anywhere finds them
without the repository. `$CIVICWATT_CONFIG_DIR` points somewhere else instead
(a folder with the same layout). Device profiles ship with
`collector.modbus` (see `collector.modbus.profiles.shipped_profiles`).
"""

import os
from importlib.resources import files
from pathlib import Path

#: The folder of the shipped tariffs and factor tables (a wheel installs it as files).
SHIPPED_CONFIG = Path(os.environ.get("CIVICWATT_CONFIG_DIR") or str(files("civicwatt") / "data"))
