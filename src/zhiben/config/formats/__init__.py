"""Locale format overrides (``FORMAT_MODULE_PATH``).

Django's zh-hans formats list ``%Y/%m/%d`` first, and a widget renders its value
with the first input format. Browsers' ``<input type="date">`` only accept
``yyyy-MM-dd`` (and ``datetime-local`` only ``yyyy-MM-ddTHH:mm``): a value in
any other shape shows as an empty field, and saving the form then erases the
date. Only the input formats are overridden; display formats stay Django's.
"""
