"""Staff login hardening and response headers: two-factor admin site, lockout backend, client IP,
private-by-default caching and the staff idle timeout. See SECURITY.md for the threat model."""

import base64
import time
from io import StringIO
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, user_login_failed
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core import checks
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_KEY = "dsar_otp_pending"
SETUP_KEY = "dsar_otp_setup_device"
RECOVERY_KEY = "dsar_otp_recovery_codes"
LAST_SEEN_KEY = "dsar_staff_last_seen"
RECOVERY_CODE_COUNT = 10


# --- Client IP and lockout --------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address. Behind TRUSTED_PROXY_COUNT proxies, the address the outermost trusted
    proxy saw, taken from the right of X-Forwarded-For: entries further left are client-supplied."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for web logins. Without a request (manage.py, the test client's
    login()) there is no client to lock out, so the check steps aside instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# --- Two-factor admin site --------------------------------------------------------------------


def otp_required() -> bool:
    return getattr(settings, "OTP_REQUIRED", True)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


def _safe_next(request, default):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


class StaffAdminSite(admin.AdminSite):
    """The Django admin, where staff with OTP_REQUIRED on log in with a password and then a code.

    The session only becomes a logged-in one after both factors: between the two steps it holds just
    the pending user id, so no view that checks `is_authenticated` ever sees a half-logged-in user.
    """

    login_template = "admin/login.html"
    site_header = "DSAR portal"
    site_title = "DSAR portal"
    index_title = "Privacy requests"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not otp_required() or request.user.is_verified()

    def get_urls(self):
        urls = [
            path("two-factor/", self.admin_view_plain(self.two_factor), name="two_factor"),
            path("two-factor/setup/", self.admin_view_plain(self.two_factor_setup), name="two_factor_setup"),
            path("two-factor/recovery-codes/", self.admin_view_plain(self.recovery_codes), name="recovery_codes"),
            path(
                "two-factor/new-recovery-codes/",
                self.admin_view(self.new_recovery_codes),
                name="new_recovery_codes",
            ),
        ]
        return urls + super().get_urls()

    def admin_view_plain(self, view):
        """Views of the login flow: no permission check (the user is not logged in yet)."""
        return never_cache(sensitive_post_parameters("code")(view))

    # Step 1: password (django-axes counts failures through the authentication backend).
    @method_decorator(sensitive_post_parameters())
    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if not otp_required():
            return super().login(request, extra_context)
        index = reverse("admin:index", current_app=self.name)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(index)
        form = AdminAuthenticationForm(request, data=request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            user = form.get_user()
            if request.user.is_authenticated:
                auth_logout(request)  # a password-only session from before must not linger
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": _safe_next(request, index),
                "failures": 0,
            }
            request.session.pop(SETUP_KEY, None)
            return redirect("admin:two_factor" if user_has_device(user) else "admin:two_factor_setup")
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "form": form,
            "username": request.user.get_username(),
            "next": _safe_next(request, ""),
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.login_template or "admin/login.html", context)

    def _pending_user(self, request):
        pending = request.session.get(PENDING_KEY)
        if not pending:
            return None, None
        if time.time() - pending["at"] > settings.OTP_LOGIN_MINUTES * 60:
            request.session.pop(PENDING_KEY, None)
            return None, None
        user = get_user_model().objects.filter(pk=pending["user"], is_active=True, is_staff=True).first()
        return user, pending

    def _count_failure(self, request, user, pending):
        """A wrong code counts against the attempt budget, and as a failed login for django-axes."""
        pending["failures"] += 1
        request.session[PENDING_KEY] = pending
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        if pending["failures"] >= settings.OTP_MAX_ATTEMPTS:
            request.session.pop(PENDING_KEY, None)
            return True
        return False

    def _finish_login(self, request, user, pending, device):
        request.session.pop(PENDING_KEY, None)
        request.session.pop(SETUP_KEY, None)
        auth_login(request, user, backend=pending["backend"])
        otp_login(request, device)

    def _restart(self, request, message):
        from django.contrib import messages

        messages.error(request, message)
        return redirect("admin:login")

    # Step 2: a code from the authenticator app, or a recovery code.
    def two_factor(self, request):
        user, pending = self._pending_user(request)
        if user is None:
            return self._restart(request, _("Your sign-in expired. Please enter your password again."))
        if not user_has_device(user):
            return redirect("admin:two_factor_setup")
        form = CodeForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            device = match_token(user, form.cleaned_data["code"])
            if device is not None:
                self._finish_login(request, user, pending, device)
                return HttpResponseRedirect(pending["next"])
            if self._count_failure(request, user, pending):
                return self._restart(request, _("Too many wrong codes. Please sign in again."))
            form.add_error("code", _("This code is not valid. Check the time on your phone, or use a recovery code."))
        return self._render(request, "otp/verify.html", {"form": form, "title": _("Two-factor authentication")})

    # Enrolment at the first login of a staff user without a device.
    def two_factor_setup(self, request):
        user, pending = self._pending_user(request)
        if user is None:
            return self._restart(request, _("Your sign-in expired. Please enter your password again."))
        if user_has_device(user):
            return redirect("admin:two_factor")
        device = TOTPDevice.objects.filter(pk=request.session.get(SETUP_KEY), user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
            request.session[SETUP_KEY] = device.pk
        form = CodeForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["code"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                request.session[RECOVERY_KEY] = issue_recovery_codes(user)
                self._finish_login(request, user, pending, device)
                return redirect("admin:recovery_codes")
            if self._count_failure(request, user, pending):
                return self._restart(request, _("Too many wrong codes. Please sign in again."))
            form.add_error("code", _("This code is not valid. Check the time on your phone and try again."))
        return self._render(
            request,
            "otp/setup.html",
            {
                "form": form,
                "title": _("Set up two-factor authentication"),
                "qr_svg": qr_svg(totp_url(device)),
                "secret": totp_secret(device),
            },
        )

    # Recovery codes are shown once, right after they are made.
    def recovery_codes(self, request):
        codes = request.session.pop(RECOVERY_KEY, None)
        if not codes or not request.user.is_authenticated:
            return redirect("admin:index")
        return self._render(
            request,
            "otp/recovery_codes.html",
            {"codes": codes, "title": _("Your recovery codes"), "next": reverse("admin:index", current_app=self.name)},
        )

    def new_recovery_codes(self, request):
        if request.method != "POST":
            return self._render(request, "otp/new_recovery_codes.html", {"title": _("New recovery codes")})
        request.session[RECOVERY_KEY] = issue_recovery_codes(request.user)
        return redirect("admin:recovery_codes")

    def _render(self, request, template, context):
        request.current_app = self.name
        return TemplateResponse(request, template, {**self.each_context(request), **context})


def issue_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with fresh single-use ones; returns them for showing once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def totp_secret(device) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_url(device) -> str:
    label = f"{settings.OTP_TOTP_ISSUER}:{device.user.get_username()}"
    query = urlencode({"secret": totp_secret(device), "issuer": settings.OTP_TOTP_ISSUER, "digits": device.digits,
                       "period": device.step})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(data: str) -> str:
    """An inline SVG QR code, drawn here: the secret never goes to a third-party QR service."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = StringIO()
    buffer.write(image.to_string(encoding="unicode"))
    return mark_safe(buffer.getvalue())


# --- Middleware -------------------------------------------------------------------------------


class PrivateByDefaultMiddleware:
    """`Cache-Control: no-store` on every response that does not set its own caching, and always
    on the admin: pages here show personal data, which must not stay in browser or proxy caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if request.path.startswith("/admin/") or not cache_control:
            if "no-store" not in cache_control:
                response["Cache-Control"] = ", ".join(filter(None, [cache_control, "no-store", "private"]))
        return response


class StaffIdleTimeoutMiddleware:
    """Logs staff out after STAFF_IDLE_MINUTES without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.STAFF_IDLE_MINUTES * 60:
                auth_logout(request)
            elif last_seen is None or now - last_seen > 60:
                # Written at most once a minute, to spare the session store.
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


# --- Deployment checks (manage.py check --deploy) ---------------------------------------------


@checks.register(checks.Tags.security, deploy=True)
def check_production_secrets(app_configs, **kwargs):
    problems = []
    if not settings.FILE_ENCRYPTION_KEYS:
        problems.append(
            checks.Warning(
                "FILE_ENCRYPTION_KEYS is empty: identity documents are encrypted with a key derived from SECRET_KEY.",
                hint="Set FILE_ENCRYPTION_KEYS to a Fernet key (see SECURITY.md), so that rotating one secret "
                "does not make the other's data unreadable.",
                id="dsar.W001",
            )
        )
    if not settings.OTP_REQUIRED:
        problems.append(
            checks.Warning(
                "OTP_REQUIRED is off: staff log in with a password alone.",
                hint="Unset OTP_REQUIRED (it defaults to on when DEBUG is off).",
                id="dsar.W002",
            )
        )
    return problems
