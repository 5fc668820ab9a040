"""The export formats by name, as the CLI and the operators' download offer them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from commentsvc.exports.json import export_json
from commentsvc.exports.wxr import export_wxr
from commentsvc.models import Site


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str
    write: Callable[[Site], Iterator[str]]
    mimetype: str
    suffix: str

    def filename(self, site: Site) -> str:
        """What a download is saved as (site names are a-z, 0-9, '-' and '_' only)."""
        return f"{site.name}-comments{self.suffix}"


FORMATS: dict[str, ExportFormat] = {
    "json": ExportFormat("json", export_json, "application/json", ".json"),
    "wxr": ExportFormat("wxr", export_wxr, "application/rss+xml", ".wxr.xml"),
}
