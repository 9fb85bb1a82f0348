"""Settings: .env.example lists exactly what they read; production refuses to start without its
secrets; importing them starts no server and writes no file."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import REPO

SETTINGS = REPO / "intellisession" / "settings.py"
ENV_EXAMPLE = REPO / ".env.example"
READERS = {"env_str", "env_bool", "env_int", "env_list", "os.environ.get", "os.getenv", "is_development"}
# Variables read inside a helper rather than by a call with the name in settings.py.
READ_BY_HELPERS = {"is_development": ["DEBUG", "DATABASE_URL"]}


def settings_reads() -> dict[str, ast.expr | None]:
    """Each variable settings.py reads, with the default expression of its first read."""
    reads: dict[str, ast.expr | None] = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        environ = isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
        if environ and isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            reads.setdefault(str(node.slice.value), None)
        if not isinstance(node, ast.Call) or ast.unparse(node.func) not in READERS:
            continue
        name = ast.unparse(node.func)
        for helper_read in READ_BY_HELPERS.get(name, []):
            reads.setdefault(helper_read, None)
        if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            reads.setdefault(node.args[0].value, node.args[1] if len(node.args) > 1 else None)
    return reads


def example_values() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match[1]] = re.split(r"\s+#", match[2], maxsplit=1)[0].strip()
    return values


def as_env_value(default: ast.expr) -> str | None:
    """A literal default as it is written in .env.example; None when it is computed from other settings."""
    if any(isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.IfExp) for node in ast.walk(default)):
        return None
    value = eval(compile(ast.Expression(default), "<default>", "eval"), {"__builtins__": {}})  # noqa: S307 - literals
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def test_env_example_lists_every_variable_the_settings_read() -> None:
    read, listed = set(settings_reads()), set(example_values())
    assert len(read) > 50, "the settings parser found too few variables; did settings.py change its helpers?"
    assert not read - listed, f"read by settings.py but missing from .env.example: {sorted(read - listed)}"
    assert not listed - read, f"in .env.example but read by no setting: {sorted(listed - read)}"


def test_env_example_shows_each_literal_default() -> None:
    listed = example_values()
    wrong = {}
    for name, default in settings_reads().items():
        expected = as_env_value(default) if default is not None else ""
        # Empty in the example means "the default"; a value written there must be that default.
        if expected is not None and listed[name] not in ("", expected):
            wrong[name] = (listed[name], expected)
    assert not wrong, f".env.example value, settings default: {wrong}"
    assert listed["DEBUG"] == "false" and listed["LLM_MODEL"] == "gpt-4o-mini"


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """Production: DEBUG off and a DATABASE_URL, with both secrets, unless `changes` removes one (None)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_DATABASE_NAME")}
    env.update(DEBUG="false", DATA_DIR=str(tmp_path / "data"), DATABASE_URL=os.environ["DATABASE_URL"],
               REDIS_URL=os.environ["REDIS_URL"], SECRET_KEY="x" * 60,
               FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode())  # fmt: skip
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'intellisession.settings'; django.setup()"


def test_production_settings_start_with_both_secrets(tmp_path: Path) -> None:
    result = run_python(SETUP + "; print('started')", production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_production_settings_without_a_secret_refuse_to_start(tmp_path: Path, missing: str) -> None:
    result = run_python(SETUP, production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert f"ImproperlyConfigured: {missing} is not set" in last_line
    if missing == "FIELD_ENCRYPTION_KEYS":
        assert "Fernet.generate_key()" in last_line  # says how to make one
    assert not (tmp_path / "data").exists(), "production must never create a secret of its own"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_manage_py_in_production_names_the_missing_secret_in_one_line(tmp_path: Path, missing: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, capture_output=True, text=True,
                            env=production_env(tmp_path, **{missing: ""}), timeout=120)  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"Configuration error: {missing} is not set")
    assert len(result.stderr.strip().splitlines()) == 1


def test_importing_settings_starts_no_server_and_writes_no_file(tmp_path: Path) -> None:
    """As mypy's Django plugin does: development (no DATABASE_URL), nothing prepared."""
    env = production_env(tmp_path, DEBUG=None, DATABASE_URL=None, REDIS_URL=None, SECRET_KEY=None,
                         FIELD_ENCRYPTION_KEYS=None)  # fmt: skip
    code = SETUP + "; from django.conf import settings; print(settings.DEVELOPMENT, settings.DATA_DIR)"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", str(tmp_path / "data")]
    assert list(tmp_path.iterdir()) == [], "importing the settings wrote files"


def test_development_secrets_come_from_the_data_folder_and_production_never_makes_one() -> None:
    from django.conf import settings

    from intellisession import devservices

    # The test run is development: its keys are the ones kept in its data folder.
    assert devservices.uses_development_field_key(settings.DATA_DIR, settings.FIELD_ENCRYPTION_KEYS)
    assert devservices.is_development_secret(settings.DATA_DIR, settings.SECRET_KEY)
    source = SETTINGS.read_text()
    assert "generate_key" not in source.replace("Fernet.generate_key().decode())'", "")
    assert "devservices" not in source, "settings must not start servers or create secrets"
