"""The deployment files agree with each other: the image runs the gunicorn settings the README
and compose name, compose checks the health of every long-running service, takes its secrets
from the operator with no defaults, and publishes nginx only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
SETTINGS_IN_IMAGE = "/etc/commentsvc/gunicorn.conf.py"


def test_image_runs_gunicorn_with_the_shipped_settings_file() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"COPY deploy/gunicorn.conf.py {SETTINGS_IN_IMAGE}" in dockerfile
    assert f'CMD ["gunicorn", "--config", "{SETTINGS_IN_IMAGE}"]' in dockerfile
    allowed = (ROOT / ".dockerignore").read_text().splitlines()
    assert "!deploy/gunicorn.conf.py" in allowed


def test_readme_production_section_uses_compose_and_the_settings_file() -> None:
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    assert "deploy/compose.yaml" in production
    assert "gunicorn -c deploy/gunicorn.conf.py" in production
    assert "nginx" in production


def test_compose_checks_the_health_of_every_long_running_service() -> None:
    services = COMPOSE["services"]
    assert {"web", "worker", "db", "redis", "nginx"} <= set(services)
    for name, service in services.items():
        if name == "migrate":
            assert service["command"] == ["commentsvc", "db", "upgrade"]
            continue
        assert service["healthcheck"]["test"][0] == "CMD", name
    assert "command" not in services["web"], "web runs the image's gunicorn command"
    assert services["worker"]["command"] == ["commentsvc", "worker"]


def test_compose_secrets_come_from_the_operator_without_defaults() -> None:
    text = (ROOT / "deploy" / "compose.yaml").read_text()
    for secret in ("POSTGRES_PASSWORD", "COMMENTSVC_SECRET_KEY"):
        references = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert references, secret
        assert all(ref.startswith(":?") for ref in references), f"{secret} has a default"


def test_only_nginx_is_published_and_gunicorn_trusts_forwarding_headers_from_it_alone() -> None:
    services = COMPOSE["services"]
    assert [name for name, s in services.items() if "ports" in s] == ["nginx"]
    nginx_address = services["nginx"]["networks"]["backend"]["ipv4_address"]
    assert services["web"]["environment"]["FORWARDED_ALLOW_IPS"] == nginx_address
    assert services["web"]["environment"]["COMMENTSVC_PROXY_COUNT"] == "1"
    template = services["nginx"]["volumes"][0].split(":")[0]
    assert (ROOT / "deploy" / template).is_file()


def test_nginx_limits_live_streams_per_client_with_ipv6_counted_by_its_64() -> None:
    template = (ROOT / "deploy" / "nginx" / "commentsvc.conf.template").read_text()
    events = template.split("location ~ ^/api/sites/[^/]+/thread/events$ {", 1)[1]
    events = events.split("}", 1)[0]
    assert re.search(r"limit_conn commentsvc_events_per_client \d+;", events)
    assert "limit_req zone=commentsvc_events_opens" in events
    assert "limit_conn_zone $commentsvc_events_client zone=commentsvc_events_per_client" in template
    key = template.split("map $binary_remote_addr $commentsvc_events_client {", 1)[1]
    pattern = re.search(r'"~(.*)" \$net;', key).group(1).replace("(?<", "(?P<")  # PCRE
    ipv6, ipv4 = bytes(range(1, 17)), bytes([127, 0, 0, 1])
    assert re.match(pattern, ipv6.decode("latin-1")).group("net") == ipv6[:8].decode("latin-1")
    assert re.match(pattern, ipv4.decode("latin-1")) is None  # the whole IPv4 address


def test_nginx_holds_two_connections_for_every_live_stream_the_events_process_takes() -> None:
    main = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    connections = int(re.search(r"worker_connections (\d+);", main).group(1))
    files = int(re.search(r"worker_rlimit_nofile (\d+);", main).group(1))
    events = (ROOT / "deploy" / "gunicorn-events.conf.py").read_text()
    threads = int(re.search(r'"EVENTS_THREADS", "(\d+)"', events).group(1))
    assert connections >= 2 * threads and files > connections
    nginx = COMPOSE["services"]["nginx"]
    assert "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["ulimits"]["nofile"]["soft"] >= files


SHOW_WORKERS = "import runpy, sys; print(runpy.run_path(sys.argv[1])['workers'])"


def _workers(tmp_path: Path, **env: str) -> int:
    """``workers`` as gunicorn reads it from the shipped settings, in a clean environment."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("COMMENTSVC_", "WEB_CONCURRENCY"))}  # fmt: skip
    clean["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")  # no temporary folder made
    result = subprocess.run(
        [sys.executable, "-c", SHOW_WORKERS, str(ROOT / "deploy" / "gunicorn.conf.py")],
        env={**clean, **env}, capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    return int(result.stdout)


def test_worker_processes_follow_where_limits_jobs_and_live_events_are_kept(tmp_path) -> None:
    redis = "redis://127.0.0.1:6379/0"
    # Held in the process without Redis: a second process would double every rate limit.
    assert _workers(tmp_path) == 1
    assert _workers(tmp_path, COMMENTSVC_REDIS_URL="") == 1
    assert _workers(tmp_path, COMMENTSVC_REDIS_URL=redis) == 2
    config_file = tmp_path / "commentsvc.toml"
    config_file.write_text(f'REDIS_URL = "{redis}"\n')
    assert _workers(tmp_path, COMMENTSVC_CONFIG_FILE=str(config_file)) == 2
    # The operator's count wins either way.
    assert _workers(tmp_path, WEB_CONCURRENCY="3") == 3
    assert _workers(tmp_path, COMMENTSVC_REDIS_URL=redis, WEB_CONCURRENCY="1") == 1
