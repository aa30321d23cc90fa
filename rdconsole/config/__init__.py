"""Settings: TOML, Rivendell's rd.conf and ~/.my.cnf merged into typed values with provenance."""

from rdconsole.config.loader import find_config_path, load_settings
from rdconsole.config.reader import ConfigError
from rdconsole.config.settings import (
    AudioConfig,
    ConsoleConfig,
    HostConfig,
    MySQLEndpoint,
    RivendellPaths,
    RsyncSource,
    Secret,
    Settings,
    SshConfig,
)

__all__ = [
    "AudioConfig",
    "ConfigError",
    "ConsoleConfig",
    "HostConfig",
    "MySQLEndpoint",
    "RivendellPaths",
    "RsyncSource",
    "Secret",
    "Settings",
    "SshConfig",
    "find_config_path",
    "load_settings",
]
