"""Vote rate limits count an IPv6 client's whole /64 as one address."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_VOTE="3 per minute",
        RATELIMIT_VOTE_PER_IP="100 per minute",
    )
    return app_config


def test_guest_vote_limit_counts_a_whole_ipv6_64(posted, browser_at) -> None:
    comment_id = posted()
    answers = [
        browser_at(f"2001:db8:7:1::{n}").vote(comment_id, n % 2).status_code for n in range(1, 5)
    ]
    assert answers == [200, 200, 200, 429]
    assert browser_at("2001:db8:7:2::1").vote(comment_id, 1).status_code == 200
