"""After a failover: `rdconsole rejoin` then `rdconsole failback`, on a real pair.

The whole cycle of issue 5: the old master takes writes the standby never receives, dies, the
standby is promoted and takes writes of its own; the old master comes back; ``rejoin`` fences
it, quarantines exactly its divergent transactions, re-seeds it from the new master and makes
it replicate; ``failback`` hands the master role back. Every committed write survives, except
the quarantined ones, which are in the quarantine file for a human.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rdconsole.lab.client import Row
from tests.integration.test_failover import Site, output

pytestmark = pytest.mark.lab


def _insert(run_sql: object, numbers: range, title: str) -> None:
    assert callable(run_sql)
    values = ", ".join(f"({n}, '{title} {n}')" for n in numbers)
    run_sql(f"INSERT INTO Rivendell.CART (NUMBER, TITLE) VALUES {values}")


def _titles(rows: list[Row]) -> set[str]:
    return {str(row["TITLE"]) for row in rows}


def _carts(site: Site, host: str) -> set[str]:
    sql = site.lab.master_sql if host == "master" else site.lab.standby_sql
    return _titles(sql("SELECT TITLE FROM Rivendell.CART"))


def test_failover_rejoin_failback_keeps_every_write_but_the_quarantined(site: Site) -> None:
    lab = site.lab
    site.lab.write_load(20)
    lab.wait_replicated()
    # The standby stops receiving; the master commits three transactions nobody else sees.
    lab.stop_io_thread()
    for number in (9001, 9002, 9003):
        _insert(lab.master_sql, range(number, number + 1), "lost")
    site.kill_master()
    promoted = site.cli("failover", "--yes", "--fenced", "powered off")
    assert promoted.returncode == 0, output(promoted)
    # The promoted standby takes writes of its own.
    _insert(lab.standby_sql, range(7001, 7006), "after")
    lab.master.start(lab.startup_timeout)  # the old master is back, writable, diverged

    # Setup would overwrite the promoted standby's live database: refused, whatever is typed.
    overwrite = site.cli("setup", "--yes", "--overwrite", "Rivendell")
    assert overwrite.returncode == 1, output(overwrite)
    assert "it is the master now" in overwrite.stdout
    assert "after 7001" in _carts(site, "standby")

    dry = site.cli("rejoin", "--dry-run")
    assert dry.returncode == 0, output(dry)
    assert "saved to a quarantine file" in dry.stdout
    rejoined = site.cli("rejoin", "--yes")

    assert rejoined.returncode == 0, output(rejoined)
    kept = site.state_dir / "quarantine"
    quarantine = [p for p in kept.glob("*.sql") if not p.name.endswith("-before-rejoin.sql")]
    assert len(quarantine) == 1
    # And the old master's whole database as it was, before the re-seed replaced it.
    (backup,) = kept.glob("*-onair-before-rejoin.sql")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert all(f"lost {n}" in backup.read_text(errors="replace") for n in (9001, 9002, 9003))
    text = quarantine[0].read_text(errors="replace")
    assert "3 transaction(s)" in text
    assert all(f"lost {n}" in text for n in (9001, 9002, 9003))
    assert "after 700" not in text and "load " not in text
    assert oct(quarantine[0].stat().st_mode & 0o777) == "0o600"
    assert "3 transaction(s) saved to" in rejoined.stdout
    # The old master replicates the new one, read-only, with the new master's data.
    status = lab.master_sql("SHOW SLAVE STATUS")[0]
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
    assert int(lab.master_sql("SELECT @@GLOBAL.read_only AS ro")[0]["ro"] or 0) == 1
    assert _carts(site, "master") == _carts(site, "standby")
    assert not any(title.startswith("lost") for title in _carts(site, "master"))
    marker = site.marker()
    assert marker is not None and marker.get("rejoined_at")
    status = json.loads(site.cli("status", "--json").stdout)
    assert status["promotion"]["rejoined_at"] is not None
    again = site.cli("rejoin", "--yes")
    assert again.returncode == 1 and "next: rdconsole failback" in again.stdout, output(again)

    _insert(lab.standby_sql, range(7101, 7104), "more")
    failback = site.cli("failback", "--yes")

    assert failback.returncode == 0, output(failback)
    assert site.marker() is None
    assert int(lab.master_sql("SELECT @@GLOBAL.read_only AS ro")[0]["ro"] or 0) == 0
    assert int(lab.standby_sql("SELECT @@GLOBAL.read_only AS ro")[0]["ro"] or 0) == 1
    assert lab.master_sql("SHOW SLAVE STATUS") == []
    assert site.targets() == site.mode_targets("master")
    _insert(lab.master_sql, range(7201, 7204), "back")
    lab.wait_replicated()
    master, standby = _carts(site, "master"), _carts(site, "standby")
    assert master == standby
    expected = {f"after {n}" for n in range(7001, 7006)} | {f"more {n}" for n in range(7101, 7104)}
    assert expected | {f"back {n}" for n in range(7201, 7204)} <= master
    assert not any(title.startswith("lost") for title in master)
    actions = [entry["action"] for entry in site.audit()]
    assert actions.count("rejoin-step") >= 10 and actions.count("failback-step") >= 10
    assert "rejoin-end" in actions and "failback-end" in actions


def test_rejoin_without_a_promotion_is_refused(site: Site, tmp_path: Path) -> None:
    result = site.cli("rejoin", "--yes")

    assert result.returncode == 1, output(result)
    assert "no promotion is recorded" in result.stderr
    assert site.lab.standby_status()["Slave_IO_Running"] == "Yes"


def test_after_a_switchover_nothing_diverged_and_the_roles_come_back(site: Site) -> None:
    # The old master never died: it was fenced read-only and kept its binlog as it was.
    site.lab.write_load(10)
    site.lab.wait_replicated()
    switched = site.cli("failover", "--yes")
    assert switched.returncode == 0, output(switched)
    _insert(site.lab.standby_sql, range(8001, 8004), "after")

    rejoined = site.cli("rejoin", "--yes")

    assert rejoined.returncode == 0, output(rejoined)
    assert "PASS  What the old master holds beyond the standby: none" in rejoined.stdout
    kept = list((site.state_dir / "quarantine").glob("*.sql"))
    assert [p.name.endswith("-before-rejoin.sql") for p in kept] == [True]
    assert _carts(site, "master") == _carts(site, "standby")
    back = site.cli("failback", "--yes")
    assert back.returncode == 0, output(back)
    assert site.marker() is None and site.targets() == site.mode_targets("master")


def test_a_reset_binlog_cannot_tell_what_diverged_so_the_whole_database_is_kept(
    site: Site,
) -> None:
    lab = site.lab
    lab.write_load(5)
    lab.wait_replicated()
    lab.stop_io_thread()
    _insert(lab.master_sql, range(9101, 9103), "lost")
    site.kill_master()
    assert site.cli("failover", "--yes", "--fenced", "powered off").returncode == 0
    lab.master.start(lab.startup_timeout)
    lab.master_sql("RESET MASTER")  # e.g. a rebuilt binlog directory

    dry = site.cli("rejoin", "--dry-run")
    assert dry.returncode == 0, output(dry)
    assert "cannot tell from the binlog" in dry.stdout
    assert "(nothing to read from the binlog" in dry.stdout
    rejoined = site.cli("rejoin", "--yes")

    assert rejoined.returncode == 0, output(rejoined)
    kept = site.state_dir / "quarantine"
    assert [p for p in kept.glob("*.sql") if not p.name.endswith("-before-rejoin.sql")] == []
    (backup,) = kept.glob("*-before-rejoin.sql")
    assert all(f"lost {n}" in backup.read_text(errors="replace") for n in (9101, 9102))
    status = lab.master_sql("SHOW SLAVE STATUS")[0]
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
