"""The links probe: its shell script run here on real paths, and its parser on broken answers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rdconsole.core.layout import LinkKind, LinkState, parse_probe, probe_command


def run_probe(paths: list[str]) -> dict[str, LinkState]:
    result = subprocess.run(probe_command(paths), capture_output=True, check=True)
    return parse_probe(paths, result.stdout.decode("utf-8", errors="surrogateescape"))


def test_the_script_tells_links_files_and_missing_paths_with_any_name(tmp_path: Path) -> None:
    odd = tmp_path / os.fsdecode(b"snd.\tmaster\nnew \xff")  # tab, newline, invalid UTF-8
    odd.mkdir()
    link = tmp_path / "snd"
    link.symlink_to(odd.name)
    conf = tmp_path / "rd.conf.master"
    conf.write_text("[Identity]\n")
    dangling = tmp_path / "rd.conf"
    dangling.symlink_to("rd.conf.gone")
    paths = [str(p) for p in (link, odd, conf, dangling, tmp_path / "nothing")]

    states = run_probe(paths)

    assert [(s.kind, s.target) for s in states.values()] == [
        (LinkKind.SYMLINK, str(odd)),
        (LinkKind.OTHER, str(odd)),
        (LinkKind.OTHER, str(conf)),
        (LinkKind.SYMLINK, str(tmp_path / "rd.conf.gone")),
        (LinkKind.MISSING, ""),
    ]
    assert list(states) == paths


@pytest.mark.parametrize(
    "answer",
    [
        "",  # nothing at all (no sh, connection lost)
        "LF",  # cut before the newline
        "LF\n/a\0",  # one target short
        "LF\n/a\0/b",  # the last target unterminated (cut)
        "L\n/a\0/b\0",  # one letter short
        "LX\n/a\0/b\0",  # not a kind
        "LF\n/a\0/b\0/c\0",  # one target too many
    ],
)
def test_anything_but_a_whole_answer_is_refused(answer: str) -> None:
    with pytest.raises(ValueError, match="not a probe answer for 2 path"):
        parse_probe(["/etc/rd.conf", "/var/snd"], answer)
