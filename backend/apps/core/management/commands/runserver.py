"""`manage.py runserver` that closes each request thread's database connections when it ends.

The development server handles every client connection in a new thread. With persistent
connections (`CONN_MAX_AGE`), Django only closes a connection at the end of a request when it is
older than `CONN_MAX_AGE`, so each finished thread left its PostgreSQL connection open until
PostgreSQL refused everyone ("too many clients"). Here the thread closes its connections once
its client connection is done: open database connections never outnumber live threads. Only
the development server changes; gunicorn's long-lived worker threads keep reusing theirs.
"""

from __future__ import annotations

import socket

from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticfilesRunserverCommand,
)
from django.core.servers.basehttp import WSGIServer
from django.db import connections


class ConnectionClosingWSGIServer(WSGIServer):
    """`close_request` runs in the request's own thread, after its last response."""

    def close_request(self, request: socket.socket) -> None:
        connections.close_all()
        super().close_request(request)


class Command(StaticfilesRunserverCommand):
    server_cls = ConnectionClosingWSGIServer
