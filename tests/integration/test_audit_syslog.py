"""DICOM audit messages (IHE ATNA) sent to a real audit record repository: Debian's
rsyslogd, started by the test from a temporary configuration (foreground, its own pid
file and work directory, inputs on free loopback ports) with a UDP input and a TLS
input (RFC 5425, gtls, mutual TLS: x509/certvalid) that write every message as
received to a file. A throwaway CA signs the repository's and pacsport's certificates.

pacsport exports a study and is refused another; both arrive as RFC 5424 messages
whose XML is checked with xml.etree: the Export event, its outcome, the user, the
patient and the study. A repository that is down when the exports happen gets them
once it is up (the forwarder retries)."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from orthanc_process import free_port
from test_serve_config import login, make_data_dir, start, stop

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
PATIENT_ID = "1CT1"  # CT_small.dcm's
STUDY_UID = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
MISSING_STUDY = "1.2.826.0.1.3680043.2.1143.999"
HEADER = re.compile(r"^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-) (.*)$", re.DOTALL)

pytestmark = pytest.mark.skipif(not os.access(RSYSLOGD, os.X_OK), reason="rsyslogd not installed")


def make_certificates(directory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Test Audit CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    for name, subject, extensions in [
            ("server", "/CN=127.0.0.1",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
            ("client", "/CN=pacsport", "extendedKeyUsage=clientAuth\n")]:
        with open(os.path.join(directory, name + ".ext"), "w") as f:
            f.write(extensions)
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", name + ".key",
            "-out", name + ".csr")
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-extfile", name + ".ext", "-out", name + ".pem")
    return {name: os.path.join(directory, name) for name in
            ["ca.pem", "server.pem", "server.key", "client.pem", "client.key"]}


class Rsyslog:
    """rsyslogd -n with a UDP and a TLS input, each writing raw messages to a file."""

    def __init__(self, directory, certificates, udp_port, tls_port):
        self.directory = directory
        self.udp_log = os.path.join(directory, "udp.log")
        self.tls_log = os.path.join(directory, "tls.log")
        self.tls_port = tls_port
        work = os.path.join(directory, "work")
        os.makedirs(work, exist_ok=True)
        config = os.path.join(directory, "rsyslog.conf")
        with open(config, "w") as f:
            f.write(f"""
global(workDirectory="{work}" maxMessageSize="256k"
       defaultNetstreamDriverCAFile="{certificates['ca.pem']}"
       defaultNetstreamDriverCertFile="{certificates['server.pem']}"
       defaultNetstreamDriverKeyFile="{certificates['server.key']}")
module(load="imudp")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"
       streamDriver.authMode="x509/certvalid")
