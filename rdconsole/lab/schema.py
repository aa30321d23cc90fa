"""SQL the lab loads on its master: a small Rivendell-shaped database and the lab's accounts."""

from __future__ import annotations

from rdconsole.lab.client import sql_string

DATABASE = "Rivendell"
SCHEMA_VERSION = 375
"""``VERSION.DB`` of a Rivendell 4.x database."""

MONITOR_USER = "rdconsole"
REPL_USER = "repl"
RIVENDELL_USER = "rduser"

_CARTS = (
    (1, "MUSIC", "Morning Theme", "Lab Orchestra", 1),
    (2, "MUSIC", "Loopback Blues", "The Replicas", 2),
    (3, "JINGLES", "Station ID", "Imaging", 1),
    (4, "NEWS", "News Intro", "Imaging", 1),
    (5, "TRAFFIC", "Spot: Hot Standby Bakery", "Sales", 3),
)


def schema_sql(station_names: tuple[str, ...]) -> str:
    """Create the ``Rivendell`` database with a few carts, cuts, the stations and a heartbeat.

    ``LAB_PROBE`` is the lab's own table: :meth:`MariaDBLab.probe` inserts a row there and waits
    for it on the standby.
    """
    stations = ", ".join(
        f"({sql_string(name)}, {sql_string(f'Lab station {name}')}, 'user', '127.0.0.1')"
        for name in station_names
    )
    carts = ", ".join(
        f"({number}, 1, {sql_string(group)}, {sql_string(title)}, {sql_string(artist)}, {cuts})"
        for number, group, title, artist, cuts in _CARTS
    )
    cuts = ", ".join(
        f"('{number:06d}_{cut:03d}', {number}, 'Cut {cut}', {30_000 * cut + 1_000 * number})"
        for number, _, _, _, count in _CARTS
        for cut in range(1, count + 1)
    )
    return f"""
CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4;
USE {DATABASE};
CREATE TABLE VERSION (
  DB INT NOT NULL PRIMARY KEY,
  LAST_MAINT_DATETIME DATETIME
) ENGINE=InnoDB;
INSERT INTO VERSION VALUES ({SCHEMA_VERSION}, NOW());
CREATE TABLE STATIONS (
  NAME VARCHAR(64) NOT NULL PRIMARY KEY,
  DESCRIPTION VARCHAR(64),
  USER_NAME VARCHAR(191),
  IPV4_ADDRESS VARCHAR(15)
) ENGINE=InnoDB;
INSERT INTO STATIONS VALUES {stations};
CREATE TABLE CART (
  NUMBER INT UNSIGNED NOT NULL PRIMARY KEY,
  TYPE INT UNSIGNED NOT NULL DEFAULT 1,
  GROUP_NAME VARCHAR(10),
  TITLE VARCHAR(255),
  ARTIST VARCHAR(255),
  CUT_QUANTITY INT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB;
INSERT INTO CART VALUES {carts};
CREATE TABLE CUTS (
  CUT_NAME CHAR(10) NOT NULL PRIMARY KEY,
  CART_NUMBER INT UNSIGNED NOT NULL,
  DESCRIPTION VARCHAR(64),
  LENGTH INT NOT NULL DEFAULT 0,
  KEY CART_NUMBER_IDX (CART_NUMBER)
) ENGINE=InnoDB;
INSERT INTO CUTS VALUES {cuts};
CREATE TABLE HEARTBEAT (
  ID INT NOT NULL PRIMARY KEY,
  TS TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
INSERT INTO HEARTBEAT VALUES (1, NOW(6));
CREATE TABLE LAB_PROBE (
  TOKEN VARCHAR(32) NOT NULL PRIMARY KEY,
  CREATED TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
"""


def users_sql(monitor_password: str, repl_password: str, rivendell_password: str) -> str:
    """The least-privilege accounts: rdconsole's, the standby's replication login and
    Rivendell's own ``rduser`` (what rd.conf's ``[mySQL]`` names).

    rdconsole may read binlog and replica status and the Rivendell tables, and promote a
    standby (stop/reset replication, lift read_only) — nothing else, no SUPER; TCP logins arrive
    as ``@'127.0.0.1'`` (matched by ``@'%'``), socket logins as ``@'localhost'``.
    """
    monitors = f"'{MONITOR_USER}'@'%', '{MONITOR_USER}'@'localhost'"
    password = sql_string(monitor_password)
    return f"""
CREATE USER '{REPL_USER}'@'%' IDENTIFIED BY {sql_string(repl_password)};
GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'%';
CREATE USER '{MONITOR_USER}'@'%' IDENTIFIED BY {password};
CREATE USER '{MONITOR_USER}'@'localhost' IDENTIFIED BY {password};
GRANT BINLOG MONITOR, SLAVE MONITOR, REPLICATION SLAVE ADMIN, READ_ONLY ADMIN, RELOAD
  ON *.* TO {monitors};
GRANT SELECT ON {DATABASE}.* TO {monitors};
CREATE USER '{RIVENDELL_USER}'@'%' IDENTIFIED BY {sql_string(rivendell_password)};
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, CREATE TEMPORARY TABLES,
  LOCK TABLES ON {DATABASE}.* TO '{RIVENDELL_USER}'@'%';
"""
