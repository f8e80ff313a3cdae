from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from dsar.job_health import job_health_admin_view

urlpatterns = [
    path("admin/jobs/", job_health_admin_view, name="job_health"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("dsar.urls")),
]
