"""rsync's output, as bytes from a pipe, turned into typed events.

rsync rewrites a progress line in place: each update is a record ended by ``\\r``, and a file's
last record carries ``(xfr#N, to-chk=R/T)`` and ends with ``\\n``. Everything else is a record
ended by ``\\n``. :class:`RsyncOutputParser` splits records on both, whatever the chunking, and
:func:`parse_record` turns one record into at most one event. Neither ever raises.

**The invocation we recommend** for the audio mirror (the output options only; the source,
filters and timeouts are the sync command's business)::

    LC_ALL=C rsync -av --delete --progress --out-format='>>> %i %n' SRC DEST

- ``--out-format`` with :data:`MARKER` makes every file line start with a token rsync prints for
  nothing else, so a file named like a progress, summary or error line is never misread
  (:attr:`NameStyle.MARKED`). ``%i`` is always 11 characters in rsync 3, so the name is everything
  after the flags and one space, spaces included. Deletions come out as ``>>> *deleting   NAME``.
- ``-v`` adds the header and the ``sent …``/``total size is …`` summary; ``--progress`` adds
  per-file progress records, which :mod:`rdconsole.core.rsync_progress` expects.
- ``LC_ALL=C`` makes rsync escape every non-ASCII or control byte of a name as ``\\#ooo`` (octal),
  so the stream is ASCII and numbers use ``,`` grouping; the parser restores the exact bytes. A
  literal ``\\#ddd`` in a name is printed as ``\\#134#ddd``, so the escaping is unambiguous.
- Not ``-h``: humanised byte counts (``1.23M``) are not parsed.

Names are ``str`` decoded from the restored bytes with ``errors="surrogateescape"``, so
``name.encode("utf-8", "surrogateescape")`` gives back the file's bytes, valid UTF-8 or not.

Progress rates are in bytes per second: rsync (2.6 to 3.5 alike) computes the rate in units of
1024 bytes and prints ``kB/s``, ``MB/s`` or ``GB/s`` as powers of 1024 (``progress.c``,
``rprint_progress``), so ``833.33MB/s`` is 833.33 x 1024**2 bytes/s.

Errors and warnings are recognised in every style, so the same parser can read stderr, or stdout
and stderr merged.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TypeAlias

MARKER = ">>> "
"""Starts every file line of :data:`OUT_FORMAT`."""

OUT_FORMAT = MARKER + "%i %n"
"""The value for rsync's ``--out-format`` that :attr:`NameStyle.MARKED` parses."""

MAX_RECORD_BYTES = 65536
"""Longer records are cut to this length, so a stream without line ends cannot use unbounded
memory. rsync's longest real record is a 4096-byte path escaped four-fold, plus the flags."""


class NameStyle(enum.Enum):
    """How file lines look, which decides how a line that is nothing else is read."""

    MARKED = "marked"
    """``--out-format='>>> %i %n'`` (recommended): only marker lines are entries."""
    ITEMIZED = "itemized"
    """``-i`` or ``--out-format='%i %n'``: lines shaped like ``>f+++++++++ NAME`` are entries."""
    PLAIN = "plain"
    """``-v`` alone (the seed ``rd_audio_sync`` form): any other line is a file name. Ambiguous by
    nature: a symlink shows as ``NAME -> TARGET``, and a name that looks like a progress, summary,
    header or message line is read as that."""


