"""The size budget: what a page downloads for the widget, minified and gzipped as served."""

from __future__ import annotations

import gzip

from commentsvc import widget

# embed.js with its CSS and default (English) catalogue: 9.5 KB before permalinks, wording and
# faces (11.4 KB), 13.5 KB with live updates, votes, order and pins.
WIDGET_BUDGET = 14 * 1024
COUNTER_BUDGET = 1536  # count.js, with the count wording of every catalogue


def gzipped_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=9, mtime=0))


def test_widget_javascript_and_css_fit_in_14_kb_gzipped(client) -> None:
    bundle = widget.build_widget()
    size = gzipped_size(bundle)
    assert size <= WIDGET_BUDGET, f"embed.js is {size} bytes gzipped (budget {WIDGET_BUDGET})"
    served = client.get("/embed.js", headers={"Accept-Encoding": "gzip"})
    assert len(served.data) == size


def test_count_script_fits_in_1_5_kb_gzipped(client) -> None:
    size = gzipped_size(widget.build_counter())
    assert size <= COUNTER_BUDGET, f"count.js is {size} bytes gzipped (budget {COUNTER_BUDGET})"
    served = client.get("/count.js", headers={"Accept-Encoding": "gzip"})
    assert len(served.data) == size
