"""What the sending tests share besides fixtures: the post that links, and recorders."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from tests.workers.pages import Pages

POST_URL = "https://blog.example.org/2024/a-post"


@dataclass
class Received:
    """Webmentions a recording endpoint received: (path, query string, source, target)."""

    items: list[tuple[str, str, str, str]] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, status: int = 202, **headers: str) -> Callable[[Request], Response]:
        """A handler that records a form-encoded webmention and answers ``status``."""

        def handle(request: Request) -> Response:
            with self.lock:
                self.items.append(
                    (
                        request.path,
                        request.query_string.decode(),
                        request.form.get("source", ""),
                        request.form.get("target", ""),
                    )
                )
                self.user_agents.append(request.headers.get("User-Agent", ""))
            response = Response("Accepted", status=status, content_type="text/plain")
            response.headers.update(headers)
            return response

        return handle


def posts_to(pages: Pages) -> list[str]:
    """The paths the page server received a POST on, in order."""
    with pages.lock:
        return [request.path for request in pages.requests if request.method == "POST"]
