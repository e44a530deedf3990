"""A hook that never returns and keeps a processor busy (an endless loop)."""

from aspire_models import hookimpl


@hookimpl
def aspire_instruments():  # type: ignore[no-untyped-def]
    n = 0
    while True:
        n += 1
