"""`zhiben demo`: demo accounts for every role across departments and 街道,
and a few units, created through the same services as production.

The units come from the app that keeps them (registry) through its
``demo_units`` AppConfig hook: org sits below registry and does not import it.

Idempotent: existing accounts and units are kept as they are.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from zhiben.core.management.commands.setup import reference_loaders
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User
from zhiben.org.services import user_bootstrap_admin, user_create

DEMO_PASSWORD = "Zhiben@2024"

# (username, display name, role, organization code, index into the demo units or None, title)
DEMO_USERS = [
    ("admin", "王安委", Role.DISTRICT_ADMIN, "hk-awb", None, "区安委办主任"),
    ("swj_leader", "李商务", Role.DEPT_LEADER, "hk-swj", None, "分管副主任"),
    ("swj_officer", "张市场", Role.DEPT_OFFICER, "hk-swj-scglk", None, "市场管理科科员"),
    ("jgw_officer", "赵建管", Role.DEPT_OFFICER, "hk-jgw", None, "安全监督员"),
    ("sthjj_officer", "钱生态", Role.DEPT_OFFICER, "hk-sthjj-fsyjk", None, "辐射与应急管理科科员"),
    ("gdb_officer", "孙国动", Role.DEPT_OFFICER, "hk-gdb-fhgck", None, "防护工程科科员"),
    ("gafj_officer", "刘交警", Role.DEPT_OFFICER, "hk-gafj", None, "交警支队民警"),
    ("wjw_officer", "何卫健", Role.DEPT_OFFICER, "hk-wjw-yjglk", None, "应急管理科科员"),
    ("lhsrj_officer", "许市容", Role.DEPT_OFFICER, "hk-lhsrj-srk", None, "市容科科员"),
    ("kw_officer", "冯科经", Role.DEPT_OFFICER, "hk-kw", None, "产业园区安全管理"),
    ("street_scbl", "周街道", Role.STREET_OFFICER, "hk-scbl", None, "平安办安全干事"),
    ("street_jwz", "吴街道", Role.STREET_OFFICER, "hk-jwz", None, "平安办安全干事"),
    ("qiye_bwt", "郑企业", Role.ENTERPRISE, "hk-swj", 0, "安全管理员"),
    ("qiye_jianshe", "冯企业", Role.ENTERPRISE, "hk-jgw", 2, "项目安全员"),
    ("expert", "陈专家", Role.EXPERT, "hk-jgw", None, "第三方安全专家"),
    ("readonly", "褚只读", Role.READONLY, "hk-sthjj", None, "督查员"),
]


def _demo_units_hook():
    """The ``demo_units`` hook of the app that keeps units: (organization codes
    it needs, a function creating the units and returning them in order)."""
    for config in apps.get_app_configs():
        hook = getattr(config, "demo_units", None)
        if callable(hook):
            return hook()
    raise CommandError("没有提供演示单位的应用（zhiben.registry 未安装）")


class Command(BaseCommand):
    help = "创建演示账号与演示数据（可重复执行，已有数据保持不变）"

    def handle(self, *args, **options):
        for _, loader in reference_loaders():  # demo data needs the reference data
            loader()
        orgs = {o.code: o for o in Organization.objects.all()}
        unit_orgs, create_units = _demo_units_hook()
        needed = {u[3] for u in DEMO_USERS} | set(unit_orgs)
        missing = needed - set(orgs)
        if missing:
            raise CommandError(f"参考数据缺少组织：{', '.join(sorted(missing))}")

        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = user_bootstrap_admin(username="admin", password=DEMO_PASSWORD, display_name="王安委")

        units = create_units(actor=admin, organizations=orgs)

        created = 0
        for username, display_name, role, org_code, unit_index, title in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                continue
            user_create(
                actor=admin,
                username=username,
                password=DEMO_PASSWORD,
                display_name=display_name,
                organization=orgs[org_code],
                role=role,
                unit=units[unit_index] if unit_index is not None else None,
                title=title,
            )
            created += 1

        # Each app adds its own demo content through AppConfig.demo_data()
        # (idempotent, through the services), in INSTALLED_APPS order.
        extras = []
        for config in apps.get_app_configs():
            hook = getattr(config, "demo_data", None)
            if callable(hook):
                extras.append(f"{config.verbose_name}：{hook()}")
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪（本次新建账号 {created} 个；{'；'.join(extras)}）。演示账号（密码均为 {DEMO_PASSWORD}）："
            )
        )
        for username, display_name, role, org_code, unit_index, _ in DEMO_USERS:
            where = orgs[org_code].display_name + (f" / {units[unit_index].name}" if unit_index is not None else "")
            self.stdout.write(f"  {username:<14} {Role(role).label:<8} {display_name}  {where}")
