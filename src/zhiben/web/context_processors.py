from .navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from zhiben.notify.models import Notification

    return {
        "nav_groups": menu_for(user, request.path),
        "unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
    }
