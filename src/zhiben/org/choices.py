from zhiben.core.choices import ColoredChoices


class OrgKind(ColoredChoices):
    DISTRICT = "district", "区"
    OFFICE = "office", "议事协调机构办公室"
    DEPARTMENT = "department", "委办局"
    SECTION = "section", "科室/直属单位"
    STREET = "street", "街道"
    EXTERNAL = "external", "外部单位"

    __colors__ = {
        "district": "dark",
        "office": "danger",
        "department": "primary",
        "section": "info",
        "street": "success",
        "external": "secondary",
    }


class Role(ColoredChoices):
    DISTRICT_ADMIN = "district_admin", "区安委办管理员"
    DEPT_LEADER = "dept_leader", "部门领导"
    DEPT_OFFICER = "dept_officer", "部门经办人"
    STREET_OFFICER = "street_officer", "街道经办人"
    ENTERPRISE = "enterprise", "企业用户"
    EXPERT = "expert", "第三方专家"
    READONLY = "readonly", "只读"

    __colors__ = {
        "district_admin": "danger",
        "dept_leader": "primary",
        "dept_officer": "info",
        "street_officer": "success",
        "enterprise": "warning",
        "expert": "secondary",
        "readonly": "light",
    }
