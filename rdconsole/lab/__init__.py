"""Real servers on loopback for tests, benchmarks and ``rdconsole demo``: a mariadbd pair.

Never imports textual (an import-linter contract checks it).
"""

from rdconsole.lab.client import LabError, Row
from rdconsole.lab.drills import LabDrills
from rdconsole.lab.mariadb import MASTER_NAME, STANDBY_NAME, MariaDBLab
from rdconsole.lab.server import MariaDBServer, find_tools

__all__ = [
    "MASTER_NAME",
    "STANDBY_NAME",
    "LabDrills",
    "LabError",
    "MariaDBLab",
    "MariaDBServer",
    "Row",
    "find_tools",
]
