"""zh-hans input formats: ISO first (what ``<input type="date">`` needs), the
Chinese shapes still accepted when typed or imported."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-07, the only value a date input accepts
    "%Y/%m/%d",  # 2026/12/07
    "%Y年%m月%d日",  # 2026年12月7日
    "%Y.%m.%d",  # 2026.12.07
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # datetime-local
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
]
