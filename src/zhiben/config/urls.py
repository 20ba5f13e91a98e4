from django.contrib import admin
from django.urls import include, path

from zhiben.api import routers  # noqa: F401  (mounts the routers)
from zhiben.api.base import api

urlpatterns = [
    path("accounts/", include("zhiben.accounts.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
    path("inbox/", include("zhiben.notify.urls")),
    path("delivery/", include("zhiben.delivery.urls")),
    path("imports/", include("zhiben.imports.urls")),
    path("", include("zhiben.plans.urls")),
    path("", include("zhiben.registry.urls")),
    path("", include("zhiben.inspections.urls")),
    path("", include("zhiben.tips.urls")),
    path("", include("zhiben.transport.urls")),
    path("", include("zhiben.traffic.urls")),
    path("", include("zhiben.construction.urls")),
    path("", include("zhiben.civildefence.urls")),
    path("", include("zhiben.hazards.urls")),
    path("", include("zhiben.org.urls")),
    path("", include("zhiben.audit.urls")),
    path("", include("zhiben.web.urls")),
]

handler400 = "zhiben.web.views.error_400"
handler403 = "zhiben.web.views.error_403"
handler404 = "zhiben.web.views.error_404"
handler500 = "zhiben.web.views.error_500"
