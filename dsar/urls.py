from django.urls import include, path

from . import views

app_name = "dsar"

public = [
    path("", views.landing, name="landing"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("request/", views.request_form, name="request"),
    path("request/sent/", views.request_sent, name="request_sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("status/", views.status, name="status"),
    path("status/open/<str:token>/", views.status_open, name="status_open"),
    path("status/link/", views.status_link, name="status_link"),
    path("status/link/sent/", views.status_link_sent, name="status_link_sent"),
    path("status/reply/", views.status_reply, name="status_reply"),
    path("status/signout/", views.status_signout, name="status_signout"),
    path("status/code/", views.download_code_send, name="download_code"),
    path("status/code/check/", views.download_code_check, name="download_code_check"),
    path("status/download/<int:response_id>/<str:what>/", views.download, name="download"),
]

urlpatterns = [
    path("<slug:tenant_slug>/", include(public)),
]
