"""The posts fixtures (testing.posts): `enqueued` is autouse, so only posts tests load them."""

from testing.posts import clock, enqueued, make_post, stored_chunks, upload_dir

__all__ = ["clock", "enqueued", "make_post", "stored_chunks", "upload_dir"]
