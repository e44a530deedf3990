from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from aspire_models import Registry

settings.register_profile("default", deadline=None, max_examples=60)
settings.register_profile("ci", deadline=None, max_examples=100)
settings.load_profile("default")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def core() -> Registry:
    """Built-ins only: no installed plugins (isolated from the environment)."""
    return Registry(entry_points=False)


@pytest.fixture()
def fresh_core() -> Registry:
    return Registry(entry_points=False)


def minimal_framework(**overrides: Any) -> dict[str, Any]:
    src = {"document": "notes.txt", "section": "1"}
    doc: dict[str, Any] = {
        "id": "demo",
        "name": "Demo",
        "version": "1",
        "publisher": "Us",
        "description": "A demo framework.",
        "source": src,
        "kinds": [{"id": "value", "name": "Value"}],
        "elements": [
            {
                "id": "trust",
                "name": "Trust",
                "kind": "value",
                "definition": "Being trusted.",
                "definition_status": "paraphrased",
                "source": src,
            },
            {
                "id": "bravery",
                "name": "Bravery",
                "kind": "value",
                "definition": None,
                "definition_status": "not-given",
                "source": src,
            },
        ],
    }
    doc.update(overrides)
    return copy.deepcopy(doc)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
