"""Benchmark of the catalog search engine against exhaustive rapidfuzz and PostgreSQL pg_trgm.

Usage::

    .venv/bin/python benchmarks/search.py [--sizes 47768,1000000] [--queries N]
        [--pg-dsn postgresql://...] [--markdown] [--quality-seeds 1,2,3]

Quality is measured on labelled queries from ``benchmarks/querygen.py`` (drawn
from the real songs, which are part of every catalog size).  Catalogs larger
than the real one are grown deterministically by recombining real titles and
artists (see ``enlarge``); labels are then recomputed over the enlarged catalog
so a synthetic cover of a real title also counts as a correct answer.

With ``--quality-seeds`` only the engine's per-kind accuracy is printed for
each seed, on the real catalog.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from querygen import KINDS, LabelledQuery, Labeller, Song, generate, load_catalog, relabel
from rapidfuzz import fuzz, process, utils

from core.catalog.search import CatalogEntry, SearchIndex

PG_THRESHOLDS = (0.6, 0.3)

_SUFFIXES = (
    " (Live)",
    " (Acoustic)",
    " (Remix)",
    " (Radio Edit)",
    " (Remastered)",
    " (Extended Mix)",
    " (Piano Version)",
    " (Duet)",
    " (Unplugged)",
    " (Club Mix)",
    " (Single Version)",
    " (Demo)",
    " (Live 1999)",
    " (Version française)",
)


def enlarge(songs: Sequence[Song], size: int, seed: int = 20220101) -> list[Song]:
    """The real songs followed by synthetic ones up to ``size``, same output for the same inputs.

    Synthetic songs recombine real text so word and trigram statistics stay
    realistic: variants of real titles ("X (Live)"), titles spliced from two real
    titles, real titles covered by other artists, artists spliced from two real
    artists or credited together ("A feat. B").
    """
    if size <= len(songs):
        return list(songs[:size])
    rng = random.Random(seed)
    titles = [s.title for s in songs]
    artists = [s.artist for s in songs]
    out = list(songs)
    for i in range(size - len(songs)):
        title = rng.choice(titles)
        pick = rng.random()
        if pick < 0.35:
            title += rng.choice(_SUFFIXES)
        elif pick < 0.8:
            head, tail = title.split(), rng.choice(titles).split()
            title = " ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2 :])
        artist = rng.choice(artists)
        pick = rng.random()
        if pick < 0.2:
            first, last = artist.split(), rng.choice(artists).split()
            artist = " ".join(first[:1] + last[-1:])
        elif pick < 0.3:
            artist = f"{artist} feat. {rng.choice(artists)}"
        out.append(Song(f"syn{i}", title, artist))
    return out


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 2**20


@dataclass
class Row:
    engine: str
    size: int
    n_queries: int
    top1: float
    top5: float
    p50: float
    p99: float
    build_s: float
    memory_mb: float
    note: str = ""


def evaluate(
    queries: Sequence[LabelledQuery], run: Callable[[str], list[str]]
) -> tuple[dict[str, tuple[float, float, int]], list[float]]:
    """Per-kind (top-1, top-5, count) plus an "overall" entry, and per-query latencies in ms."""
    hits1: dict[str, int] = defaultdict(int)
    hits5: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    latencies = []
    for query in queries:
        start = time.perf_counter()
        ids = run(query.text)
        latencies.append((time.perf_counter() - start) * 1000)
        for kind in (query.kind, "overall"):
            counts[kind] += 1
            hits1[kind] += bool(ids[:1]) and ids[0] in query.relevant
            hits5[kind] += any(i in query.relevant for i in ids[:5])
    return {k: (hits1[k] / counts[k], hits5[k] / counts[k], counts[k]) for k in counts}, latencies


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sample(queries: Sequence[LabelledQuery], n: int) -> list[LabelledQuery]:
    """An evenly spread, kind-balanced subset (queries are grouped by kind)."""
    if n >= len(queries):
        return list(queries)
    step = len(queries) / n
    return [queries[int(i * step)] for i in range(n)]


def bench_engine(songs: Sequence[Song], queries: Sequence[LabelledQuery]) -> tuple[Row, SearchIndex]:
    entries = [CatalogEntry(s.song_id, s.title, s.artist) for s in songs]
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = SearchIndex(entries)
    build = time.perf_counter() - start
    gc.collect()
    memory = rss_mb() - before
    for query in queries[:50]:
        index.search(query.text)
    scores, latencies = evaluate(queries, lambda text: [h.song_id for h in index.search(text, 5).hits])
    top1, top5, n = scores["overall"]
    row = Row("this engine", len(songs), n, top1, top5, percentile(latencies, 0.5), percentile(latencies, 0.99),
              build, memory, "RSS delta of build")
    return row, index


def bench_wratio(songs: Sequence[Song], queries: Sequence[LabelledQuery]) -> Row:
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    ids = [s.song_id for s in songs]
    choices = [utils.default_process(f"{s.title} {s.artist}") for s in songs]
    build = time.perf_counter() - start
    memory = rss_mb() - before

    def run(text: str) -> list[str]:
        found = process.extract(utils.default_process(text), choices, scorer=fuzz.WRatio, limit=5)
        return [ids[i] for _, _, i in found]

    scores, latencies = evaluate(queries, run)
    top1, top5, n = scores["overall"]
    return Row("rapidfuzz WRatio scan", len(songs), n, top1, top5, percentile(latencies, 0.5),
               percentile(latencies, 0.99), build, memory, f"sample of {n} queries")


async def bench_pg(songs: Sequence[Song], queries: Sequence[LabelledQuery], dsn: str) -> list[Row]:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=5)
    table = f"search_bench_{len(songs)}"
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, txt text NOT NULL)")
        start = time.perf_counter()
        await conn.copy_records_to_table(
            table, records=[(s.song_id, f"{s.title} {s.artist}".lower()) for s in songs], columns=["id", "txt"]
        )
        await conn.execute(f"CREATE INDEX ON {table} USING gin (txt gin_trgm_ops)")
        await conn.execute(f"ANALYZE {table}")
        build = time.perf_counter() - start
        size = await conn.fetchval(
            "SELECT pg_relation_size(indexrelid) FROM pg_index WHERE indrelid = $1::regclass "
            "AND NOT indisprimary", table
        )
        rows = []
        for threshold in PG_THRESHOLDS:
            # <% uses the GIN index and keeps rows whose word_similarity passes
            # the threshold; 0.6 is the default, 0.3 trades speed for recall.
            await conn.execute(f"SET pg_trgm.word_similarity_threshold = {threshold}")
            statement = await conn.prepare(
                f"SELECT id FROM {table} WHERE $1 <% txt ORDER BY word_similarity($1, txt) DESC, id LIMIT 5"
            )
            hits1 = hits5 = 0
            latencies = []
            for query in queries:
                text = query.text.lower()
                begin = time.perf_counter()
                ids = [r["id"] for r in await statement.fetch(text)]
                latencies.append((time.perf_counter() - begin) * 1000)
                hits1 += bool(ids) and ids[0] in query.relevant
                hits5 += any(i in query.relevant for i in ids)
            n = len(queries)
            rows.append(
                Row(f"pg_trgm <% (threshold {threshold})", len(songs), n, hits1 / n, hits5 / n,
                    percentile(latencies, 0.5), percentile(latencies, 0.99), build, size / 2**20,
                    f"sample of {n}; MB = GIN index on disk")
            )
        return rows
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()


def print_table(rows: Sequence[Row], markdown: bool) -> None:
    header = ["engine", "size", "queries", "top-1", "top-5", "p50 ms", "p99 ms", "build s", "index MB", "note"]
    body = [
        [r.engine, f"{r.size:,}", str(r.n_queries), f"{r.top1:.3f}", f"{r.top5:.3f}", f"{r.p50:.2f}",
         f"{r.p99:.2f}", f"{r.build_s:.1f}", f"{r.memory_mb:.0f}", r.note]
        for r in rows
    ]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for line in body:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for line in body:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))


def quality(seeds: Sequence[int], per_kind: int, songs: Sequence[Song], markdown: bool) -> None:
    index = SearchIndex(CatalogEntry(s.song_id, s.title, s.artist) for s in songs)
    table: dict[int, dict[str, tuple[float, float, int]]] = {}
    for seed in seeds:
        queries = generate(seed, per_kind, songs)
        table[seed], _ = evaluate(queries, lambda text: [h.song_id for h in index.search(text, 5).hits])
    kinds = [*KINDS, "overall"]
    header = ["kind", *(f"seed {s} top-1 / top-5" for s in seeds)]
    rows = [[k, *(f"{table[s][k][0]:.3f} / {table[s][k][1]:.3f}" for s in seeds)] for k in kinds]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for line in rows:
            print("| " + " | ".join(line) + " |")
    else:
        for line in [header, *rows]:
            print("  ".join(c.ljust(24) for c in line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="47768,1000000")
    parser.add_argument("--queries", type=int, default=1350, help="labelled queries for this engine")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wratio-queries", default="150,20", help="sample per size for the exhaustive scan")
    parser.add_argument("--pg-queries", default="450,225", help="sample per size for pg_trgm")
    parser.add_argument("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--quality-seeds", default="", help="only print per-kind accuracy for these seeds")
    args = parser.parse_args()

    real = load_catalog()
    per_kind = max(1, -(-args.queries // len(KINDS)))
    if args.quality_seeds:
        quality([int(s) for s in args.quality_seeds.split(",")], per_kind, real, args.markdown)
        return
    base_queries = generate(args.seed, per_kind, real)
    sizes = [int(s) for s in args.sizes.split(",")]
    wratio_n = [int(s) for s in args.wratio_queries.split(",")]
    pg_n = [int(s) for s in args.pg_queries.split(",")]
    rows: list[Row] = []
    skipped: list[str] = []
    for position, size in enumerate(sizes):
        songs = enlarge(real, size)
        queries = base_queries if size <= len(real) else relabel(base_queries, Labeller(songs))
        row, index = bench_engine(songs, queries)
        rows.append(row)
        del index
        gc.collect()
        rows.append(bench_wratio(songs, sample(queries, wratio_n[min(position, len(wratio_n) - 1)])))
        try:
            pg_sample = sample(queries, pg_n[min(position, len(pg_n) - 1)])
            rows.extend(asyncio.run(bench_pg(songs, pg_sample, args.pg_dsn)))
        except (OSError, ImportError) as error:
            skipped.append(f"pg_trgm skipped at {size}: {error}")
        except Exception as error:
            skipped.append(f"pg_trgm skipped at {size}: {type(error).__name__}: {error}")
        print(f"[done size {size:,}]", file=sys.stderr, flush=True)
    print_table(rows, args.markdown)
    print(f"labelled queries: seed {args.seed}, {per_kind} per kind x {len(KINDS)} kinds; baselines on even samples")
    for line in skipped:
        print(line)
    engine_rows = {r.size: r for r in rows if r.engine == "this engine"}
    for r in rows:
        if r.engine.startswith("pg_trgm") and r.size in engine_rows:
            ratio = r.p50 / engine_rows[r.size].p50
            print(f"size {r.size:,}: engine p50 is {ratio:.1f}x faster than {r.engine}")


if __name__ == "__main__":
    main()
