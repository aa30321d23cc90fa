"""A master and a hot standby: two real mariadbd on loopback, replicating, with drills.

For integration tests, benchmarks and ``rdconsole demo``. Everything lives under the root
directory the caller gives (``master/`` and ``standby/``, each with ``my.cnf``, ``data/``,
``run/``, ``log/``, ``tmp/``); the files stay there after :meth:`MariaDBLab.stop` for post-mortems.
"""

from __future__ import annotations

import atexit
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rdconsole.config.settings import (
    ConsoleConfig,
    HostConfig,
    MySQLEndpoint,
    ReplicationConfig,
    Secret,
    Settings,
)
from rdconsole.core.model import Role
from rdconsole.lab.client import LabError, Row
from rdconsole.lab.clone import clone_to_standby, install_all
from rdconsole.lab.config import config_toml, write_private
from rdconsole.lab.process import Lifecycle
from rdconsole.lab.schema import DATABASE, MONITOR_USER, REPL_USER, schema_sql, users_sql
from rdconsole.lab.server import MariaDBServer, find_tools, free_ports

LOOPBACK = "127.0.0.1"
MASTER_NAME = "onair"
STANDBY_NAME = "backup"
DUPLICATE_KEY = "1062"
"""``ER_DUP_ENTRY``: the SQL thread's error after :meth:`MariaDBLab.break_sql_thread`."""

_COMMON_OPTIONS = {
    "bind-address": LOOPBACK,
    "skip-name-resolve": "1",
    "innodb_buffer_pool_size": "64M",
    "innodb_log_file_size": "16M",
    "max_connections": "50",
    "performance_schema": "OFF",
}


