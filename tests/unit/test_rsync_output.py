"""rsync output -> typed events, on the outputs recorded in the lab notes (§4.2-4.4), on real rsync
runs, and on arbitrary bytes (hypothesis)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdconsole.core.rsync_output import (
    MARKER,
    MAX_RECORD_BYTES,
    OUT_FORMAT,
    Completion,
    Deleted,
    FileStarted,
    Itemized,
    NameStyle,
    Note,
    Progress,
    RsyncEvent,
    RsyncMessage,
    RsyncOutputParser,
    Severity,
    Totals,
    TotalSize,
    parse_record,
)
from rdconsole.core.rsync_progress import SyncProgress, apply, fold

MB = 1024.0**2
CAFE = "Caf\u00e9 del Mar \u2013 \u00dcbergang.wav"
"""A name from the lab's data set; its en dash is real."""


def lab(text: str) -> bytes:
    """A transcript written as in the lab notes: ``^M`` is ``\\r``, ``$`` ends a line."""
    return text.replace("^M", "\r").replace("$\n", "\n").encode()


def parse(data: bytes, style: NameStyle = NameStyle.MARKED) -> list[RsyncEvent]:
    parser = RsyncOutputParser(style)
    return parser.feed(data) + parser.close()


def parse_chunked(chunks: list[bytes], style: NameStyle) -> list[RsyncEvent]:
    parser = RsyncOutputParser(style)
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events + parser.close()


def done(number: int, left: int, total: int, complete: bool = True) -> Completion:
    return Completion(number, left, total, complete)


# -- Recorded outputs (lab.md §4.2, §4.3), verbatim ----------------------------------------------

SEED_RAW = lab(
    """receiving incremental file list$
./$
000001_001.wav$
^M              0   0%    0.00kB/s    0:00:00  ^M      5,242,880 100%  833.33MB/s    0:00:00 (xfr#1, to-chk=200/202)$
repl.chk$
^M              0 100%    0.00kB/s    0:00:00 (xfr#199, to-chk=2/202)$
$
sent 3,853 bytes  received 218,526,483 bytes  437,060,672.00 bytes/sec$
total size is 218,460,713  speedup is 1.00$
"""  # noqa: E501
)

SEED_EVENTS: list[RsyncEvent] = [
    FileStarted("000001_001.wav"),
    Progress(0, 0, 0.0, 0),
    Progress(5_242_880, 100, 833.33 * MB, 0, done(1, 200, 202)),
    FileStarted("repl.chk"),
    Progress(0, 100, 0.0, 0, done(199, 2, 202)),
    Totals(3_853, 218_526_483, 437_060_672.0),
    TotalSize(218_460_713, 1.0),
]


def test_seed_form_raw() -> None:
    assert parse(SEED_RAW, NameStyle.PLAIN) == SEED_EVENTS


def test_seed_form_byte_by_byte() -> None:
    chunks = [SEED_RAW[i : i + 1] for i in range(len(SEED_RAW))]
    assert parse_chunked(chunks, NameStyle.PLAIN) == SEED_EVENTS


def test_seed_form_as_it_arrived_under_bwlimit() -> None:
    arrivals = [
        b"000006_001.wav\n",
        b"\r",
        b"              0   0%    0.00kB/s    0:00:00  \r",
        b"     10,813,440  20%   10.01MB/s    0:00:04  \r",
        b"     43,253,760  82%   10.00MB/s    0:00:00  \r",
        b"     52,428,800 100%   10.10MB/s    0:00:04 (xfr#1, to-chk=0/1)\n",
    ]
    parser = RsyncOutputParser(NameStyle.PLAIN)
    per_chunk = [parser.feed(chunk) for chunk in arrivals]
    assert per_chunk == [
        [FileStarted("000006_001.wav")],
        [],
        [Progress(0, 0, 0.0, 0)],
        [Progress(10_813_440, 20, 10.01 * MB, 4)],
        [Progress(43_253_760, 82, 10.0 * MB, 0)],
        [Progress(52_428_800, 100, 10.1 * MB, 4, done(1, 0, 1))],
    ]
    assert parser.close() == []


