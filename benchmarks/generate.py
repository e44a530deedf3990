"""Seeded generator of synthetic survey responses for the benchmarks (any size).

Defaults follow the performance issue: respondents x 48 items (eight themes x six items, on
a 1-10 scale; items 1-3 of each theme rated *now* and *future*, so 72 answer columns, see
``bench-instrument.json``), 400 organisations of unequal size, 2% missing answers and 0.1%
invalid rows. Every invalid row breaks exactly one rule, so the expected number of
rejections is known exactly (:attr:`Expected.rejected`).

Invalid rows, in turn: an answer of 0 or 11, a fractional answer (7.5), text in an answer
(``seven``, ``n/a``, ``nan``, ``7 1/2``), a respondent id already used by an earlier valid row of the
same block, a blank organisation, a blank respondent id. A few valid cells use the documented lenient
spellings (`` 7 `` and ``7.0``), so the reader's fallback paths are exercised too.

The same respondents come in three forms: a CSV file (:func:`write_csv`), and typed in-memory
tables (:func:`arrow_table`, :func:`frame`) with float64 answers. A typed column cannot hold
text, so in the typed forms a text answer is the out-of-range number 99 instead: the same
rows are rejected, and the same rows are scored, in all three forms.

Data is made in blocks of :data:`BLOCK` rows, each from its own seeded stream, so any size is
reproducible and memory stays flat while a large CSV is written::

    python benchmarks/generate.py 1000000 /tmp/bench-1m.csv
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
INSTRUMENT = HERE / "bench-instrument.json"
#: the same instrument with 25 open questions (free-text comment columns), for the text-heavy file
TEXT_INSTRUMENT = HERE / "bench-instrument-text.json"
#: the comment columns of TEXT_INSTRUMENT, written after the answer columns
TEXT_COLUMNS = [f"comment-{i:02d}" for i in range(1, 26)]
BLOCK = 100_000
KINDS = ("range", "fraction", "text", "duplicate", "blank-organisation", "blank-id")
TEXT = ("seven", "n/a", "nan", "7 1/2")


def answer_columns() -> list[dict[str, Any]]:
    """The instrument's answer columns, in order: name, element index, mode, reverse-keyed."""
    doc = json.loads(INSTRUMENT.read_text(encoding="utf-8"))
    elements: list[str] = []
    out: list[dict[str, Any]] = []
    for item in doc["items"]:
        if item["element"] not in elements:
            elements.append(item["element"])
        for mode in item.get("modes") or [None]:
            out.append(
                {
                    "name": item["id"] if mode is None else f"{item['id']}.{mode}",
                    "element": elements.index(item["element"]),
                    "mode": mode,
                    "reverse": item.get("reverse", False),
                }
            )
    return out


COLUMNS = answer_columns()
NAMES = ["respondent_id", "organisation", *(c["name"] for c in COLUMNS)]


@dataclass(frozen=True)
class Spec:
    respondents: int = 1_000_000
    organisations: int = 400
    missing: float = 0.02
    invalid: float = 0.001
    seed: int = 20240601
    #: share of cells written with a lenient but valid spelling (CSV form only)
    lenient: float = 1e-4


@dataclass
class Block:
    """One block of rows. ``values`` are typed answers (NaN = missing); ``text`` overrides
    some cells in the CSV form only: ``{column index: (row indices, strings)}``."""

    start: int
    ids: pa.Array
    organisations: pa.Array
    values: np.ndarray[Any, np.dtype[np.float64]]
    text: dict[int, tuple[np.ndarray[Any, np.dtype[np.int64]], list[str]]]
    invalid: int
    #: the invalid rows (indices within the block) and the rule each breaks
    kinds: dict[int, str] | None = None


@dataclass(frozen=True)
class Expected:
    input: int
    rejected: int

    @property
    def accepted(self) -> int:
        return self.input - self.rejected


def _ids(start: int, n: int) -> pa.Array:
    nums = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise("R", pc.utf8_lpad(nums, 9, "0"), "")


