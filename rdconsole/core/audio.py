"""The audio mirror as the console and ``status`` see it, and its problems (pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rdconsole.core.durations import format_duration
from rdconsole.core.layout import Mode
from rdconsole.core.verdict import Problem, Severity


@dataclass(frozen=True)
class LastSync:
    ended_at: datetime | None
    ok: bool
    files: int
    bytes: int
    deleted: int
    rsync_exit: int | None
    error: str | None


@dataclass(frozen=True)
class RunningSync:
    pid: int | None
    started_at: datetime | None
    current_file: str | None
    overall_percent: float | None
    file_percent: int
    rate_bps: float | None
    eta_s: int | None
    files_done: int
    to_check: int | None


@dataclass(frozen=True)
class AudioSnapshot:
    standby: str
    checked_at: datetime
    guard_present: bool | None
    """None: could not be checked (master unreachable)."""
    guard_detail: str
    guard_checked_at: datetime | None
    mode: Mode
    live_on_mirror: bool
    running: RunningSync | None
    last: LastSync | None
    missing_cuts: int | None
    """Cuts with LENGTH > 0 whose file is absent or empty on the standby; None: unknown."""
    missing_examples: tuple[str, ...] = ()
    cuts_checked: int | None = None

    @property
    def paused_reason(self) -> str | None:
        """Why the mirror must not run now, or None when it may."""
        if self.live_on_mirror:
            return "this standby is live on its mirror"
        if self.mode is Mode.MIXED:
            return "Rivendell links disagree (mixed mode)"
        if self.guard_present is False:
            return "guard file missing on the master"
        if self.guard_present is None:
            return "master's rsync service unreachable"
        return None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def from_state_file(
    document: Mapping[str, Any] | None, pid_alive: bool
) -> tuple[RunningSync | None, LastSync | None]:
    """What a sync state file says: a run in progress (if its process lives) and the last result."""
    if not document:
        return None, None
    last_doc = document.get("last")
    last = None
    if isinstance(last_doc, dict):
        last = LastSync(
            ended_at=_time(last_doc.get("ended_at")),
            ok=last_doc.get("ok") is True,
            files=_int(last_doc.get("files")),
            bytes=_int(last_doc.get("bytes")),
            deleted=_int(last_doc.get("deleted")),
            rsync_exit=_optional_int(last_doc.get("rsync_exit")),
            error=last_doc.get("error") if isinstance(last_doc.get("error"), str) else None,
        )
    running = None
    if document.get("running") is True and pid_alive:
        progress = document.get("progress")
        progress = progress if isinstance(progress, dict) else {}
        current = progress.get("current_file")
        running = RunningSync(
            pid=_optional_int(document.get("pid")),
            started_at=_time(document.get("started_at")),
            current_file=current if isinstance(current, str) else None,
            overall_percent=_optional_float(progress.get("overall_percent")),
            file_percent=_int(progress.get("file_percent")),
            rate_bps=_optional_float(progress.get("rate_bps")),
            eta_s=_optional_int(progress.get("eta_s")),
            files_done=_int(progress.get("files_done")),
            to_check=_optional_int(progress.get("to_check")),
        )
    return running, last


def missing_cuts(
    cut_names: Iterable[str], present: Collection[str], extension: str = "wav"
) -> list[str]:
    """Cut names whose ``NAME.ext`` is not among the non-empty files ``present``."""
    return sorted(name for name in cut_names if f"{name}.{extension}" not in present)


def mixed_problem(host: str) -> Problem:
    """A standby whose rd.conf and /var/snd links point at different modes: an error wherever
    the mode is shown."""
    return Problem(
        Severity.CRITICAL,
        host,
        "Rivendell is half switched: /etc/rd.conf and /var/snd point at different modes",
        "run `rdconsole switch master` or `rdconsole switch standby` to make them agree",
    )


def audio_problems(audio: AudioSnapshot, stale_after: float, now: datetime) -> list[Problem]:
    host = audio.standby
    problems: list[Problem] = []
    if audio.mode is Mode.MIXED:
        problems.append(mixed_problem(host))
    if audio.guard_present is False:
        problems.append(
            Problem(
                Severity.WARNING,
                host,
                f"the mirror is paused: {audio.guard_detail}",
                "check the master's audio store is mounted, then recreate the guard file there "
                "(touch /var/snd/repl.chk as the Rivendell user)",
            )
        )
    elif audio.guard_present is None and not audio.live_on_mirror:
        problems.append(
            Problem(
                Severity.WARNING,
                host,
                f"the mirror is paused: {audio.guard_detail}",
                "check rsyncd on the master and the network path (rsync rsync://MASTER/)",
            )
        )
    if audio.last is None:
        if audio.running is None:
            problems.append(
                Problem(
                    Severity.WARNING,
                    host,
                    "the audio mirror has never completed a run",
                    "run `rdconsole sync --dry-run`, then `rdconsole sync`, and enable the timer",
                )
            )
    elif not audio.last.ok:
        problems.append(
            Problem(
                Severity.WARNING,
                host,
                f"the last audio sync failed: {audio.last.error or ''}",
                "see `rdconsole sync` output and the audit log in state_dir",
            )
        )
    elif audio.last.ended_at is not None:
        age = (now - audio.last.ended_at).total_seconds()
        if age > stale_after and audio.running is None:
            problems.append(
                Problem(
                    Severity.WARNING,
                    host,
                    f"the last good audio sync is {format_duration(age)} old "
                    f"(stale after {format_duration(stale_after)})",
                    "check the timer (systemctl list-timers), then run `rdconsole sync`",
                )
            )
    if audio.missing_cuts:
        examples = ", ".join(audio.missing_examples[:3])
        problems.append(
            Problem(
                Severity.WARNING,
                host,
                f"{audio.missing_cuts} cut(s) have no audio on the standby (e.g. {examples}): "
                "they would be dead air after a failover",
                "run `rdconsole sync`; if they stay missing, check them on the master",
            )
        )
    return problems


def audio_json(audio: AudioSnapshot, now: datetime) -> dict[str, Any]:
    """The ``audio`` object of ``status --json`` (field names are a public contract)."""
    ended = audio.last.ended_at if audio.last else None
    return {
        "guard_present": audio.guard_present,
        "mode": audio.mode.value,
        "running": audio.running is not None,
        "last_sync_at": ended.isoformat(timespec="seconds") if ended else None,
        "last_sync_ok": audio.last.ok if audio.last else None,
        "last_sync_age_s": round((now - ended).total_seconds()) if ended else None,
        "missing_cuts": audio.missing_cuts,
    }
