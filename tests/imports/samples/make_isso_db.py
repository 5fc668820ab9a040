"""Makes isso-0.14.0.db, the Isso database the import tests read, with Isso's own code.

Run it with Isso installed in a throw-away virtualenv (never the project's):

    python -m venv isso-env && isso-env/bin/pip install isso==0.14.0
    isso-env/bin/python make_isso_db.py isso-0.14.0.db

It drives Isso's database layer (``isso.db.SQLite3``, the one its web views use): two threads,
nested replies, a comment in each mode (1 visible, 2 pending, 4 deleted: a deleted comment
with a reply is kept as mode 4), Markdown text, a vote, fixed dates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from isso import config
from isso.db import SQLite3

START = 1_600_000_000.0  # 2020-09-13 12:26:40 UTC


def main(path: str) -> None:
    Path(path).unlink(missing_ok=True)
    conf = config.load(config.default_file())
    db = SQLite3(path, conf)
    db.threads.new("/2020/09/hello-isso/", "Hello, Isso")
    db.threads.new("/about/", "About")

    def add(uri: str, minutes: int, mode: int, text: str, author: str, **extra) -> int:
        comment = {"created": START + 60 * minutes, "mode": mode, "remote_addr": "192.0.2.0"}
        comment.update(text=text, author=author, **extra)
        return db.comments.add(uri, comment)["id"]

    first = add(
        "/2020/09/hello-isso/", 1, 1,
        "First! A *Markdown* comment with [a link](https://example.org/) and `code`.\n\n"
        "Second paragraph.",
        "Alice", email="alice@example.org", website="https://alice.example.org/",
    )  # fmt: skip
    add("/2020/09/hello-isso/", 2, 1, "A reply to Alice.", "Bob", parent=first)
    add("/2020/09/hello-isso/", 3, 2, "Held for moderation.", "Carol", parent=first)
    doomed = add("/2020/09/hello-isso/", 4, 1, "Soon deleted.", "Dave")
    add("/2020/09/hello-isso/", 5, 1, "A reply to a deleted comment.", "Eve", parent=doomed)
    db.comments.delete(doomed)  # has a reply: Isso keeps it as mode 4
    add("/about/", 6, 1, "<script>alert(1)</script>Nice page.", "Mallory")
    db.comments.vote(True, first, "198.51.100.7")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "isso-0.14.0.db")
