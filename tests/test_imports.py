"""Every module imports on its own, first, in a fresh interpreter: a layer that imports upwards
(a service reaching into a view, a job into a blueprint) shows up here as a circular import.

To stay fast, one interpreter loads the third-party libraries our modules import (they cannot
take part in a cycle of ours), then forks a child per module, as many at once as there are
cores: each child starts with none of ``commentsvc`` or ``workers`` loaded and imports its
one module first.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("commentsvc", "workers")

CHILDREN = """
import importlib, json, os, sys, traceback
third_party, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for name in third_party:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # optional extras; the child reports anything that matters
failures, running = {}, {}
def reap():
    pid, status = os.wait()
    module, read = running.pop(pid)
    with os.fdopen(read, "rb") as pipe:  # a one-line message: it fits the pipe's buffer
        error = pipe.read().decode()
    if status != 0:
        failures[module] = error or f"exit status {status}"
for module in modules:
    if len(running) >= (os.cpu_count() or 1):
        reap()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            os._exit(0)
        except BaseException:
            os.write(write, traceback.format_exc().strip().splitlines()[-1].encode())
            os._exit(1)
    os.close(write)
    running[pid] = (module, read)
while running:
    reap()
print(json.dumps(failures))
"""


def module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def third_party_imports(files: list[Path]) -> list[str]:
    names = set().union(*(imported_modules(path) for path in files))
    ours = (*PACKAGES, "tests")
    return sorted(name for name in names if name.split(".")[0] not in ours)


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = module_files()
    assert "commentsvc.services.thread_view" in modules and "workers.sweep" in modules
    third_party = third_party_imports(list(modules.values()))

    done = subprocess.run(
        [sys.executable, "-c", CHILDREN, json.dumps(third_party), json.dumps(sorted(modules))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )

    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


WEB_LAYER = ("commentsvc.api", "commentsvc.auth", "commentsvc.moderate", "commentsvc.mentions")
LOWER_LAYERS = ("commentsvc.services", "commentsvc.models", "workers")


def test_no_service_model_or_job_imports_the_web_layer() -> None:
    """Views sit on services and jobs, never the other way: a helper both need lives below."""
    upward = {
        module: sorted(name for name in imported_modules(path) if name.startswith(WEB_LAYER))
        for module, path in module_files().items()
        if module.startswith(LOWER_LAYERS)
    }

    assert {module: names for module, names in upward.items() if names} == {}
