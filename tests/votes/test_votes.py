"""Votes: guests' browsers and accounts, once each, never on their own comments."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Vote
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import update_site


def score_of(comment_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).score


def test_guest_vote_counts_and_answers_score_and_value(posted, reader) -> None:
    comment_id = posted()
    response = reader.vote(comment_id, 1)
    assert response.status_code == 200, response.json
    assert response.json == {"id": comment_id, "score": 1, "value": 1}
    assert score_of(comment_id) == 1


def test_guest_vote_stores_only_keyed_hashes_of_token_and_address(posted, reader) -> None:
    comment_id = posted()
    reader.vote(comment_id, 1)
    vote = db.session.scalars(db.select(Vote)).one()
    assert vote.account_id is None
    assert reader.voter not in (vote.voter_hash, vote.guest_ip_hash)
    assert reader.address not in (vote.voter_hash, vote.guest_ip_hash)
    assert len(vote.voter_hash) == 32


def test_double_vote_counts_once(posted, reader) -> None:
    comment_id = posted()
    reader.vote(comment_id, 1)
    again = reader.vote(comment_id, 1)
    assert again.json == {"id": comment_id, "score": 1, "value": 1}
    assert score_of(comment_id) == 1


def test_withdrawn_vote_no_longer_counts_and_withdrawing_twice_is_harmless(posted, reader):
    comment_id = posted()
    reader.vote(comment_id, 1)
    assert reader.vote(comment_id, 0).json == {"id": comment_id, "score": 0, "value": 0}
    assert reader.vote(comment_id, 0).json == {"id": comment_id, "score": 0, "value": 0}
    assert score_of(comment_id) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Vote)) == 0


def test_votes_of_different_readers_add_up(posted, browser_at) -> None:
    comment_id = posted()
    for n in range(3):
        assert browser_at(f"10.0.1.{n}").vote(comment_id, 1).json["score"] == n + 1
    assert score_of(comment_id) == 3


def test_second_browser_at_the_same_address_finds_the_first_ones_vote(
    posted, reader, browser_at
) -> None:
    comment_id = posted()
    reader.vote(comment_id, 1)
    cleared = browser_at(reader.address)  # storage cleared: a new voter token, same address
    assert cleared.voter != reader.voter
    assert cleared.vote(comment_id, 1).json == {"id": comment_id, "score": 1, "value": 1}
    assert score_of(comment_id) == 1
    assert cleared.vote(comment_id, 0).json["score"] == 0  # one guest: it may take it back


def test_same_browser_from_a_new_address_still_votes_once(posted, reader, browser_at) -> None:
    comment_id = posted()
    reader.vote(comment_id, 1)
    moved = browser_at("10.0.9.9")
    moved.voter = reader.voter
    assert moved.vote(comment_id, 1).json["score"] == 1


def test_signed_in_reader_votes_once_wherever_they_are(posted, browser_at, reader_account) -> None:
    comment_id = posted()
    home = browser_at("10.0.2.1").sign_in(reader_account)
    work = browser_at("10.0.2.2").sign_in(reader_account)
    assert home.vote(comment_id, 1, voter=None).json == {"id": comment_id, "score": 1, "value": 1}
    assert work.vote(comment_id, 1, voter=None).json["score"] == 1
    assert work.vote(comment_id, 0, voter=None).json == {"id": comment_id, "score": 0, "value": 0}
    vote_rows = db.session.scalar(db.select(db.func.count()).select_from(Vote))
    assert vote_rows == 0


def test_accounts_at_one_address_vote_separately(posted, browser_at, app) -> None:
    comment_id = posted()
    one = create_account("one@example.net", "One", "correct horse battery")
    two = create_account("two@example.net", "Two", "correct horse battery")
    db.session.commit()
    browser_at("10.0.3.1").sign_in(one).vote(comment_id, 1, voter=None)
    assert browser_at("10.0.3.1").sign_in(two).vote(comment_id, 1, voter=None).json["score"] == 2


def test_guest_cannot_vote_for_own_comment_by_address(posted, author) -> None:
    comment_id = posted()
    response = author.vote(comment_id, 1)
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "own-comment"


def test_guest_cannot_vote_for_own_comment_by_voter_token_from_elsewhere(
    posted, author, browser_at
) -> None:
    comment_id = posted()
    travelling = browser_at("10.0.4.4")
    travelling.voter = author.voter
    assert travelling.vote(comment_id, 1).status_code == 403


def test_account_cannot_vote_for_own_comment(browser_at, reader_account) -> None:
    writer = browser_at("10.0.5.1").sign_in(reader_account)
    comment_id = writer.post("Mine").json["id"]
    response = browser_at("10.0.5.2").sign_in(reader_account).vote(comment_id, 1, voter=None)
    assert response.status_code == 403
    assert response.json["code"] == "own-comment"


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.DELETED])
def test_held_or_deleted_comment_cannot_be_voted(posted, reader, status) -> None:
    comment_id = posted()
    db.session.get(Comment, comment_id).status = status
    db.session.commit()
    response = reader.vote(comment_id, 1)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_site_with_votes_off_refuses_votes(posted, reader, site) -> None:
    comment_id = posted()
    update_site(site, is_voting_enabled=False)
    db.session.commit()
    response = reader.vote(comment_id, 1)
    assert response.status_code == 403
    assert response.json["code"] == "votes-off"


def test_site_without_guests_asks_guests_to_sign_in_to_vote(posted, reader, site) -> None:
    comment_id = posted()
    update_site(site, is_guest_allowed=False)
    db.session.commit()
    assert reader.vote(comment_id, 1).status_code == 401


def test_hostile_vote_bodies_get_400_problem(posted, reader) -> None:
    comment_id = posted()
    for body in [
        {"value": 2},
        {"value": "1"},
        {"value": True},
        {"value": -1},
        {"value": None},
        {},
        [],
    ]:
        response = reader.vote(comment_id, json=body)
        assert response.status_code == 400, (body, response.json)
        assert response.content_type == "application/problem+json"
    assert score_of(comment_id) == 0


def test_vote_body_that_is_not_json_gets_415(posted, reader) -> None:
    comment_id = posted()
    response = reader.vote(comment_id, data="value=1", content_type="text/plain")
    assert response.status_code == 415


def test_bad_voter_token_gets_400(posted, reader) -> None:
    comment_id = posted()
    for token in ["short", "x" * 21, "a" * 129, "has spaces in it 1234567", "é" * 30]:
        response = reader.vote(comment_id, 1, voter=token)
        assert response.status_code == 400, token
        assert response.json["field"] == "X-Commentsvc-Voter"


def test_guest_without_voter_token_gets_400_that_says_what_to_send(posted, reader) -> None:
    response = reader.vote(posted(), 1, voter=None)
    assert response.status_code == 400
    assert "X-Commentsvc-Voter" in response.json["detail"]


@pytest.mark.parametrize("comment_id", [999_999, 2**31, 2**63 + 5])
def test_vote_on_missing_or_huge_id_gets_404_problem(reader, comment_id) -> None:
    response = reader.vote(comment_id, 1)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_comment_deleted_with_its_votes(posted, reader, browser_at) -> None:
    comment_id = posted()
    reader.vote(comment_id, 1)
    db.session.delete(db.session.get(Comment, comment_id))
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Vote)) == 0
