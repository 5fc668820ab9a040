"""Connections to one checked address, under one deadline.

The adapter's only pool dials the address the fetcher checked, while urllib3 keeps the host
name for the ``Host`` header, SNI and certificate verification: a second DNS answer (DNS
rebinding) never gets a say. Every socket opened under a :class:`Deadline` is shut when it
passes, so a trickling server cannot outlast it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection


class Deadline:
    """One clock for a whole fetch; sockets opened under it are shut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.expires = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.expires - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch deadline passed")
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedMixin:
    """Connect to the checked address; ``host`` stays the name (Host header, SNI, cert)."""

    def __init__(self, *args: Any, pinned_address: str, deadline: Deadline, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pinned_address = pinned_address
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        timeout = min(self.timeout, self._deadline.remaining())  # type: ignore[attr-defined]
        try:
            sock = urllib3_connection.create_connection(
                (self._pinned_address, self.port),  # type: ignore[attr-defined]
                timeout,
                socket_options=self.socket_options,  # type: ignore[attr-defined]
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"connect to {self.host} timed out") from error  # type: ignore[attr-defined]
        except OSError as error:
            raise NewConnectionError(self, f"cannot connect: {error}") from error
        self._deadline.watch(sock)
        return sock


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A transport adapter whose only pool connects to one checked address."""

    def __init__(self, scheme: str, host: str, port: int, address: str, deadline: Deadline):
        super().__init__(max_retries=0)
        pool_class = _PinnedHTTPSPool if scheme == "https" else _PinnedHTTPPool
        self._pool = pool_class(
            host, port, maxsize=1, pinned_address=address, deadline=deadline, retries=False
        )

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self._pool

    def close(self) -> None:
        self._pool.close()
        super().close()
