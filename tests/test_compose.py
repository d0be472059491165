"""The server deployment: docker-compose.yml, .env.example and the Dockerfile, checked without an engine."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ENV_EXAMPLE = dict(
    line.split("=", 1)
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.lstrip().startswith("#")
)
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|KEY")
# `$$` is compose's escape for a literal `$`; `${VAR}`, `${VAR:-default}` and `$VAR` are interpolated.
COMPOSE_VARIABLE = re.compile(r"\$(?:\$|\{(\w+)[^}]*\}|(\w+))")
# A whole value that is one variable: `${VAR}`, `${VAR:-}` or `${VAR:?message}`.
REFERENCE = re.compile(r"\$\{(\w+)(?::-|:\?[^}]*)?\}")


def _environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def _reference(value: str) -> str | None:
    match = REFERENCE.fullmatch(value)
    return match.group(1) if match else None


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _is_one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") in ("no", False)  # unquoted `no` is YAML false


def test_the_stack_has_every_service() -> None:
    assert set(SERVICES) == {"elasticsearch", "es-init", "kibana", "setup", "scheduler", "web"}


def test_elasticsearch_is_a_single_node_with_security_on() -> None:
    env = _environment("elasticsearch")
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true"
    assert _reference(env["ELASTIC_PASSWORD"]) == "ELASTIC_PASSWORD"
    assert "xpack.license.self_generated.type" not in env  # start-local's trial licence: not here


def test_every_published_port_is_bound_to_localhost() -> None:
    published = [(name, port) for name, service in SERVICES.items() for port in service.get("ports", [])]
    assert published, "Elasticsearch and Kibana should be reachable from the host"
    for name, port in published:
        host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
        assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond the loopback interface"


def test_every_variable_is_defined_in_env_example() -> None:
    used = {m.group(1) or m.group(2) for s in _strings(COMPOSE) for m in COMPOSE_VARIABLE.finditer(s)}
    used.discard(None)
    assert used, "the compose file should take its settings from .env"
    assert not used - set(ENV_EXAMPLE), f"missing from .env.example: {sorted(used - set(ENV_EXAMPLE))}"


def test_secrets_are_only_variable_references() -> None:
    for name in SERVICES:
        for var, value in _environment(name).items():
            if SECRET_NAME.search(var):
                assert _reference(value), f"{name}: {var} is written literally"
    for var, value in ENV_EXAMPLE.items():
        if SECRET_NAME.search(var) and value:
            assert value not in COMPOSE_TEXT, f"the value of {var} appears in docker-compose.yml"


def test_env_example_holds_placeholders_not_secrets() -> None:
    secrets = {var: value for var, value in ENV_EXAMPLE.items() if SECRET_NAME.search(var)}
    assert {"ELASTIC_PASSWORD", "KIBANA_PASSWORD", "KIBANA_ENCRYPTION_KEY", "MONITOR_ES_PASSWORD"} <= set(secrets)
    for var, value in secrets.items():
        assert value == "" or value.startswith("change-me-"), f".env.example: {var} looks like a real secret"
    assert len(secrets["KIBANA_ENCRYPTION_KEY"]) >= 32  # Kibana refuses shorter keys


def test_env_file_is_never_committed_or_copied_into_the_image() -> None:
    for ignore_file in (".gitignore", ".dockerignore"):
        lines = (ROOT / ignore_file).read_text(encoding="utf-8").splitlines()
        assert ".env" in lines, f"{ignore_file} should exclude .env"


def test_kibana_connects_as_kibana_system() -> None:
    env = _environment("kibana")
    assert env["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert _reference(env["ELASTICSEARCH_PASSWORD"]) == "KIBANA_PASSWORD"
    assert _reference(env["XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY"]) == "KIBANA_ENCRYPTION_KEY"


def test_only_setup_runs_as_the_superuser() -> None:
    assert _environment("setup")["ES_USERNAME"] == "elastic"
    assert _environment("scheduler")["ES_USERNAME"] == "monitor_writer"
    assert _reference(_environment("scheduler")["ES_PASSWORD"]) == "MONITOR_ES_PASSWORD"


def test_services_start_in_order() -> None:
    conditions = {
        name: {dep: spec["condition"] for dep, spec in service.get("depends_on", {}).items()}
        for name, service in SERVICES.items()
    }
    assert conditions == {
        "elasticsearch": {},
        "es-init": {"elasticsearch": "service_healthy"},
        "kibana": {"es-init": "service_completed_successfully"},
        "setup": {"kibana": "service_healthy"},
        "scheduler": {"setup": "service_completed_successfully"},
        "web": {"setup": "service_completed_successfully"},
    }


def test_state_lives_on_declared_named_volumes() -> None:
    mounts = {
        mount.split(":")[1]: mount.split(":")[0]
        for service in SERVICES.values() for mount in service.get("volumes", [])
    }
    named = {source for source in mounts.values() if not source.startswith((".", "/"))}
    assert named == set(COMPOSE["volumes"])
    for target in ("/usr/share/elasticsearch/data", "/usr/share/kibana/data", "/app/var"):
        assert mounts[target] in named, f"{target} is not on a named volume"


def test_every_service_has_a_healthcheck_or_is_one_shot() -> None:
    for name, service in SERVICES.items():
        assert ("healthcheck" in service) != _is_one_shot(service), name


def test_image_runs_monitor_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["monitor"\]', dockerfile, flags=re.M)


def test_docker_compose_validates_the_file() -> None:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not on PATH (`make test` installs Debian's docker-compose package)")
    proc = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "--env-file", ".env.example", "config"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