def test_progress2_records() -> None:
    data = lab(
        "^M    109,051,904  49%  104.00MB/s    0:00:01  "
        "^M    218,460,713 100%    1.16GB/s    0:00:00 (xfr#201, to-chk=0/202)$\n"
    )
    assert parse(data) == [
        Progress(109_051_904, 49, 104.0 * MB, 1),
        Progress(218_460_713, 100, 1.16 * 1024**3, 0, done(201, 0, 202)),
    ]


def test_itemize_changes() -> None:
    data = lab(".d..t...... ./$\n>f+++++++++ 000001_001.wav$\n*deleting   stale 1.wav$\n")
    assert parse(data, NameStyle.ITEMIZED) == [
        Itemized(".d..t......", "./"),
        FileStarted("000001_001.wav", ">f+++++++++"),
        Deleted("stale 1.wav"),
    ]


def test_other_out_formats_are_not_taken_for_files() -> None:
    data = lab("recv|>f+++++++++|000001_001.wav|5242880|5243556$\nrecv|.d..t......|./|12288|0$\n")
    assert parse(data) == [
        Note("recv|>f+++++++++|000001_001.wav|5242880|5243556"),
        Note("recv|.d..t......|./|12288|0"),
    ]
    assert parse(data, NameStyle.ITEMIZED) == parse(data)


def test_no_inc_recursive_header_is_ignored() -> None:
    data = lab("receiving file list ... $\n 100 files...^M 200 files...^M202 files to consider$\n")
    for style in NameStyle:
        assert parse(data, style) == []


def test_deleting_lines_and_nothing_to_do() -> None:
    data = lab(
        """receiving incremental file list$
deleting stale2.wav$
deleting stale 1.wav$
deleting notes.txt$
$
sent 27 bytes  received 4,560 bytes  9,174.00 bytes/sec$
total size is 218,460,713  speedup is 47,626.05$
"""
    )
    assert parse(data, NameStyle.PLAIN) == [
        Deleted("stale2.wav"),
        Deleted("stale 1.wav"),
        Deleted("notes.txt"),
        Totals(27, 4_560, 9_174.0),
        TotalSize(218_460_713, 47_626.05),
    ]


def test_c_locale_escapes_are_restored_to_the_original_bytes() -> None:
    escaped = rb"Caf\#303\#251 del Mar \#342\#200\#223 \#303\#234bergang.wav"
    assert parse(escaped + b"\n", NameStyle.PLAIN) == [FileStarted(CAFE)]
    marked = parse(MARKER.encode() + b">f+++++++++ " + escaped + b"\n")
    assert marked == [FileStarted(CAFE, ">f+++++++++")]


def test_escaped_invalid_utf8_round_trips_through_surrogateescape() -> None:
    [event] = parse(rb">>> >f+++++++++ bad\#377\#376name.wav" + b"\n")
    assert isinstance(event, FileStarted)
    assert event.name.encode("utf-8", "surrogateescape") == b"bad\xff\xfename.wav"


# -- Error lines (lab.md §4.4 and §4.5), verbatim ------------------------------------------------

