from apps.posts.tests.fixtures import clock, enqueued, link_account, make_post

__all__ = ["clock", "enqueued", "link_account", "make_post"]
