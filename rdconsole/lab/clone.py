"""Building the lab's pair: data directories, and a standby cloned from the master.

The clone follows Rivendell's hot-standby setup: in one held session on the master
``FLUSH TABLES WITH READ LOCK`` and ``SHOW MASTER STATUS``, a dump loaded on the standby, then
``UNLOCK TABLES`` and ``CHANGE MASTER TO`` the recorded position.
"""

from __future__ import annotations

import subprocess

from rdconsole.lab.client import LabError, client_env, sql_string
from rdconsole.lab.server import MariaDBServer, kill_process_group


def install_all(servers: tuple[MariaDBServer, ...], timeout: float) -> None:
    """Run ``mariadb-install-db`` for all ``servers`` in parallel; raise the first failure."""
    processes = [(server, server.begin_install()) for server in servers]
    failures: list[LabError] = []
    try:
        for server, process in processes:
            try:
                server.end_install(process, timeout)
            except LabError as error:
                failures.append(error)
    finally:
        for _, process in processes:
            kill_process_group(process)  # only still running if the wait was interrupted
    if failures:
        raise failures[0]


def clone_to_standby(
    master: MariaDBServer,
    standby: MariaDBServer,
    repl_user: str,
    repl_password: str,
    timeout: float,
) -> None:
    """Snapshot ``master`` under FTWRL, load it on ``standby``, start replicating from it."""
    session = master.held_session()
    try:
        status = session.query("FLUSH TABLES WITH READ LOCK; SHOW MASTER STATUS;")
        if not status:
            raise LabError("master: SHOW MASTER STATUS is empty (is log-bin set?)")
        _copy_dump(master, standby, timeout)
        session.query("UNLOCK TABLES;")
    finally:
        session.close()
    log_file, position = status[0]["File"], status[0]["Position"]
    assert log_file is not None and position is not None
    standby.sql(
        f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={master.port}, "
        f"MASTER_USER={sql_string(repl_user)}, MASTER_PASSWORD={sql_string(repl_password)}, "
        f"MASTER_LOG_FILE={sql_string(log_file)}, MASTER_LOG_POS={int(position)}, "
        "MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=no; START SLAVE;"
    )


def _copy_dump(master: MariaDBServer, standby: MariaDBServer, timeout: float) -> None:
    """``mariadb-dump --all-databases`` of the master piped into the standby, unlogged there.

    ``--flush-privileges`` makes the standby load the accounts along with the data.
    """
    log_path = standby.dir / "log" / "clone.log"
    with log_path.open("wb") as log:
        dump = subprocess.Popen(
            master.dump_command(
                "--all-databases",
                "--single-transaction",
                "--routines",
                "--events",
                "--flush-privileges",
            ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            env=client_env(),
        )
        try:
            load = subprocess.Popen(
                standby.client_command("--init-command=SET sql_log_bin=0"),
                stdin=dump.stdout,
                stdout=log,
                stderr=log,
                env=client_env(),
            )
        finally:
            assert dump.stdout is not None
            dump.stdout.close()
        codes = [_wait(process, timeout) for process in (dump, load)]
    if codes != [0, 0]:
        raise LabError(
            f"copying the master to the standby failed (dump {codes[0]}, load {codes[1]}):\n"
            + log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        )


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int:
    """The exit status of ``process``; killed (status -9) when it takes over ``timeout``."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