E, W = Severity.ERROR, Severity.WARNING
ERROR_LINES: list[tuple[str, Severity, int | None]] = [
    ("@ERROR: Unknown module 'nomodule'", E, None),
    (
        "rsync error: error starting client-server protocol (code 5) at main.c(1954)"
        " [Receiver=3.5.0]",
        E,
        5,
    ),
    (
        "rsync: [Receiver] failed to connect to 127.0.0.1 (127.0.0.1): Connection refused (111)",
        E,
        None,
    ),
    ("rsync error: error in socket IO (code 10) at clientserver.c(165)", E, 10),
    ("rsync: getaddrinfo: no-such-host.invalid 8730: Name or service not known", E, None),
    ("rsync error: timeout waiting for daemon connection (code 35) at socket.c(429)", E, 35),
    ("[Receiver] io timeout after 4 seconds -- exiting", E, None),
    ("[sender] io timeout after 6 seconds -- exiting", E, None),
    ("rsync error: timeout in data send/receive (code 30) at io.c(248)", E, 30),
    (
        'rsync: [sender] link_stat "*.mp3" (in rivendell) failed: No such file or directory (2)',
        E,
        None,
    ),
    (
        "rsync error: received SIGINT, SIGTERM, or SIGHUP (code 20) at rsync.c(874)"
        " [generator=3.5.0]",
        E,
        20,
    ),
    (
        "rsync: connection unexpectedly closed (29994740 bytes received so far) [receiver]",
        E,
        None,
    ),
    ("rsync error: error in rsync protocol data stream (code 12) at io.c(285)", E, 12),
    ('file has vanished: "000200_006.wav" (in scratch)', W, None),
    ("rsync warning: some files vanished before they could be transferred (code 24)", W, 24),
    (
        'rsync: [sender] send_files failed to open "000106_003.wav" (in scratch):'
        " Permission denied (13)",
        E,
        None,
    ),
    (
        'rsync: [receiver] mkstemp "/dest/.000001_001.wav.WXMy9i" failed: Permission denied (13)',
        E,
        None,
    ),
    ('rsync: [Receiver] mkdir "/dest/sub/deeper" failed: No such file or directory (2)', E, None),
    (
        'rsync: [receiver] write failed on "/small/000003_001.wav": No space left on device (28)',
        E,
        None,
    ),
    ("rsync: [receiver] read error: Network is unreachable (101)", E, None),
    (
        "rsync error: some files/attrs were not transferred (see previous errors) (code 23)"
        " at main.c(1394) [sender=3.5.0]",
        E,
        23,
    ),
    ("IO error encountered -- skipping file deletion", W, None),
    ("cannot delete non-empty directory: old", W, None),
]


@pytest.mark.parametrize("style", list(NameStyle))
@pytest.mark.parametrize(("line", "severity", "code"), ERROR_LINES)
def test_error_and_warning_lines(
    line: str, severity: Severity, code: int | None, style: NameStyle
) -> None:
    assert parse(line.encode() + b"\n", style) == [RsyncMessage(severity, line, code)]


# -- Other shapes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # rsync 2.6.9 / 3.0: %12s bytes, "xfer#", "to-check="
        (
            "     5242880 100%  833.33MB/s    0:00:00 (xfer#1, to-check=200/202)",
            Progress(5_242_880, 100, 833.33 * MB, 0, done(1, 200, 202)),
        ),
        # incremental recursion still receiving the file list
        (
            "          1,024 100%    1.00kB/s    0:00:00 (xfr#3, ir-chk=1040/1052)",
            Progress(1_024, 100, 1024.0, 0, done(3, 1040, 1052, complete=False)),
        ),
        ("      1,234,567   2%    0.00kB/s      ??:??:??  ", Progress(1_234_567, 2, 0.0, None)),
        ("        131,072  12%  128.00kB/s   10:02:03", Progress(131_072, 12, 131_072.0, 36_123)),
        # a locale whose decimal point is "," groups digits with "."
        ("      5.242.880 100%  833,33MB/s    0:00:00", Progress(5_242_880, 100, 833.33 * MB, 0)),
        ("1,000,000,000,000  50%    2.00GB/s    0:08:20", Progress(10**12, 50, 2 * 1024.0**3, 500)),
        (
            "total size is 300,014  speedup is 740.78 (DRY RUN)",
            TotalSize(300_014, 740.78, dry_run=True),
        ),
        ("created directory /var/snd.standby", Note("created directory /var/snd.standby")),
        ("Number of regular files transferred: 1", Note("Number of regular files transferred: 1")),
        ("Total transferred file size: 1 bytes", Note("Total transferred file size: 1 bytes")),
        ('skipping non-regular file "x"', Note('skipping non-regular file "x"')),
        ("sending incremental file list", None),
        ("building file list ... done", None),
        ("   ", None),
        ("", None),
    ],
)
def test_record_shapes(record: str, expected: RsyncEvent | None) -> None:
    for style in NameStyle:
        assert parse_record(record, style) == expected


