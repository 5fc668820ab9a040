"""`pip install .` must ship everything the service needs at run time.

The suite itself imports commentsvc from the checkout, where a file missing from the package
list or package data still works. These tests build the wheel from a copy of the source tree
and compare the two, then install that wheel away from the checkout and use it: a new
subpackage, template, migration or widget file that would not ship fails here.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Source folder -> where it lands in the installed package (setup.cfg's package_dir).
SHIPPED_TREES = {
    "commentsvc": "commentsvc",
    "workers": "workers",
    "embed": "commentsvc/embed",
    "migrations": "commentsvc/migrations",
}
BUILD_FILES = ("setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in", "LICENSE")
# Bytecode is built on install; Markdown next to code is documentation for developers.
NOT_SHIPPED = ("__pycache__", "*.pyc", "*.md", ".*")


def _source_files() -> dict[str, Path]:
    """Installed path -> source file, for every file the source tree means to ship."""
    expected: dict[str, Path] = {}
    for folder, installed in SHIPPED_TREES.items():
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT / folder)
            skipped = any(fnmatch.fnmatch(part, p) for part in relative.parts for p in NOT_SHIPPED)
            if path.is_file() and not skipped:
                expected[f"{installed}/{relative.as_posix()}"] = path
    return expected


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built, offline, from a copy of the checkout (the checkout gets no build/ litter)."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, source / name)
    for folder in SHIPPED_TREES:
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--quiet", "--wheel-dir", str(out), str(source)])  # fmt: skip
    (built,) = out.glob("commentsvc-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_ships_every_module_template_migration_and_widget_file(wheel_names: set[str]) -> None:
    missing = sorted(set(_source_files()) - wheel_names)
    assert not missing, (
        "in the source tree but not in the wheel (add the package to [options] packages or the "
        f"file pattern to [options.package_data] in setup.cfg): {missing}"
    )


def test_wheel_ships_the_migration_environment_and_at_least_one_revision(
    wheel_names: set[str],
) -> None:
    for name in ("env.py", "script.py.mako", "alembic.ini"):
        assert f"commentsvc/migrations/{name}" in wheel_names
    assert any(
        n.startswith("commentsvc/migrations/versions/") and n.endswith(".py") for n in wheel_names
    )
    assert "commentsvc/wsgi.py" in wheel_names
    assert any(n.startswith("commentsvc/templates/") for n in wheel_names)


def test_wheel_ships_no_tests_or_bytecode(wheel_names: set[str]) -> None:
    stray = sorted(
        n for n in wheel_names if n.startswith(("tests/", "bench/")) or n.endswith(".pyc")
    )
    assert not stray


def test_wheel_declares_the_commentsvc_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points).decode()
    assert "commentsvc = commentsvc.cli:main" in text


CHECK_INSTALLED = """
import json, sqlite3, sys
from pathlib import Path

from alembic.script import ScriptDirectory

import commentsvc
from commentsvc import assets, create_app

app = create_app()
database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
(applied,) = sqlite3.connect(database).execute("SELECT version_num FROM alembic_version").fetchone()
with app.app_context():
    templates = sorted(app.jinja_env.list_templates())
    for name in templates:
        app.jinja_env.get_template(name)
print(json.dumps({
    "package": commentsvc.__file__,
    "migrations": str(assets.migrations_dir()),
    "head": ScriptDirectory(str(assets.migrations_dir())).get_current_head(),
    "applied": applied,
    "embed": sorted(
        p.relative_to(assets.embed_dir()).as_posix()
        for p in assets.embed_dir().rglob("*") if p.is_file()
    ),
    "templates": templates,
    "healthz": app.test_client().get("/healthz").status_code,
}))
"""


def test_installed_wheel_upgrades_a_fresh_database_and_finds_its_files(
    wheel: Path, tmp_path: Path
) -> None:
    """Installed away from the checkout: `commentsvc db upgrade` runs the shipped migrations."""
    target = tmp_path / "site-packages"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
          "--target", str(target), str(wheel)])  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    environment |= {
        "PYTHONPATH": str(target),
        "COMMENTSVC_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    run_installed = {"cwd": tmp_path, "env": environment}

    _run([sys.executable, "-c", "from commentsvc.cli import main; main()", "db", "upgrade"],
         **run_installed)  # fmt: skip
    found = json.loads(_run([sys.executable, "-c", CHECK_INSTALLED], **run_installed).stdout)

    assert Path(found["package"]).is_relative_to(target)
    assert Path(found["migrations"]).is_relative_to(target)
    assert found["applied"] == found["head"]
    shipped_widget = {
        name.removeprefix("commentsvc/embed/")
        for name in _source_files()
        if name.startswith("commentsvc/embed/")
    }
    assert shipped_widget <= set(found["embed"])
    source_templates = {
        name.removeprefix("commentsvc/templates/")
        for name in _source_files()
        if name.startswith("commentsvc/templates/")
    }
    assert source_templates <= set(found["templates"])
    assert found["healthz"] == 200


def test_docker_build_context_holds_what_the_wheel_is_built_from_and_no_tests() -> None:
    """.dockerignore is an allow-list: a new top-level folder must be let in on purpose."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    needed = set(SHIPPED_TREES) | {name for name in BUILD_FILES if (ROOT / name).is_file()}
    assert "*" in lines
    assert needed <= allowed, f"let these into the Docker build context: {needed - allowed}"
    assert not allowed & {"tests", "bench", ".git", ".ci", "instance", "venv", ".venv"}