def org_labels(spec: Spec) -> list[str]:
    return [f"Council {i:03d}" for i in range(spec.organisations)]


def blocks(spec: Spec) -> Iterator[Block]:
    """The data, block by block (every block is fixed by the seed and its position)."""
    base = np.random.default_rng([spec.seed, 0])
    g = spec.organisations
    weights = base.lognormal(0.0, 1.0, g)  # organisations of unequal size
    weights /= weights.sum()
    org_effect = base.normal(0.0, 0.8, (g, 8))
    level = base.uniform(5.0, 7.5, 8)
    labels = pa.array(org_labels(spec), type=pa.string())
    elem = np.array([c["element"] for c in COLUMNS])
    mode_shift = np.array([1.5 if c["mode"] == "future" else 0.0 for c in COLUMNS])
    reverse = np.array([c["reverse"] for c in COLUMNS])
    k = len(COLUMNS)
    for start in range(0, spec.respondents, BLOCK):
        n = min(BLOCK, spec.respondents - start)
        rng = np.random.default_rng([spec.seed, 1, start])
        org = rng.choice(g, size=n, p=weights)
        person = rng.normal(0.0, 1.0, (n, 1))
        mu = level[elem][None, :] + org_effect[org][:, elem] + mode_shift[None, :] + person
        x = np.clip(np.rint(mu + rng.normal(0.0, 1.3, (n, k))), 1, 10)
        x[:, reverse] = 11 - x[:, reverse]  # reverse-keyed items are answered the other way
        x[rng.random((n, k)) < spec.missing] = np.nan
        ids = _ids(start, n)
        orgs = labels.take(pa.array(org))
        text: dict[int, dict[int, str]] = {}

        def put(row: int, col: int, s: str, cells: dict[int, dict[int, str]] = text) -> None:
            cells.setdefault(col, {})[row] = s  # an invalid text replaces a lenient spelling

        # lenient but valid spellings in about 0.01% of cells (CSV form only)
        for r, c in zip(*np.nonzero(rng.random((n, k)) < spec.lenient), strict=True):
            if not np.isnan(x[r, c]):
                put(int(r), int(c), f" {int(x[r, c])} " if (r + c) % 2 else f"{int(x[r, c])}.0")
        n_bad = round(spec.invalid * n)
        bad = np.sort(rng.choice(n, size=n_bad, replace=False))
        bad_rows = set(bad.tolist())
        blank_org: list[int] = []
        blank_id: list[int] = []
        dup_of: dict[int, int] = {}
        for i, r in enumerate(bad.tolist()):
            kind = KINDS[(start // BLOCK + i) % len(KINDS)]
            c = int(rng.integers(k))
            if kind in ("range", "fraction"):
                x[r, c] = (0.0 if i % 2 else 11.0) if kind == "range" else 7.5
                text.get(c, {}).pop(r, None)  # the invalid number, not a lenient spelling of the old one
            elif kind == "text":
                x[r, c] = 99.0
                put(r, c, TEXT[i % len(TEXT)])
            elif kind == "duplicate":
                # repeat the id of an earlier row of this block that keeps its own id (not
                # an invalid row: its id may be blanked or itself a repeat); none: out of range
                src = int(rng.integers(r)) if r > 0 else -1
                while src >= 0 and src in bad_rows:
                    src -= 1
                if src >= 0:
                    dup_of[r] = start + src
                else:
                    x[r, c] = 11.0
                    text.get(c, {}).pop(r, None)
            elif kind == "blank-organisation":
                blank_org.append(r)
            else:
                blank_id.append(r)
        if dup_of:
            rows = np.array(list(dup_of), dtype=np.int64)
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            ids = pc.replace_with_mask(ids, pa.array(mask), _earlier(list(dup_of.values())))
        if blank_id:
            mask = np.zeros(n, dtype=bool)
            mask[blank_id] = True
            ids = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), ids)
        if blank_org:
            mask = np.zeros(n, dtype=bool)
            mask[blank_org] = True
            orgs = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), orgs)
        frozen = {c: (np.array(list(cells), dtype=np.int64), list(cells.values())) for c, cells in text.items()}
        kinds = {r: KINDS[(start // BLOCK + i) % len(KINDS)] for i, r in enumerate(bad.tolist())}
        yield Block(start, ids, orgs, x, frozen, n_bad, kinds)


def _earlier(rows: list[int]) -> pa.Array:
    return pa.array([f"R{r:09d}" for r in rows], type=pa.string())


def expected(spec: Spec) -> Expected:
    """Input rows and exact number of rejections (every invalid row breaks one rule)."""
    bad = sum(round(spec.invalid * min(BLOCK, spec.respondents - s)) for s in range(0, spec.respondents, BLOCK))
    return Expected(spec.respondents, bad)


def _int_strings(v: np.ndarray[Any, np.dtype[np.float64]]) -> pa.Array:
    """Whole-number answers as text ('7'), non-whole ones as '7.5', NaN as null (blank)."""
    nan = np.isnan(v)
    whole = np.where(nan, 0, v)
    if np.all(whole == np.floor(whole)):
        return pc.cast(pa.array(whole.astype(np.int64), mask=nan), pa.string())
    out = pc.cast(pa.array(v, mask=nan), pa.string())
    return pc.if_else(
        pa.array(whole == np.floor(whole)), pc.cast(pa.array(whole.astype(np.int64), mask=nan), pa.string()), out
    )


WORDS = (
    "team", "manager", "support", "training", "staff", "change", "budget", "service", "council", "workload",
    "communication", "leadership", "pay", "recognition", "career", "values", "trust", "culture", "digital",
    "systems", "policy", "review", "process", "wellbeing", "flexible", "hybrid", "office", "colleagues",
    "customers", "residents", "partners", "plan",
)  # fmt: skip
#: spellings that make a comment need quoting in CSV, or be more than ASCII
SPECIAL = (", and also ", "\nsecond line: ", ' "quoted" ', " caf\u00e9 ", " \u00a3100 ", " don\u2019t ")


def comment_pool(size: int = 4096, seed: int = 7) -> list[str]:
    """Comments of about 50 characters made of common words; about one in five holds a comma,
    an embedded newline, a double quote or a non-ASCII character (so needs quoting in CSV or
    is more than ASCII)."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for i in range(size):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < 46:
            words.append(WORDS[int(rng.integers(len(WORDS)))])
        text = " ".join(words)
        if i % 5 == 0:
            cut = int(rng.integers(5, 40))
            text = text[:cut] + SPECIAL[(i // 5) % len(SPECIAL)] + text[cut:]
        out.append(text.capitalize() + ".")
    return out


def comments(spec: Spec, start: int, n: int, pool: pa.Array) -> list[pa.Array]:
    """The 25 comment columns of one block (2% blank), from a stream of their own, so the
    answers and ids are those of the file without comments."""
    rng = np.random.default_rng([spec.seed, 2, start])
    pick = rng.integers(len(pool), size=(len(TEXT_COLUMNS), n))
    blank = rng.random((len(TEXT_COLUMNS), n)) < spec.missing
    return [pool.take(pa.array(pick[j], mask=blank[j])) for j in range(len(TEXT_COLUMNS))]


def _csv_field(arr: pa.Array) -> pa.Array:
    """Text as a CSV field: quoted (inner quotes doubled) when it holds a comma, a quote or a
    line break; null stays null (an empty field)."""
    needs = pc.match_substring_regex(arr, '[,"\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, arr)


def write_text_csv(path: str | Path, spec: Spec = Spec()) -> Expected:
    """The responses with 25 comment columns after the answers (:data:`TEXT_INSTRUMENT`),
    as a CSV file; comments that hold a comma, a quote or a newline are quoted."""
    pool = pa.array(comment_pool(), type=pa.string())
    names = [*NAMES, *TEXT_COLUMNS]
    with open(path, "wb") as fh:
        fh.write((",".join(names) + "\n").encode())
        for b in blocks(spec):
            texts = [_csv_field(c) for c in comments(spec, b.start, len(b.ids), pool)]
            cols = [b.ids, b.organisations, *_answer_strings(b), *texts]
            lines = pc.binary_join_element_wise(*cols, ",", null_handling="replace")
            fh.write(("\n".join(lines.to_pylist()) + "\n").encode())
    return expected(spec)


def text_table(spec: Spec = Spec()) -> pa.Table:
    """The text-heavy responses as an Arrow table of strings, as a workbook reader gives them
    (answers as text, the CSV form's spellings included)."""
    pool = pa.array(comment_pool(), type=pa.string())
    parts = []
    for b in blocks(spec):
        cols = [b.ids, b.organisations, *_answer_strings(b), *comments(spec, b.start, len(b.ids), pool)]
        parts.append(pa.Table.from_arrays(cols, names=[*NAMES, *TEXT_COLUMNS]))
    return pa.concat_tables(parts).combine_chunks()


def write_text_xlsx(path: str | Path, spec: Spec) -> Expected:
    """The text-heavy responses as an .xlsx workbook (one sheet, header row first; answers
    as numbers, the lenient and invalid spellings as text; blank cells left empty)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Responses")
    ws.append([*NAMES, *TEXT_COLUMNS])
    for row in text_table(spec).to_pylist():
        out: list[Any] = []
        for v in row.values():
            if isinstance(v, str) and v.isdigit() and len(v) <= 2:
                out.append(int(v))
            else:
                out.append(v)
        ws.append(out)
    wb.save(str(path))
    return expected(spec)


def _answer_strings(b: Block) -> list[pa.Array]:
    cols: list[pa.Array] = []
    for j in range(len(COLUMNS)):
        arr = _int_strings(b.values[:, j])
        if j in b.text:
            rows, strs = b.text[j]
            mask = np.zeros(len(arr), dtype=bool)
            mask[rows] = True
            order = np.argsort(rows, kind="stable")
            arr = pc.replace_with_mask(arr, pa.array(mask), pa.array([strs[i] for i in order]))
        cols.append(arr)
    return cols


def write_csv(path: str | Path, spec: Spec = Spec()) -> Expected:
    """Write the responses as a CSV file (UTF-8, comma-separated, header row)."""
    schema = pa.schema([(name, pa.string()) for name in NAMES])
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as fh, pacsv.CSVWriter(fh, schema, write_options=opts) as writer:
        fh.write((",".join(NAMES) + "\n").encode())
        for b in blocks(spec):
            cols: list[pa.Array] = [b.ids, b.organisations]
            for j in range(len(COLUMNS)):
                arr = _int_strings(b.values[:, j])
                if j in b.text:
                    rows, strs = b.text[j]
                    mask = np.zeros(len(arr), dtype=bool)
                    mask[rows] = True
                    order = np.argsort(rows, kind="stable")
                    arr = pc.replace_with_mask(arr, pa.array(mask), pa.array([strs[i] for i in order]))
                cols.append(arr)
            writer.write_table(pa.Table.from_arrays(cols, schema=schema))
    return expected(spec)


def arrow_table(spec: Spec = Spec()) -> pa.Table:
    """The responses as a typed Arrow table: string ids and organisations, float64 answers."""
    parts = []
    for b in blocks(spec):
        arrays = [b.ids, b.organisations] + [pa.array(b.values[:, j], from_pandas=True) for j in range(len(COLUMNS))]
        parts.append(pa.Table.from_arrays(arrays, names=NAMES))
    return pa.concat_tables(parts).combine_chunks()


def frame(spec: Spec = Spec()) -> Any:
    """The responses as a pandas DataFrame (float64 answers with NaN for missing)."""
    return arrow_table(spec).to_pandas()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("respondents", type=int)
    ap.add_argument("path", type=Path)
    ap.add_argument("--seed", type=int, default=Spec.seed)
    args = ap.parse_args()
    exp = write_csv(args.path, Spec(respondents=args.respondents, seed=args.seed))
    print(f"{args.path}: {exp.input} rows, {exp.rejected} invalid")


if __name__ == "__main__":
    main()
