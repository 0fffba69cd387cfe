"""Engine benchmarks: runs pytest-benchmark on bench/engine and writes the "engine" section of RESULTS.md.

Each benchmark test in bench/engine/test_*_bench.py declares what it measures:

    benchmark.group = "price-variants"            # engine and reference tests of one job share a group
    benchmark.extra_info["side"] = "engine"       # or "reference" (the pure-Python reference)
    benchmark.extra_info["variants"] = 10_000     # item counts, for throughput (items per second)

Per group the section gives the engine's mean time, the reference's, reference/engine (x) and the
engine's throughput. A pytest failure (e.g. a half-written benchmark file) is reported in the
section, with the tail of pytest's output, instead of failing `make bench`; BENCH_STRICT=1 makes
it fail.

    .venv/bin/python bench/engine_report.py
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import QUIET_CPUS, CpuSnapshot, engine_build, wait_for_quiet
from results import ROOT, default_command, load_average, table, update_section

SECTION = "engine"
ENGINE_DIR = ROOT / "bench" / "engine"
GOAL_RATIO = 20.0
GOAL_VARIANT_PRICES_PER_S = 1_000_000.0
PYTEST_EXIT = {
    1: "some tests failed",
    2: "interrupted, e.g. by a collection error",
    3: "internal error",
    4: "usage error",
}


@dataclass
class Bench:
    group: str
    side: str  # engine | reference
    name: str
    param: str | None
    mean_s: float
    median_s: float
    rounds: int
    counts: dict[str, int]  # item counts from extra_info
    other: tuple[tuple[str, str], ...]  # the rest of extra_info, for pairing

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Bench":
        info = dict(raw.get("extra_info") or {})
        side = str(info.pop("side", "")).lower()
        if side not in ("engine", "reference"):
            side = "reference" if "reference" in raw["name"].lower() else "engine"
        counts = {k: v for k, v in info.items() if isinstance(v, int) and not isinstance(v, bool) and v > 0}
        other = tuple(sorted((k, repr(v)) for k, v in info.items() if k not in counts))
        return cls(
            group=raw.get("group") or raw["name"],
            side=side,
            name=raw["name"],
            param=raw.get("param"),
            mean_s=float(raw["stats"]["mean"]),
            median_s=float(raw["stats"].get("median", raw["stats"]["mean"])),
            rounds=int(raw["stats"].get("rounds", 0)),
            counts=counts,
            other=other,
        )


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_per_s(value: float) -> str:
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def pair(benches: list[Bench]) -> list[tuple[str, Bench | None, Bench | None]]:
    """(label, engine, reference) rows: per group, engine and reference matched by param and extra_info."""
    groups: dict[str, list[Bench]] = {}  # in the order pytest ran them
    for b in benches:
        groups.setdefault(b.group, []).append(b)
    rows: list[tuple[str, Bench | None, Bench | None]] = []
    for group in groups:
        engines = [b for b in groups[group] if b.side == "engine"]
        refs = [b for b in groups[group] if b.side == "reference"]
        used: set[int] = set()
        for e in engines:
            match = next((r for r in refs if id(r) not in used and (r.param, r.other) == (e.param, e.other)), None)
            if match is None and len(engines) == 1 and len(refs) == 1:
                match = refs[0]
            if match is not None:
                used.add(id(match))
            label = group if len(engines) == 1 else f"{group} [{e.param or e.name}]"
            rows.append((label, e, match))
        for r in refs:
            if id(r) not in used:
                rows.append((f"{group} [{r.param or r.name}]" if len(refs) > 1 else group, None, r))
    return rows


def ratio(engine: Bench, ref: Bench) -> tuple[float, bool]:
    """reference time / engine time; per item when both count the same thing in different amounts."""
    common = sorted(set(engine.counts) & set(ref.counts))
    if common and engine.counts[common[0]] != ref.counts[common[0]]:
        key = common[0]
        return (ref.mean_s / ref.counts[key]) / (engine.mean_s / engine.counts[key]), True
    return ref.mean_s / engine.mean_s, False


def throughput(e: Bench) -> tuple[str, float] | None:
    """(what, per second) for the engine: the first item count it reports (extra_info order)."""
    if not e.counts:
        return None
    key, n = next(iter(e.counts.items()))
    return key, n / e.mean_s


def render_results(benches: list[Bench]) -> tuple[list[str], list[str]]:
    """The table and goal lines; plus a list of goals not met."""
    rows, misses = [], []
    variant_rates: list[tuple[str, int, float]] = []  # (label, variants per call, variants per second)
    paired = pair(benches)
    for label, e, r in paired:
        cells = [label, *(f"{fmt_time(b.mean_s)} (median {fmt_time(b.median_s)})" if b else "—" for b in (e, r))]
        if e and r:
            x, per_item = ratio(e, r)
            cells.append(f"**{x:,.1f}x**" + (" (per item)" if per_item else ""))
            cells.append("met" if x >= GOAL_RATIO else "**NOT met**")
            if x < GOAL_RATIO:
                misses.append(f"{label}: {x:.1f}x")
        else:
            cells += ["—", "no " + ("reference" if e else "engine") + " benchmark"]
        rate = throughput(e) if e else None
        if e and rate:
            per_call = ", ".join(f"{n:,} {k}" for k, n in e.counts.items())
            cells.append(f"{fmt_per_s(rate[1])} {rate[0]}/s (per call: {per_call})")
            if "variants" in e.counts:
                variant_rates.append((label, e.counts["variants"], e.counts["variants"] / e.mean_s))
        else:
            cells.append(f"{fmt_per_s(1 / e.mean_s)} calls/s" if e else "—")
        rows.append(cells)
    header = ["group", "engine mean", "reference mean", "reference / engine", f"goal >= {GOAL_RATIO:.0f}x"]
    lines = [table([*header, "engine throughput (one core)"], rows, "lrrrll"), ""]
    compared = any(e and r for _, e, r in paired)
    verdict = "**met**" if compared and not misses else "**NOT met**"
    detail = f" (below: {'; '.join(misses)})" if misses else ("" if compared else " (nothing to compare)")
    lines.append(f"- Goal: engine >= {GOAL_RATIO:.0f}x the pure-Python reference on each group: {verdict}{detail}.")
    if variant_rates:
        batch = max(n for _, n, _ in variant_rates)
        bulk = [(label, rate) for label, n, rate in variant_rates if n == batch]
        slow = [label for label, rate in bulk if rate < GOAL_VARIANT_PRICES_PER_S]
        figures = "; ".join(f"{label}: {rate / 1e6:.2f}M/s" for label, rate in bulk)
        lines.append(
            f"- Goal: >= 1M variant prices per second on one core (batches of {batch:,} variants): "
            f"**{'NOT met' if slow else 'met'}** ({figures})."
        )
        misses += [f"{label}: under 1M variant prices/s" for label in slow]
    else:
        lines.append(
            "- Goal: >= 1M variant prices per second on one core: not measured "
            '(no engine benchmark reports `extra_info["variants"]`).'
        )
    return lines, misses


def run_pytest(json_path: Path) -> tuple[int, str]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "bench/engine",
        "-q",
        "-p",
        "no:cacheprovider",
        "--benchmark-only",
        f"--benchmark-json={json_path}",
    ]
    timeout = float(os.environ.get("BENCH_ENGINE_TIMEOUT", "1800"))
    print(f"[bench] {' '.join(cmd[2:])}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return -1, out + f"\n(timed out after {timeout:.0f} s; BENCH_ENGINE_TIMEOUT)"
    sys.stderr.write(done.stdout[-4000:] + done.stderr[-2000:])
    return done.returncode, done.stdout + done.stderr


def tail(text: str, lines: int = 40) -> str:
    kept = text.strip("\n").splitlines()[-lines:]
    return "```text\n" + "\n".join(line[:200] for line in kept).replace("```", "'''") + "\n```"


def main() -> int:
    files = sorted(ENGINE_DIR.glob("test_*_bench.py")) if ENGINE_DIR.is_dir() else []
    preamble = [
        "pytest-benchmark on `bench/engine/test_*_bench.py`: the Rust engine (`commerce.engine`) against the "
        "pure-Python reference (`commerce.engine_reference`) on the same inputs, one thread (one core).",
        "",
        f"- Rust engine: {engine_build()}. Load average before the run (1/5/15 min): {load_average()}.",
    ]
    command = default_command(("BENCH_ENGINE_TIMEOUT", "BENCH_QUIET_WAIT"))
    failed = False
    if not files:
        body = [
            *preamble,
            "",
            "**No engine benchmarks yet**: `bench/engine/test_*_bench.py` does not exist. Goals, once they do: "
            f"engine >= {GOAL_RATIO:.0f}x the reference on each group; >= 1M variant prices per second on one core.",
        ]
        print("engine: no benchmark files in bench/engine yet")
    else:
        with tempfile.TemporaryDirectory(prefix="commerce-bench-") as tmp:
            json_path = Path(tmp) / "engine.json"
            wait_for_quiet(float(os.environ.get("BENCH_QUIET_WAIT") or 30))
            before = CpuSnapshot.take()
            code, output = run_pytest(json_path)
            others = CpuSnapshot.take().others_since(before)
            raw: list[dict[str, Any]] = []
            if json_path.exists():
                try:
                    raw = json.loads(json_path.read_text()).get("benchmarks", [])
                except (json.JSONDecodeError, OSError) as exc:
                    output += f"\n(could not read the benchmark JSON: {exc})"
        benches = []
        for item in raw:
            try:
                benches.append(Bench.from_json(item))
            except (KeyError, TypeError, ValueError) as exc:
                output += f"\n(skipped a malformed benchmark entry {item.get('name')!r}: {exc})"
        body = [*preamble, f"- Files: {', '.join(f'`{os.path.relpath(f, ROOT)}`' for f in files)}."]
        if others is not None:
            body.append(
                f"- Noise: other processes on the machine used {others:.2f} CPUs on average during the run"
                + (" (**noisy**: the figures may be off; re-run on a quiet machine)." if others >= QUIET_CPUS else ".")
            )
        body.append("")
        if code not in (0, 5):
            failed = True
            what = PYTEST_EXIT.get(code, "timed out" if code == -1 else f"exit {code}")
            body += [
                f"**pytest failed ({what}, exit {code})**: the figures below are partial"
                + (" (none)" if not benches else "")
                + ". End of pytest's output:",
                "",
                tail(output),
                "",
            ]
        if benches:
            lines, _ = render_results(benches)
            body += lines
        elif code in (0, 5):
            body.append("**No benchmark ran**: the files define no test using the `benchmark` fixture.")
        note = " (FAILED, see RESULTS.md)" if failed else ""
        print(f"engine: pytest exit {code}, {len(benches)} benchmarks{note}")
    if "debug build" in preamble[-1]:
        body.insert(3, "- **Warning: the engine is a debug build; its figures say little about a release build.**")
    path = update_section(
        SECTION, "\n".join(body) + "\n", title="engine: Rust engine vs pure-Python reference", command=command
    )
    print(f"engine section -> {path}")
    return 1 if failed and os.environ.get("BENCH_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
