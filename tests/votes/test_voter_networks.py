"""Who counts as one voter: an IPv6 client's whole /64, and a reader as account and as guest."""

from __future__ import annotations

from commentsvc.extensions import db
from commentsvc.models import Comment, Vote


def score_of(comment_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).score


def test_guests_anywhere_in_one_ipv6_64_vote_once(posted, browser_at) -> None:
    comment_id = posted()
    first = browser_at("2001:db8:1:2::10")
    assert first.vote(comment_id, 1).json["score"] == 1
    same_network = browser_at("2001:db8:1:2:ffff:1234:5678:9abc")  # new token, same /64
    assert same_network.vote(comment_id, 1).json == {"id": comment_id, "score": 1, "value": 1}
    assert browser_at("2001:db8:1:3::10").vote(comment_id, 1).json["score"] == 2  # next /64
    assert score_of(comment_id) == 2


def test_ipv4_addresses_stay_one_voter_each(posted, browser_at) -> None:
    comment_id = posted()
    browser_at("10.0.6.1").vote(comment_id, 1)
    assert browser_at("10.0.6.2").vote(comment_id, 1).json["score"] == 2


def test_guest_vote_after_an_account_vote_from_that_address_is_refused(
    posted, browser_at, reader_account
) -> None:
    comment_id = posted()
    signed_in = browser_at("2001:db8:5::1").sign_in(reader_account)
    assert signed_in.vote(comment_id, 1, voter=None).json["score"] == 1
    signed_out = browser_at("2001:db8:5::2")  # the same reader signed out, elsewhere in the /64
    response = signed_out.vote(comment_id, 1)
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "voted-signed-in"
    assert score_of(comment_id) == 1


def test_account_vote_takes_over_its_guest_vote_and_counts_once(
    posted, browser_at, reader_account
) -> None:
    comment_id = posted()
    guest = browser_at("10.0.6.5")
    assert guest.vote(comment_id, 1).json["score"] == 1
    guest.sign_in(reader_account)  # the same browser, now signed in
    assert guest.vote(comment_id, 1).json == {"id": comment_id, "score": 1, "value": 1}
    vote = db.session.scalars(db.select(Vote)).one()
    assert vote.account_id == reader_account.id
    assert (vote.voter_hash, vote.guest_ip_hash) == (None, None)
    assert guest.vote(comment_id, 0).json == {"id": comment_id, "score": 0, "value": 0}


def test_account_vote_takes_over_the_guest_vote_of_its_browser_from_another_address(
    posted, browser_at, reader_account
) -> None:
    comment_id = posted()
    guest = browser_at("10.0.6.6")
    guest.vote(comment_id, 1)
    travelling = browser_at("10.0.6.7").sign_in(reader_account)
    travelling.voter = guest.voter
    assert travelling.vote(comment_id, 1).json["score"] == 1
    assert score_of(comment_id) == 1


def test_account_cannot_vote_for_what_it_posted_as_a_guest_from_that_address(
    posted, author, reader_account
) -> None:
    comment_id = posted()  # by the guest ``author``
    author.sign_in(reader_account)
    response = author.vote(comment_id, 1, voter=None)
    assert response.status_code == 403
    assert response.json["code"] == "own-comment"


def test_account_cannot_vote_for_what_its_browser_posted_as_a_guest(
    posted, author, browser_at, reader_account
) -> None:
    comment_id = posted()
    elsewhere = browser_at("10.0.6.8").sign_in(reader_account)
    elsewhere.voter = author.voter  # the browser that posted it, signed in since
    assert elsewhere.vote(comment_id, 1).json["code"] == "own-comment"
    assert score_of(comment_id) == 0


def test_a_guest_cannot_vote_for_their_comment_from_another_address_of_its_64(
    browser_at,
) -> None:
    """Comments store their poster's network: the own-comment check holds across the /64."""
    posting = browser_at("2001:db8:7:8::1")
    comment_id = posting.post("Mine").json["id"]

    response = browser_at("2001:db8:7:8::2").vote(comment_id, 1)  # a new voter token too

    assert response.status_code == 403 and response.json["code"] == "own-comment"
    assert browser_at("2001:db8:7:9::1").vote(comment_id, 1).json["score"] == 1
