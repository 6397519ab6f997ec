"""Real DICOM peers for the push tests (issue 17), started on kernel-free ports of
127.0.0.1 and stopped by PID: DCMTK's `storescp` (C-STORE only; writes what it
receives bit for bit with +B) and `dcmqrscp` (a Q/R SCP: stores and answers C-FIND)."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, process, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the peer exited at start"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the peer did not listen")


def stop_process(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# An association profile of storescp that takes CT images only (and C-ECHO).
CT_ONLY_PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LocalEndianExplicit
TransferSyntax2 = OppositeEndianExplicit
TransferSyntax3 = LittleEndianImplicit

[[PresentationContexts]]
[CTOnly]
PresentationContext1 = CTImageStorage\\Uncompressed
PresentationContext2 = VerificationSOPClass\\Uncompressed

[[Profiles]]
[CTOnly]
PresentationContexts = CTOnly
"""


class StoreScp:
    """storescp writing each instance it receives, as received (+B), to `directory`."""

    def __init__(self, directory, *options):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.ae_title = "STORESCP"
        self.process = subprocess.Popen(
            ["storescp", "+B", "-aet", self.ae_title, "-od", str(self.directory), *options,
             str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_listening(self.port, self.process)

    def received(self):
        return sorted(p for p in self.directory.iterdir() if p.is_file())

    def stop(self):
        stop_process(self.process)


class QrScp:
    """dcmqrscp over a fresh database: stores what it is sent, answers C-FIND."""

    def __init__(self, directory):
        directory = Path(directory)
        database = directory / "db"
        database.mkdir(parents=True)
        self.port = free_port()
        self.ae_title = "QRSCP"
        config = directory / "dcmqrscp.cfg"
        config.write_text(
            f"NetworkTCPPort = {self.port}\nMaxPDUSize = 16384\nMaxAssociations = 16\n"
            "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
            f"AETable BEGIN\n{self.ae_title} {database} RW (200, 1024mb) ANY\nAETable END\n")
        self.process = subprocess.Popen(
            ["dcmqrscp", "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_listening(self.port, self.process)

    def stop(self):
        stop_process(self.process)


@contextlib.contextmanager
def running(peer):
    try:
        yield peer
    finally:
        peer.stop()
