"""Benchmarks: ``nox -s bench`` (or ``python benchmarks/run.py``). Prints a table of data size,
wall time, throughput and peak memory, the baselines as ratios, and the targets met or missed.

Every measurement runs in its own child process, so one run's memory cannot inflate
another's: peak memory is the child's ``VmHWM`` (its whole peak: interpreter, library,
input and result). A timed run starts from the CSV file on disk (or from an in-memory table
built before the clock starts) and ends with the full aggregated :class:`~aspire_models.Result`:
validation with exact rejection accounting, reverse keying, dimension scores, gaps,
organisation and sector aggregates (the instrument's scorers ``dimension-scores`` and
``aggregate``). Engine runs are repeated (``--repeat``) and the fastest is reported.

Options: ``--sizes 100000,1000000`` (respondents), ``--full`` (adds 10,000,000),
``--repeat 3``, ``--baseline-rows 20000`` (rows for the jsonschema baseline, which is too slow
for the full size; its throughput per row is compared), ``--no-baselines``, ``--data DIR``
(where generated files are kept between runs), ``--json FILE`` (write the figures).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

DEFAULT_SIZE = 1_000_000
#: rows scored once, untimed, before each timed run (see :func:`warm_up`)
WARM_UP_ROWS = 1_000
TARGET_CSV_S = 3.0
TARGET_CSV_MB = 1536.0
TARGET_MEMORY_S = 1.0
TARGET_A = 50.0
TARGET_B = 3.0
#: comparing two waves of DEFAULT_SIZE respondents each, in memory (aspire_models.compare)
TARGET_WAVES_S = 2.0
#: the text-heavy file (72 answer columns + 25 comment columns), DEFAULT_SIZE respondents
TARGET_TEXT_S = 3.0
TARGET_TEXT_MB = 1536.0
#: the text-heavy workbook (.xlsx) of XLSX_ROWS respondents
XLSX_ROWS = 100_000
TARGET_XLSX_S = 10.0


# ---------------------------------------------------------------------------------------
# child: one measurement
# ---------------------------------------------------------------------------------------
def child(kind: str, path: str, respondents: int, seed: int) -> dict[str, Any]:
    import baselines

    from aspire_models import Registry, score_responses
    from aspire_models.responses import read_arrow, read_csv, read_frame

    registry = Registry(entry_points=False)
    instrument = registry.load_instrument(generate.INSTRUMENT)
    spec = generate.Spec(respondents=respondents, seed=seed)
    out: dict[str, Any] = {}
    if kind == "csv":
        warm_up(registry, instrument, path=path)
        start = time.perf_counter()
        result = score_responses(registry, read_csv(path, instrument))
        wall = time.perf_counter() - start
        out["summary"] = baselines.summary(result)
    elif kind in ("frame", "arrow"):
        import pyarrow as pa

        with pa.memory_map(path) as source:
            table = pa.ipc.open_file(source).read_all()
        table = table.combine_chunks()  # in memory, not mapped
        data: Any = table.to_pandas() if kind == "frame" else table
        del table
        warm_up(registry, instrument, data=data[:WARM_UP_ROWS])
        start = time.perf_counter()
        responses = read_frame(data, instrument) if kind == "frame" else read_arrow(data, instrument)
        result = score_responses(registry, responses)
        wall = time.perf_counter() - start
        out["summary"] = baselines.summary(result)
    elif kind in ("text-csv", "text-xlsx"):
        return text_child(kind, path, respondents, seed)
    elif kind == "waves":
        return waves_child(path, respondents, seed)
    elif kind == "jsonschema":
        start = time.perf_counter()
        out["summary"] = baselines.jsonschema_loop(path, instrument)
        wall = time.perf_counter() - start
    elif kind == "pandas":
        start = time.perf_counter()
        out["summary"] = baselines.pandas_groupby(path, instrument)
        wall = time.perf_counter() - start
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    expected = generate.expected(spec)
    assert out["summary"]["accounting"] == [expected.input, expected.accepted, expected.rejected], (
        f"{kind}: accounting {out['summary']['accounting']} != expected {expected}"
    )
    out["wall"] = wall
    out["peak_mb"] = peak_mb()
    return out


def text_child(kind: str, path: str, respondents: int, seed: int) -> dict[str, Any]:
    """The text-heavy file (CSV or .xlsx) read as a user's ``score()`` reads it
    (:func:`aspire_models.engine.load_responses`: the reader, validation, the text length
    limit), then scored. The warm-up scores a 1,000-row file of the same shape, read the
    same way."""
    import baselines

    from aspire_models import Registry, score_responses
    from aspire_models.engine import load_responses

    registry = Registry(entry_points=False)
    instrument = registry.load_instrument(generate.TEXT_INSTRUMENT)
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / ("warm.csv" if kind == "text-csv" else "warm.xlsx")
        write = generate.write_text_csv if kind == "text-csv" else generate.write_text_xlsx
        write(small, generate.Spec(respondents=WARM_UP_ROWS, seed=seed))
        # the small file read the way the large one will be (block by block for the CSV
        # file, from the sheet's XML for the workbook): its compiled loops are loaded from
        # numba's cache before the clock starts, as first-use imports are (about 0.4 s,
        # once per process)
        from aspire_models.formats import _xlsxscan
        from aspire_models.formats import csv as csv_reader

        thresholds = csv_reader.STREAM_MIN_BYTES, _xlsxscan.FAST_MIN_BYTES
        csv_reader.STREAM_MIN_BYTES = _xlsxscan.FAST_MIN_BYTES = 0
        try:
            score_responses(registry, load_responses(instrument, small))
        finally:
            csv_reader.STREAM_MIN_BYTES, _xlsxscan.FAST_MIN_BYTES = thresholds
    start = time.perf_counter()
    result = score_responses(registry, load_responses(instrument, path))
    wall = time.perf_counter() - start
    summary = baselines.summary(result)
    exp = generate.expected(generate.Spec(respondents=respondents, seed=seed))
    assert summary["accounting"] == [exp.input, exp.accepted, exp.rejected], (
        f"{kind}: accounting {summary['accounting']} != expected {exp}"
    )
    return {"wall": wall, "peak_mb": peak_mb(), "summary": summary}


def waves_child(paths: str, respondents: int, seed: int) -> dict[str, Any]:
    """Two waves (two Arrow files, comma-separated) read and validated before the clock; timed:
    :func:`aspire_models.compare.compare` of the two in memory (each wave scored through the
    engine with its disclosure step, then the comparison). The engine's share is timed apart."""
    import pyarrow as pa

    from aspire_models import Registry, score_responses
    from aspire_models.compare import _rules, compare
    from aspire_models.responses import read_arrow

    registry = Registry(entry_points=False)
    instrument = registry.load_instrument(generate.INSTRUMENT)
    waves = []
    for path in paths.split(","):
        with pa.memory_map(path) as source:
            table = pa.ipc.open_file(source).read_all().combine_chunks()
        waves.append(read_arrow(table, instrument))
        del table
    small = read_arrow(generate.arrow_table(generate.Spec(respondents=WARM_UP_ROWS)), instrument)
    compare(registry, instrument, [small, small], labels=["a", "b"])  # warm-up: first-use imports
    start = time.perf_counter()
    result = compare(registry, instrument, waves, labels=["wave 1", "wave 2"])
    wall = time.perf_counter() - start
    start = time.perf_counter()
    for rs in waves:
        score_responses(registry, rs, scorers=_rules(instrument, 0.95))
    engine = time.perf_counter() - start
    compared = sum(1 for s in result.table().column("suppressed") if not s)
    return {"wall": wall, "engine": engine, "rows": len(result.table()), "compared": compared, "peak_mb": peak_mb()}


