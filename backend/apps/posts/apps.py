from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "apps.posts"
    verbose_name = "Posts to TikTok"
