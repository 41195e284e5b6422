"""Query counts of list endpoints at several page sizes: the same, whatever the size."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

SIZES = (1, 10, 50, 200)


def queries_per_page_size(client, url: str, sizes=SIZES) -> dict[int, int]:
    sep = "&" if "?" in url else "?"
    client.get(f"{url}{sep}page_size=1")  # warm-up: the key's last-used write, the session's first save
    counts = {}
    for size in sizes:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{url}{sep}page_size={size}")
        assert response.status_code == 200, response.content
        counts[size] = len(ctx.captured_queries)
    return counts


def assert_fixed_queries(client, url: str, *, at_most: int, min_rows: int = 0) -> int:
    counts = queries_per_page_size(client, url)
    assert len(set(counts.values())) == 1, counts
    (count,) = set(counts.values())
    assert count <= at_most, counts
    if min_rows:
        sep = "&" if "?" in url else "?"
        assert len(client.get(f"{url}{sep}page_size=200").json()["results"]) >= min_rows
    return count
