"""What the benchmarks share: a gunicorn server under test, wrk runs and their parsing, and
the measurements a person reads (medians, resident memory).

Everything here talks to 127.0.0.1 only and every wait is bounded.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def clean_environ() -> dict[str, str]:
    """This process's environment without COMMENTSVC_* settings: nothing from the caller's
    shell (a Redis URL, a database) leaks into the servers under test."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}


def service_env(instance: Path, database_url: str | None, **settings: str) -> dict[str, str]:
    """The service's environment for a run: a fresh instance folder, rate limits off, quiet
    logs; with a database URL the secrets production requires; ``settings`` become further
    ``COMMENTSVC_<NAME>`` variables."""
    env = {
        "COMMENTSVC_INSTANCE_PATH": str(instance),
        "COMMENTSVC_RATELIMIT_ENABLED": "false",
        "COMMENTSVC_LOG_LEVEL": "WARNING",
        **{f"COMMENTSVC_{name.upper()}": value for name, value in settings.items()},
    }
    if database_url:
        env["COMMENTSVC_DATABASE_URL"] = database_url
        env["COMMENTSVC_SECRET_KEY"] = secrets.token_urlsafe(32)
        env["COMMENTSVC_PUBLIC_URL"] = "http://127.0.0.1"
    return env


class RedisServer:
    """A redis-server of the run's own on a loopback port, without persistence."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        self.url = f"redis://{HOST}:{port}/0"
        command = ["redis-server", "--port", str(port), "--bind", HOST, "--save", "",
                   "--dir", str(folder)]  # fmt: skip
        self._log = (folder / "redis.log").open("w")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not listen within 10 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self._log.close()


def stop_process(process: subprocess.Popen, *, whole_group: bool = True) -> None:
    """SIGTERM (to its process group, or to it alone), then SIGKILL to the group after 15 s."""
    if process.poll() is None:
        if whole_group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Server:
    """A gunicorn master with its worker processes, serving one WSGI app on a loopback port."""

    def __init__(
        self,
        name: str,
        wsgi_app: str,
        env: Mapping[str, str],
        *,
        cwd: Path = ROOT,
        gunicorn_args: Sequence[str] = (),
        log_dir: Path,
        workers: int | None = 1,
        python: str = sys.executable,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._log = (log_dir / f"{name}.log").open("w")
        home = log_dir / f"{name}-home"  # gunicorn's control socket: one per server
        home.mkdir(exist_ok=True)
        # workers=None: as many as the gunicorn settings in gunicorn_args say (--config).
        # python: another virtualenv's interpreter, for an app that is not commentsvc (Isso).
        worker_args = ["--workers", str(workers)] if workers is not None else []
        command = [python, "-m", "gunicorn", "--bind", f"{HOST}:{self.port}",
                   *worker_args, *gunicorn_args, wsgi_app]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**clean_environ(), "HOME": str(home), **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up(log_dir / f"{name}.log")

    def _wait_until_up(self, log: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{log.read_text()[-3000:]}")
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes: the master's children, read from /proc."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_rss_mb(self) -> float:
        """Resident memory of the (single) worker, in MiB, from /proc/PID/status."""
        total_kb = 0
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total_kb += int(match.group(1)) if match else 0
        return total_kb / 1024

    def worker_cpu_seconds(self) -> float:
        """User plus system CPU time the workers have used: a figure that, unlike req/s, other
        load on the machine barely moves."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / ticks

    def stop(self) -> None:
        stop_process(self.process, whole_group=False)  # gunicorn: a graceful stop of its workers
        self._log.close()


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx responses
    cpu_us_per_request: float = float("nan")  # the server's worker CPU time per request
    p50_ms: float = float("nan")

    @property
    def is_clean(self) -> bool:
        return self.errors == 0 and self.requests > 0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rate and p99 and total):
        raise ValueError(f"unreadable wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(
        float(rate.group(1)),
        _duration_ms(p99.group(1)),
        int(total.group(1)),
        errors,
        p50_ms=_duration_ms(p50.group(1)) if p50 else float("nan"),
    )


def wrk(
    server: Server,
    path: str,
    seconds: float,
    headers: Mapping[str, str],
    connections: int = 16,
    *,
    base_url: str | None = None,
    script: Path | None = None,
) -> WrkResult:
    """``wrk -t1 -cN -dS --latency`` against one loopback URL of ``server``, or of the proxy
    in front of it at ``base_url`` (the CPU time is still ``server``'s); ``script`` is a Lua
    script that builds the requests (posting)."""
    url = (base_url or server.url) + path
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"benchmarks stay on loopback, not {url}")
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    command = [binary, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
               "--timeout", "5s", *header_args, *(["-s", str(script)] if script else []),
               url]  # fmt: skip
    cpu_before = server.worker_cpu_seconds()
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    parsed = parse_wrk(result.stdout)
    cpu_us = (server.worker_cpu_seconds() - cpu_before) * 1e6 / max(parsed.requests, 1)
    return replace(parsed, cpu_us_per_request=cpu_us)


# ---------------------------------------------------------------- the shipped nginx


def wait_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Until something listens on ``port``; fails at once if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited at start")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{process.args[0]} did not listen on {port} within {timeout:.0f} s")


class Nginx:
    """nginx in the foreground with the shipped template (deploy/nginx), on a loopback port,
    in ``folder``: the web upstream at ``upstream_port``, the events process at
    ``events_port`` (the web port when None); with ``static``, a second server block serving
    ``folder/static`` on a port of its own (the floor of cached reads)."""

    def __init__(
        self,
        upstream_port: int,
        folder: Path,
        *,
        events_port: int | None = None,
        worker_connections: int = 1024,
        static: bool = False,
    ) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        folder.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        values = {
            "COMMENTSVC_UPSTREAM": f"{HOST}:{upstream_port}",
            "COMMENTSVC_EVENTS_UPSTREAM": f"{HOST}:{events_port or upstream_port}",
            "NGINX_LISTEN": f"{HOST}:{self.port}",
            "NGINX_CACHE_PATH": str(folder / "cache"),
        }
        template = (ROOT / "deploy" / "nginx" / "commentsvc.conf.template").read_text()
        for name, value in values.items():
            template = template.replace("${" + name + "}", value)
        (folder / "commentsvc.conf").write_text(template)
        temp_paths = "".join(
            f"  {kind}_temp_path {folder / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        static_block = ""
        self.static_port = free_port()
        self.static = folder / "static"
        if static:
            self.static.mkdir()
            static_block = (
                f"  server {{ listen {HOST}:{self.static_port}; access_log off;\n"
                f"    server_tokens off; root {self.static}; default_type application/json; }}\n"
            )
        user = "user root root;\n" if os.geteuid() == 0 else ""  # the cache's files
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\nworker_rlimit_nofile {worker_connections * 2};\n"
            f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
            f"events {{ worker_connections {worker_connections}; }}\n"
            f"http {{\n{temp_paths}  include {folder / 'commentsvc.conf'};\n{static_block}}}\n"
        )
        self._log = (folder / "access.log").open("w")
        command = [binary, "-p", f"{folder}/", "-c", str(folder / "nginx.conf"),
                   "-e", "stderr", "-g", "daemon off;"]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_port(self.port, self.process)

    def pids(self) -> list[int]:
        """The master and its worker."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [self.process.pid, *map(int, children.read_text().split())]

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
        return total / 1024

    def stop(self) -> None:
        stop_process(self.process)
        self._log.close()
