"""The admin lists workspaces with their members and roles; invitations without token hash."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.audit.services import RequestMeta
from apps.workspaces.access import WorkspaceAccess
from apps.workspaces.invitations import invitation_create
from apps.workspaces.models import Role
from testing.factories import TikTokAccountFactory
from testing.workspaces import make_team

pytestmark = pytest.mark.django_db

WORKSPACES = reverse("admin:workspaces_workspace_changelist")


def test_a_workspace_page_shows_its_members_and_their_roles(admin_client: Client) -> None:
    team = make_team()

    page = admin_client.get(reverse("admin:workspaces_workspace_change", args=[team.workspace.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    for role in Role:
        assert team.member(role).username in html
    assert "Owner" in html
    assert "Viewer" in html
    assert 'name="name"' not in html  # read-only
    assert admin_client.get(reverse("admin:workspaces_workspace_add")).status_code == 403


def _listed(admin_client: Client, **query: str) -> set[str]:
    return {w.name for w in admin_client.get(WORKSPACES, query).context["cl"].result_list}


def test_workspaces_are_searched_by_name_and_filtered_by_kind(admin_client: Client) -> None:
    make_team("Acme social team")
    make_team("Bistro creators")

    assert _listed(admin_client, q="bistro") == {"Bistro creators"}
    assert _listed(admin_client, personal="no") == {"Acme social team", "Bistro creators"}
    assert _listed(admin_client, personal="yes") == {"Personal"}
    html = admin_client.get(WORKSPACES, {"personal": "no"}).content.decode()
    assert '<td class="field-members">4</td>' in html


def test_invitations_are_shown_without_their_token_or_its_hash(admin_client: Client) -> None:
    team = make_team()
    created = invitation_create(
        access=WorkspaceAccess(team.workspace.id, team.owner.pk, Role.OWNER),
        role=Role.EDITOR,
        meta=RequestMeta(),
    )
    stored_hash = created.invitation.token_hash

    listing = admin_client.get(reverse("admin:workspaces_invitation_changelist")).content.decode()
    detail = admin_client.get(
        reverse("admin:workspaces_invitation_change", args=[created.invitation.pk])
    ).content.decode()

    assert team.workspace.name in listing
    for html in (listing, detail):
        assert stored_hash not in html
        assert created.token not in html
        assert "token_hash" not in html


def test_a_workspace_links_to_what_it_holds_each_list_filtered_by_it(admin_client) -> None:
    mine, theirs = TikTokAccountFactory(), TikTokAccountFactory()
    workspace = mine.workspace
    page = admin_client.get(reverse("admin:workspaces_workspace_change", args=[workspace.pk]))
    html = page.content.decode()
    for changelist in ("tiktok_accounts_tiktokaccount", "posts_post", "jobs_job", "audit_auditlog"):
        link = f"{reverse(f'admin:{changelist}_changelist')}?workspace__id__exact={workspace.pk}"
        assert link in html
        assert admin_client.get(link).status_code == 200
    accounts = admin_client.get(
        f"{reverse('admin:tiktok_accounts_tiktokaccount_changelist')}"
        f"?workspace__id__exact={workspace.pk}"
    ).content.decode()
    assert mine.username in accounts
    assert theirs.username not in accounts