template(name="raw" type="string" string="%rawmsg%\\n")
input(type="imudp" address="127.0.0.1" port="{udp_port}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{tls_port}" ruleset="tls")
ruleset(name="udp") {{ action(type="omfile" file="{self.udp_log}" template="raw") }}
ruleset(name="tls") {{ action(type="omfile" file="{self.tls_log}" template="raw") }}
""")
        self.stderr = open(os.path.join(directory, "rsyslogd.stderr"), "wb")
        self.process = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", config, "-i", os.path.join(directory, "rsyslogd.pid")],
            stdout=self.stderr, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, self.output()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", tls_port), 1):
                break
            assert time.monotonic() < deadline, "rsyslogd did not listen: " + self.output()
            time.sleep(0.05)

    def output(self):
        with open(os.path.join(self.directory, "rsyslogd.stderr"), errors="replace") as f:
            return f.read()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()

    @staticmethod
    def messages(path):
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [line for line in f.read().split("\n") if line]


@contextlib.contextmanager
def repository(tmp_path, certificates, udp_port, tls_port, name="rsyslog"):
    directory = tmp_path / name
    directory.mkdir()
    process = Rsyslog(str(directory), certificates, udp_port, tls_port)
    try:
        yield process
    finally:
        process.stop()


def wait_for_messages(path, count, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        messages = Rsyslog.messages(path)
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.1)


def export(base, token, study_uid):
    """GET /api/export/study/UID; returns the HTTP status."""
    request = urllib.request.Request(base + "/api/export/study/" + study_uid,
                                     headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def parse(message):
    """(header fields, XML root) of one received RFC 5424 message."""
    match = HEADER.match(message)
    assert match, message[:200]
    pri, timestamp, hostname, app, procid, msgid, sd, body = match.groups()
    assert body.startswith("\ufeff"), "MSG must start with the UTF-8 BOM"
    header = {"pri": int(pri), "timestamp": timestamp, "hostname": hostname, "app": app,
              "procid": procid, "msgid": msgid, "sd": sd}
    return header, ET.fromstring(body[1:].encode("utf-8"))


def check_export_message(message, outcome, study_uid, patient_id=None):
    header, root = parse(message)
    assert header["pri"] // 8 == 10, "facility authpriv"
    assert header["pri"] % 8 == (5 if outcome == 0 else 4)
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$", header["timestamp"])
    assert header["app"] == "pacsport" and header["msgid"] == "IHE+RFC-3881"
    assert header["procid"].isdigit()
    assert root.tag == "AuditMessage"

    event = root.find("EventIdentification")
    assert event.get("EventActionCode") == "R"
    assert event.get("EventOutcomeIndicator") == str(outcome)
    assert re.match(r"^\d{4}-\d{2}-\d{2}T", event.get("EventDateTime"))
    event_id = event.find("EventID")
    assert (event_id.get("csd-code"), event_id.get("codeSystemName"),
            event_id.get("originalText")) == ("110106", "DCM", "Export")
    if outcome != 0:
        assert event.find("EventOutcomeDescription").text.startswith("denied")

    participants = root.findall("ActiveParticipant")
    requestors = [p for p in participants if p.get("UserIsRequestor") == "true"]
    assert [p.get("UserID") for p in requestors] == ["admin"]
    assert requestors[0].get("NetworkAccessPointID") == "127.0.0.1"
    assert requestors[0].get("NetworkAccessPointTypeCode") == "2"
    roles = {p.find("RoleIDCode").get("csd-code"): p for p in participants
             if p.find("RoleIDCode") is not None}
    assert roles["110154"].find("RoleIDCode").get("originalText") == "Destination Media"
    assert roles["110154"].get("NetworkAccessPointID") == "127.0.0.1"
    assert roles["110153"].get("UserID") == "pacsport"
    assert root.find("AuditSourceIdentification").get("AuditSourceID") == "pacs-under-test"

    objects = root.findall("ParticipantObjectIdentification")
    studies = [o for o in objects if o.get("ParticipantObjectTypeCode") == "2"]
    patients = [o for o in objects if o.get("ParticipantObjectTypeCode") == "1"]
    assert [s.get("ParticipantObjectID") for s in studies] == [study_uid]
    assert studies[0].get("ParticipantObjectTypeCodeRole") == "3"
    assert studies[0].find("ParticipantObjectIDTypeCode").get("csd-code") == "110180"
    if patient_id is None:
        assert patients == []
    else:
        assert [p.get("ParticipantObjectID") for p in patients] == [patient_id]
        assert patients[0].get("ParticipantObjectTypeCodeRole") == "1"
        code = patients[0].find("ParticipantObjectIDTypeCode")
        assert (code.get("csd-code"), code.get("codeSystemName")) == ("2", "RFC-3881")


def serve_with_repository(tmp_path, url, certificates, ca_file=None):
    data = make_data_dir(tmp_path)
    config = tmp_path / "pacsport.toml"
    config.write_text(f"""
