"""deploy/compose.yaml against the Compose Specification's JSON Schema (compose-spec.json, see
compose-spec.md), after ``${VAR}`` interpolation done the way ``docker compose`` does it with
the values of deploy/env.example. No container engine runs here: this is what CI can check."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
SCHEMA = Path(__file__).with_name("compose-spec.json")

# What an operator fills in: env.example leaves these empty on purpose.
FILLED = {
    "POSTGRES_PASSWORD": "5f0c2e7a9d1b4c3e8a6f",
    "COMMENTSVC_SECRET_KEY": "an-operator-generated-secret-key-of-enough-length",
    "COMMENTSVC_METRICS_TOKEN": "an-operator-generated-metrics-token",
    "COMMENTSVC_PUBLIC_URL": "https://comments.example.org",
}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt},
# ${NAME+alt}, $NAME, and $$ (a literal dollar), as the Compose Specification defines them.
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<bare>\w+))"
)


class MissingVariable(ValueError):
    """A ``${NAME:?error}`` whose variable is unset or empty: compose refuses to start."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        is_set = name in env
        is_full = bool(env.get(name))
        usable = is_full if op.startswith(":") else is_set
        if op.endswith("-"):
            return env[name] if usable else arg
        if op.endswith("?"):
            if not usable:
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        if op.endswith("+"):
            return arg if usable else ""
        return env.get(name, "")

    return VARIABLE.sub(value, text)


def render(document: Any, env: Mapping[str, str]) -> Any:
    """Interpolate every string value (compose leaves keys alone) of the loaded YAML."""
    if isinstance(document, dict):
        return {key: render(value, env) for key, value in document.items()}
    if isinstance(document, list):
        return [render(value, env) for value in document]
    if isinstance(document, str):
        return interpolate(document, env)
    return document


def env_example() -> dict[str, str]:
    """The ``NAME=value`` lines of deploy/env.example (commented ones are optional settings)."""
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs if not name.startswith("#")}


def schema_errors(document: Any) -> list[str]:
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@pytest.fixture
def compose() -> dict[str, Any]:
    """deploy/compose.yaml as docker compose sees it after `cp env.example .env` and filling in."""
    return render(yaml.safe_load(COMPOSE.read_text()), {**env_example(), **FILLED})


def test_the_shipped_compose_file_matches_the_compose_specification(compose) -> None:
    assert schema_errors(compose) == []


def test_every_long_running_service_has_a_health_check(compose) -> None:
    services = compose["services"]
    assert set(services) >= {"web", "worker", "db", "redis", "nginx", "migrate"}
    for name, service in services.items():
        if name != "migrate":  # a one-shot job
            assert service["healthcheck"]["test"], name
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_metrics_and_the_proxy_cache_have_their_settings(compose) -> None:
    web = compose["services"]["web"]
    metrics_dir = web["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert any(mount.startswith(f"{metrics_dir}:") for mount in web["tmpfs"])
    assert web["environment"]["COMMENTSVC_METRICS_TOKEN"] == FILLED["COMMENTSVC_METRICS_TOKEN"]
    assert any(m.startswith("/var/cache/nginx/") for m in compose["services"]["nginx"]["tmpfs"])


def test_compose_refuses_to_start_until_env_example_is_filled_in() -> None:
    """Every required value is in env.example, and each one left empty stops compose."""
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    example = env_example()
    assert required <= set(example)
    document = yaml.safe_load(COMPOSE.read_text())
    for name in required:
        with pytest.raises(MissingVariable, match=name):
            render(document, {**example, **FILLED, name: ""})


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            document = document[key]
        document[last] = value

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        _set("services.web.healtcheck", {"test": ["CMD", "true"]}),  # a misspelt key
        _set("services.db.healthcheck.test", {"CMD": "pg_isready"}),
        _set("services.web.depends_on.db.condition", "service_ready"),
        _set("services.nginx.ports", "80:8080"),
        _set("volumes.postgres-data", ["not", "a", "volume"]),
    ],
    ids=["unknown key", "test not a command", "unknown condition", "ports not a list", "volume"],
)
def test_a_broken_copy_of_the_compose_file_fails_the_schema(compose, mutate) -> None:
    broken = copy.deepcopy(compose)
    mutate(broken)
    assert schema_errors(broken) != []
