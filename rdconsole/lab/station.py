"""A standby host's Rivendell layout under a lab directory, and the mirror's configuration.

``etc/rd.conf`` -> ``etc/rd.conf.master`` and ``snd`` -> ``snd.master`` (the host runs its
master configuration), with the mirror in ``snd.standby``: what ``rdconsole sync`` expects on a
real standby, in miniature.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
from pathlib import Path


def _current_owner() -> tuple[str, str]:
    return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name


class StationLayout:
    def __init__(
        self, root: Path, *, station: str = "backup", login: tuple[str, str] = ("rduser", "")
    ) -> None:
        """``station`` names the ``[Identity] StationName``; ``login`` is rd.conf's ``[mySQL]``
        Loginname and Password (Rivendell's own account)."""
        self.root = root
        self.etc = root / "etc"
        self.mirror = root / "snd.standby"
        self.owner, self.group = _current_owner()
        self.station = station
        self.login = login

    def create(self) -> StationLayout:
        self.etc.mkdir(parents=True, exist_ok=True)
        user, password = self.login
        for mode in ("master", "standby"):
            (self.etc / f"rd.conf.{mode}").write_text(
                f"[Identity]\nAudioOwner={self.owner}\nAudioGroup={self.group}\n"
                f"StationName={self.station}\nLabel=Lab {mode}\n\n"
                f"[mySQL]\nHostname=127.0.0.1\nLoginname={user}\nPassword={password}\n"
                "Database=Rivendell\n"
            )
            (self.root / f"snd.{mode}").mkdir(exist_ok=True)
        for link, target in (
            (self.etc / "rd.conf", "rd.conf.master"),
            (self.root / "snd", "snd.master"),
        ):
            if not link.is_symlink():
                link.symlink_to(target)
        return self

    def toml(self, rsync_port: int) -> str:
        """``[master.rsync]``, ``[standby.audio]`` and ``[standby.rivendell]`` for this layout;
        append it to a config whose last table is the standby's."""

        def string(value: object) -> str:
            return json.dumps(str(value))

        return "\n".join(
            [
                "",
                "[master.rsync]",
                f"port = {rsync_port}",
                "contimeout = 5",
                "timeout = 30",
                "",
                "[standby.audio]",
                f"dir = {string(self.mirror)}",
                f"owner = {string(self.owner)}",
                f"group = {string(self.group)}",
                "",
                "[standby.rivendell]",
                f"rd_conf = {string(self.etc / 'rd.conf')}",
                f"rd_conf_master = {string(self.etc / 'rd.conf.master')}",
                f"rd_conf_standby = {string(self.etc / 'rd.conf.standby')}",
                f"snd = {string(self.root / 'snd')}",
                f"snd_master = {string(self.root / 'snd.master')}",
                "",
            ]
        )
