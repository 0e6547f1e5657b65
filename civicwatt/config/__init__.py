"""The site configuration: YAML → validated pydantic models (see README, "Configuration")."""

from civicwatt.config.errors import ConfigError, Problem
from civicwatt.config.loader import load_site
from civicwatt.config.purposes import DEFAULT_PURPOSES, Purpose, PurposeTree
from civicwatt.config.site import Building, Point, SiteConfig, Zone
from civicwatt.paths import SHIPPED_CONFIG

__all__ = ["DEFAULT_PURPOSES", "SHIPPED_CONFIG", "Building", "ConfigError", "Point", "Problem",
           "Purpose", "PurposeTree", "SiteConfig", "Zone", "load_site"]
