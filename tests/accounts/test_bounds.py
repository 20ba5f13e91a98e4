"""Login and password change bound their text fields: a username longer than
the user model allows or a password over 128 characters is a form error with
a Chinese message — never a 500, never a login attempt (no lockout count), and
never handed to a password hasher."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from zhiben.accounts.forms import PASSWORD_MAX_LENGTH, USERNAME_MAX_LENGTH
from zhiben.audit.models import AuditEvent
from zhiben.core.testing import PASSWORD
from zhiben.org.models import User

pytestmark = pytest.mark.django_db

MEGABYTE = "A" * (1024 * 1024)
NEW_PASSWORD = "Another#Pass99"


@pytest.fixture
def hashed(monkeypatch) -> list[int]:
    """The lengths of the passwords the (test) hasher was given."""
    lengths: list[int] = []
    encode = MD5PasswordHasher.encode

    def spy(self, password, salt):
        lengths.append(len(password))
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", spy)
    return lengths


def _login(username: str, password: str):
    return Client().post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="192.0.2.10")


def test_the_bounds():
    assert USERNAME_MAX_LENGTH == User._meta.get_field("username").max_length == 150
    assert PASSWORD_MAX_LENGTH == 128


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (MEGABYTE, PASSWORD),
        ("t_officer", MEGABYTE),
        (MEGABYTE, MEGABYTE),
        ("u" * (USERNAME_MAX_LENGTH + 1), PASSWORD),
        ("t_officer", "P@ss" * 32 + "x"),  # 129 characters
    ],
)
def test_oversized_login_is_a_form_error(users, hashed, username, password):
    response = _login(username, password)
    assert response.status_code == 200
    page = response.content.decode()
    assert "账号或密码过长：账号不超过 150 个字符，密码不超过 128 个字符。" in page
    assert MEGABYTE not in page  # the posted username is not echoed back whole
    assert hashed == []  # not authenticated: nothing hashed
    assert not AccessAttempt.objects.exists()  # and no lockout count
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()


def test_login_at_the_bounds_is_still_a_login_attempt(users, hashed):
    response = _login("u" * USERNAME_MAX_LENGTH, "P@ss" * 32)  # 150 and 128 characters
    assert response.status_code == 200 and "账号或密码错误" in response.content.decode()
    assert hashed and max(hashed) == PASSWORD_MAX_LENGTH  # the unknown user's timing hash ran
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()
    assert _login("t_officer", PASSWORD).status_code == 302


def test_login_page_sets_maxlength():
    page = Client().get("/accounts/login/").content.decode()
    assert f'maxlength="{USERNAME_MAX_LENGTH}"' in page and f'maxlength="{PASSWORD_MAX_LENGTH}"' in page


@pytest.mark.parametrize("field", ["old_password", "new_password", "new_password2"])
def test_oversized_password_change_is_a_form_error(users, hashed, field):
    client = Client()
    client.force_login(users["officer"])
    data = {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD, field: MEGABYTE}
    before = User.objects.get(pk=users["officer"].pk).password
    hashed.clear()
    response = client.post("/accounts/password/", data)
    assert response.status_code == 422  # the page's answer to an invalid form
    page = response.content.decode()
    assert "密码不能超过 128 个字符" in page and MEGABYTE not in page
    assert hashed == []
    assert User.objects.get(pk=users["officer"].pk).password == before


def test_password_change_within_the_bound_still_works(users):
    client = Client()
    client.force_login(users["officer"])
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=users["officer"].pk).check_password(NEW_PASSWORD)


def test_an_oversized_bearer_token_is_refused_without_a_lookup(users, django_assert_max_num_queries):
    from zhiben.accounts.services import token_authenticate, token_create

    _, full = token_create(actor=users["officer"], name="对接", days=30)
    assert token_authenticate(full) == users["officer"]
    with django_assert_max_num_queries(0):
        assert token_authenticate(full + "A" * 100_000) is None
        assert token_authenticate("zb_" + "k" * 5_000 + "_secret") is None
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer zb_" + "k" * 5_000 + "_s")
    assert response.status_code == 401
