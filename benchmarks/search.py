"""Benchmark of the catalog search engine against exhaustive rapidfuzz and PostgreSQL pg_trgm.

Usage::

    .venv/bin/python benchmarks/search.py [--sizes 47768,1000000] [--queries N]
        [--pg-dsn postgresql://...] [--markdown] [--quality-seeds 1,2,3]
    .venv/bin/python benchmarks/search.py --hard [--seed N] [--markdown]

Quality is measured on labelled queries from ``benchmarks/querygen.py`` (drawn
from the real songs, which are part of every catalog size).  Catalogs larger
than the real one are grown deterministically by recombining real titles and
artists (see ``enlarge``); labels are then recomputed over the enlarged catalog
so a synthetic cover of a real title also counts as a correct answer.  For this
engine the table also gives how often its answer was ``confident`` (the chat
queues such an answer without asking) and how often a confident answer was
wrong, as a share of all queries and of the confident ones.

With ``--quality-seeds`` only the engine's per-kind accuracy is printed for
each seed, on the real catalog.  With ``--hard`` the engine alone runs on the
real catalog against the plain set and the hard set of ``benchmarks/hardset.py``
(acronyms, numbers, short titles, bracketed parts, first artists, &/feat,
versions of one title), per kind and overall, with confidence and speed.
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

from hardset import HARD_KINDS, generate_hard
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
    confident: float | None = None
    confident_wrong: int | None = None


@dataclass
class Scores:
    """Per kind (and "overall"): how many queries, answered first, in the first five, confident, confident but wrong."""

    n: int = 0
    top1: int = 0
    top5: int = 0
    confident: int = 0
    confident_wrong: int = 0


# A search run: the first five song ids, and whether the engine would take the first without asking.
Run = Callable[[str], tuple[list[str], bool | None]]


def entry(song: Song) -> CatalogEntry:
    """The song as the KaraFun import stores it: its year, and its KaraFun id as the catalog order."""
    return CatalogEntry(song.song_id, song.title, song.artist, song.year,
                        int(song.song_id) if song.song_id.isdigit() else None)


def engine_run(index: SearchIndex) -> Run:
    def run(text: str) -> tuple[list[str], bool | None]:
        answer = index.search(text, 5)
        return [h.song_id for h in answer.hits], answer.confident

    return run


def evaluate(queries: Sequence[LabelledQuery], run: Run) -> tuple[dict[str, Scores], list[float]]:
    """Per-kind ``Scores`` plus an "overall" entry, and per-query latencies in ms."""
    scores: dict[str, Scores] = defaultdict(Scores)
    latencies = []
    for query in queries:
        start = time.perf_counter()
        ids, confident = run(query.text)
        latencies.append((time.perf_counter() - start) * 1000)
        right = bool(ids[:1]) and ids[0] in query.relevant
        for kind in (query.kind, "overall"):
            score = scores[kind]
            score.n += 1
            score.top1 += right
            score.top5 += any(i in query.relevant for i in ids[:5])
            score.confident += bool(confident)
            score.confident_wrong += bool(confident) and not right
    return dict(scores), latencies


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
    entries = [entry(s) for s in songs]
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = SearchIndex(entries)
    build = time.perf_counter() - start
    gc.collect()
    memory = rss_mb() - before
    for query in queries[:50]:
        index.search(query.text)
    scores, latencies = evaluate(queries, engine_run(index))
    total = scores["overall"]
    row = Row("this engine", len(songs), total.n, total.top1 / total.n, total.top5 / total.n,
              percentile(latencies, 0.5), percentile(latencies, 0.99), build, memory, "RSS delta of build",
              total.confident / total.n, total.confident_wrong)
    return row, index


def bench_wratio(songs: Sequence[Song], queries: Sequence[LabelledQuery]) -> Row:
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    ids = [s.song_id for s in songs]
    choices = [utils.default_process(f"{s.title} {s.artist}") for s in songs]
    build = time.perf_counter() - start
    memory = rss_mb() - before

    def run(text: str) -> tuple[list[str], bool | None]:
        found = process.extract(utils.default_process(text), choices, scorer=fuzz.WRatio, limit=5)
        return [ids[i] for _, _, i in found], None

    scores, latencies = evaluate(queries, run)
    total = scores["overall"]
    n = total.n
    top1, top5 = total.top1 / n, total.top5 / n
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


def _print(header: Sequence[str], body: Sequence[Sequence[str]], markdown: bool) -> None:
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


def _confidence(row: Row) -> list[str]:
    if row.confident is None or row.confident_wrong is None:
        return ["-", "-"]
    confident = row.confident * row.n_queries
    share = 100 * row.confident_wrong / confident if confident else 0.0
    return [f"{row.confident:.3f}", f"{row.confident_wrong} ({100 * row.confident_wrong / row.n_queries:.2f} % "
            f"of all, {share:.2f} % of confident)"]


def print_table(rows: Sequence[Row], markdown: bool) -> None:
    header = ["engine", "size", "queries", "top-1", "top-5", "confident", "confident but wrong", "p50 ms", "p99 ms",
              "build s", "index MB", "note"]
    body = [
        [r.engine, f"{r.size:,}", str(r.n_queries), f"{r.top1:.3f}", f"{r.top5:.3f}", *_confidence(r),
         f"{r.p50:.2f}", f"{r.p99:.2f}", f"{r.build_s:.1f}", f"{r.memory_mb:.0f}", r.note]
        for r in rows
    ]
    _print(header, body, markdown)


def quality(seeds: Sequence[int], per_kind: int, songs: Sequence[Song], markdown: bool) -> None:
    index = SearchIndex(entry(s) for s in songs)
    table: dict[int, dict[str, Scores]] = {}
    for seed in seeds:
        queries = generate(seed, per_kind, songs)
        table[seed], _ = evaluate(queries, engine_run(index))
    kinds = [*KINDS, "overall"]
    header = ["kind", *(f"seed {s} top-1 / top-5" for s in seeds)]
    rows = [[k, *(f"{table[s][k].top1 / table[s][k].n:.3f} / {table[s][k].top5 / table[s][k].n:.3f}" for s in seeds)]
            for k in kinds]
    _print(header, rows, markdown)


def hard(seed: int, per_kind: int, songs: Sequence[Song], markdown: bool) -> None:
    """The engine on the real catalog: the plain set and the hard set, per kind, with confidence and speed."""
    index = SearchIndex(entry(s) for s in songs)
    sets = (
        ("plain", KINDS, generate(seed, per_kind, songs)),
        ("hard", HARD_KINDS, generate_hard(seed, per_kind, songs)),
    )
    for _, _, queries in sets:
        for query in queries[:50]:
            index.search(query.text, 5)
    header = ["set", "kind", "queries", "top-1", "top-5", "confident", "confident but wrong", "% of all",
              "% of confident", "p50 ms", "p99 ms"]
    body: list[list[str]] = []
    for name, kinds, queries in sets:
        scores, latencies = evaluate(queries, engine_run(index))
        for kind in (*kinds, "overall"):
            score = scores[kind]
            timing = [f"{percentile(latencies, 0.5):.2f}", f"{percentile(latencies, 0.99):.2f}"]
            body.append([
                name, kind, str(score.n), f"{score.top1 / score.n:.3f}", f"{score.top5 / score.n:.3f}",
                f"{score.confident / score.n:.3f}", str(score.confident_wrong),
                f"{100 * score.confident_wrong / score.n:.2f}",
                f"{100 * score.confident_wrong / score.confident:.2f}" if score.confident else "-",
                *(timing if kind == "overall" else ["", ""]),
            ])
    _print(header, body, markdown)
    print(f"real catalog ({len(songs):,} songs), seed {seed}; the plain set has {per_kind} queries per kind, the hard "
          f"set up to {per_kind} per generated kind plus the hand-picked ones; targets: top-1 >= 0.99 on both, "
          "confident but wrong <= 0.2 % of all, >= 80 % of the plain set confident, p50 <= 1 ms")


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
    parser.add_argument("--hard", action="store_true", help="only the engine, real catalog, plain and hard sets")
    args = parser.parse_args()

    real = load_catalog()
    per_kind = max(1, -(-args.queries // len(KINDS)))
    if args.hard:
        hard(args.seed, per_kind, real, args.markdown)
        return
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