def test_final_is_the_xfr_part_not_the_newline() -> None:
    # rsync ends an unfinished record with "\n" before a message: not the file's last record.
    events = parse(b"     10,813,440  20%   10.01MB/s    0:00:04  \nrsync: [receiver] x\n")
    assert [getattr(e, "final", None) for e in events] == [False, None]
    assert parse(b"     10 100%    0.01kB/s    0:00:00 (xfr#1, to-chk=0/1)\r")[0] == Progress(
        10, 100, 10.24, 0, done(1, 0, 1)
    )


def test_plain_names_directories_and_the_symlink_ambiguity() -> None:
    data = b"./\nsub/\nsub/inner.wav\nlink.wav -> inner.wav\n\r\n"
    assert parse(data, NameStyle.PLAIN) == [
        FileStarted("sub/inner.wav"),
        FileStarted("link.wav -> inner.wav"),
    ]


def test_marked_names_that_look_like_other_lines_stay_names() -> None:
    names = ["     5 100%    0.00kB/s    0:00:00", "rsync error: x (code 5)", "deleting x", "done"]
    data = b"".join(f"{MARKER}>f+++++++++ {name}\n".encode() for name in names)
    assert parse(data) == [FileStarted(name, ">f+++++++++") for name in names]
    # and unmarked lines in the marked style are never files
    assert parse(b"000001_001.wav\n") == [Note("000001_001.wav")]
    assert parse(f"{MARKER}garbage\n".encode()) == [Note(f"{MARKER}garbage")]


def test_marked_entries() -> None:
    data = (
        f"{MARKER}*deleting   olddir/\n{MARKER}cd+++++++++ sub/\n{MARKER}cL+++++++++ sub/l.wav\n"
        f"{MARKER}<f.st...... sent.wav\n{MARKER}.f          unchanged.wav\n"
    ).encode()
    assert parse(data) == [
        Deleted("olddir/"),
        Itemized("cd+++++++++", "sub/"),
        Itemized("cL+++++++++", "sub/l.wav"),
        FileStarted("sent.wav", "<f.st......"),
        Itemized(".f         ", "unchanged.wav"),
    ]


def test_unterminated_tail_waits_for_close() -> None:
    parser = RsyncOutputParser()
    assert parser.feed(b"total size is 1  speedup") == []
    assert parser.feed(b" is 0.01") == []
    assert parser.close() == [TotalSize(1, 0.01)]
    assert parser.close() == []


def test_overlong_records_are_cut_the_same_way_whatever_the_chunking() -> None:
    data = f"{MARKER}>f+++++++++ ".encode() + b"a" * (2 * MAX_RECORD_BYTES) + b"\nrepl.chk\n"
    whole = parse(data, NameStyle.PLAIN)
    chunked = parse_chunked(
        [data[i : i + 4096] for i in range(0, len(data), 4096)], NameStyle.PLAIN
    )
    assert whole == chunked
    [cut] = whole[:1]
    assert isinstance(cut, FileStarted)
    assert cut.name.startswith(MARKER) and len(cut.name) == MAX_RECORD_BYTES
    assert whole[1] == FileStarted("repl.chk")


def test_no_crash_on_pathological_records() -> None:
    for record in [
        "9" * 5000 + " 100%    0.00kB/s    0:00:00",
        "x\\#777\\#4",
        "\\#",
        "rsync: (code 99999999999999)",
    ]:
        for style in NameStyle:
            parse_record(record, style)
    assert parse_record("x\\#777", NameStyle.PLAIN) == FileStarted("x\\#777")


