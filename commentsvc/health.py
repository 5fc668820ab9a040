"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, jsonify

from commentsvc import database, redis_client

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {"database": database.is_ready(), "queue": redis_client.is_ready()}
    status = 200 if all(checks.values()) else 503
    return jsonify(status="ok" if status == 200 else "unavailable", checks=checks), status
