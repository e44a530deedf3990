"""Privacy helpers: pseudonymising respondent identifiers with a keyed hash.

HR survey data is personal data. :func:`pseudonymise` replaces every respondent id (and any
id quoted in a rejection) with ``HMAC-SHA256(key, id)``, truncated to 16 hex characters, so
the same person gets the same pseudonym across files scored with the same key, while the id
cannot be recovered without the key. Keep the key out of the data and the results.

>>> from aspire_models.privacy import pseudonym
>>> pseudonym(b"secret", "E12345") == pseudonym(b"secret", "E12345") != pseudonym(b"other", "E12345")
True
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from aspire_models.responses import ResponseSet

__all__ = ["pseudonym", "pseudonymise"]

_ID_FIELDS = frozenset({"respondent_id"})


def pseudonym(key: bytes, identifier: str, length: int = 16) -> str:
    """Keyed hash of one identifier (hex, ``length`` characters)."""
    if not key:
        raise ValueError("a pseudonymisation key must not be empty")
    return hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def pseudonymise(responses: ResponseSet, key: bytes) -> ResponseSet:
    """The same responses with respondent ids replaced by keyed hashes, including ids quoted in
    rejection reasons (their messages are rewritten to quote the pseudonym)."""
    import pyarrow as pa

    from aspire_models.responses import Rejection

    ids = [pseudonym(key, str(i)) for i in responses.ids.to_pylist()]
    rejected = []
    for rej in responses.rejected:
        problems = []
        for p in rej.problems:
            if p.field in _ID_FIELDS and p.value is not None:
                alias = pseudonym(key, str(p.value))
                p = attrs.evolve(p, value=alias, message=p.message.replace(repr(p.value), repr(alias)))
            problems.append(p)
        rejected.append(Rejection(rej.row, tuple(problems)))
    return attrs.evolve(responses, ids=pa.array(ids, type=pa.string()), rejected=tuple(rejected))
