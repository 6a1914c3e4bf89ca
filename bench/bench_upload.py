"""A large file posted by upload: client -> service (PUT chunks) -> fake TikTok (FILE_UPLOAD).

Prints the peak RSS (VmHWM) of the service's web process (`manage.py runserver --noreload`,
one process) that took the chunks, and of the worker process that pushed them to TikTok, next
to their peak after a tiny upload (the baseline): memory must stay flat whatever the size. It
checks that the fake received exactly the bytes sent (SHA-256). Everything runs on loopback,
on a throw-away SQLite database and upload directory in a temporary directory:

    .venv/bin/python bench/bench_upload.py                # 1 GiB
    .venv/bin/python bench/bench_upload.py --size-mib 64  # quicker
    .venv/bin/python bench/bench_upload.py --storage s3   # UPLOAD_STORAGE=s3, on moto's server
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="bench-upload-"))
sys.path.insert(0, str(ROOT / "backend"))
os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(WORK), LOG_LEVEL="WARNING")
os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from testing.accounts import fake_grant  # noqa: E402
from testing.factories import TikTokAccountFactory, UserFactory  # noqa: E402
from testing.fake_tiktok import FakeTikTok  # noqa: E402
from testing.http import bearer_header  # noqa: E402

BLOCK = 1024 * 1024
PUBLISH = """
from apps.posts import publisher
publisher.post_publish(post_id={post_id!r})
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(line.split()[1])
"""


class FileSlice:
    """`length` bytes of an open file from `first`, read in blocks by requests."""

    def __init__(self, file, first: int, length: int) -> None:  # noqa: ANN001
        self._file, self._first, self._left, self._length = file, first, length, length
        self._file.seek(first)

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        block = self._file.read(min(self._left, BLOCK if size < 0 else size))
        self._left -= len(block)
        return block


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as file:
        for number in range(0, size, BLOCK):
            block = hashlib.sha256(str(number).encode()).digest() * (BLOCK // 32)
            block = block[: min(BLOCK, size - number)]
            digest.update(block)
            file.write(block)
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_files_left() -> int:
    return len(list((WORK / "uploads").glob("*")))


def s3_bucket() -> tuple[dict[str, str], Callable[[], int]]:
    """moto's S3 server in this process (whose memory is not measured) with an empty bucket;
    the variables that point the service at it, and how many objects the bucket holds."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    env = {
        "UPLOAD_STORAGE": "s3",
        "UPLOAD_S3_BUCKET": "bench-uploads",
        "UPLOAD_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "UPLOAD_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    client = boto3.client(
        "s3",
        endpoint_url=env["UPLOAD_S3_ENDPOINT_URL"],
        region_name=env["UPLOAD_S3_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=env["UPLOAD_S3_BUCKET"])
    return env, lambda: client.list_objects_v2(Bucket=env["UPLOAD_S3_BUCKET"])["KeyCount"]


def upload(base: str, headers: dict[str, str], account_id: str, path: Path) -> tuple[str, float]:
    size = path.stat().st_size
    body = {"source": "upload", "video_size": size, "privacy_level": "SELF_ONLY"}
    created = requests.post(
        f"{base}/api/accounts/{account_id}/posts", json=body, headers=headers, timeout=30
    )
    created.raise_for_status()
    post = created.json()
    chunk, count = post["upload"]["chunk_size"], post["upload"]["total_chunks"]
    started = time.perf_counter()
    with path.open("rb") as file:
        for index in range(count):
            first = index * chunk
            last = size - 1 if index == count - 1 else first + chunk - 1
            answer = requests.put(
                f"{base}{post['upload']['url']}",
                data=FileSlice(file, first, last - first + 1),
                headers={**headers, "Content-Range": f"bytes {first}-{last}/{size}"},
                timeout=60,
            )
            answer.raise_for_status()
    return post["id"], time.perf_counter() - started


def publish(post_id: str, env: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", "shell", "-c", PUBLISH.format(post_id=post_id)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1]), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--storage", choices=["local", "s3"], default="local")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    fake = FakeTikTok(
        client_key=settings.TIKTOK_CLIENT_KEY, client_secret=settings.TIKTOK_CLIENT_SECRET
    )
    fake.start()
    user = UserFactory()
    with override_settings(TIKTOK_API_BASE_URL=fake.base_url):
        person = fake.add_identity(open_id=f"bench-upload-{os.getpid()}")
        grant = fake_grant(fake, person.open_id)
    account = TikTokAccountFactory(
        user=user,
        open_id=person.open_id,
        access_token=grant["access_token"],
        refresh_token=grant["refresh_token"],
        scopes=list(settings.TIKTOK_SCOPES),
    )
    env = {**os.environ, "TIKTOK_API_BASE_URL": fake.base_url, "RATE_LIMIT_POST": "100/m"}
    objects_left = local_files_left
    if args.storage == "s3":
        s3_env, objects_left = s3_bucket()
        env.update(s3_env)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, headers = f"http://127.0.0.1:{port}", bearer_header(user)
    try:
        for _ in range(200):
            try:
                requests.get(f"{base}/api/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        small, big = WORK / "small.bin", WORK / "big.bin"
        make_file(small, 1024 * 1024)
        digest = make_file(big, args.size_mib * BLOCK)
        small_id, _ = upload(base, headers, str(account.id), small)
        web_base = peak_kib(server.pid)
        worker_base, _ = publish(small_id, env)
        big_id, up_seconds = upload(base, headers, str(account.id), big)
        web_peak = peak_kib(server.pid)
        worker_peak, push_seconds = publish(big_id, env)
    finally:
        server.terminate()
        server.wait(timeout=10)
    from apps.posts.models import Post

    received = fake.content.upload_state(Post.objects.get(pk=big_id).publish_id)
    assert received["sha256"] == digest, "the fake received other bytes than were sent"
    left = objects_left()
    mib = args.size_mib
    print(
        f"upload of {mib} MiB in {received['total_chunk_count']} chunks: client -> service "
        f"{up_seconds:.1f} s ({mib / up_seconds:.0f} MiB/s), service -> fake TikTok "
        f"{push_seconds:.1f} s; bytes at TikTok identical (SHA-256); {left} stored chunks left "
        f"({args.storage} store)\n"
        f"peak RSS of the web process: {web_base / 1024:.0f} MiB after a 1 MiB upload, "
        f"{web_peak / 1024:.0f} MiB after {mib} MiB\n"
        f"peak RSS of the worker process: {worker_base / 1024:.0f} MiB pushing 1 MiB, "
        f"{worker_peak / 1024:.0f} MiB pushing {mib} MiB"
    )
    fake.stop()


if __name__ == "__main__":
    main()
