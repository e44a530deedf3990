"""A hook that never returns (blocks forever, as on a network call with no timeout)."""

import threading

from aspire_models import hookimpl


@hookimpl
def aspire_frameworks():  # type: ignore[no-untyped-def]
    threading.Event().wait()  # never set
    return []