[audit.syslog]
url = "{url}"
ca_file = "{ca_file or certificates['ca.pem']}"
cert_file = "{certificates['client.pem']}"
key_file = "{certificates['client.key']}"
source_id = "pacs-under-test"
""")
    return start(data, tmp_path / "log", "--demo", "--config", str(config))


@pytest.fixture
def certificates(tmp_path):
    directory = tmp_path / "pki"
    directory.mkdir()
    return make_certificates(str(directory))


@pytest.mark.parametrize("transport", ["udp", "tls"])
def test_exports_arrive_as_dicom_audit_messages(tmp_path, certificates, transport):
    udp_port, tls_port = free_port(), free_port()
    with repository(tmp_path, certificates, udp_port, tls_port) as rsyslog:
        url = (f"udp://127.0.0.1:{udp_port}" if transport == "udp"
               else f"tls://127.0.0.1:{tls_port}")
        process, base = serve_with_repository(tmp_path, url, certificates)
        try:
            with open(tmp_path / "log") as f:
                assert f"event=audit_forwarding url={url}" in f.read()
            token = login(base)
            assert export(base, token, STUDY_UID) == 200
            assert export(base, token, MISSING_STUDY) == 404
            log = rsyslog.udp_log if transport == "udp" else rsyslog.tls_log
            messages = wait_for_messages(log, 2)
        finally:
            stop(process)
        assert len(messages) == 2, (messages, rsyslog.output())
        check_export_message(messages[0], 0, STUDY_UID, PATIENT_ID)
        check_export_message(messages[1], 4, MISSING_STUDY)


def test_a_repository_down_at_first_gets_the_messages_once_up(tmp_path, certificates):
    udp_port, tls_port = free_port(), free_port()
    process, base = serve_with_repository(tmp_path, f"tls://127.0.0.1:{tls_port}", certificates)
    try:
        token = login(base)
        assert export(base, token, STUDY_UID) == 200
        assert export(base, token, MISSING_STUDY) == 404
        time.sleep(2)  # the forwarder fails and backs off
        with open(tmp_path / "log") as f:
            assert "event=audit_forward_failed" in f.read()
        with repository(tmp_path, certificates, udp_port, tls_port) as rsyslog:
            messages = wait_for_messages(rsyslog.tls_log, 2, timeout=60)
            assert len(messages) == 2, rsyslog.output()
            check_export_message(messages[0], 0, STUDY_UID, PATIENT_ID)
            check_export_message(messages[1], 4, MISSING_STUDY)
    finally:
        stop(process)

    # Started again, pacsport sends only what is new: its progress is kept in the index.
    process, base = start(str(tmp_path / "data"), tmp_path / "log-2", "--demo", "--config",
                          str(tmp_path / "pacsport.toml"))
    try:
        with repository(tmp_path, certificates, udp_port, tls_port, name="rsyslog-2") as rsyslog:
            assert export(base, login(base), STUDY_UID) == 200
            wait_for_messages(rsyslog.tls_log, 1)
            time.sleep(1.5)  # a poll interval: anything sent again would be there by now
            messages = Rsyslog.messages(rsyslog.tls_log)
            assert len(messages) == 1, messages
            check_export_message(messages[0], 0, STUDY_UID, PATIENT_ID)
    finally:
        stop(process)


def test_a_repository_whose_certificate_is_not_trusted_gets_nothing(tmp_path, certificates):
    other = tmp_path / "other-ca"
    other.mkdir()
    untrusted = make_certificates(str(other))["ca.pem"]
    udp_port, tls_port = free_port(), free_port()
    with repository(tmp_path, certificates, udp_port, tls_port) as rsyslog:
        process, base = serve_with_repository(tmp_path, f"tls://127.0.0.1:{tls_port}",
                                              certificates, ca_file=untrusted)
        try:
            assert export(base, login(base), STUDY_UID) == 200
            deadline = time.monotonic() + 20
            while "event=audit_forward_failed" not in (tmp_path / "log").read_text():
                assert time.monotonic() < deadline, "the forwarder reported no failure"
                time.sleep(0.1)
        finally:
            stop(process)
        assert "certificate" in (tmp_path / "log").read_text().split("event=audit_forward_failed")[1]
        assert Rsyslog.messages(rsyslog.tls_log) == []
