"""`commentsvc site update --sort/--votes`: the site's default order and whether it has votes."""

from __future__ import annotations

from commentsvc.cli.site import update
from commentsvc.extensions import db
from commentsvc.models import Site, ThreadOrder


def test_site_update_sets_default_order_and_switches_votes(app, site, reader) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(update, ["blog", "--sort", "top", "--no-votes"])
    assert result.exit_code == 0, result.output
    assert "sort=top" in result.output
    assert "votes=off" in result.output
    db.session.expire_all()
    stored = db.session.scalar(db.select(Site))
    assert (stored.default_order, stored.is_voting_enabled) == (ThreadOrder.TOP, False)
    site_json = reader.thread().json["site"]
    assert (site_json["sort"], site_json["votes"]) == ("top", False)
    assert runner.invoke(update, ["blog", "--votes"]).exit_code == 0
    assert reader.thread().json["site"]["votes"] is True


def test_site_update_refuses_an_unknown_order(app, site) -> None:
    result = app.test_cli_runner().invoke(update, ["blog", "--sort", "best"])
    assert result.exit_code != 0
    assert "best" in result.output
