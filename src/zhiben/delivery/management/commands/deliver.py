"""``zhiben deliver``: queue and send due e-mails and webhook deliveries now
(what ``zhiben tick`` does for delivery), by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhiben.delivery import tick


class Command(BaseCommand):
    help = "发送到期的邮件与事件推送（Webhook）"

    def handle(self, *args, **options):
        result = tick.run()
        self.stdout.write("；".join(f"{key}={value}" for key, value in result.items()))
