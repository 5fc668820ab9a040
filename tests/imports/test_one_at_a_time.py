"""One import into a site at a time: a second run started meanwhile stops at once with a
message, before it reads or writes anything; a dry run or another site's import goes on."""

from __future__ import annotations

import pytest

from commentsvc.errors import Conflict
from commentsvc.extensions import db
from commentsvc.imports.exclusive import one_import_per_site
from commentsvc.imports.run import run_import
from commentsvc.models import Comment
from commentsvc.services.sites import create_site


def test_a_second_import_into_a_site_waits_for_none_and_says_why(make_site, samples) -> None:
    site = make_site("http://example.org")
    other = create_site("other", ["http://example.org:8080"])
    db.session.commit()
    with one_import_per_site(site):
        with pytest.raises(Conflict, match="Another import into site 'old' is running"):
            run_import("disqus", samples / "isso-disqus.xml", site)
        assert db.session.query(Comment).count() == 0
        dry = run_import("disqus", samples / "isso-disqus.xml", site, dry_run=True)
        assert dry.imported["comments"] == 4
        with one_import_per_site(other):  # another site's lock is its own
            pass
    assert run_import("disqus", samples / "isso-disqus.xml", site).imported["comments"] == 4
