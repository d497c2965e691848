"""The officer-role helper as a matrix: every role × every permission, own and other agency."""

import pytest
from django.contrib.auth.models import AnonymousUser

from portal import selectors
from portal.constants import OfficerPermission as P
from portal.constants import OfficerRole as R
from tests.factories import AgencyFactory, OfficerMembershipFactory, UserFactory

# The rules, written out independently of portal.constants so that a change there must be
# a deliberate change here too.
EXPECTED = {
    R.RECEPTION: {P.VIEW_DOSSIERS, P.RECEIVE, P.COUNTER_INTAKE, P.RETURN_RESULT},
    R.SPECIALIST: {P.VIEW_DOSSIERS, P.PROCESS},
    R.DEPARTMENT_HEAD: {P.VIEW_DOSSIERS, P.ASSIGN, P.REVIEW, P.ISSUE_APOLOGY, P.VIEW_STATS},
    R.LEADER: {P.VIEW_DOSSIERS, P.ASSIGN, P.APPROVE, P.ISSUE_APOLOGY, P.VIEW_STATS},
    R.AGENCY_ADMIN: {P.VIEW_DOSSIERS, P.MANAGE_AGENCY, P.VIEW_STATS},
}

MATRIX = [(role, perm) for role in R for perm in P]


def test_expected_table_covers_every_role():
    assert set(EXPECTED) == set(R)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "permission"), MATRIX, ids=[f"{r.value}-{p.value}" for r, p in MATRIX])
def test_officer_can_matrix(role, permission):
    own, other = AgencyFactory(), AgencyFactory()
    user = OfficerMembershipFactory(role=role, agency=own).user
    expected = permission in EXPECTED[role]

    assert selectors.officer_can(user=user, agency_id=own.pk, permission=permission) is expected
    assert selectors.officer_can(user=user, agency_id=other.pk, permission=permission) is False
    assert selectors.officer_agency_ids(user=user, permission=permission) == ({own.pk} if expected else set())
    assert (user in selectors.users_with_permission(agency_id=own.pk, permission=permission)) is expected
    assert user not in selectors.users_with_permission(agency_id=other.pk, permission=permission)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(R))
def test_inactive_membership_grants_nothing(role):
    membership = OfficerMembershipFactory(role=role, is_active=False)
    user, agency = membership.user, membership.agency
    assert selectors.officer_permissions(user=user, agency_id=agency.pk) == frozenset()
    assert selectors.officer_agency_ids(user=user) == set()
    assert selectors.user_is_officer(user) is False
    assert not any(selectors.officer_can(user=user, agency_id=agency.pk, permission=p) for p in P)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(R))
def test_inactive_user_grants_nothing(role):
    membership = OfficerMembershipFactory(role=role, user=UserFactory(is_active=False))
    agency = membership.agency
    assert not any(selectors.officer_can(user=membership.user, agency_id=agency.pk, permission=p) for p in P)
    assert selectors.officer_agency_ids(user=membership.user) == set()
    assert list(selectors.users_with_permission(agency_id=agency.pk, permission=P.VIEW_DOSSIERS)) == []


@pytest.mark.django_db
def test_inactive_agency_grants_nothing():
    membership = OfficerMembershipFactory(role=R.LEADER, agency=AgencyFactory(is_active=False))
    assert not selectors.officer_can(user=membership.user, agency_id=membership.agency_id, permission=P.APPROVE)
    assert selectors.officer_agency_ids(user=membership.user) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("permission", list(P))
def test_anonymous_and_citizen_may_do_nothing(permission):
    agency = AgencyFactory()
    for user in (AnonymousUser(), UserFactory()):
        assert selectors.officer_can(user=user, agency_id=agency.pk, permission=permission) is False
        assert selectors.officer_agency_ids(user=user, permission=permission) == set()
    assert selectors.user_is_officer(AnonymousUser()) is False
    assert selectors.user_is_officer(None) is False


@pytest.mark.django_db
def test_roles_in_several_agencies_are_kept_apart():
    first, second = AgencyFactory(), AgencyFactory()
    user = OfficerMembershipFactory(role=R.RECEPTION, agency=first).user
    OfficerMembershipFactory(role=R.LEADER, agency=second, user=user)
    OfficerMembershipFactory(role=R.SPECIALIST, agency=second, user=user)

    assert selectors.officer_can(user=user, agency_id=first.pk, permission=P.RECEIVE)
    assert not selectors.officer_can(user=user, agency_id=first.pk, permission=P.APPROVE)
    # Permissions are the union of the roles held in that agency.
    assert selectors.officer_permissions(user=user, agency_id=second.pk) == frozenset(
        EXPECTED[R.LEADER] | EXPECTED[R.SPECIALIST]
    )
    assert not selectors.officer_can(user=user, agency_id=second.pk, permission=P.RECEIVE)
    assert selectors.officer_agency_ids(user=user) == {first.pk, second.pk}
    assert selectors.officer_agency_ids(user=user, permission=P.APPROVE) == {second.pk}
    assert selectors.officer_agency_ids(user=user, permission=P.RECEIVE) == {first.pk}


@pytest.mark.django_db
def test_permission_accepts_plain_strings():
    membership = OfficerMembershipFactory(role=R.RECEPTION)
    assert selectors.officer_can(user=membership.user, agency_id=membership.agency_id, permission="receive")
    assert not selectors.officer_can(user=membership.user, agency_id=membership.agency_id, permission="no-such")
