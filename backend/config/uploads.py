"""The `uploads` storage (settings.STORAGES): one home for its options, so that the tests that
run the S3 store against a real S3 server configure it exactly as production does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# S3's largest single PUT. Every stored chunk (at most 128 MB: the last chunk is under two)
# goes in one PUT and comes back in one GET: s3transfer's multipart path would hold each 8 MiB
# part in memory, its threads several at once.
SINGLE_PUT_MAX_BYTES = 5 * 1024**3


def local_upload_storage(location: Path | str) -> dict[str, Any]:
    """Files under `location` (DATA_DIR/uploads), in a directory only the service reads."""
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(location), "directory_permissions_mode": 0o700},
    }


def s3_upload_storage(*, bucket: str, endpoint_url: str | None, region: str | None) -> dict:
    """Private objects under `uploads/` in an S3-compatible bucket (django-storages, boto3;
    credentials from boto3's own AWS_* variables or the instance role)."""
    from boto3.s3.transfer import TransferConfig  # the optional `s3` dependency group

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "location": "uploads",
            "default_acl": "private",
            "file_overwrite": False,
            # A chunk read back for TikTok spools to disk past 1 MiB, never whole in memory.
            "max_memory_size": 1024 * 1024,
            # One request at a time, streamed in s3transfer's 256 KiB blocks.
            "transfer_config": TransferConfig(
                multipart_threshold=SINGLE_PUT_MAX_BYTES, use_threads=False
            ),
        },
    }
