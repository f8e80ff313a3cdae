from django.urls import include, path

from . import views

app_name = "dsar"

public = [
    path("", views.landing, name="landing"),
    path("request/", views.request_form, name="request"),
    path("request/sent/", views.request_sent, name="request_sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("status/", views.status, name="status"),
    path("status/open/<str:token>/", views.status_open, name="status_open"),
]

urlpatterns = [
    path("<slug:tenant_slug>/", include(public)),
]
