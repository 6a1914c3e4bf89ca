from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "apps.posts"
    verbose_name = "Posts to TikTok"

    def ready(self) -> None:
        from apps.posts.webhook_handlers import POST_EVENTS, post_publish
        from apps.webhooks.registry import webhook_handler_register

        webhook_handler_register(*POST_EVENTS, handler=post_publish)
