"""`rdconsole status --json` with the audio mirror: real MariaDB lab and real rsync daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rdconsole.config import load_settings
from rdconsole.lab import MariaDBLab
from rdconsole.lab.rsyncd import RsyncDaemon
from rdconsole.ops.sync import SyncExit, run_sync


def audio_config(lab_config: Path, daemon: RsyncDaemon, tmp_path: Path) -> Path:
    mirror = tmp_path / "snd.standby"
    mirror.mkdir()
    owner = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    with lab_config.open("a") as config:
        config.write(
            f"\n[master.rsync]\nport = {daemon.port}\ncontimeout = 3\ntimeout = 10\n"
            f'\n[standby.audio]\ndir = "{mirror}"\nowner = "{owner}"\ngroup = "{owner}"\n'
            f'\n[standby.rivendell]\nrd_conf = "{tmp_path / "rd.conf"}"\n'
            f'snd = "{tmp_path / "snd"}"\n'
        )
    return lab_config


def status(config: Path) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "rdconsole", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, json.loads(result.stdout)


async def test_status_reports_the_audio_mirror(
    healthy_lab: MariaDBLab, lab_config: Path, rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    config = audio_config(lab_config, rsync_daemon, tmp_path)
    code, document = status(config)
    audio = document["standbys"][0]["audio"]
    assert audio == {
        "guard_present": True,
        "mode": "unknown",
        "running": False,
        "last_sync_at": None,
        "last_sync_ok": None,
        "last_sync_age_s": None,
        "missing_cuts": 8,
    }
    assert code == 1
    whats = [p["what"] for p in document["problems"]]
    assert any("never completed" in what for what in whats)
    assert any(what.startswith("8 cut(s) have no audio") for what in whats)

    outcome = await run_sync(load_settings(config), None)
    assert outcome.exit is SyncExit.OK, outcome.message
    code, document = status(config)
    audio = document["standbys"][0]["audio"]
    assert code == 0, document["problems"]
    assert audio["last_sync_ok"] is True
    assert audio["missing_cuts"] == 0
    assert 0 <= audio["last_sync_age_s"] < 30

    (tmp_path / "snd.standby" / "000005_002.wav").unlink()
    rsync_daemon.remove_guard()
    try:
        code, document = status(config)
    finally:
        rsync_daemon.restore_guard()
    audio = document["standbys"][0]["audio"]
    assert code == 1
    assert audio["missing_cuts"] == 1
    assert audio["guard_present"] is False
    joined = " | ".join(p["what"] for p in document["problems"])
    assert "000005_002" in joined
    assert "guard file missing" in joined


async def test_a_finished_sync_refreshes_the_coverage_at_once(
    healthy_lab: MariaDBLab, lab_config: Path, rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    from rdconsole.ops.audio import AudioCollector

    settings = load_settings(audio_config(lab_config, rsync_daemon, tmp_path))
    collector = AudioCollector(settings, settings.standbys[0], refresh=3600)
    try:
        before = await collector.collect()
        assert before.missing_cuts == 8
        outcome = await run_sync(settings, None)
        assert outcome.exit is SyncExit.OK, outcome.message
        after = await collector.collect()  # well inside the hour-long refresh
        assert after.last is not None and after.last.ok
        assert after.missing_cuts == 0
    finally:
        await collector.close()
