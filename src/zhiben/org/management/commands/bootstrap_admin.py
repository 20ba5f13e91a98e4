"""`zhiben bootstrap_admin --username NAME`: the first 区安委办管理员 of a new
installation. The password is asked for, or read from ZHIBEN_ADMIN_PASSWORD."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from zhiben.core.errors import ServiceError
from zhiben.org.services import user_bootstrap_admin


class Command(BaseCommand):
    help = "新部署时创建第一个区安委办管理员（已有管理员时拒绝）"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--display-name", default="区安委办管理员")

    def handle(self, *args, username: str, display_name: str, **options):
        password = os.environ.get("ZHIBEN_ADMIN_PASSWORD") or getpass.getpass("密码：")
        try:
            user = user_bootstrap_admin(username=username, password=password, display_name=display_name)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"已创建区安委办管理员 {user.username}。首次登录后请启用双因素认证。"))
