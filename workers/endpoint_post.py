"""A POST to a receiver's endpoint, with the guarantees of :func:`workers.fetch.fetch`.

The sender's one write to a URL someone else gave us (a webmention or pingback endpoint a
target page advertised). It shares the fetcher's pinned session (the address resolved once,
checked and dialled as checked; web ports only), its translation of transport errors and its
capped body reader, so a POST can reach nothing a GET could not.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.fetch import FetchPolicy, pinned_session, read_body, transport_errors
from workers.pinning import Deadline

MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class PostResult:
    """An endpoint's answer to a POST: its status, headers and (capped) body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    is_truncated: bool = False


def post(
    url: str,
    data: bytes,
    content_type: str,
    policy: FetchPolicy | None = None,
    *,
    max_bytes: int = MAX_ANSWER_BYTES,
) -> PostResult:
    """POST ``data`` to ``url``: the address checked and pinned, web ports only, one
    deadline, the answer's body read under a byte cap.

    A redirect is not followed (a POST is never repeated to wherever a receiver points) and
    every status is returned for the caller to judge; a failure to talk raises a
    :class:`~workers.fetch.TransientFetchError`, a refused address a
    :class:`~workers.fetch.RefusedAddress`.
    """
    policy = policy or FetchPolicy()
    deadline = Deadline(policy.timeout)
    try:
        session = pinned_session(url, policy, deadline)
        headers = {
            "User-Agent": policy.user_agent,
            "Content-Type": content_type,
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",
        }
        with transport_errors(deadline, "endpoint"), session:
            remaining = deadline.remaining()
            response = session.post(
                url,
                data=data,
                headers=headers,
                allow_redirects=False,
                stream=True,
                timeout=(min(remaining, 5.0), remaining),
                verify=policy.ca_bundle or True,
            )
            with response:
                body, is_truncated = read_body(response, min(max_bytes, policy.max_bytes), deadline)
                return PostResult(
                    url=url,
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=body,
                    is_truncated=is_truncated,
                )
    finally:
        deadline.cancel()
