"""A hook that calls sys.exit(3), and one that raises KeyboardInterrupt itself."""

import sys

from aspire_models import hookimpl


@hookimpl
def aspire_frameworks():  # type: ignore[no-untyped-def]
    sys.exit(3)


@hookimpl
def aspire_norms():  # type: ignore[no-untyped-def]
    raise KeyboardInterrupt
