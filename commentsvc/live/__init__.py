"""Live threads: what readers see change is published after each commit and streamed to open
pages as Server-Sent Events (docs/live.md).

- :mod:`~commentsvc.live.batches`: one commit's events for one page, with the revisions it spans;
- :mod:`~commentsvc.live.changes`: the session hooks that build those batches from the rows a
  transaction changed, and publish them once it commits;
- :mod:`~commentsvc.live.payloads`: a comment or mention as the thread JSON shows it;
- :mod:`~commentsvc.live.hub`, :mod:`~commentsvc.live.memory`, :mod:`~commentsvc.live.redis_bus`:
  the in-process fan-out, and the two ways batches reach it (in memory, or Redis pub/sub with a
  capped log per page for reconnects);
- :mod:`~commentsvc.live.stream`, :mod:`~commentsvc.live.view`: one open stream, and its URL.
"""