# -- Aggregated state ----------------------------------------------------------------------------


def test_fold_the_seed_transcript() -> None:
    state = fold(parse(SEED_RAW, NameStyle.PLAIN))
    assert state.current_file == "repl.chk"
    assert (state.files_started, state.files_done, state.bytes_done) == (2, 199, 5_242_880)
    assert (state.to_check, state.total_files, state.list_complete) == (2, 202, True)
    assert state.overall_percent == pytest.approx(100 * 200 / 202)
    assert state.totals == Totals(3_853, 218_526_483, 437_060_672.0)
    assert state.finished
    assert (state.errors, state.warnings, state.reported_code) == (0, 0, None)


def test_apply_tracks_the_current_file_and_messages() -> None:
    state = SyncProgress()
    assert state.overall_percent is None and not state.finished
    state = apply(state, FileStarted("a.wav"))
    state = apply(state, Progress(10, 20, 5.0, 7))
    assert (state.current_file, state.file_bytes, state.file_percent) == ("a.wav", 10, 20)
    assert (state.rate_bps, state.eta_s, state.files_done) == (5.0, 7, 0)
    state = apply(state, Deleted("old.wav"))
    state = apply(state, Note("created directory x"))
    vanished = RsyncMessage(W, 'file has vanished: "b.wav"')
    state = fold([vanished, RsyncMessage(W, "rsync warning: … (code 24)", 24)], state)
    state = apply(state, RsyncMessage(E, "rsync: [receiver] x"))
    assert (state.deletions, state.errors, state.warnings, state.reported_code) == (1, 1, 2, 24)
    assert state.last_message == RsyncMessage(E, "rsync: [receiver] x")
    state = apply(state, FileStarted("b.wav"))
    assert (state.files_started, state.file_bytes, state.eta_s) == (2, 0, None)


# -- Properties ----------------------------------------------------------------------------------

FRAGMENTS = [
    b"\r",
    b"\n",
    b"\r\n",
    b" ",
    MARKER.encode(),
    b">f+++++++++ ",
    b"*deleting   ",
    b"deleting ",
    b"\\#303\\#251",
    b"\\#",
    b"\xff\xfe",
    "é日🎵".encode(),
    b"      5,242,880 100%  833.33MB/s    0:00:00 (xfr#1, to-chk=200/202)",
    b"              0   0%    0.00kB/s    0:00:00  ",
    b"sent 27 bytes  received 4,560 bytes  9,174.00 bytes/sec",
    b"total size is 1  speedup is 0.01",
    b"rsync error: x (code 23) at main.c(1)",
    b"./",
]
streams = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=24), max_size=40).map(b"".join)


@given(
    data=streams,
    cuts=st.lists(st.integers(min_value=0), max_size=12),
    style=st.sampled_from(NameStyle),
)
def test_chunking_never_changes_the_events(data: bytes, cuts: list[int], style: NameStyle) -> None:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert parse_chunked(chunks, style) == parse(data, style)


def reference_apply(state: SyncProgress, event: RsyncEvent) -> SyncProgress:
    """The state after one event, written the plain way (one new state per event): what the
    batched fold must agree with."""
    match event:
        case FileStarted(name=name):
            return replace(
                state,
                current_file=name,
                file_bytes=0,
                file_percent=0,
                files_started=state.files_started + 1,
                eta_s=None,
            )
        case Progress(completion=None):
            return replace(
                state,
                file_bytes=event.bytes,
                file_percent=event.percent,
                rate_bps=event.rate_bps,
                eta_s=event.eta_s,
            )
        case Progress(completion=Completion() as done):
            return replace(
                state,
                file_bytes=event.bytes,
                file_percent=event.percent,
                rate_bps=event.rate_bps,
                eta_s=0,
                files_done=done.transfer_number,
                bytes_done=state.bytes_done + event.bytes,
                to_check=done.to_check,
                total_files=done.total_files,
                list_complete=done.list_complete,
            )
        case Deleted():
            return replace(state, deletions=state.deletions + 1)
        case RsyncMessage(severity=severity, code=code):
            error = severity is E
            return replace(
                state,
                errors=state.errors + error,
                warnings=state.warnings + (not error),
                last_message=event,
                reported_code=state.reported_code if code is None else code,
            )
        case Totals():
            return replace(state, totals=event)
        case TotalSize():
            return replace(state, total_size=event)
    return state


