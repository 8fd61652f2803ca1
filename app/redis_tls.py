"""Redis over TLS with one SSL context per set of settings, shared by every connection."""

from __future__ import annotations

import ssl
import threading
from typing import Any, ClassVar

from redis.connection import SSLConnection


class SharedContextSSLConnection(SSLConnection):
    """Redis over TLS with one SSL context per set of settings, shared by every connection.

    redis-py builds a context per connection, and building one loads the system's CA bundle:
    ~30 ms of CPU each time, paid again in every RQ work-horse (a fork opens new connections).
    A context made before the fork is reused by the children. Only the settings Squeeze uses
    (verification mode, host name check) take this path; any other TLS option goes to redis-py.
    """

    _contexts: ClassVar[dict[tuple[int, bool], ssl.SSLContext]] = {}
    _lock = threading.Lock()

    def _wrap_socket_with_ssl(self, sock: Any) -> Any:
        extras = (
            self.certfile,
            self.keyfile,
            self.ca_certs,
            self.ca_path,
            self.ca_data,
            self.ssl_min_version,
        )
        flags = (self.ssl_ciphers, self.ssl_include_verify_flags, self.ssl_exclude_verify_flags)
        if any(extras) or any(flags) or self.ssl_validate_ocsp or self.ssl_validate_ocsp_stapled:
            return super()._wrap_socket_with_ssl(sock)  # type: ignore[no-untyped-call]  # redis-py: untyped
        key = (int(self.cert_reqs), bool(self.check_hostname))
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = ssl.create_default_context()
                context.check_hostname = key[1]
                context.verify_mode = ssl.VerifyMode(key[0])
                self._contexts[key] = context
        return context.wrap_socket(sock, server_hostname=self.host)
