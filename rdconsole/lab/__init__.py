"""Real servers on loopback for tests, benchmarks and ``rdconsole demo``: a mariadbd pair, an
rsync daemon serving a generated audio store, and an OpenSSH sshd.

Never imports textual (an import-linter contract checks it).
"""

from rdconsole.lab.audio import GUARD_NAME, cut_names, make_audio_store
from rdconsole.lab.client import LabError, Row
from rdconsole.lab.drills import LabDrills
from rdconsole.lab.mariadb import MASTER_NAME, STANDBY_NAME, MariaDBLab
from rdconsole.lab.rsyncd import RsyncDaemon
from rdconsole.lab.server import MariaDBServer, find_tools
from rdconsole.lab.sshd import SshServer

__all__ = [
    "GUARD_NAME",
    "MASTER_NAME",
    "STANDBY_NAME",
    "LabDrills",
    "LabError",
    "MariaDBLab",
    "MariaDBServer",
    "Row",
    "RsyncDaemon",
    "SshServer",
    "cut_names",
    "find_tools",
    "make_audio_store",
]