def warm_up(registry: Any, instrument: Any, *, path: str | None = None, data: Any = None) -> None:
    """Score the first :data:`WARM_UP_ROWS` rows once before the clock starts, as timeit and
    pytest-benchmark do: the modules the engine imports on first use (pandas, by way of
    pyarrow's ``to_numpy``; jsonschema) and first-call set-up are then not counted as the
    cost of scoring the data. Only a few KB are touched, so the timed run's memory is as cold
    as it was."""
    from aspire_models import score_responses
    from aspire_models.responses import read_arrow, read_csv, read_frame

    if path is not None:
        with open(path, "rb") as f:
            head = b"".join(f.readline() for _ in range(WARM_UP_ROWS + 1))
        with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
            tmp.write(head)
            tmp.flush()
            score_responses(registry, read_csv(tmp.name, instrument))
        return
    import pyarrow as pa

    reader = read_arrow if isinstance(data, pa.Table) else read_frame
    score_responses(registry, reader(data, instrument))


def peak_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` on Linux, which starts afresh
    when the process starts. (``ru_maxrss`` would do elsewhere, but on Linux a child keeps
    the high-water mark of the parent it was forked from, so a parent that generated data
    would inflate every measurement.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(kind: str, path: Path | str, respondents: int, seed: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, "--path", str(path), "--n", str(respondents), "--seed", str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"measurement {kind} on {respondents:,} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------
def data_files(directory: Path, respondents: int, seed: int, memory: bool) -> tuple[Path, Path | None]:
    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / f"responses-{respondents}-{seed}.csv"
    spec = generate.Spec(respondents=respondents, seed=seed)
    if not csv_path.exists():
        t = time.perf_counter()
        tmp = csv_path.with_suffix(".tmp")
        generate.write_csv(tmp, spec)
        tmp.rename(csv_path)
        print(
            f"  generated {csv_path.name} ({csv_path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t:.0f} s"
        )
    arrow_path = None
    if memory:
        import pyarrow as pa

        arrow_path = directory / f"responses-{respondents}-{seed}.arrow"
        if not arrow_path.exists():
            table = generate.arrow_table(spec)
            tmp = arrow_path.with_suffix(".tmp")
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            tmp.rename(arrow_path)
    return csv_path, arrow_path


# ---------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    import numpy
    import pandas
    import pyarrow

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
        "pandas": pandas.__version__,
        "os": platform.platform(),
    }


def row(label: str, respondents: int, m: dict[str, Any], note: str = "") -> list[str]:
    answers = respondents * len(generate.COLUMNS)
    return [
        label,
        f"{respondents:,}",
        f"{answers:,}",
        f"{m['wall']:.2f}",
        f"{respondents / m['wall']:,.0f}",
        f"{answers / m['wall']:,.0f}",
        f"{m['peak_mb']:,.0f}",
        note,
    ]


def table(rows: list[list[str]]) -> str:
    head = ["measurement", "respondents", "answers", "wall s", "respondents/s", "answers/s", "peak MB", "note"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join("-" * w for w in widths)

    def fmt(r: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, 7) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    return "\n".join([fmt(head), line, *(fmt(r) for r in rows)])


def best(kind: str, path: Path, respondents: int, seed: int, repeat: int) -> dict[str, Any]:
    runs = [measure(kind, path, respondents, seed) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: r["wall"])
    fastest["walls"] = [r["wall"] for r in runs]
    fastest["peak_mb_max"] = max(r["peak_mb"] for r in runs)
    return fastest


def main() -> None:
    import baselines

    ap = argparse.ArgumentParser(description="aspire-models benchmarks")
    ap.add_argument("--child")
    ap.add_argument("--path")
    ap.add_argument("--n", type=int)
    ap.add_argument("--seed", type=int, default=generate.Spec.seed)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--full", action="store_true", help="also 10,000,000 respondents")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline-rows", type=int, default=20_000)
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "aspire-bench")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--waves-only", action="store_true", help="only the two-wave comparison benchmark")
    ap.add_argument("--no-text", action="store_true", help="without the text-heavy CSV and workbook")
    ap.add_argument("--text-only", action="store_true", help="only the text-heavy CSV and workbook")
    ap.add_argument("--xlsx-rows", type=int, default=XLSX_ROWS, help="rows of the text-heavy workbook (0: none)")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.path, args.n, args.seed)))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.full and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    info = machine()
    print(
        f"machine: {info['cpus']} CPUs, {info['cpu']}, {info['ram']} RAM; Python {info['python']}, "
        f"numpy {info['numpy']}, pyarrow {info['pyarrow']}, pandas {info['pandas']}"
    )
    print(
        f"data: {args.data} (seed {args.seed}); instrument: {generate.INSTRUMENT.name} "
        f"({len(generate.COLUMNS)} answer columns)"
    )
    rows: list[list[str]] = []
    figures: dict[str, Any] = {"machine": info, "runs": {}}
    csv_runs: dict[int, dict[str, Any]] = {}
    if args.text_only:
        text_verdicts = text_benchmark(args, rows, figures, csv_runs)
        print()
        print(table(rows))
        print()
        print("\n".join(text_verdicts))
        return
    waves_verdict = waves_benchmark(args, rows, figures)
    if args.waves_only:
        print()
        print(table(rows))
        print()
        print(waves_verdict)
        return
    for n in sizes:
        memory = n <= DEFAULT_SIZE
        csv_path, arrow_path = data_files(args.data, n, args.seed, memory)
        m = best("csv", csv_path, n, args.seed, args.repeat)
        csv_runs[n] = m
        rows.append(row("engine: CSV file -> result", n, m, f"best of {args.repeat}"))
        figures["runs"][f"csv-{n}"] = {k: v for k, v in m.items() if k != "summary"}
        if arrow_path is not None:
            for kind, label in (
                ("frame", "engine: pandas DataFrame -> result"),
                ("arrow", "engine: Arrow table -> result"),
            ):
                mm = best(kind, arrow_path, n, args.seed, args.repeat)
                rows.append(row(label, n, mm, f"best of {args.repeat}; peak includes the input"))
                figures["runs"][f"{kind}-{n}"] = {k: v for k, v in mm.items() if k != "summary"}
                baselines.compare(m["summary"], mm["summary"], f"{kind} vs CSV")  # same respondents scored
    text_verdicts = [] if args.no_text else text_benchmark(args, rows, figures, csv_runs)
    verdicts: list[str] = []
    if not args.no_baselines and DEFAULT_SIZE in csv_runs:
        engine = csv_runs[DEFAULT_SIZE]
        small_csv, _ = data_files(args.data, args.baseline_rows, args.seed, False)
        a = measure("jsonschema", small_csv, args.baseline_rows, args.seed)
        small_engine = best("csv", small_csv, args.baseline_rows, args.seed, args.repeat)
        baselines.compare(small_engine["summary"], a["summary"], "jsonschema baseline")
        rows.append(row("baseline a: jsonschema + per-row loop", args.baseline_rows, a, "subsample; identical results"))
        rows.append(row("engine on the same subsample", args.baseline_rows, small_engine, f"best of {args.repeat}"))
        b = measure("pandas", csv_path_for(args.data, DEFAULT_SIZE, args.seed), DEFAULT_SIZE, args.seed)
        baselines.compare(engine["summary"], b["summary"], "pandas baseline")
        rows.append(row("baseline b: pandas read_csv + groupby", DEFAULT_SIZE, b, "identical results"))
        ratio_a = (DEFAULT_SIZE / engine["wall"]) / (args.baseline_rows / a["wall"])
        ratio_b = b["wall"] / engine["wall"]
        figures["runs"]["jsonschema"] = {k: v for k, v in a.items() if k != "summary"}
        figures["runs"]["pandas"] = {k: v for k, v in b.items() if k != "summary"}
        figures["ratio_a"], figures["ratio_b"] = ratio_a, ratio_b
        verdicts.append(
            _verdict(f"engine vs baseline a (respondents/s): {ratio_a:,.0f}x", ratio_a >= TARGET_A, f">= {TARGET_A:g}x")
        )
        verdicts.append(
            _verdict(f"engine vs baseline b (wall time): {ratio_b:,.1f}x", ratio_b >= TARGET_B, f">= {TARGET_B:g}x")
        )
    print()
    print(table(rows))
    print()
    if DEFAULT_SIZE in csv_runs:
        m = csv_runs[DEFAULT_SIZE]
        verdicts.insert(
            0,
            _verdict(
                f"CSV -> result, {DEFAULT_SIZE:,}: {m['wall']:.2f} s",
                m["wall"] <= TARGET_CSV_S,
                f"<= {TARGET_CSV_S:g} s",
            ),
        )
        verdicts.insert(
            1,
            _verdict(
                f"CSV -> result, {DEFAULT_SIZE:,}: peak {m['peak_mb']:,.0f} MB",
                m["peak_mb"] <= TARGET_CSV_MB,
                f"<= {TARGET_CSV_MB:,.0f} MB",
            ),
        )
        for kind in ("frame", "arrow"):
            mm = figures["runs"].get(f"{kind}-{DEFAULT_SIZE}")
            if mm:
                verdicts.insert(
                    2,
                    _verdict(
                        f"{kind} -> result, {DEFAULT_SIZE:,}: {mm['wall']:.2f} s",
                        mm["wall"] <= TARGET_MEMORY_S,
                        f"<= {TARGET_MEMORY_S:g} s",
                    ),
                )
    done = sorted(csv_runs)
    for small, big in itertools.pairwise(done):
        factor = big / small
        ratio = csv_runs[big]["wall"] / csv_runs[small]["wall"]
        figures.setdefault("scaling", {})[f"{small}->{big}"] = ratio
        verdicts.append(
            _verdict(
                f"scale {small:,} -> {big:,} ({factor:g}x respondents): {ratio:.1f}x time",
                ratio <= factor * 1.1,
                f"<= ~{factor:g}x",
            )
        )
    verdicts.append(waves_verdict)
    verdicts += text_verdicts
    print("\n".join(verdicts))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


def waves_benchmark(args: argparse.Namespace, rows: list[list[str]], figures: dict[str, Any]) -> str:
    """Two waves of DEFAULT_SIZE respondents (seeds ``seed`` and ``seed + 1``; respondent ids
    persist, organisations are drawn afresh) compared in memory; best of ``--repeat``."""
    n = DEFAULT_SIZE
    paths = [data_files(args.data, n, args.seed + i, True)[1] for i in range(2)]
    runs = [measure("waves", ",".join(str(p) for p in paths), n, args.seed) for _ in range(args.repeat)]
    m = min(runs, key=lambda r: r["wall"])
    note = f"best of {args.repeat}; each wave; the engine alone, one wave after the other: {m['engine']:.2f} s"
    rows.append(row("compare: 2 waves in memory -> comparison", n, m, note))
    figures["runs"][f"waves-{n}"] = m
    ok = m["wall"] <= TARGET_WAVES_S
    return _verdict(f"compare 2 waves of {n:,}: {m['wall']:.2f} s", ok, f"<= {TARGET_WAVES_S:g} s")


def text_files(directory: Path, respondents: int, seed: int, xlsx: bool) -> Path:
    """The text-heavy file of ``respondents`` (CSV, or .xlsx with ``xlsx``), made once."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if xlsx else ".csv"
    path = directory / f"responses-text-{respondents}-{seed}{suffix}"
    if not path.exists():
        t = time.perf_counter()
        tmp = path.with_name(path.name + ".tmp")
        (generate.write_text_xlsx if xlsx else generate.write_text_csv)(
            tmp, generate.Spec(respondents=respondents, seed=seed)
        )
        tmp.rename(path)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t:.0f} s")
    return path


def text_benchmark(
    args: argparse.Namespace, rows: list[list[str]], figures: dict[str, Any], csv_runs: dict[int, dict[str, Any]]
) -> list[str]:
    """The text-heavy file: DEFAULT_SIZE respondents x 72 answer columns + 25 comment columns
    as CSV, and XLSX_ROWS of the same shape as a workbook; each asserted to give the same
    accounting (and, where the plain CSV of that size was run, the same figures) as the file
    without comments."""
    verdicts: list[str] = []
    n = DEFAULT_SIZE
    path = text_files(args.data, n, args.seed, xlsx=False)
    m = best("text-csv", path, n, args.seed, args.repeat)
    if n in csv_runs:
        baselines_compare(csv_runs[n]["summary"], m["summary"], "text-heavy CSV vs CSV")
    rows.append(row("engine: text-heavy CSV file -> result", n, m, f"best of {args.repeat}; +25 comment columns"))
    figures["runs"][f"text-csv-{n}"] = {k: v for k, v in m.items() if k != "summary"}
    verdicts.append(
        _verdict(
            f"text-heavy CSV -> result, {n:,}: {m['wall']:.2f} s", m["wall"] <= TARGET_TEXT_S, f"<= {TARGET_TEXT_S:g} s"
        )
    )
    verdicts.append(
        _verdict(
            f"text-heavy CSV -> result, {n:,}: peak {m['peak_mb']:,.0f} MB",
            m["peak_mb"] <= TARGET_TEXT_MB,
            f"<= {TARGET_TEXT_MB:,.0f} MB",
        )
    )
    if args.xlsx_rows:
        k = args.xlsx_rows
        path = text_files(args.data, k, args.seed, xlsx=True)
        mx = best("text-xlsx", path, k, args.seed, args.repeat)
        rows.append(
            row("engine: text-heavy .xlsx workbook -> result", k, mx, f"best of {args.repeat}; +25 comment columns")
        )
        figures["runs"][f"text-xlsx-{k}"] = {kk: v for kk, v in mx.items() if kk != "summary"}
        verdicts.append(
            _verdict(
                f"text-heavy .xlsx -> result, {k:,}: {mx['wall']:.2f} s",
                mx["wall"] <= TARGET_XLSX_S,
                f"<= {TARGET_XLSX_S:g} s",
            )
        )
    return verdicts


def baselines_compare(a: dict[str, Any], b: dict[str, Any], what: str) -> None:
    import baselines

    baselines.compare(a, b, what)


def csv_path_for(directory: Path, respondents: int, seed: int) -> Path:
    return directory / f"responses-{respondents}-{seed}.csv"


def _verdict(text: str, ok: bool, target: str) -> str:
    return f"[{'met' if ok else 'MISSED'}] {text} (target {target})"


if __name__ == "__main__":
    main()
