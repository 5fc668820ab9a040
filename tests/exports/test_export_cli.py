"""``commentsvc export``: the real console script on the embedded default, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from defusedxml import ElementTree

COMMENTSVC = [sys.executable, "-c", "from commentsvc.cli import main; main()"]
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    environment["PYTHONPATH"] = str(SOURCE_ROOT)
    return subprocess.run(
        [*COMMENTSVC, *args], cwd=cwd, capture_output=True, env=environment, timeout=60, check=False
    )


def test_export_writes_a_file_or_stdout_and_refuses_an_unknown_site_with_a_message(
    tmp_path: Path,
) -> None:
    added = run(["site", "add", "myblog", "--origin", "https://blog.example.org"], tmp_path)
    assert added.returncode == 0, added.stderr

    to_file = run(["export", "--site", "myblog", "--format", "wxr", "-o", "out.xml"], tmp_path)
    to_stdout = run(["export", "--site", "myblog"], tmp_path)
    unknown = run(["export", "--site", "nosuch", "-o", "out.json"], tmp_path)

    assert to_file.returncode == 0, to_file.stderr
    assert b"exported site myblog (wxr) to out.xml" in to_file.stderr
    channel = ElementTree.parse(tmp_path / "out.xml").getroot().find("channel")
    assert channel.findtext("{http://wordpress.org/export/1.2/}wxr_version") == "1.2"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.xml")] == []
    assert to_stdout.stdout.startswith(b'{"format":"commentsvc-export","version":1,')
    assert to_stdout.stdout.endswith(b',"threads":[\n]}\n')
    assert unknown.returncode == 2 and b"There is no site named 'nosuch'" in unknown.stderr
    assert b"Traceback" not in unknown.stderr
    assert not (tmp_path / "out.json").exists()
