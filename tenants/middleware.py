"""Times are stored in UTC and shown in the organisation's time zone."""

import zoneinfo

from django.utils import timezone

from .models import Membership


class StaffTimeZoneMiddleware:
    """Staff of one organisation (or of several in one time zone) read times in that zone; the case
    page narrows it to the case's own organisation. Reset after every request so that no zone leaks
    into the next request served by the same thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff and request.path.startswith("/admin/"):
            zones = set(Membership.objects.filter(user=user).values_list("tenant__time_zone", flat=True).distinct()[:2])
            if len(zones) == 1:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(zones.pop()))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    pass
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
