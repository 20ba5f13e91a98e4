"""Zhiben (治本): the working platform for a district's 安全生产治本攻坚三年行动."""

__version__ = "0.1.0"
