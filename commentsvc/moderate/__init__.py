"""The operators' moderation queue under /moderate: server-rendered pages, operators only.

Every view finds what it acts on through :mod:`commentsvc.moderate.access`, which only ever
returns things of the sites the signed-in operator moderates.
"""

from commentsvc.moderate import (
    actions,
    audit,
    banning,
    items,
    moves,
    outbound,
    pins,
    policies,
    queue_views,
    security,
    threads,
    transfer,
)
from commentsvc.moderate.blueprint import bp

__all__ = [
    "actions",
    "audit",
    "banning",
    "bp",
    "items",
    "moves",
    "outbound",
    "pins",
    "policies",
    "queue_views",
    "security",
    "threads",
    "transfer",
]
