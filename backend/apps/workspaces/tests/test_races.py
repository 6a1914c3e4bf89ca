"""Races on real concurrent transactions: one token, two callers; two owners, one step down.

Threads on PostgreSQL (row locks, READ COMMITTED); SQLite serialises writers, so the same
tests there only check the outcome.
"""

from __future__ import annotations

import pytest

from apps.audit.services import RequestMeta
from apps.core.errors import InvalidInvitation, LastOwner
from apps.workspaces import invitations, services
from apps.workspaces.access import WorkspaceAccess
from apps.workspaces.models import Invitation, Membership, Role
from testing.factories import UserFactory
from testing.posts import race
from testing.workspaces import join, make_team

pytestmark = pytest.mark.django_db(transaction=True)

META = RequestMeta()


def _access(workspace, user, role: Role) -> WorkspaceAccess:
    return WorkspaceAccess(workspace.id, user.pk, role)


@pytest.mark.parametrize("attempt", range(5))
def test_two_callers_racing_with_one_token_exactly_one_joins(attempt: int) -> None:
    team = make_team()
    created = invitations.invitation_create(
        access=_access(team.workspace, team.owner, Role.OWNER), role=Role.EDITOR, meta=META
    )
    first, second = UserFactory(), UserFactory()

    results = race(
        lambda: invitations.invitation_accept(user=first, token=created.token, meta=META),
        lambda: invitations.invitation_accept(user=second, token=created.token, meta=META),
    )

    refused = [r for r in results if isinstance(r, InvalidInvitation)]
    joined = [r for r in results if isinstance(r, Invitation)]
    assert (len(joined), len(refused)) == (1, 1), results
    newcomers = Membership.objects.filter(workspace=team.workspace, user__in=[first, second])
    assert newcomers.count() == 1
    assert Invitation.objects.get(id=created.invitation.id).used_by_id == newcomers.get().user_id


@pytest.mark.parametrize("attempt", range(5))
def test_two_owners_stepping_down_at_once_leave_one_owner(attempt: int) -> None:
    team = make_team()
    second = UserFactory()
    join(team.workspace, second, Role.OWNER)

    def step_down(user) -> object:
        return services.member_role_change(
            access=_access(team.workspace, user, Role.OWNER),
            user_id=user.pk,
            role=Role.VIEWER,
            meta=META,
        )

    results = race(lambda: step_down(team.owner), lambda: step_down(second))

    assert sum(isinstance(r, LastOwner) for r in results) == 1, results
    owners = Membership.objects.filter(workspace=team.workspace, role=Role.OWNER)
    assert owners.count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_two_owners_leaving_at_once_leave_one_owner(attempt: int) -> None:
    team = make_team()
    second = UserFactory()
    join(team.workspace, second, Role.OWNER)

    def leave(user) -> None:
        services.member_remove(
            access=_access(team.workspace, user, Role.OWNER), user_id=user.pk, meta=META
        )

    results = race(lambda: leave(team.owner), lambda: leave(second))

    assert sum(isinstance(r, LastOwner) for r in results) == 1, results
    assert Membership.objects.filter(workspace=team.workspace, role=Role.OWNER).count() == 1