class Severity(enum.StrEnum):
    """Of an :class:`RsyncMessage`: vanished files, ``rsync warning:`` lines (code 24) and skipped
    deletions are warnings; everything else rsync complains about is an error."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class FileStarted:
    """A regular file is about to be transferred; its progress records follow."""

    name: str
    flags: str = ""
    """The ``%i`` flags (``>f+++++++++``), empty in :attr:`NameStyle.PLAIN`."""


@dataclass(frozen=True, slots=True)
class Itemized:
    """An itemized entry that is not a file transfer: a directory, symlink or attribute change."""

    flags: str
    name: str


@dataclass(frozen=True, slots=True)
class Completion:
    """``(xfr#N, to-chk=R/T)``, which rsync appends to a file's last progress record only."""

    transfer_number: int
    """Files transferred so far, this one included."""
    to_check: int
    """Entries of the file list (directories included) not yet checked."""
    total_files: int
    list_complete: bool
    """False for ``ir-chk``: the file list is still arriving, so ``total_files`` will grow."""


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress record: of the current file with ``--progress``, of the whole run with
    ``--info=progress2``."""

    bytes: int
    percent: int
    rate_bps: float
    eta_s: int | None
    """None when rsync prints ``??:??:??``. On a final record, the time the file took."""
    completion: Completion | None = None

    @property
    def final(self) -> bool:
        """The file's last record. A ``\\n`` alone does not mean final: rsync also ends an
        unfinished record that way when a message has to follow."""
        return self.completion is not None


@dataclass(frozen=True, slots=True)
class Deleted:
    """rsync removed this entry from the destination (a name ending in ``/`` is a directory)."""

    name: str


@dataclass(frozen=True, slots=True)
class Totals:
    """``sent X bytes  received Y bytes  Z bytes/sec``."""

    sent: int
    received: int
    rate_bps: float


@dataclass(frozen=True, slots=True)
class TotalSize:
    """``total size is N  speedup is S``, with `` (DRY RUN)`` under ``--dry-run``."""

    total: int
    speedup: float
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class RsyncMessage:
    """An error or warning; ``code`` is rsync's exit code when the line states it (``(code N)``)."""

    severity: Severity
    text: str
    code: int | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """A line worth logging that carries no state: ``created directory X``, ``--stats`` lines,
    ``skipping …``, or anything unrecognised outside :attr:`NameStyle.PLAIN`."""

    text: str


RsyncEvent: TypeAlias = (
    FileStarted | Itemized | Progress | Deleted | Totals | TotalSize | RsyncMessage | Note
)

# Numbers are bounded (no int() of thousands of digits) and ASCII; a grouped count is
# ``\d[\d,.]*`` and a rate or speedup has two decimals after a ``.`` or ``,``.
_COUNT = r"(\d[\d,.]{0,40})"
_DECIMAL = r"(\d[\d,.]{0,40}[.,]\d\d)"
_PROGRESS = re.compile(
    rf" *{_COUNT} +(\d{{1,9}})% +{_DECIMAL}([kMG])B/s"
    r" +(?:(\d{1,9}):(\d\d):(\d\d)|\?\?:\?\?:\?\?)"
    r"(?: \(xfe?r#(\d{1,18}), (to|ir)-ch(?:ec)?k=(\d{1,18})/(\d{1,18})\))? *",
    re.ASCII,
)
_RATE_UNITS = {"k": 1024.0, "M": 1024.0**2, "G": 1024.0**3}
_TOTALS = re.compile(
    rf"sent {_COUNT} bytes +received {_COUNT} bytes +{_DECIMAL} bytes/sec *", re.ASCII
)
_TOTAL_SIZE = re.compile(
    rf"total size is {_COUNT} +speedup is {_DECIMAL}( \(DRY RUN\))? *", re.ASCII
)
_IGNORED = re.compile(
    r"(?:receiving|sending) incremental file list"
    r"|(?:receiving|building) file list \.\.\. ?(?:done)?"
    r"| *\d+ files(?:\.\.\.| to consider)|done| *",
    re.ASCII,
)
_NOTE = re.compile(
    r"created directory |skipping |(?:Number of|Total|Literal data|Matched data|File list)[^:]*: "
)
_CODE = re.compile(r"\(code (\d{1,9})\)", re.ASCII)
_ROLE = re.compile(r"\[(?i:sender|receiver|generator)\] ")
_ERROR_PREFIXES = ("rsync error: ", "rsync: ", "@ERROR", "ERROR: ")
_WARNING_PREFIXES = (
    "rsync warning: ",
    "WARNING: ",
    "file has vanished: ",
    "IO error encountered",
    "cannot delete non-empty directory: ",
)
_ESCAPE = re.compile(rb"\\#([0-3][0-7][0-7])")
_ITEM_TYPES = frozenset("fdLDS")
_DELETING_FLAGS = "*deleting  "


def _int(digits: str) -> int:
    """An integer printed with ``,`` or ``.`` grouping (rsync picks by the locale)."""
    return int(digits.replace(",", "").replace(".", ""))


def _hundredths(number: str) -> float:
    """A number printed with exactly two decimals and optional grouping, in any locale."""
    return _int(number) / 100


def _unescape(text: str) -> str:
    """Restore the bytes rsync printed as ``\\#ooo``."""
    raw = text.encode("utf-8", "surrogateescape")
    raw = _ESCAPE.sub(lambda m: bytes((int(m[1], 8),)), raw)
    return raw.decode("utf-8", "surrogateescape")


def _progress(m: re.Match[str]) -> Progress:
    done, pct, rate, unit, hours, minutes, seconds, xfr, kind, left, total = m.groups()
    # The hot path: _int and _hundredths inlined.
    rate_bps = int(rate.replace(",", "").replace(".", "")) * _RATE_UNITS[unit] / 100
    eta = None if hours is None else int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    completion = None
    if xfr is not None:
        completion = Completion(int(xfr), int(left), int(total), kind == "to")
    return Progress(
        int(done.replace(",", "").replace(".", "")), int(pct), rate_bps, eta, completion
    )


def _entry(text: str) -> FileStarted | Deleted | Itemized | None:
    """``%i %n``: 11 flag characters (which may include spaces), one space, the name."""
    if len(text) < 13 or text[11] != " ":
        return None
    flags, name = text[:11], text[12:]
    if flags == _DELETING_FLAGS:
        return Deleted(name)
    if flags[0] not in "<>ch." or flags[1] not in _ITEM_TYPES:
        return None
    if flags[0] in "<>" and flags[1] == "f":
        return FileStarted(name, flags)
    return Itemized(flags, name)


def _message(text: str) -> RsyncMessage | None:
    if text.startswith(_ERROR_PREFIXES) or _ROLE.match(text):
        severity = Severity.ERROR
    elif text.startswith(_WARNING_PREFIXES):
        severity = Severity.WARNING
    else:
        return None
    code = _CODE.search(text)
    return RsyncMessage(severity, text.rstrip(), None if code is None else int(code[1]))


def _special(text: str) -> RsyncEvent | None:
    """Lines with a fixed shape that are not file names."""
    message = _message(text)
    if message is not None:
        return message
    if text.startswith("sent "):
        m = _TOTALS.fullmatch(text)
        if m:
            return Totals(_int(m[1]), _int(m[2]), _hundredths(m[3]))
    elif text.startswith("total size is "):
        m = _TOTAL_SIZE.fullmatch(text)
        if m:
            return TotalSize(_int(m[1]), _hundredths(m[2]), m[3] is not None)
    if _NOTE.match(text):
        return Note(text)
    return None


def parse_record(text: str, style: NameStyle = NameStyle.MARKED) -> RsyncEvent | None:
    """One record (without its ``\\r`` or ``\\n``) as an event; None for headers, blank lines and,
    in :attr:`NameStyle.PLAIN`, directory names such as ``./``."""
    if not text:
        return None
    if "\\#" in text:
        text = _unescape(text)
    if text[0] in " 0123456789":
        m = _PROGRESS.fullmatch(text)
        if m:
            return _progress(m)
    if style is NameStyle.MARKED and text.startswith(MARKER):
        return _entry(text[len(MARKER) :]) or Note(text)
    if style is NameStyle.ITEMIZED:
        entry = _entry(text)
        if entry is not None:
            return entry
    if _IGNORED.fullmatch(text):
        return None
    event = _special(text)
    if event is not None:
        return event
    if style is not NameStyle.PLAIN:
        return Note(text)
    if text.startswith("deleting "):
        return Deleted(text[9:])
    if text.endswith("/"):
        return None
    return FileStarted(text)


class RsyncOutputParser:
    """Feed it rsync's stdout (and/or stderr) as it arrives, in chunks of any size.

    A record is complete at its ``\\r`` or ``\\n``; the unterminated tail waits for the next
    :meth:`feed` or for :meth:`close`. The events do not depend on how the stream was chunked.
    """

    __slots__ = ("_pending", "_pending_len", "_style")

    def __init__(self, style: NameStyle = NameStyle.MARKED) -> None:
        self._style = style
        self._pending: list[bytes] = []
        self._pending_len = 0

    def feed(self, chunk: bytes) -> list[RsyncEvent]:
        """The events of every record completed by ``chunk``."""
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if cut < 0:
            self._keep(chunk)
            return []
        block = chunk[:cut]
        if self._pending:
            block = b"".join(self._pending) + block
            self._pending.clear()
            self._pending_len = 0
        self._keep(chunk[cut + 1 :])
        return self._parse_block(block)

    def close(self) -> list[RsyncEvent]:
        """The event of an unterminated last record, if any; the parser is then empty again."""
        block = b"".join(self._pending)
        self._pending.clear()
        self._pending_len = 0
        return self._parse_block(block)

    def _keep(self, piece: bytes) -> None:
        """Hold the start of an unfinished record, up to :data:`MAX_RECORD_BYTES`."""
        room = MAX_RECORD_BYTES - self._pending_len
        if piece and room > 0:
            piece = piece[:room]
            self._pending.append(piece)
            self._pending_len += len(piece)

    def _parse_block(self, block: bytes) -> list[RsyncEvent]:
        events: list[RsyncEvent] = []
        style = self._style
        for raw in block.replace(b"\r", b"\n").split(b"\n"):
            if raw:
                text = raw[:MAX_RECORD_BYTES].decode("utf-8", "surrogateescape")
                event = parse_record(text, style)
                if event is not None:
                    events.append(event)
        return events
