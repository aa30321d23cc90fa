"""Settings: TOML, Rivendell's rd.conf and ~/.my.cnf merged into typed values with provenance."""

from rdconsole.config.loader import ConfigError, find_config_path, load_settings
from rdconsole.config.settings import (
    ConsoleConfig,
    HostConfig,
    MySQLEndpoint,
    Secret,
    Settings,
)

__all__ = [
    "ConfigError",
    "ConsoleConfig",
    "HostConfig",
    "MySQLEndpoint",
    "Secret",
    "Settings",
    "find_config_path",
    "load_settings",
]
