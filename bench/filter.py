"""The job filter's text search: one Python fold that SQLite calls, against SQLite's own LIKE.

The job list pages through the history with `engine/queries.py`'s WHERE clause. Text is
matched with Unicode case folding, as the live list's in-memory `matches` does: ASCII text
by SQLite's LIKE (the same folding there), any other by `text_matches`, a Python function
registered on every connection, so paging and the live list can never disagree. The
comparison: the same page (200 rows, newest first) and the same count over a seeded history
of 10,000 and 100,000 generations, once through `JobStore.page`/`count` and once through
the plain `LIKE` clause lumatui used before (ASCII-only case folding), on the same
connection. Interleaved rounds, medians. A needle that matches nothing makes SQLite scan
every row (the worst case); a common word fills the page early.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved, machine, median, ms, ratio_line
from _workstation import home_paths, seed_history

if TYPE_CHECKING:
    from collections.abc import Callable

from lumatui.engine.queries import JobQuery
from lumatui.engine.store import JobStore

LIKE = (
    "WHERE (prompt LIKE ? ESCAPE '\\' OR generation_id LIKE ? ESCAPE '\\'"
    " OR id LIKE ? ESCAPE '\\' OR failure_code LIKE ? ESCAPE '\\')"
)


def like_case(store: JobStore, text: str) -> Callable[[], object]:
    """The old query: LIKE on four columns, then the same page and count."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    params = (pattern,) * 4

    def run() -> object:
        with store.reading() as db:
            db.execute(f"SELECT * FROM jobs {LIKE} ORDER BY seq DESC LIMIT 200", params).fetchall()
            return db.execute(f"SELECT COUNT(*) FROM jobs {LIKE}", params).fetchone()

    return run


def query_case(store: JobStore, text: str) -> Callable[[], object]:
    """The one query's WHERE clause (as `JobStore.page` and `count` use it), the same page and
    count; raw rows on both sides, to compare like with like."""
    from lumatui.engine.queries import where_clause

    where, params = where_clause(JobQuery(text=text))

    def run() -> object:
        with store.reading() as db:
            db.execute(f"SELECT * FROM jobs {where} ORDER BY seq DESC LIMIT 200", params).fetchall()
            return db.execute(f"SELECT COUNT(*) FROM jobs {where}", params).fetchone()

    return run


def main() -> int:
    """Seed the histories, time both queries, print the figures and the ratio lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="10,000 generations only")
    args = parser.parse_args()
    print(machine())
    sizes = [10_000] if args.quick else [10_000, 100_000]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            home = Path(tmp) / f"h{size}"
            seed_history(home, size)
            with JobStore.open(home_paths(home).database) as store:
                for text in ("fox", "no such words"):
                    cases = {
                        "like": like_case(store, text),
                        "one query": query_case(store, text),
                    }
                    times = interleaved(cases, args.rounds)
                    like, ours = median(times["like"]), median(times["one query"])
                    worst = max(worst, ours / like)
                    print(
                        f"{size:>7} jobs, text {text!r}: LIKE {ms(like)}, "
                        f"one query {ms(ours)} ({ours / like:.2f}x)"
                    )
    print(ratio_line("filter_text_one_query_vs_like", worst, 1.5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
