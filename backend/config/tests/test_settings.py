"""Production settings: refuse dev secrets with DEBUG off, and pass `check --deploy`.

Each case runs in a subprocess because settings are read once, at import.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.cache import cache

from testing.processes import python_run

BACKEND_DIR = Path(__file__).resolve().parents[2]
MANAGE_PY = BACKEND_DIR.parent / "manage.py"
# Everything settings.py reads that could leak in from the developer's shell.
_SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "FIELD_ENCRYPTION_KEY",
    "TIKTOK_CLIENT_KEY",
    "TIKTOK_CLIENT_SECRET",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_SETTINGS_MODULE",
    "UPLOAD_STORAGE",
    "UPLOAD_S3_BUCKET",
    "UPLOAD_S3_ENDPOINT_URL",
    "UPLOAD_S3_REGION",
}


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        TIKTOK_CLIENT_KEY="prod-client-key",
        TIKTOK_CLIENT_SECRET=secrets.token_urlsafe(24),
        ALLOWED_HOSTS="example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",  # only parsed here: nothing connects to it
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v}  # an empty override means "unset"


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return python_run("import django; django.setup()", env, check=False)


def test_debug_off_without_secrets_refuses_to_start_naming_secret_key() -> None:
    env = _production_env(
        SECRET_KEY="",
        JWT_SIGNING_KEY="",
        FIELD_ENCRYPTION_KEY="",
        TIKTOK_CLIENT_KEY="",
        TIKTOK_CLIENT_SECRET="",
    )

    result = _django_setup(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "variable",
    [
        "JWT_SIGNING_KEY",
        "FIELD_ENCRYPTION_KEY",
        "TIKTOK_CLIENT_KEY",
        "TIKTOK_CLIENT_SECRET",
    ],
)
def test_debug_off_refuses_each_remaining_dev_secret(variable: str) -> None:
    result = _django_setup(_production_env(**{variable: ""}))

    assert result.returncode != 0
    assert variable in result.stderr.splitlines()[-1]


def test_debug_off_with_every_secret_set_starts() -> None:
    result = _django_setup(_production_env())

    assert result.returncode == 0, result.stderr


def test_debug_off_refuses_jwt_key_equal_to_secret_key() -> None:
    key = secrets.token_urlsafe(64)

    result = _django_setup(_production_env(SECRET_KEY=key, JWT_SIGNING_KEY=key))

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY" in result.stderr.splitlines()[-1]


def test_check_deploy_passes_with_production_like_env() -> None:
    result = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, str(MANAGE_PY), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BACKEND_DIR.parent,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_shared_cache_refuses_to_start() -> None:
    result = _django_setup(_production_env(REDIS_URL=""))
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


def test_uploads_are_files_under_the_data_directory_by_default(tmp_path) -> None:
    script = (
        "import django; django.setup(); from django.core.files.storage import storages;"
        "s = storages['uploads']; print(type(s).__name__, s.location)"
    )

    result = python_run(
        script, _production_env(DATA_DIR=str(tmp_path), UPLOAD_STORAGE=""), check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"FileSystemStorage {tmp_path / 'uploads'}"


def test_upload_storage_s3_is_the_bucket_its_variables_name() -> None:
    s3 = {"UPLOAD_STORAGE": "s3", "UPLOAD_S3_ENDPOINT_URL": "http://127.0.0.1:9000"}
    script = (
        "import django; django.setup(); from django.core.files.storage import storages;"
        "s = storages['uploads']; c = s.transfer_config;"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.region_name, s.location,"
        " s.default_acl, s.file_overwrite, c.multipart_threshold, c.use_threads)"
    )
    env = _production_env(**s3, UPLOAD_S3_BUCKET="videos", UPLOAD_S3_REGION="eu-west-3")

    result = python_run(script, env, check=False)

    assert result.returncode == 0, result.stderr
    expected = "S3Storage videos http://127.0.0.1:9000 eu-west-3 uploads private False"
    assert result.stdout.strip() == f"{expected} {5 * 1024**3} False"
    refused = _django_setup(_production_env(**s3))
    assert "UPLOAD_S3_BUCKET" in refused.stderr.splitlines()[-1]


@pytest.mark.parametrize("entry_point", ["wsgi", "asgi"])
def test_entry_points_find_the_source_root_without_pythonpath(entry_point: str) -> None:
    # From the repository root, as a server would load them, with no PYTHONPATH at all.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", *_SETTINGS_VARIABLES}}
    script = (
        f"import runpy; app = runpy.run_path('backend/config/{entry_point}.py')['application'];"
        "print(type(app).__name__)"
    )
    result = python_run(script, env, check=False, cwd=BACKEND_DIR.parent)
    assert result.returncode == 0, result.stderr
    assert "Handler" in result.stdout


def test_a_sqlite_test_run_has_a_file_cache_of_its_own() -> None:
    # Every test starts with cache.clear(): on the directory a `make run` of the same checkout
    # uses, it would empty that server's OAuth states, and theirs ours (backend/conftest.py).
    if not settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
        pytest.skip("a shared Redis cache: runs are apart by their Redis database and prefix")
    run_dir = Path(settings.DATA_DIR) / "cache" / f"test-run-{os.getpid()}"

    cache.set("whose", "this run's")

    assert settings.CACHES["default"]["LOCATION"] == str(run_dir)
    assert any(run_dir.iterdir())  # where the backend really writes
