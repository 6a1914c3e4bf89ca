"""The fake TikTok's users: their profiles, and which scope unlocks which profile field."""

from __future__ import annotations

from dataclasses import dataclass

from testing.fake_tiktok import content

SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "user.info.basic": (
        "open_id",
        "union_id",
        "avatar_url",
        "avatar_url_100",
        "avatar_large_url",
        "display_name",
    ),
    "user.info.profile": ("bio_description", "profile_deep_link", "is_verified", "username"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
FIELD_SCOPE = {name: scope for scope, names in SCOPE_FIELDS.items() for name in names}
SCOPES = (*SCOPE_FIELDS, *sorted({name for names in content.SCOPES.values() for name in names}))

# Profiles that exercise unicode end to end: usernames, display names, emoji.
_DEMO_PROFILES = (
    ("café_crème", "Café Crème ☕"),
    ("tokyo.eats", "東京グルメ"),
    ("zoë_dances", "Zoë Dances 💃"),
    ("münchen_bikes", "München Bikes"),
    ("el_niño_surf", "El Niño 🌊"),
    ("seoul_vibes", "서울 바이브"),
)


@dataclass
class Identity:
    """A TikTok user the fake can log in as; mutate the counts to simulate growth."""

    open_id: str
    username: str
    display_name: str
    union_id: str = ""
    avatar_url: str = ""
    avatar_url_100: str = ""
    avatar_large_url: str = ""
    bio_description: str = ""
    profile_deep_link: str = ""
    is_verified: bool = False
    follower_count: int = 0
    following_count: int = 0
    likes_count: int = 0
    video_count: int = 0

    def __post_init__(self) -> None:
        avatar = f"https://fake-tiktok.invalid/avatar/{self.open_id}"
        self.union_id = self.union_id or f"union-{self.open_id}"
        self.avatar_url = self.avatar_url or f"{avatar}.jpeg"
        self.avatar_url_100 = self.avatar_url_100 or f"{avatar}-100.jpeg"
        self.avatar_large_url = self.avatar_large_url or f"{avatar}-large.jpeg"
        self.profile_deep_link = (
            self.profile_deep_link or f"https://fake-tiktok.invalid/@{self.open_id}"
        )


def demo_identity(number: int) -> Identity:
    if number <= len(_DEMO_PROFILES):
        username, display_name = _DEMO_PROFILES[number - 1]
    else:
        username, display_name = f"demo_creator_{number:04d}", f"Demo Creator {number}"
    followers = number * 7919 % 250_000
    return Identity(
        open_id=f"fake-open-id-{number:04d}",
        username=username,
        display_name=display_name,
        bio_description=f"Demo account #{number}, served by the fake TikTok.",
        is_verified=number % 10 == 0,
        follower_count=followers,
        following_count=number * 13 % 2_000,
        likes_count=followers * 9,
        video_count=number * 3 % 400,
    )
