"""The audio side's plain-Python parts: wording, change lines, the sync log, the audio poller."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.layout import Mode
from rdconsole.core.rsync_output import Deleted, FileStarted, Progress, RsyncMessage, Severity
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.core.verdict import Phrase
from rdconsole.core.verdict import Severity as State
from rdconsole.ui.messages import HostPolled, SyncUpdate
from rdconsole.ui.panels import audio_words
from rdconsole.ui.panels.audio_words import RunView
from rdconsole.ui.polling import AudioPoller
from rdconsole.ui.state import ConsoleState, describe_audio_changes
from rdconsole.ui.syncing import ConsoleObserver, SyncLog, log_line
from tests.ui.samples import (
    MISSING,
    SCREEN_TIME,
    STALE_AFTER,
    STANDBY,
    ScriptedWatcher,
    audio_guard_missing,
    audio_ok,
    audio_running_elsewhere,
    audio_stale,
    master_up,
    sample_settings,
    standby,
)


def test_guard_reads_in_words_with_its_check_time() -> None:
    assert audio_words.guard_text(audio_ok(), SCREEN_TIME) == ("✔ present (14:03:20)", State.OK)
    text, state = audio_words.guard_text(audio_guard_missing(), SCREEN_TIME)
    assert (text, state) == ("▲ MISSING (14:03:20)", State.WARNING)
    unknown = audio_ok(guard_present=None, guard_detail="cannot connect (exit 10)")
    assert audio_words.guard_text(unknown, SCREEN_TIME)[0] == (
        "? unknown (14:03:20): cannot connect (exit 10)"
    )


@pytest.mark.parametrize(
    ("snapshot", "text", "state"),
    [
        (audio_ok(), "✔ ACTIVE, mode master", State.OK),
        (
            audio_guard_missing(),
            "▲ PAUSED: guard file missing on the master (mode master)",
            State.WARNING,
        ),
        (
            audio_ok(mode=Mode.MIXED),
            "✖ PAUSED: Rivendell links disagree (mixed mode) (mode mixed)",
            State.CRITICAL,
        ),
        (
            audio_ok(mode=Mode.MASTER, live_on_mirror=True),
            "PAUSED: this standby is live on its mirror (mode master)",
            None,
        ),
    ],
)
def test_mirror_is_active_or_paused_with_the_reason(
    snapshot: AudioSnapshot, text: str, state: State | None
) -> None:
    assert audio_words.mirror_text(snapshot) == (text, state)


def test_last_run_age_and_stale_warning() -> None:
    ok = audio_ok().last
    text, state = audio_words.last_text(ok, False, SCREEN_TIME, STALE_AFTER)
    assert (text, state) == ("✔ ok 25m ago: 12 files, 142.0 MiB, 0 deleted", State.OK)
    stale = audio_stale().last
    text, state = audio_words.last_text(stale, False, SCREEN_TIME, STALE_AFTER)
    assert text.startswith("▲ STALE: ok 3h05m ago (> 2h00m)") and state is State.WARNING
    text, _ = audio_words.last_text(stale, True, SCREEN_TIME, STALE_AFTER)
    assert "STALE" not in text, "a run in progress is not stale"
    assert ok is not None
    failed = dataclasses.replace(ok, ok=False, rsync_exit=23, error="partial transfer")
    assert audio_words.last_text(failed, False, SCREEN_TIME, STALE_AFTER)[0] == (
        "▲ FAILED 25m ago (rsync exit 23)"
    )
    assert audio_words.last_text(None, False, SCREEN_TIME, STALE_AFTER)[0] == "▲ never completed"


def test_missing_cuts_count_with_the_first_names() -> None:
    assert audio_words.cuts_text(audio_ok()) == ("✔ none missing of 1,234", State.OK)
    text, state = audio_words.cuts_text(audio_stale())
    assert text == f"▲ 4 missing: {', '.join(MISSING[:3])}, …" and state is State.WARNING
    assert audio_words.cuts_text(audio_ok(missing_cuts=None))[0] == "? not checked"


def test_run_view_from_the_console_and_from_the_state_file() -> None:
    starting = RunView.live("checking repl.chk on rd-master", None)
    assert starting.counts == "checking repl.chk on rd-master"
    assert starting.file == "—"
    progress = SyncProgress(
        current_file="010044_001.wav",
        file_percent=40,
        files_done=4,
        rate_bps=2 * 1024**2,
        eta_s=75,
        to_check=30,
        total_files=40,
    )
    live = RunView.live("mirroring", progress)
    assert live.overall_percent == 25.0
    assert (live.counts, live.file) == ("30 left, 4 done", "010044_001.wav (40%)")
    assert live.rate == "2.0 MiB/s, file ETA 1m"
    running = audio_running_elsewhere().running
    assert running is not None
    assert RunView.from_state(running).origin == "pid 4321"


def test_audio_changes_become_event_lines() -> None:
    first = describe_audio_changes(None, audio_ok())
    assert first == [f"{STANDBY} audio: first check: guard present, mirror ACTIVE"]
    lines = describe_audio_changes(audio_ok(), audio_guard_missing())
    assert lines == [
        f"{STANDBY} audio: guard file present → missing",
        f"{STANDBY} audio: mirror ACTIVE → PAUSED (guard file missing on the master)",
    ]
    lines = describe_audio_changes(audio_ok(), audio_running_elsewhere())
    assert lines == [f"{STANDBY} audio: a sync is running (pid 4321)"]
    assert describe_audio_changes(audio_ok(), audio_ok()) == []
    assert describe_audio_changes(audio_ok(), audio_stale()) == [
        f"{STANDBY} audio: last sync ok, 12 file(s), 0 deleted",
        f"{STANDBY} audio: 4 cut(s) have no audio on the standby",
    ]


def test_verdict_takes_in_the_audio_problems() -> None:
    state = ConsoleState(sample_settings(audio=True))
    state.record(master_up())
    state.record(standby())
    verdict = state.verdict(SCREEN_TIME)
    assert verdict is not None and verdict.phrase is Phrase.HEALTHY
    state.record_audio(audio_guard_missing())
    verdict = state.verdict(SCREEN_TIME)
    assert verdict is not None and verdict.phrase is Phrase.DEGRADED
    assert [p.what for p in verdict.problems] == [
        "the mirror is paused: guard file missing on the master (rsync exit 23)"
    ]
    state.record_audio(audio_ok())
    later = SCREEN_TIME + timedelta(hours=3)
    verdict = state.verdict(later)
    assert verdict is not None and "the last good audio sync is 3h25m old" in (
        verdict.problems[0].what
    )


def test_sync_log_is_bounded_and_tells_what_is_new() -> None:
    log = SyncLog(max_lines=3)
    for n in range(5):
        log.add(f"line {n}")
    assert log.lines == ("line 2", "line 3", "line 4")
    assert log.since(0) == ["line 2", "line 3", "line 4"]
    assert log.since(3) == ["line 3", "line 4"]
    assert log.since(5) == []


def test_log_lines_from_rsync_events() -> None:
    assert log_line(FileStarted("010040_001.wav")) == "010040_001.wav"
    assert log_line(Deleted("009001_001.wav")) == "deleting 009001_001.wav"
    assert log_line(RsyncMessage(Severity.ERROR, "rsync error: timeout (code 30)")) == (
        "✖ rsync error: timeout (code 30)"
    )
    assert log_line(Progress(10, 1, 1.0, 1)) is None


def test_observer_logs_every_line_and_posts_once_per_read() -> None:
    log = SyncLog()
    posted: list[tuple[str, SyncProgress | None]] = []
    observer = ConsoleObserver(log, lambda phase, progress: posted.append((phase, progress)))
    observer.phase("mirroring")
    progress = SyncProgress(current_file="b.wav")
    observer.events([FileStarted("a.wav"), Progress(10, 1, 1.0, 1), FileStarted("b.wav")], progress)
    observer.events([Progress(20, 2, 1.0, 1)], progress)
    assert log.lines == ("— mirroring", "a.wav", "b.wav")
    assert posted == [("mirroring", None), ("mirroring", progress), ("mirroring", progress)]


class SlowWatcher(ScriptedWatcher):
    async def collect(self, *, force: bool = False) -> AudioSnapshot:
        await asyncio.sleep(10)
        return await super().collect(force=force)


async def test_audio_poller_gives_up_within_its_budget_and_forces_on_demand() -> None:
    delivered: list[tuple[str, AudioSnapshot | None, str]] = []
    slow = AudioPoller(
        SlowWatcher([audio_ok()]),
        sample_settings().console,
        deliver=lambda *args: delivered.append(args),
        budget=0.05,
    )
    task = asyncio.create_task(slow.run())
    async with asyncio.timeout(2):
        while not delivered:  # noqa: ASYNC110 - polls what the poller delivered
            await asyncio.sleep(0.01)
    task.cancel()
    assert delivered[0] == (STANDBY, None, "no answer within 0.05 s")

    watcher = ScriptedWatcher([audio_ok()])
    poller = AudioPoller(watcher, sample_settings().console, deliver=lambda *args: None)
    task = asyncio.create_task(poller.run())

    async def polls(count: int) -> None:
        while len(watcher.forced) < count:  # noqa: ASYNC110 - polls the scripted watcher
            await asyncio.sleep(0.01)

    async with asyncio.timeout(2):
        await polls(1)
        poller.poll_now()
        await polls(2)
        poller.poll_now(force=False)
        await polls(3)
    task.cancel()
    assert watcher.forced == [False, True, False]
    assert [poller.crashed() for _ in range(3)] == [1, 2, 4]


def test_progress_updates_of_one_standby_replace_each_other() -> None:
    older = SyncUpdate(STANDBY, "mirroring", None)
    assert older.can_replace(SyncUpdate(STANDBY, "mirroring", SyncProgress()))
    assert not older.can_replace(SyncUpdate("rd-standby2", "mirroring", None))
    assert not older.can_replace(HostPolled(standby()))
