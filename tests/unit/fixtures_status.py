"""Recorded SHOW SLAVE/REPLICA STATUS column sets, as real servers return them."""

from __future__ import annotations

# MariaDB 10.11.19, SHOW SLAVE STATUS, 54 columns in server order (see the lab notes).
MARIADB_10_11_COLUMNS = (
    "Slave_IO_State, Master_Host, Master_User, Master_Port, Connect_Retry, Master_Log_File, "
    "Read_Master_Log_Pos, Relay_Log_File, Relay_Log_Pos, Relay_Master_Log_File, "
    "Slave_IO_Running, Slave_SQL_Running, Replicate_Do_DB, Replicate_Ignore_DB, "
    "Replicate_Do_Table, Replicate_Ignore_Table, Replicate_Wild_Do_Table, "
    "Replicate_Wild_Ignore_Table, Last_Errno, Last_Error, Skip_Counter, Exec_Master_Log_Pos, "
    "Relay_Log_Space, Until_Condition, Until_Log_File, Until_Log_Pos, Master_SSL_Allowed, "
    "Master_SSL_CA_File, Master_SSL_CA_Path, Master_SSL_Cert, Master_SSL_Cipher, Master_SSL_Key, "
    "Seconds_Behind_Master, Master_SSL_Verify_Server_Cert, Last_IO_Errno, Last_IO_Error, "
    "Last_SQL_Errno, Last_SQL_Error, Replicate_Ignore_Server_Ids, Master_Server_Id, "
    "Master_SSL_Crl, Master_SSL_Crlpath, Using_Gtid, Gtid_IO_Pos, Replicate_Do_Domain_Ids, "
    "Replicate_Ignore_Domain_Ids, Parallel_Mode, SQL_Delay, SQL_Remaining_Delay, "
    "Slave_SQL_Running_State, Slave_DDL_Groups, Slave_Non_Transactional_Groups, "
    "Slave_Transactional_Groups, Replicate_Rewrite_DB"
).split(", ")

# MySQL 8.0.22+ SHOW REPLICA STATUS (renamed Source_*/Replica_* columns), server order.
MYSQL_8_COLUMNS = (
    "Replica_IO_State, Source_Host, Source_User, Source_Port, Connect_Retry, Source_Log_File, "
    "Read_Source_Log_Pos, Relay_Log_File, Relay_Log_Pos, Relay_Source_Log_File, "
    "Replica_IO_Running, Replica_SQL_Running, Replicate_Do_DB, Replicate_Ignore_DB, "
    "Replicate_Do_Table, Replicate_Ignore_Table, Replicate_Wild_Do_Table, "
    "Replicate_Wild_Ignore_Table, Last_Errno, Last_Error, Skip_Counter, Exec_Source_Log_Pos, "
    "Relay_Log_Space, Until_Condition, Until_Log_File, Until_Log_Pos, Source_SSL_Allowed, "
    "Source_SSL_CA_File, Source_SSL_CA_Path, Source_SSL_Cert, Source_SSL_Cipher, "
    "Source_SSL_Key, Seconds_Behind_Source, Source_SSL_Verify_Server_Cert, Last_IO_Errno, "
    "Last_IO_Error, Last_SQL_Errno, Last_SQL_Error, Replicate_Ignore_Server_Ids, "
    "Source_Server_Id, Source_UUID, Source_Info_File, SQL_Delay, SQL_Remaining_Delay, "
    "Replica_SQL_Running_State, Source_Retry_Count, Source_Bind, Last_IO_Error_Timestamp, "
    "Last_SQL_Error_Timestamp, Source_SSL_Crl, Source_SSL_Crlpath, Retrieved_Gtid_Set, "
    "Executed_Gtid_Set, Auto_Position, Replicate_Rewrite_DB, Channel_Name, Source_TLS_Version, "
    "Source_public_key_path, Get_Source_public_key, Network_Namespace"
).split(", ")

_CANONICAL = {
    "io_state": "Waiting for master to send event",
    "host": "10.0.0.1",
    "port": 3306,
    "read_file": "mysql-bin.000003",
    "read_pos": 1234,
    "exec_file": "mysql-bin.000003",
    "exec_pos": 1100,
    "io": "Yes",
    "sql": "No",
    "sbm": None,
    "io_errno": 0,
    "io_error": "",
    "sql_errno": 1062,
    "sql_error": "Duplicate entry '50' for key 'PRIMARY'",
    "delay": 0,
}

_MAP = {
    ("Slave_IO_State", "Replica_IO_State"): "io_state",
    ("Master_Host", "Source_Host"): "host",
    ("Master_Port", "Source_Port"): "port",
    ("Master_Log_File", "Source_Log_File"): "read_file",
    ("Read_Master_Log_Pos", "Read_Source_Log_Pos"): "read_pos",
    ("Relay_Master_Log_File", "Relay_Source_Log_File"): "exec_file",
    ("Exec_Master_Log_Pos", "Exec_Source_Log_Pos"): "exec_pos",
    ("Slave_IO_Running", "Replica_IO_Running"): "io",
    ("Slave_SQL_Running", "Replica_SQL_Running"): "sql",
    ("Seconds_Behind_Master", "Seconds_Behind_Source"): "sbm",
    ("Last_IO_Errno",): "io_errno",
    ("Last_IO_Error",): "io_error",
    ("Last_SQL_Errno",): "sql_errno",
    ("Last_SQL_Error",): "sql_error",
    ("SQL_Delay",): "delay",
}


def row_for(columns: list[str], **overrides: object) -> dict[str, object]:
    """A status row with every column of ``columns``; known ones get the canonical values."""
    values = dict(_CANONICAL, **overrides)
    row: dict[str, object] = {}
    for column in columns:
        key = next((v for names, v in _MAP.items() if column in names), None)
        row[column] = values[key] if key else ""
    return row
