from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhiben.org"
    label = "org"
    verbose_name = "组织与用户"

    def ready(self) -> None:
        from zhiben.core.scoping import ScopeRoles, register_roles

        from .choices import Role

        def values(*roles: Role) -> frozenset[str]:
            return frozenset(role.value for role in roles)  # plain strings, as stored on Membership.role

        # core/scoping.py decides scope from these; it does not import org.
        register_roles(
            ScopeRoles(
                everything=values(Role.DISTRICT_ADMIN),
                org_subtree=values(Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.READONLY, Role.EXPERT),
                street=values(Role.STREET_OFFICER),
                unit=values(Role.ENTERPRISE),
                view_only=values(Role.READONLY, Role.EXPERT),
            )
        )

    def reference_data(self):
        from .services import organizations_load_file

        def load() -> str:
            result = organizations_load_file()
            return f"新增 {result.created}，更新 {result.updated}，新增别名 {result.aliases}"

        return [("组织机构", load)]
