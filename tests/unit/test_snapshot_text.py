"""Snapshots and binlogs as text (pure): client-tool argv, option files, dump coordinates, the line
splitter, binlog positions, divergence and the transactions of a quarantine.

The fixtures are real output, recorded on the lab (MariaDB 10.11.19, Debian 12):

* ``fixtures/mariadb_dump_gtid.sql``: ``mariadb-dump`` with the argv of :func:`dump_argv` on the
  lab master (``SHOW MASTER STATUS`` said ``mysql-bin.000001`` / 5376, ``gtid_binlog_pos``
  ``0-1-20``).
* ``fixtures/mariadb_binlog_verbose.txt``: ``mariadb-binlog --read-from-remote-server
  --start-position=5376 --to-last-log --verbose mysql-bin.000001`` after three transactions
  (0-1-21 an INSERT; ``FLUSH BINARY LOGS``; 0-1-22 a row-format UPDATE; 0-1-23 two INSERTs in one
  transaction), so it spans two binlog files and holds a ``Gtid list [0-1-21]`` event.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdconsole.core.model import Flavor
from rdconsole.core.snapshot import (
    DumpCoordinates,
    LineSplitter,
    binlog_argv,
    binlog_key,
    dump_argv,
    find_divergence,
    load_argv,
    option_file_text,
    parse_gtid_list,
    position_after,
    quarantined_transactions,
    tool,
)

FIXTURES = Path(__file__).parent / "fixtures"
OPTIONS = "/run/rdconsole/tmp-1234/client.cnf"
SECRET = "s3cret-Pa55"
MARIADB = (Flavor.MARIADB, (10, 11, 19))
MYSQL_8 = (Flavor.MYSQL, (8, 0, 36))
MYSQL_OLD = (Flavor.MYSQL, (8, 0, 25))


def all_argvs() -> list[list[str]]:
    argvs = []
    for flavor, version in (MARIADB, MYSQL_8, MYSQL_OLD):
        argvs += [
            dump_argv(flavor, version, OPTIONS, ("Rivendell", "Logs")),
            load_argv(flavor, OPTIONS),
            binlog_argv(flavor, OPTIONS, "mysql-bin.000003", 4),
        ]
    return argvs


# argv ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", all_argvs(), ids=lambda a: a[0] + "-" + str(len(a)))
def test_every_argv_starts_with_the_tool_then_the_option_file_and_holds_no_password(
    argv: list[str],
) -> None:
    tools = {"mariadb-dump", "mariadb", "mariadb-binlog", "mysqldump", "mysql", "mysqlbinlog"}
    assert argv[0] in tools
    assert argv[1] == f"--defaults-extra-file={OPTIONS}"
    for argument in argv:
        assert "password" not in argument.lower()
        assert not (argument.startswith("-p") and not argument.startswith("--")), argument
        assert not argument.startswith(("--user", "-u", "--host", "-h")), argument
    assert sum(a.startswith("--defaults") for a in argv) == 1


def test_tools_per_flavour() -> None:
    assert [tool(Flavor.MARIADB, k) for k in ("dump", "client", "binlog")] == [
        "mariadb-dump",
        "mariadb",
        "mariadb-binlog",
    ]
    assert [tool(Flavor.MYSQL, k) for k in ("dump", "client", "binlog")] == [
        "mysqldump",
        "mysql",
        "mysqlbinlog",
    ]


def test_mariadb_dump_is_online_with_coordinates_and_gtid() -> None:
    argv = dump_argv(*MARIADB, OPTIONS, ("Rivendell",))
    assert argv == [
        "mariadb-dump",
        f"--defaults-extra-file={OPTIONS}",
        "--single-transaction",
        "--master-data=2",
        "--gtid",
        "--databases",
        "Rivendell",
        "--add-drop-database",
        "--routines",
        "--events",
        "--triggers",
        "--hex-blob",
    ]
    assert "--lock-all-tables" not in argv
    assert "-x" not in argv


def test_mysql_dump_uses_source_data_from_8_0_26_and_no_gtid_purged() -> None:
    new = dump_argv(*MYSQL_8, OPTIONS, ("Rivendell",))
    old = dump_argv(*MYSQL_OLD, OPTIONS, ("Rivendell",))
    assert "--source-data=2" in new
    assert "--master-data=2" not in new
    assert "--master-data=2" in old
    assert "--source-data=2" not in old
    for argv in (new, old):
        assert argv[0] == "mysqldump"
        assert "--set-gtid-purged=OFF" in argv
        assert "--gtid" not in argv
        assert "--single-transaction" in argv


def test_dump_lists_the_databases_right_after_databases_flag() -> None:
    argv = dump_argv(*MARIADB, OPTIONS, ("Rivendell", "Logs"))
    at = argv.index("--databases")
    assert argv[at + 1 : at + 3] == ["Rivendell", "Logs"]
    assert argv[at + 3].startswith("--")


def test_the_load_does_not_write_the_targets_binlog() -> None:
    assert load_argv(Flavor.MARIADB, OPTIONS) == [
        "mariadb",
        f"--defaults-extra-file={OPTIONS}",
        "--init-command=SET sql_log_bin=0",
        "--batch",
    ]
    assert load_argv(Flavor.MYSQL, OPTIONS)[0] == "mysql"


def test_binlog_argv_reads_from_the_position_to_the_last_log() -> None:
    assert binlog_argv(Flavor.MARIADB, OPTIONS, "mysql-bin.000003", 1234) == [
        "mariadb-binlog",
        f"--defaults-extra-file={OPTIONS}",
        "--read-from-remote-server",
        "--start-position=1234",
        "--to-last-log",
        "--verbose",
        "mysql-bin.000003",
    ]
    assert binlog_argv(Flavor.MYSQL, OPTIONS, "binlog.000002", 157)[0] == "mysqlbinlog"


# option files ----------------------------------------------------------------------------------


def test_option_file_over_tcp() -> None:
    text = option_file_text(user="root", password=SECRET, host="10.0.0.5", port=3307, socket=None)
    assert text == f'[client]\nuser="root"\npassword="{SECRET}"\nhost="10.0.0.5"\nport=3307\n'


def test_option_file_defaults_and_socket() -> None:
    tcp = option_file_text(user="u", password="p", host=None, port=None, socket=None)
    assert tcp.endswith('host="localhost"\nport=3306\n')
    local = option_file_text(user="u", password="p", host="ignored", port=9, socket="/run/m.sock")
    assert local == '[client]\nuser="u"\npassword="p"\nsocket="/run/m.sock"\n'
    assert "host" not in local
    assert "port" not in local


def test_option_file_escapes_quotes_and_backslashes() -> None:
    text = option_file_text(user='o"neil', password='a\\b"c', host="h", port=1, socket=None)
    assert 'user="o\\"neil"' in text.splitlines()
    assert 'password="a\\\\b\\"c"' in text.splitlines()


HARD_PASSWORDS = [
    "it's",
    'a"b',
    "back\\slash\\",
    "#not a comment",
    " lead and trail ",
    "x;y=z",
    "\\n\\t",
    "Caf\u00e9\u2013\u00dc",
]


@pytest.mark.skipif(shutil.which("my_print_defaults") is None, reason="no MariaDB client")
@pytest.mark.parametrize("password", HARD_PASSWORDS)
def test_the_client_reads_back_exactly_the_password_written(tmp_path: Path, password: str) -> None:
    """The real option-file parser (``my_print_defaults``, the one every client tool uses)."""
    path = tmp_path / "client.cnf"
    path.write_text(
        option_file_text(user='o"ne\\il', password=password, host="h", port=1, socket=None),
        encoding="utf-8",
    )
    read = subprocess.run(
        ["my_print_defaults", f"--defaults-file={path}", "client"],
        capture_output=True,
        check=True,
        timeout=10,
    ).stdout.decode("utf-8")
    assert read.split("\n")[:4] == [
        '--user=o"ne\\il',
        f"--password={password}",
        "--host=h",
        "--port=1",
    ]


# dump coordinates ------------------------------------------------------------------------------


def coordinates_of(*lines: bytes) -> DumpCoordinates:
    found = DumpCoordinates()
    for line in lines:
        found.feed(line)
    return found


def test_mariadb_file_and_position_line() -> None:
    found = coordinates_of(
        b"-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=5586;"
    )
    assert (found.file, found.position, found.gtid) == ("mysql-bin.000001", 5586, None)


def test_mariadb_gtid_line() -> None:
    found = coordinates_of(b"-- SET GLOBAL gtid_slave_pos='0-1-21';")
    assert (found.file, found.position, found.gtid) == (None, None, "0-1-21")


def test_mysql_source_line() -> None:
    found = coordinates_of(
        b"-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157;"
    )
    assert (found.file, found.position) == ("binlog.000002", 157)


def test_lines_that_only_look_like_coordinates_are_ignored() -> None:
    found = coordinates_of(
        b"-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;",
        b"CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000009', MASTER_LOG_POS=9;",
        b"INSERT INTO `CART` VALUES (1,'-- SET GLOBAL gtid_slave_pos=''9-9-9''');",
        b"--  CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000009', MASTER_LOG_POS=9;",
    )
    assert (found.file, found.position, found.gtid) == (None, None, None)


def test_multi_domain_gtid_position() -> None:
    found = coordinates_of(b"-- SET GLOBAL gtid_slave_pos='0-1-21,1-100-7';")
    assert found.gtid == "0-1-21,1-100-7"


def test_coordinates_of_a_real_mariadb_dump() -> None:
    dump = (FIXTURES / "mariadb_dump_gtid.sql").read_bytes()
    found = coordinates_of(*dump.split(b"\n"))
    assert (found.file, found.position, found.gtid) == ("mysql-bin.000001", 5376, "0-1-20")


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=60))
def test_coordinates_of_a_real_dump_cut_into_arbitrary_chunks(sizes: list[int]) -> None:
    dump = (FIXTURES / "mariadb_dump_gtid.sql").read_bytes()
    splitter = LineSplitter()
    found = DumpCoordinates()
    offset = 0
    for size in [*sizes, len(dump)]:
        for line in splitter.feed(dump[offset : offset + size]):
            found.feed(line)
        offset += size
    assert (found.file, found.position, found.gtid) == ("mysql-bin.000001", 5376, "0-1-20")


# the line splitter -----------------------------------------------------------------------------


def feed_in_chunks(splitter: LineSplitter, data: bytes, cuts: list[int]) -> list[bytes]:
    lines: list[bytes] = []
    bounds = [0, *sorted(cuts), len(data)]
    for start, end in itertools.pairwise(bounds):
        lines += splitter.feed(data[start:end])
    return lines


STREAMS = st.lists(st.one_of(st.just(b"\n"), st.binary(max_size=60)), max_size=60).map(b"".join)
"""Arbitrary bytes with many newlines, empty lines included."""


@given(
    STREAMS.flatmap(
        lambda data: st.tuples(
            st.just(data), st.lists(st.integers(min_value=0, max_value=len(data)), max_size=30)
        )
    )
)
def test_joined_lines_equal_the_input_up_to_the_last_newline(
    case: tuple[bytes, list[int]],
) -> None:
    data, cuts = case
    lines = feed_in_chunks(LineSplitter(), data, cuts)
    assert b"".join(line + b"\n" for line in lines) == data[: data.rfind(b"\n") + 1]
    assert all(b"\n" not in line for line in lines)


@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=30),
    st.integers(min_value=1, max_value=16),
)
def test_over_long_lines_keep_their_head(lines: list[bytes], cuts: list[int], limit: int) -> None:
    data = b"".join(line + b"\n" for line in lines)
    out = feed_in_chunks(LineSplitter(limit), data, [c for c in cuts if c <= len(data)])
    assert len(out) == len(lines)
    for got, line in zip(out, lines, strict=True):
        assert got.startswith(line[:limit])


def test_a_partial_line_waits_for_its_newline() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"-- CHANGE MASTER TO MAS") == []
    assert splitter.feed(b"TER_LOG_FILE='a.000001', MASTER_LOG_POS=4;\nINS") == [
        b"-- CHANGE MASTER TO MASTER_LOG_FILE='a.000001', MASTER_LOG_POS=4;"
    ]
    assert splitter.feed(b"") == []
    assert splitter.feed(b"ERT\n\n") == [b"INSERT", b""]


# binlog positions ------------------------------------------------------------------------------


def test_binlog_key() -> None:
    assert binlog_key("mysql-bin.000012") == ("mysql-bin", 12)
    assert binlog_key("onair.example.org-bin.000003") == ("onair.example.org-bin", 3)
    assert binlog_key("weird") == ("weird", 0)
    assert binlog_key("mysql-bin.index") == ("mysql-bin.index", 0)


def test_position_after_across_rotation() -> None:
    assert position_after("mysql-bin.000002", 4, "mysql-bin.000001", 99_999)
    assert not position_after("mysql-bin.000001", 99_999, "mysql-bin.000002", 4)
    assert position_after("mysql-bin.000001", 5592, "mysql-bin.000001", 5376)
    assert not position_after("mysql-bin.000001", 5376, "mysql-bin.000001", 5376)


def test_position_after_compares_file_numbers_not_strings() -> None:
    assert position_after("mysql-bin.1000000", 4, "mysql-bin.999999", 500)
    assert not position_after("mysql-bin.999999", 500, "mysql-bin.1000000", 4)


def test_parse_gtid_list() -> None:
    assert parse_gtid_list("0-1-57,1-2-3") == {0: (1, 57), 1: (2, 3)}
    assert parse_gtid_list(" 0-1-5 , x-1-2, 1-2,,3-4-5-6") == {0: (1, 5)}
    assert parse_gtid_list("") == {}
    assert parse_gtid_list(None) == {}
    assert parse_gtid_list("0-1-4294967296") == {0: (1, 4_294_967_296)}


# divergence ------------------------------------------------------------------------------------

END = ("mysql-bin.000004", 1234)


def test_same_position_is_not_diverged() -> None:
    divergence = find_divergence(
        executed=END, old_end=END, old_gtid_binlog_pos="0-1-57", new_gtid_slave_pos="0-1-57"
    )
    assert not divergence.diverged
    assert divergence.gtids == ()
    assert divergence.describe() == (
        "none: the old master's binlog ends at mysql-bin.000004:1234, where the standby stopped"
    )


def test_a_later_position_is_diverged() -> None:
    divergence = find_divergence(
        executed=END,
        old_end=("mysql-bin.000005", 4),
        old_gtid_binlog_pos=None,
        new_gtid_slave_pos=None,
    )
    assert divergence.diverged
    assert divergence.describe() == "events past mysql-bin.000004:1234 .. mysql-bin.000005:4"


def test_an_earlier_end_cannot_be_told_and_counts_as_diverged() -> None:
    # The binlog went back (RESET MASTER?): what it held is unknown, so everything is kept.
    divergence = find_divergence(
        executed=END,
        old_end=("mysql-bin.000004", 900),
        old_gtid_binlog_pos="",
        new_gtid_slave_pos="",
    )
    assert divergence.diverged and not divergence.extractable
    assert "reset" in divergence.unknown


@pytest.mark.parametrize(
    ("executed", "old_end", "binlogs", "why"),
    [
        (None, ("mysql-bin.000009", 4), None, "no final coordinates"),
        (("mysql-bin.000005", 120), None, None, "no binary log"),
        (("mysql-bin.000005", 120), ("onair-bin.000057", 4), None, "named onair-bin.000057"),
        (
            ("mysql-bin.000005", 120),
            ("mysql-bin.000009", 4),
            ("mysql-bin.000008", "mysql-bin.000009"),
            "no longer among its binary logs",
        ),
    ],
)
def test_what_the_binlog_cannot_tell_is_never_called_none(
    executed: tuple[str, int] | None,
    old_end: tuple[str, int] | None,
    binlogs: tuple[str, ...] | None,
    why: str,
) -> None:
    divergence = find_divergence(
        executed=executed,
        old_end=old_end,
        old_binlogs=binlogs,
        old_gtid_binlog_pos=None,
        new_gtid_slave_pos=None,
    )
    assert divergence.diverged and not divergence.extractable
    assert why in divergence.unknown
    assert divergence.describe().startswith("cannot tell from the binlog: ")


def test_a_binlog_still_holding_the_position_is_extractable() -> None:
    divergence = find_divergence(
        executed=("mysql-bin.000005", 120),
        old_end=("mysql-bin.000006", 342),
        old_binlogs=("mysql-bin.000005", "mysql-bin.000006"),
        old_gtid_binlog_pos=None,
        new_gtid_slave_pos=None,
    )
    assert divergence.extractable and divergence.unknown == ""


def test_gtids_of_the_same_server_with_a_higher_seq_are_a_range() -> None:
    divergence = find_divergence(
        executed=END,
        old_end=("mysql-bin.000004", 1800),
        old_gtid_binlog_pos="0-1-57",
        new_gtid_slave_pos="0-1-55",
    )
    assert divergence.gtids == ("0-1-56..0-1-57",)
    assert divergence.diverged
    assert divergence.describe().endswith("; GTIDs 0-1-56..0-1-57")


def test_one_missing_gtid_is_named_alone() -> None:
    divergence = find_divergence(
        executed=END, old_end=END, old_gtid_binlog_pos="0-1-57", new_gtid_slave_pos="0-1-56"
    )
    assert divergence.gtids == ("0-1-57",)
    assert divergence.diverged, "a GTID the new master lacks is divergence even at equal positions"


def test_gtids_of_different_servers_in_a_domain_are_not_counted() -> None:
    divergence = find_divergence(
        executed=END, old_end=END, old_gtid_binlog_pos="0-1-57", new_gtid_slave_pos="0-100-60"
    )
    assert divergence.gtids == ()
    assert not divergence.diverged


def test_gtids_per_domain() -> None:
    divergence = find_divergence(
        executed=END,
        old_end=END,
        old_gtid_binlog_pos="1-1-10,0-1-57,2-1-3",
        new_gtid_slave_pos="0-1-57,1-1-7,2-5-1,3-1-1",
    )
    assert divergence.gtids == ("1-1-8..1-1-10",)


def test_an_older_gtid_on_the_old_master_is_not_divergence() -> None:
    divergence = find_divergence(
        executed=END, old_end=END, old_gtid_binlog_pos="0-1-50", new_gtid_slave_pos="0-1-57"
    )
    assert divergence.gtids == ()


# quarantine ------------------------------------------------------------------------------------


def test_the_transactions_of_real_mariadb_binlog_output() -> None:
    text = (FIXTURES / "mariadb_binlog_verbose.txt").read_bytes()
    assert b"\tGtid list [0-1-21]" in text, "the fixture holds the Gtid list event"
    assert quarantined_transactions(text) == ["0-1-21", "0-1-22", "0-1-23"]


def test_transactions_of_a_fragment_cut_after_the_first() -> None:
    text = (FIXTURES / "mariadb_binlog_verbose.txt").read_bytes()
    first = text[: text.index(b"# at 5592")]
    assert quarantined_transactions(first) == ["0-1-21"]


def test_no_events_no_transactions() -> None:
    text = (FIXTURES / "mariadb_binlog_verbose.txt").read_bytes()
    preamble = text[: text.index(b"BINLOG '")]
    assert quarantined_transactions(preamble) == []
    assert quarantined_transactions(b"") == []


MYSQL_BINLOG = b"""\
# at 1307
#241127 20:58:10 server id 1  end_log_pos 1386 CRC32 0x5bd1fe4c \tGTID\tlast_committed=4\t\
sequence_number=5\trbr_only=yes\toriginal_committed_timestamp=1732737490160343
/*!50718 SET TRANSACTION ISOLATION LEVEL READ COMMITTED*//*!*/;
SET @@SESSION.GTID_NEXT= '3e11fa47-71ca-11e1-9e33-c80aa9429562:23'/*!*/;
# at 1386
#241127 20:58:10 server id 1  end_log_pos 1465 CRC32 0x7a6c3e1d \tQuery\tthread_id=8\t\
exec_time=0\terror_code=0
BEGIN
/*!*/;
# at 1700
#241127 20:58:11 server id 1  end_log_pos 1779 CRC32 0x0c3f7d11 \tGTID\tlast_committed=5\t\
sequence_number=6\trbr_only=yes
SET @@SESSION.GTID_NEXT= '3e11fa47-71ca-11e1-9e33-c80aa9429562:24'/*!*/;
SET @@SESSION.GTID_NEXT= 'AUTOMATIC' /* added by mysqlbinlog */ /*!*/;
DELIMITER ;
"""
"""mysqlbinlog's layout (MySQL 8, gtid_mode ON), written after its documentation: no MySQL here."""


def test_mysql_transactions_by_gtid_next_without_automatic() -> None:
    assert quarantined_transactions(MYSQL_BINLOG) == [
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:23",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:24",
    ]


def test_mariadb_events_win_over_gtid_next_text() -> None:
    text = (FIXTURES / "mariadb_binlog_verbose.txt").read_bytes() + MYSQL_BINLOG
    assert quarantined_transactions(text) == ["0-1-21", "0-1-22", "0-1-23"]
