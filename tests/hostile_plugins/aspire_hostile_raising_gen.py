"""A generator hook that yields a valid framework, then raises part-way."""

from aspire_models import hookimpl


def _framework():  # type: ignore[no-untyped-def]
    src = {"document": "notes.txt", "section": "1"}
    return {
        "id": "hostile-partial",
        "name": "Partial",
        "version": "1",
        "publisher": "Nobody",
        "description": "Yielded before the generator fails.",
        "source": src,
        "kinds": [{"id": "value", "name": "Value"}],
        "elements": [
            {
                "id": "x",
                "name": "X",
                "kind": "value",
                "definition": None,
                "definition_status": "not-given",
                "source": src,
            }
        ],
    }


@hookimpl
def aspire_frameworks():  # type: ignore[no-untyped-def]
    yield _framework()
    raise RuntimeError("lost the connection part-way")
