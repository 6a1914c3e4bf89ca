"""An S3 server on loopback (moto's, over real HTTP) and the upload store configured on it
exactly as settings.py configures UPLOAD_STORAGE=s3 (config.uploads.s3_upload_storage)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from moto.server import ThreadedMotoServer
from pytest_django.fixtures import Settings

from apps.posts.upload_store import upload_storage
from config.uploads import s3_upload_storage
from testing.processes import free_port

BUCKET = "tta-uploads"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One server for the whole run (a thread of this process); its endpoint URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_uploads(
    s3_endpoint: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[], list[str]]:
    """Uploads stored in a new, empty bucket of the S3 server; gives the keys the bucket
    holds, relative to the store's `uploads/` (so a key elsewhere shows whole)."""
    requests.post(f"{s3_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    # boto3 reads its credentials itself: test ones, and nothing of the developer's ~/.aws
    # nor any instance metadata service.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": s3_upload_storage(bucket=BUCKET, endpoint_url=s3_endpoint, region="us-east-1"),
    }
    storage = upload_storage()
    client = storage.connection.meta.client
    client.create_bucket(Bucket=BUCKET)
    prefix = f"{storage.location}/"

    def keys() -> list[str]:
        listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return sorted(item["Key"].removeprefix(prefix) for item in listed)

    return keys
