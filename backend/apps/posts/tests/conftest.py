from apps.posts.tests.fixtures import enqueued, link_account, make_post

__all__ = ["enqueued", "link_account", "make_post"]
