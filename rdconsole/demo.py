"""``rdconsole demo``: a lab of real servers, a config for it, and the console.

Two MariaDB servers replicating on loopback, an rsync daemon serving a generated audio store
with a standby Rivendell layout beside it, all in a temporary directory that is removed on
exit; the servers are stopped even when the console crashes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from rdconsole.config import load_settings
from rdconsole.hosts.mysql import build_collectors
from rdconsole.hosts.state import FileJournal
from rdconsole.lab import LabDrills, LabError, MariaDBLab, RsyncDaemon, make_audio_store
from rdconsole.lab.station import StationLayout
from rdconsole.ops.audio import AudioCollector
from rdconsole.ops.console_replication import replication_runner
from rdconsole.ops.failover_flow import failover_runner
from rdconsole.ops.sync import sync_runner
from rdconsole.ui.app import make_app

EXIT_LAB_FAILED = 4


def run_demo(poll_interval: float) -> int:
    """Run the demo; returns the process exit code (4 when the lab cannot start)."""
    root = Path(tempfile.mkdtemp(prefix="rdconsole-demo-"))
    try:
        with ExitStack() as servers:
            print(
                "rdconsole demo: starting two MariaDB servers and an rsync daemon on loopback ...",
                file=sys.stderr,
            )
            try:
                lab = MariaDBLab(root / "lab").start()
                servers.callback(lab.stop)
                store = root / "master-snd"
                make_audio_store(store)
                daemon = RsyncDaemon(root / "rsyncd", store).start()
                servers.callback(daemon.stop)
            except LabError as error:
                print(f"rdconsole demo: the lab could not start: {error}", file=sys.stderr)
                return EXIT_LAB_FAILED
            station = StationLayout(root / "standby-host").create()
            config = lab.write_config(root / "rdconsole.toml", root / "state", poll_interval)
            with config.open("a", encoding="utf-8") as file:
                file.write(station.toml(daemon.port))
            settings = load_settings(config)
            app = make_app(
                settings,
                build_collectors(settings.hosts, settings.console),
                journal=FileJournal(settings.console.state_dir),
                drills=LabDrills(lab),
                audio={s.name: AudioCollector(settings, s) for s in settings.standbys},
                sync=sync_runner(settings),
                failover=failover_runner(settings),
                replication=replication_runner(settings),
            )
            app.run()
            return app.return_code or 0
    finally:
        shutil.rmtree(root, ignore_errors=True)
