from django.urls import path

from . import views

app_name = "tips"

urlpatterns = [
    # Public (no login)
    path("report/", views.report, name="report"),
    path("report/track/", views.track, name="track"),
    # For staff to print (login)
    path("report/qr/<str:code>.svg", views.site_qr, name="site_qr"),
    path("report/qr/<str:code>.png", views.site_qr, {"fmt": "png"}, name="site_qr_png"),
    # Staff
    path("tips/", views.tip_list, name="list"),
    path("tips/new/", views.tip_create, name="create"),
    path("tips/<int:pk>/", views.tip_detail, name="detail"),
    path("tips/<int:pk>/do/<str:name>/", views.tip_action, name="action"),
    path("tips/<int:pk>/rewards/", views.tip_reward, name="reward"),
    path("tips/<int:pk>/photos/<int:photo_id>/", views.tip_photo, name="photo"),
    path("tips/<int:pk>/photos/<int:photo_id>/thumb/", views.tip_photo, {"variant": "thumb"}, name="photo_thumb"),
]
