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


def test_export_follows_a_link_keeps_a_files_mode_and_says_why_it_cannot_write(
    tmp_path: Path,
) -> None:
    assert (
        run(["site", "add", "myblog", "--origin", "https://blog.example.org"], tmp_path).returncode
        == 0
    )
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "real.json").chmod(0o640)
    (tmp_path / "link.json").symlink_to("real.json")

    linked = run(["export", "--site", "myblog", "-o", "link.json"], tmp_path)
    to_device = run(["export", "--site", "myblog", "-o", "/dev/null"], tmp_path)
    full = run(["export", "--site", "myblog", "-o", "/dev/full"], tmp_path)
    nowhere = run(["export", "--site", "myblog", "-o", "/proc/version"], tmp_path)

    assert linked.returncode == 0, linked.stderr
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text().startswith('{"format":"commentsvc-export"')
    assert (tmp_path / "real.json").stat().st_mode & 0o777 == 0o640
    assert to_device.returncode == 0 and Path("/dev/null").is_char_device()
    for failed in (full, nowhere):
        assert failed.returncode == 1 and b"Could not write" in failed.stderr
        assert b"Traceback" not in failed.stderr
    assert Path("/dev/full").is_char_device()
