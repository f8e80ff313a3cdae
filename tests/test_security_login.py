"""Staff login: two-factor (TOTP + recovery codes), enrolment, lockout, idle timeout, client IP."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dsar import security

from .conftest import PASSWORD

LOGIN = "/admin/login/"


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED = True
    # Django-otp slows down guesses after a failure; tests that follow a wrong code with a right one
    # would otherwise wait a second.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    return settings


def totp_now(device, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def password_step(client, username="alice", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def enrol(client, user):
    """Run the first-login enrolment; returns (device, recovery codes)."""
    response = password_step(client, user.username)
    assert response.status_code == 302 and response["Location"] == reverse("admin:two_factor_setup")
    client.get(reverse("admin:two_factor_setup"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(reverse("admin:two_factor_setup"), {"code": totp_now(device)})
    assert response["Location"] == reverse("admin:recovery_codes")
    page = client.get(reverse("admin:recovery_codes")).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    return device, codes


def logged_in(client):
    return SESSION_KEY in client.session


def test_it_does_not_log_in_with_the_password_alone(client, alice, otp_on):
    response = password_step(client)
    assert response.status_code == 302
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302


def test_it_enrols_a_staff_user_without_a_device_and_shows_recovery_codes_once(client, alice, otp_on):
    response = password_step(client)
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "otpauth" not in page  # QR drawn locally, URL not leaked as text
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert security.totp_secret(device) in page

    response = client.post(reverse("admin:two_factor_setup"), {"code": "000000" if totp_now(device) != "000000" else "111111"})
    assert "not valid" in response.content.decode()
    assert not logged_in(client)

    response = client.post(reverse("admin:two_factor_setup"), {"code": totp_now(device)})
    assert logged_in(client)
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    assert len(codes) == security.RECOVERY_CODE_COUNT
    assert client.get(reverse("admin:recovery_codes")).status_code == 302  # shown once only
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_it_asks_an_enrolled_user_for_a_code_and_accepts_a_recovery_code_once(client, alice, otp_on):
    device, codes = enrol(client, alice)
    client.logout()

    response = password_step(client)
    assert response["Location"] == reverse("admin:two_factor")
    response = client.post(reverse("admin:two_factor"), {"code": codes[0]})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.logout()

    password_step(client)
    response = client.post(reverse("admin:two_factor"), {"code": codes[0]})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert not logged_in(client)
    assert StaticToken.objects.filter(device__user=alice).count() == security.RECOVERY_CODE_COUNT - 1


def test_it_logs_in_with_a_totp_code(client, alice, otp_on):
    device, _codes = enrol(client, alice)
    client.logout()
    password_step(client)
    response = client.post(reverse("admin:two_factor"), {"code": totp_now(device, offset=1)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_it_refuses_a_session_that_skipped_the_second_factor(client, alice, otp_on):
    client.force_login(alice)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_it_does_not_open_the_code_step_without_the_password_step(client, alice, otp_on):
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    response = client.post(reverse("admin:two_factor"), {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.get(reverse("admin:two_factor_setup")).status_code == 302
    assert not TOTPDevice.objects.filter(user=alice, confirmed=False).exists()


def test_it_restarts_the_login_after_too_many_wrong_codes(client, alice, otp_on):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    password_step(client)
    wrong = "000000" if totp_now(device) != "000000" else "111111"
    for _attempt in range(otp_on.OTP_MAX_ATTEMPTS - 1):
        assert client.post(reverse("admin:two_factor"), {"code": wrong}).status_code == 200
    response = client.post(reverse("admin:two_factor"), {"code": wrong})
    # Either back to the password step, or (as the attempts also reach the lockout limit) locked out.
    assert response.status_code == 429 or response["Location"] == reverse("admin:login")
    # Even the right code is now useless: the password step must be done again.
    response = client.post(reverse("admin:two_factor"), {"code": totp_now(device)})
    assert response["Location"] == LOGIN and not logged_in(client)


def test_it_counts_wrong_codes_towards_the_lockout(client, alice, otp_on):
    from axes.models import AccessAttempt

    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    password_step(client)
    client.post(reverse("admin:two_factor"), {"code": "not-a-code"})
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1


def test_it_does_not_follow_an_offsite_next_after_login(client, alice, otp_on):
    _device, codes = enrol(client, alice)
    client.logout()
    client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    response = client.post(reverse("admin:two_factor"), {"code": codes[0]})
    assert response["Location"] == "/admin/"


def test_it_locks_out_a_username_and_ip_after_repeated_failures(client, alice, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = password_step(client, password="wrong password", REMOTE_ADDR="203.0.113.9")
        assert response.status_code in (200, 429)
    response = password_step(client, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "temporarily locked" in response.content.decode()
    assert not logged_in(client)
    # Another network is not locked out of the same account: attackers cannot lock staff out at will.
    response = password_step(client, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302 and logged_in(client)


def test_it_locks_out_with_two_factor_on_as_well(client, alice, otp_on):
    for _attempt in range(otp_on.AXES_FAILURE_LIMIT):
        password_step(client, password="nope nope nope")
    response = password_step(client)
    assert response.status_code == 429
    assert security.PENDING_KEY not in client.session


def test_it_logs_out_idle_staff(client, alice, settings):
    client.force_login(alice)
    assert client.get("/admin/").status_code == 200
    session = client.session
    session[security.LAST_SEEN_KEY] = time.time() - settings.STAFF_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not logged_in(client)


def test_it_keeps_active_staff_logged_in(client, alice, settings):
    client.force_login(alice)
    session = client.session
    session[security.LAST_SEEN_KEY] = time.time() - settings.STAFF_IDLE_MINUTES * 60 + 120
    session.save()
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2", "10.0.0.2"),  # no proxy: the header is the client's lie
        (1, "1.1.1.1, 203.0.113.5", "10.0.0.2", "203.0.113.5"),  # spoofed left entry ignored
        (2, "1.1.1.1, 203.0.113.5, 10.0.0.9", "10.0.0.2", "203.0.113.5"),
        (1, "", "10.0.0.2", "10.0.0.2"),
    ],
)
def test_it_takes_the_client_ip_from_trusted_proxies_only(settings, proxies, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert security.client_ip(request) == expected


def test_it_validates_passwords_with_djangos_validators(alice):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short1", "password1234", "123456789012", "alice-staff-example"):
        with pytest.raises(ValidationError):
            validate_password(weak, alice)
    validate_password("a long and unusual passphrase 42", alice)


def test_it_does_not_let_a_password_alone_add_a_device_to_an_enrolled_account(client, alice, otp_on):
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    password_step(client)
    response = client.get(reverse("admin:two_factor_setup"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:two_factor")
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_it_forgets_a_password_step_after_a_few_minutes(client, alice, otp_on):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    password_step(client)
    session = client.session
    session[security.PENDING_KEY] = {**session[security.PENDING_KEY], "at": time.time() - otp_on.OTP_LOGIN_MINUTES * 60 - 1}
    session.save()
    response = client.post(reverse("admin:two_factor"), {"code": totp_now(device)})
    assert response["Location"] == LOGIN and not logged_in(client)


def test_it_makes_new_recovery_codes_only_for_a_verified_session(client, alice, otp_on):
    _device, old_codes = enrol(client, alice)
    response = client.post(reverse("admin:new_recovery_codes"))
    new_codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", client.get(response["Location"]).content.decode())
    assert len(new_codes) == security.RECOVERY_CODE_COUNT and not set(new_codes) & set(old_codes)
    assert StaticToken.objects.filter(device__user=alice, token__in=old_codes).count() == 0

    other = Client()
    other.force_login(alice)  # a password-only session
    other.post(reverse("admin:new_recovery_codes"))
    assert set(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True)) == set(new_codes)
