"""The README's "Post a file" walkthrough, run as written (bash and curl) against a live
server: the file it uploads is the file the fake TikTok receives."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from apps.posts import publisher
from apps.posts.models import Post
from testing.http import bearer_header
from testing.posts import stored_files

MIB = 1024 * 1024


README = Path(__file__).resolve().parents[4] / "README.md"


def _readme_commands() -> str:
    """The shell block of the README's "Post a file" section, as written."""
    section = README.read_text().split("\n## Post a file\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```bash\n", 1)[1].split("\n```", 1)[0]


@pytest.mark.django_db(transaction=True)
def test_the_readme_posts_a_file_with_curl(
    live_server, user, link_account, fake_tiktok, upload_dir, tmp_path
) -> None:
    account, _ = link_account(user)
    data = random.Random(8).randbytes(3 * MIB + 5)
    (tmp_path / "clip.mp4").write_bytes(data)
    commands = _readme_commands().replace("<account_id>", str(account.id)).splitlines()
    split = next(i for i, line in enumerate(commands) if " -X PUT " in line)
    env = {
        "PATH": os.environ["PATH"],
        "API": f"{live_server.url}/api",
        "ACCESS": bearer_header(user)["Authorization"].removeprefix("Bearer "),
    }

    def run(lines: list[str]) -> str:
        done = subprocess.run(  # noqa: S603 (the README's own commands, on loopback)
            ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],  # noqa: S607
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    created = json.loads(run(commands[:split]))
    assert (created["status"], created["upload"]["total_chunks"]) == ("awaiting_upload", 1)
    rest = [line.replace("<post_id>", created["id"]) for line in commands[split:]]
    answers = run([commands[0], *rest]).replace("}{", "}\n{").splitlines()

    assert json.loads(answers[0]) == {"received_bytes": len(data), "complete": True}
    assert json.loads(answers[1])["status"] == "scheduled"
    publisher.post_publish(post_id=Post.objects.get().pk)
    post = Post.objects.get()
    assert fake_tiktok.content.received(post.publish_id) == data
    assert stored_files(upload_dir) == []
