"""The floor: a minimal Flask app that returns pre-built response bytes, nothing else.

The benchmark captures the service's responses (body and the headers that describe it) into
``BENCH_FLOOR_DIR`` as ``NAME.body`` + ``NAME.json`` and serves each at ``/NAME`` from this app,
under the same gunicorn settings. The service can at best match it: whatever it spends beyond
the floor is its own work (routing, a database query, cache look-ups).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, abort


def _load(folder: Path) -> dict[str, tuple[bytes, dict[str, str]]]:
    return {
        body.stem: (body.read_bytes(), json.loads(body.with_suffix(".json").read_text()))
        for body in sorted(folder.glob("*.body"))
    }


app = Flask(__name__)
RESPONSES = _load(Path(os.environ["BENCH_FLOOR_DIR"]))


@app.get("/<name>")
def prebuilt(name: str) -> Response:
    if name not in RESPONSES:
        abort(404)
    body, headers = RESPONSES[name]
    return Response(body, headers=headers)
