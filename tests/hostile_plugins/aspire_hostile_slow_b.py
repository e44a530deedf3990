"""A slow hook: takes far longer than any plugin time budget (a second one: slow_b)."""

import time

from aspire_models import hookimpl


@hookimpl
def aspire_frameworks():  # type: ignore[no-untyped-def]
    time.sleep(3600)
    return []
