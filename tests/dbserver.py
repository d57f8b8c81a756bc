"""A real SecantusDB server process for tests: start, stop, restart on the same port."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time

from ops.devstack import end_processes, secantus_command, wait_for_port


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SecantusServer:
    """One SecantusDB process on a free loopback port, storing in a temporary directory."""

    def __init__(self, test_commands: bool = True) -> None:
        self.port = free_port()
        self.storage = tempfile.mkdtemp(prefix="secantus-test-")
        self.extra = ["--enable-test-commands"] if test_commands else []
        self.proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> SecantusServer:
        self.proc = subprocess.Popen(
            secantus_command(self.port, self.storage, *self.extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port, 30):
            self.stop()
            raise RuntimeError("SecantusDB did not start within 30 s")
        return self

    def stop(self) -> None:
        if self.proc:
            end_processes([self.proc])
        self.proc = None
        # The port must really be closed before a test asserts on "database down".
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)
