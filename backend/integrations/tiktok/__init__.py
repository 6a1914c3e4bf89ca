"""TikTok's HTTP APIs as typed clients (Login Kit/Display, Content Posting), their errors and
the app-wide request budget: used by every app that talks to TikTok, importing none of them."""
