"""The one exception type the plan parser raises."""


class PlanParseError(ValueError):
    """The input cannot be read as a plan document.

    The message is in Chinese and meant to be shown to the person who
    uploaded the file (e.g. "文件为空", "无法识别的文件内容……").
    """
