"""The server deployment: docker-compose.yml, .env.example and the Dockerfile, checked without an engine."""

from __future__ import annotations

import json
import os
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
STACK_SECRETS = ("ELASTIC_PASSWORD", "KIBANA_PASSWORD", "KIBANA_ENCRYPTION_KEY", "MONITOR_ES_PASSWORD", "MONITOR_WEB_SECRET")
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


def test_env_example_leaves_every_secret_empty() -> None:
    """An empty secret stops compose (``${VAR:?...}``); a placeholder value would be taken as the password."""
    secrets = {var: value for var, value in ENV_EXAMPLE.items() if SECRET_NAME.search(var)}
    assert set(STACK_SECRETS) <= set(secrets)
    for var, value in secrets.items():
        assert value == "", f".env.example: {var} holds a value; leave it empty so compose refuses to start"


def test_every_stack_secret_is_required_with_a_message_naming_them_all() -> None:
    required = re.findall(r"\$\{(\w+):\?([^}]*)\}", COMPOSE_TEXT)
    assert {var for var, _ in required} == set(STACK_SECRETS)
    for var, message in required:
        for name in STACK_SECRETS:
            assert name in message, f"the message for {var} should name {name}"
        assert "openssl rand" in message


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


COMPOSE_PLUGIN = Path("/usr/local/lib/docker/cli-plugins/docker-compose")  # where `make compose-tool` puts it


def _compose() -> list[str]:
    """``docker compose`` (the v2 plugin): through the docker CLI where it is installed, else the
    plugin alone; Debian 12's ``docker-compose`` (v1) when neither is there."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    if COMPOSE_PLUGIN.exists():
        return [str(COMPOSE_PLUGIN)]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("no Compose: `make compose-tool` installs the v2 plugin from Debian's docker-compose package")


def _config(env_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_compose(), "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(env_file),
                           "config"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ.get("PATH", "")})


def test_compose_config_refuses_the_env_example_as_it_ships() -> None:
    proc = _config(ROOT / ".env.example")
    assert proc.returncode != 0, "compose accepted .env.example's empty secrets"
    for name in STACK_SECRETS:
        assert name in proc.stderr, f"the error should name {name}: {proc.stderr}"


def test_compose_config_accepts_an_env_with_every_secret_set(tmp_path: Path) -> None:
    env = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in STACK_SECRETS:
        env = re.sub(rf"^{name}=$", f"{name}={name.lower().replace('_', '-')}-0123456789abcdef0123456789",
                     env, flags=re.M)
    (tmp_path / ".env").write_text(env, encoding="utf-8")
    proc = _config(tmp_path / ".env")
    assert proc.returncode == 0, proc.stderr


# The shell scripts as the container runs them: compose turns `$$` into `$`.
def _shell(text: str) -> str:
    return text.replace("$$", "$")


def _stub_curl(tmp_path: Path) -> Path:
    """A ``curl`` that records its command line and its standard input, and answers ``{}``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    curl = bin_dir / "curl"
    curl.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$STUB_LOG.argv"\n'
                    'for a in "$@"; do if [ -f "$a" ]; then cat "$a" >> "$STUB_LOG.files"; fi; done\n'
                    'cat >> "$STUB_LOG.stdin"\nprintf "{}"\n', encoding="utf-8")
    curl.chmod(0o755)
    return bin_dir


def _run_stubbed(script: str, tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    log = tmp_path / "curl"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{_stub_curl(tmp_path)}:{os.environ.get('PATH', '')}",
                               "STUB_LOG": str(log), **env})
    argv = log.with_suffix(".argv").read_text(encoding="utf-8") if log.with_suffix(".argv").exists() else ""
    return proc, argv


def test_the_elasticsearch_health_check_keeps_the_password_off_every_command_line(tmp_path: Path) -> None:
    test = SERVICES["elasticsearch"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    proc, argv = _run_stubbed(_shell(test[1]), tmp_path, {"ELASTIC_PASSWORD": "hunter2-health-0123456789"})
    assert proc.returncode == 0, proc.stderr
    assert "hunter2-health" not in argv and "-K -" in argv
    assert 'user = "elastic:hunter2-health-0123456789"' in (tmp_path / "curl.stdin").read_text(encoding="utf-8")


ES_INIT_SECRETS = {"ELASTIC_PASSWORD": "elastic-pw-0123456789abcdef", "KIBANA_PASSWORD": "kibana-pw-0123456789abcdef",
                   "KIBANA_ENCRYPTION_KEY": "kibana-key-0123456789abcdef0123456789",
                   "MONITOR_ES_PASSWORD": "writer-pw-0123456789abcdef", "MONITOR_INDEX_PREFIX": "monitor"}


def _es_init_script() -> str:
    return _shell(SERVICES["es-init"]["command"][-1])


def test_es_init_sends_no_password_on_a_command_line(tmp_path: Path) -> None:
    proc, argv = _run_stubbed(_es_init_script(), tmp_path, ES_INIT_SECRETS)
    assert proc.returncode == 0, proc.stderr
    assert argv.count("-K") == 3
    for name in STACK_SECRETS:
        if name in ES_INIT_SECRETS:  # the workspace's secret is not es-init's
            assert ES_INIT_SECRETS[name] not in argv + proc.stdout + proc.stderr, f"{name} on a command line or printed"
    stdin = (tmp_path / "curl.stdin").read_text(encoding="utf-8")
    assert ES_INIT_SECRETS["KIBANA_PASSWORD"] in stdin and ES_INIT_SECRETS["MONITOR_ES_PASSWORD"] in stdin


@pytest.mark.parametrize("name, value", [
    ("ELASTIC_PASSWORD", "change-me-elastic-password"),
    ("MONITOR_ES_PASSWORD", "short"),
    ("KIBANA_ENCRYPTION_KEY", "only-twenty-characters"),
])
def test_es_init_refuses_a_placeholder_or_short_secret(tmp_path: Path, name: str, value: str) -> None:
    proc, argv = _run_stubbed(_es_init_script(), tmp_path, {**ES_INIT_SECRETS, name: value})
    assert proc.returncode == 1
    assert name in proc.stderr and argv == ""


def _writer_role() -> dict[str, Any]:
    script = _es_init_script()
    body = re.search(r"_security/role/monitor_writer\" --data-binary @- <<EOF\n(.*?)\n\s*EOF", script, re.S)
    assert body, "es-init should PUT the monitor_writer role from a here-document"
    return dict(json.loads(body.group(1).replace("${MONITOR_INDEX_PREFIX}", "monitor")))


def test_the_crawlers_role_reads_and_writes_documents_of_its_indices_only() -> None:
    """``read``: search, count, get, point in time; ``index``: bulk index and update (upserts) of
    documents; ``delete``: documents past retention and a person's on request (``monitor forget``);
    ``auto_configure``: the month's posts index that the first post of a month creates
    through the template. No ``manage``, ``delete_index``, ``create_index``, template or
    ILM privilege: those are ``monitor setup``'s and ILM's, run as ``elastic``."""
    role = _writer_role()
    assert role["cluster"] == ["monitor"]  # read-only: cluster health and whether the templates exist
    (indices,) = role["indices"]
    assert indices["names"] == ["monitor-*"]
    assert sorted(indices["privileges"]) == ["auto_configure", "delete", "index", "read"]
