"""The user API reaches a membership's unit through the foreign key (org does not import registry)."""

from zhiben.audit.models import AuditEvent
from zhiben.org.models import Membership, User


def _payload(orgs, unit_id):
    return {
        "username": "qiye_new",
        "password": "Hongkou#2024x",
        "display_name": "企业新人",
        "organization_id": orgs["hk-swj"].pk,
        "role": "enterprise",
        "unit_id": unit_id,
    }


def test_admin_creates_an_enterprise_user_of_a_unit(users, orgs, units, login):
    response = login(users["admin"]).post(
        "/api/v1/users", data=_payload(orgs, units["commerce"].pk), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    membership = Membership.objects.get(user__username="qiye_new")
    assert membership.unit == units["commerce"]
    assert AuditEvent.objects.filter(action="user.create", object_id=str(response.json()["id"])).count() == 1


def test_an_unknown_unit_is_404_and_nothing_is_created(users, orgs, units, login):
    response = login(users["admin"]).post(
        "/api/v1/users", data=_payload(orgs, units["construction"].pk + 1000), content_type="application/json"
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="qiye_new").exists()
