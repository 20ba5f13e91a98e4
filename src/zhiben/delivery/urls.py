from django.urls import path

from . import views

app_name = "delivery"

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("webhooks/", views.subscriptions, name="subscriptions"),
    path("webhooks/new/", views.subscription_create, name="subscription_create"),
    path("webhooks/<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("webhooks/<int:pk>/edit/", views.subscription_edit, name="subscription_edit"),
    path("webhooks/<int:pk>/test/", views.subscription_test, name="subscription_test"),
    path("webhooks/<int:pk>/enable/", views.subscription_enable, name="subscription_enable"),
    path("webhooks/<int:pk>/rotate/", views.subscription_rotate, name="subscription_rotate"),
]
