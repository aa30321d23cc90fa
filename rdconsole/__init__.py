"""rdconsole: live replication console and guarded failover for Rivendell hot standbys."""

__version__ = "0.1.0"