@given(data=streams, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_folding_in_batches_agrees_with_one_state_per_event(data: bytes, cuts: list[int]) -> None:
    # The transfer folds each read's events at once: whatever the batches, the state must be
    # the one built event by event.
    events = parse(data, NameStyle.MARKED)
    expected = SyncProgress()
    for event in events:
        expected = reference_apply(expected, event)
    points = sorted({cut % (len(events) + 1) for cut in cuts})
    batched = SyncProgress()
    for a, b in zip([0, *points], [*points, len(events)], strict=True):
        batched = fold(events[a:b], batched)
    assert batched == expected
    unchanged = SyncProgress(files_done=3)
    assert apply(unchanged, Note("x")) is unchanged


@given(text=st.text(), style=st.sampled_from(NameStyle))
def test_parse_record_never_raises(text: str, style: NameStyle) -> None:
    parse_record(text, style)


def rsync_escape(name: bytes, *, utf8: bool) -> bytes:
    """How rsync prints a name: unprintable characters, undecodable bytes (and, without a UTF-8
    locale, all non-ASCII) as ``\\#ooo`` per byte, and a backslash that would read as an escape
    as ``\\#134``."""
    text = name.decode("utf-8", "surrogateescape")
    out = bytearray()
    for i, char in enumerate(text):
        raw = char.encode("utf-8", "surrogateescape")
        looks_escaped = char == "\\" and re.match(r"#[0-9]{3}", text[i + 1 : i + 5]) is not None
        if looks_escaped or not char.isprintable() or (not utf8 and not char.isascii()):
            out += b"".join(b"\\#%03o" % byte for byte in raw)
        else:
            out += raw
    return bytes(out)


@given(name=st.binary(min_size=1) | st.text(min_size=1).map(os.fsencode), utf8=st.booleans())
def test_any_name_round_trips(name: bytes, utf8: bool) -> None:
    shown = rsync_escape(name, utf8=utf8)
    expected = name.decode("utf-8", "surrogateescape")
    [started] = parse(MARKER.encode() + b">f+++++++++ " + shown + b"\n")
    assert started == FileStarted(expected, ">f+++++++++")
    assert started.name.encode("utf-8", "surrogateescape") == name
    assert parse(b">f+++++++++ " + shown + b"\r", NameStyle.ITEMIZED) == [started]
    assert parse(MARKER.encode() + b"*deleting   " + shown) == [Deleted(expected)]
    assert parse(b"deleting " + shown + b"\n", NameStyle.PLAIN) == [Deleted(expected)]
    cut = b"000001_" + shown + b".wav\n"
    assert parse(cut, NameStyle.PLAIN) == [FileStarted(f"000001_{expected}.wav")]


@given(
    done_bytes=st.integers(min_value=0, max_value=10**15),
    percent=st.integers(min_value=0, max_value=100),
    hundredths=st.integers(min_value=0, max_value=102_400),
    unit=st.sampled_from(["kB/s", "MB/s", "GB/s"]),
    eta=st.integers(min_value=0, max_value=9999 * 3600 - 1),
    xfr=st.none() | st.tuples(st.integers(1, 10**6), st.integers(0, 10**6), st.booleans()),
)
def test_progress_records_as_rsync_prints_them(
    done_bytes: int,
    percent: int,
    hundredths: int,
    unit: str,
    eta: int,
    xfr: tuple[int, int, bool] | None,
) -> None:
    eta_text = f"{eta // 3600:4d}:{eta // 60 % 60:02d}:{eta % 60:02d}"
    record = f"\r{done_bytes:15,d} {percent:3d}% {hundredths / 100:7.2f}{unit} {eta_text}"
    completion = None
    if xfr is None:
        record += "  "
    else:
        number, left, complete = xfr
        completion = done(number, left, left + number, complete)
        kind = "to" if complete else "ir"
        record += f" (xfr#{number}, {kind}-chk={left}/{left + number})\n"
    multiplier = {"kB/s": 1024.0, "MB/s": MB, "GB/s": 1024.0**3}[unit]
    expected = Progress(done_bytes, percent, hundredths * multiplier / 100, eta, completion)
    assert parse(record.encode()) == [expected]


# -- Real rsync runs -----------------------------------------------------------------------------

NAMES = [
    CAFE,
    "日本語ジングル.wav",
    "emoji 🎵 bed.wav",
    "spaces  double.wav",
    " leading and trailing .wav ",
    "new\nline\r.wav",
    "back\\#123slash.wav",
    "000001_001.wav",
    "sub/inner.wav",
]
# The first is the file "s    0:00:00" in the directory "     5 100%    0.00kB".
MARKED_ONLY_NAMES = ["     5 100%    0.00kB/s    0:00:00", "rsync error: fake (code 5)", "done"]
BAD_NAME = b"bad\xff\xfename.wav"


def make_tree(root: Path, style: NameStyle) -> set[str]:
    """Source files under ``root/src`` and stale ones under ``root/dst``; the expected names."""
    names = NAMES + (MARKED_ONLY_NAMES if style is NameStyle.MARKED else [])
    (root / "src" / "sub").mkdir(parents=True)
    for index, name in enumerate(names):
        (root / "src" / name).parent.mkdir(exist_ok=True)
        (root / "src" / name).write_bytes(os.urandom(index * 40_000))
    with open(os.path.join(os.fsencode(root / "src"), BAD_NAME), "wb") as bad:
        bad.write(b"x")
    (root / "dst" / "olddir").mkdir(parents=True)
    (root / "dst" / "olddir" / "f").write_bytes(b"o")
    (root / "dst" / "stale 1.wav").write_bytes(b"s")
    return {*names, BAD_NAME.decode("utf-8", "surrogateescape")}


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")
@pytest.mark.parametrize("locale", ["C", "C.UTF-8"])
@pytest.mark.parametrize("style", [NameStyle.MARKED, NameStyle.PLAIN])
def test_real_rsync_transcript(tmp_path: Path, style: NameStyle, locale: str) -> None:
    expected = make_tree(tmp_path, style)
    options = [f"--out-format={OUT_FORMAT}"] if style is NameStyle.MARKED else []
    command = ["rsync", "-av", "--delete", "--progress", *options, "src/", "dst/"]
    env = {**os.environ, "LC_ALL": locale}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, check=True)
    assert run.stderr == b""

    events = parse(run.stdout, style)
    assert parse_chunked([run.stdout[i : i + 1] for i in range(len(run.stdout))], style) == events
    started = [e.name for e in events if isinstance(e, FileStarted)]
    assert sorted(started) == sorted(expected)
    assert {e.name for e in events if isinstance(e, Deleted)} == {
        "olddir/f",
        "olddir/",
        "stale 1.wav",
    }
    assert not [e for e in events if isinstance(e, Note | RsyncMessage)]
    state = fold(events)
    assert state.files_done == len(expected) and state.files_started == len(expected)
    assert state.bytes_done == sum(
        p.stat().st_size for p in (tmp_path / "src").rglob("*") if p.is_file()
    )
    assert state.to_check == 0 and state.finished and state.deletions == 3