class MariaDBLab(Lifecycle):
    """Two mariadbd on free loopback ports: ``master`` (server-id 1) and ``standby`` (100).

    ``start()`` (or ``with MariaDBLab(root) as lab:``) installs both data directories, loads a
    small Rivendell schema and the accounts on the master, clones it to the standby the way
    Rivendell's hot-standby setup does (FTWRL + SHOW MASTER STATUS, dump, CHANGE MASTER TO) and
    proves a row replicates. ``stop()`` ends both servers; it is idempotent and also registered
    with ``atexit``. The blocking drill methods serialise on one lock, so threads may call them.
    """

    def __init__(
        self, root: Path, *, startup_timeout: float = 30.0, replicate: bool = True
    ) -> None:
        tools = find_tools()
        self.root = root
        self.startup_timeout = startup_timeout
        self.replicate = replicate
        """False: two fresh servers, the master with the schema, no replication (for setup)."""
        self.monitor_user = MONITOR_USER
        self.monitor_password = secrets.token_urlsafe(18)
        """Password of the least-privilege monitoring account ``rdconsole``."""
        self.repl_password = secrets.token_urlsafe(18)
        self.rivendell_password = secrets.token_urlsafe(18)
        """Password of ``rduser``, Rivendell's own account (rd.conf's ``[mySQL]`` login)."""
        """Password of ``repl``, the standby's replication login."""
        self.bringup_seconds: float | None = None
        """Wall-clock seconds :meth:`start` took, from nothing to a replicated probe row."""
        master_port, standby_port = free_ports(2)
        self.master = MariaDBServer(
            "master",
            root,
            master_port,
            {
                **_COMMON_OPTIONS,
                "server-id": "1",
                "log-bin": "mysql-bin",
                "binlog_format": "MIXED",
                "expire_logs_days": "1",
            },
            tools,
        )
        self.standby = MariaDBServer(
            "standby",
            root,
            standby_port,
            {
                **_COMMON_OPTIONS,
                "server-id": "100",
                "relay-log": "relay-bin",
                "read_only": "1",
                "log-bin": "mysql-bin",
                "log_slave_updates": "1",
                "slave_net_timeout": "10",
                "report-host": LOOPBACK,
                "report-port": str(standby_port),
            },
            tools,
        )
        self._lock = threading.RLock()
        self._conflicts: list[int] = []
        """CART numbers written on both sides by :meth:`break_sql_thread`, not yet repaired."""

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> MariaDBLab:
        """Bring the lab up (about 2 s); on any failure stop what started and raise LabError."""
        began = time.monotonic()
        with self._lock:
            atexit.register(self.stop)
            try:
                install_all((self.master, self.standby), self.startup_timeout)
                for server in (self.master, self.standby):
                    server.launch()
                for server in (self.master, self.standby):
                    server.wait_ready(self.startup_timeout)
                users = users_sql(
                    self.monitor_password, self.repl_password, self.rivendell_password
                )
                self.master.sql(schema_sql((MASTER_NAME, STANDBY_NAME)) + users)
                if not self.replicate:
                    self.standby.sql(users)
                    self.bringup_seconds = time.monotonic() - began
                    return self
                clone_to_standby(
                    self.master,
                    self.standby,
                    REPL_USER,
                    self.repl_password,
                    self.startup_timeout,
                )
                self.wait_for_standby(_both_running, "IO and SQL threads running")
                self.probe()
            except BaseException:
                self.stop()
                raise
        self.bringup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop both servers (SIGTERM, SIGKILL after a grace) and wait for them. Idempotent."""
        with self._lock:
            for server in (self.standby, self.master):
                server.stop()
            atexit.unregister(self.stop)

    # -- SQL ----------------------------------------------------------------------------------

    def master_sql(self, sql: str, timeout: float = 10.0) -> list[Row]:
        """Run ``sql`` as root on the master; see :meth:`MariaDBServer.sql`."""
        return self.master.sql(sql, timeout)

    def standby_sql(self, sql: str, timeout: float = 10.0) -> list[Row]:
        """Run ``sql`` as root on the standby; see :meth:`MariaDBServer.sql`."""
        return self.standby.sql(sql, timeout)

    def standby_status(self) -> Row:
        """The standby's ``SHOW SLAVE STATUS`` row."""
        rows = self.standby_sql("SHOW SLAVE STATUS")
        if not rows:
            raise LabError("standby: SHOW SLAVE STATUS is empty (not a replica)")
        return rows[0]

    def wait_for_standby(
        self, predicate: Callable[[Row], bool], what: str, timeout: float = 15.0
    ) -> Row:
        """Poll ``SHOW SLAVE STATUS`` every 50 ms until ``predicate`` holds; return that row."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.standby_status()
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise LabError(f"standby: {what}: not reached in {timeout:g} s; {_summary(status)}")
            time.sleep(0.05)

    def probe(self, timeout: float = 10.0) -> float:
        """Insert a fresh row on the master, wait until the standby has it; return the seconds."""
        token = secrets.token_hex(8)
        began = time.monotonic()
        self.master_sql(f"INSERT INTO {DATABASE}.LAB_PROBE (TOKEN) VALUES ('{token}')")
        query = f"SELECT COUNT(*) AS n FROM {DATABASE}.LAB_PROBE WHERE TOKEN = '{token}'"
        while self.standby_sql(query)[0]["n"] != "1":
            if time.monotonic() - began > timeout:
                raise LabError(
                    f"probe row did not reach the standby in {timeout:g} s; "
                    + _summary(self.standby_status())
                )
            time.sleep(0.02)
        return time.monotonic() - began

    def wait_replicated(self, timeout: float = 15.0) -> None:
        """Wait until the standby has executed everything the master has written so far."""
        rows = self.master_sql("SHOW MASTER STATUS")
        target = (rows[0]["File"] or "", int(rows[0]["Position"] or 0))

        def caught_up(status: Row) -> bool:
            executed = (
                status["Relay_Master_Log_File"] or "",
                int(status["Exec_Master_Log_Pos"] or 0),
            )
            return executed >= target

        self.wait_for_standby(caught_up, f"executed up to {target[0]}:{target[1]}", timeout)

    def write_load(self, rows: int) -> range:
        """Insert ``rows`` new CART rows on the master, 1000 per statement; return their numbers."""
        with self._lock:
            first = self._next_cart()
            numbers = range(first, first + rows)
            statements = [
                f"INSERT INTO {DATABASE}.CART (NUMBER, TITLE) VALUES "
                + ", ".join(f"({n}, 'load {n}')" for n in numbers[start : start + 1000])
                + ";"
                for start in range(0, rows, 1000)
            ]
            if statements:
                self.master_sql("\n".join(statements), timeout=60.0)
            return numbers

    def _next_cart(self) -> int:
        rows = self.master_sql(f"SELECT COALESCE(MAX(NUMBER), 0) + 1 AS n FROM {DATABASE}.CART")
        return int(rows[0]["n"] or 1)

    # -- drills -------------------------------------------------------------------------------

    def stop_master(self) -> None:
        """Shut the master down cleanly (SIGTERM) and wait for it."""
        with self._lock:
            self.master.stop()

    def kill_master(self) -> None:
        """Crash the master (SIGKILL) and wait for it."""
        with self._lock:
            self.master.kill()

    def start_master(self) -> None:
        """Start the master again on its data directory and port; wait until it answers."""
        with self._lock:
            self.master.start(self.startup_timeout)

    def hang_master(self) -> None:
        """SIGSTOP the master: a hung host whose port still accepts TCP connections."""
        with self._lock:
            self.master.pause()

    def resume_master(self) -> None:
        """SIGCONT the master after :meth:`hang_master`."""
        with self._lock:
            self.master.resume()

    def break_sql_thread(self) -> None:
        """Write one CART row on the standby (unlogged, as root despite read_only), then the same
        key on the master, so the standby's SQL thread stops on a duplicate key (1062)."""
        with self._lock:
            status = self.standby_status()
            if not _both_running(status):
                raise LabError(
                    "break_sql_thread needs both replication threads running (restore first); "
                    + _summary(status)
                )
            number = self._next_cart()
            insert = f"INSERT INTO {DATABASE}.CART (NUMBER, TITLE) VALUES ({number}, 'written on"
            self.standby_sql(f"SET sql_log_bin=0; {insert} the standby')")
            self._conflicts.append(number)
            self.master_sql(f"{insert} the master')")
            self.wait_for_standby(
                lambda s: s["Slave_SQL_Running"] == "No" and s["Last_SQL_Errno"] == DUPLICATE_KEY,
                "SQL thread stopped on a duplicate key",
            )

    def repair_sql_thread(self) -> None:
        """Delete the standby's conflicting rows (unlogged) and restart its SQL thread, so the
        master's rows apply; wait until both threads run. No-op without a conflict."""
        with self._lock:
            if not self._conflicts:
                return
            numbers = ", ".join(str(n) for n in self._conflicts)
            self.standby_sql(
                f"SET sql_log_bin=0; DELETE FROM {DATABASE}.CART WHERE NUMBER IN ({numbers}); "
                "START SLAVE SQL_THREAD;"
            )
            self._conflicts.clear()
            self.wait_for_standby(_both_running, "IO and SQL threads running")

    def stop_io_thread(self) -> None:
        with self._lock:
            self.standby_sql("STOP SLAVE IO_THREAD")

    def start_io_thread(self) -> None:
        """Start the IO thread and wait until it is connected (``Yes``): the master must be up."""
        with self._lock:
            self.standby_sql("START SLAVE IO_THREAD")
            self.wait_for_standby(lambda s: s["Slave_IO_Running"] == "Yes", "IO thread running")

    def stop_sql_thread(self) -> None:
        with self._lock:
            self.standby_sql("STOP SLAVE SQL_THREAD")

    def start_sql_thread(self) -> None:
        with self._lock:
            self.standby_sql("START SLAVE SQL_THREAD")
            self.wait_for_standby(lambda s: s["Slave_SQL_Running"] == "Yes", "SQL thread running")

    def restore(self) -> None:
        """Healthy again: master running and answering, SQL error repaired, both threads
        running, the standby caught up."""
        with self._lock:
            if self.master.running:
                self.master.resume()
            self.master.start(self.startup_timeout)
            self.repair_sql_thread()
            self.standby_sql("START SLAVE")
            self.wait_for_standby(_both_running, "IO and SQL threads running")
            self.wait_replicated()

    # -- rdconsole configuration --------------------------------------------------------------

    def settings(self, state_dir: Path, poll_interval: float = 1.0) -> Settings:
        """rdconsole settings for this lab: master ``onair``, local standby ``backup``."""
        password = Secret(self.monitor_password)

        def endpoint(server: MariaDBServer) -> MySQLEndpoint:
            return MySQLEndpoint(
                host=LOOPBACK, port=server.port, user=self.monitor_user, password=password
            )

        def admin(server: MariaDBServer) -> MySQLEndpoint:
            return MySQLEndpoint(host=LOOPBACK, port=server.port, user="root")

        return Settings(
            console=ConsoleConfig(poll_interval=poll_interval, state_dir=state_dir),
            master=HostConfig(
                name=MASTER_NAME,
                role=Role.MASTER,
                host=LOOPBACK,
                mysql=endpoint(self.master),
                admin=admin(self.master),
            ),
            standbys=(
                HostConfig(
                    name=STANDBY_NAME,
                    role=Role.STANDBY,
                    host=LOOPBACK,
                    local=True,
                    mysql=endpoint(self.standby),
                    admin=admin(self.standby),
                ),
            ),
            replication=ReplicationConfig(
                user=REPL_USER, password=Secret(self.repl_password), connect_retry=1
            ),
        )

    def write_config(self, path: Path, state_dir: Path, poll_interval: float = 1.0) -> Path:
        """Write the TOML equivalent of :meth:`settings` to ``path`` with mode 0600."""
        return write_private(path, config_toml(self.settings(state_dir, poll_interval)))


def _both_running(status: Row) -> bool:
    return status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes"


def _summary(status: Row) -> str:
    keys = (
        "Slave_IO_Running",
        "Slave_SQL_Running",
        "Last_IO_Errno",
        "Last_IO_Error",
        "Last_SQL_Errno",
        "Last_SQL_Error",
    )
    return ", ".join(f"{key}={status.get(key)!r}" for key in keys)
