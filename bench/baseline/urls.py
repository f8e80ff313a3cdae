from django.urls import path

from dsar.root_urls import urlpatterns as portal_urlpatterns

from .views import bare

urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *portal_urlpatterns]
