"""E-mail delivery of export jobs over real HTTP and real SMTP (issue 16): a job with
an e-mail destination ends "delivered" once a message reaches the recipients through
Debian's aiosmtpd (tests/integration/smtp_server.py); the message names the export
and carries a single-use link, never the data nor a patient's name or ID; the link
serves the job's archive once (GET /api/deliveries/:token), then 404 (JSON, or an
HTML page for a browser), as an expired or unknown one does; every use and refused
use is audited under the job's owner; an SMTP server that is down fails the job with
a clear error after the retries. Each server here is the module's own, with
PACSPORT_PUBLIC_URL set."""

import hashlib
import json
import re
import time

import pydicom
import pytest

from api_client import Api
from server_process import run_cli
from smtp_server import SmtpServer
from test_export_jobs import Jobs
from test_serve_config import CT_SMALL, start, stop

HOSPITAL = "Hôpital Saint-Éloi"
PUBLIC_URL = "https://pacs.example.org"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/api/deliveries/[A-Za-z0-9_-]{43}")
DELIVERED = {"delivered", "failed", "cancelled", "done"}


def make_data(path):
    """One hospital with a non-ASCII name, an admin (password admin-pass), CT_small."""
    data = str(path / "data")
    assert run_cli("hospital", "add", "--data", data, HOSPITAL).returncode == 0
    assert run_cli("user", "add", "--data", data, "--hospital", HOSPITAL, "--role", "admin",
                   "admin", stdin="admin-pass\n").returncode == 0
    assert run_cli("import", "--data", data, "--hospital", HOSPITAL, CT_SMALL).returncode == 0
    return data


def patient_identifiers():
    ds = pydicom.dcmread(CT_SMALL)
    name = str(ds.PatientName)
    return [ds.PatientID, name, name.replace("^", " "), ds.StudyInstanceUID]


class EmailServer:
    """pacsport serve with an SMTP server beside it, as `admin`."""

    def __init__(self, tmp, link_seconds=None):
        self.smtp = SmtpServer(str(tmp))
        env = {"PACSPORT_PUBLIC_URL": PUBLIC_URL + "/"}
        if link_seconds:
            env["PACSPORT_EMAIL_LINK_SECONDS"] = str(link_seconds)
        self.process, self.base = start(make_data(tmp), tmp / "log", "--demo", env=env)
        self.log_path = tmp / "log"
        self.api = Api(self.base)
        self.jobs = Jobs(self.base)

    def call(self, method, path, body=None):
        return self.api.request(method, path, token=self.api.token("admin"),
                                body=None if body is None else json.dumps(body),
                                content_type=None if body is None else "application/json")

    def destination(self, name, **settings):
        body = {"name": name, "kind": "email",
                "settings": {"url": f"smtp://127.0.0.1:{self.smtp.port}", "starttls": "none",
                             "from": "PACS export <pacsport@hopital.example>",
                             "to": ["radiology@example.org", "Zoë Martin <zoe@example.org>"],
                             **settings}}
        response = self.call("POST", "/api/destinations", body)
        assert response.status == 201, response.body
        return response.json()

    def deliver(self, destination, timeout=60):
        """A patient export job sent to `destination`, waited for to its end."""
        job = self.jobs.start("admin", scope="patient", ids=[pydicom.dcmread(CT_SMALL).PatientID],
                              destination=destination["id"])
        return self.jobs.wait("admin", job["id"], states=DELIVERED, timeout=timeout)

    def follow(self, link, headers=None, method="GET"):
        assert link.startswith(PUBLIC_URL)
        return self.api.request(method, link[len(PUBLIC_URL):], headers=headers)

    def audit(self):
        return self.api.get_json("/api/audit", "admin", params={"limit": 200})["records"]

    def stop(self):
        stop(self.process)
        self.smtp.stop()


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    server = EmailServer(tmp_path_factory.mktemp("email"))
    yield server
    server.stop()
    log = open(server.log_path, errors="replace").read()
    for identifier in patient_identifiers():
        assert identifier not in log
    assert not LINK.search(log), "the server log holds an e-mailed link"


@pytest.fixture(scope="module")
def delivered(mail):
    """A job delivered by e-mail, its message and its link."""
    destination = mail.destination("Radiology mailbox")
    job = mail.deliver(destination)
    assert job["state"] == "delivered", job
    messages = mail.smtp.wait_for_messages(1)
    assert len(messages) == 1
    message, raw = messages[0]
    links = LINK.findall(message.get_content())
    assert len(links) == 1, message.get_content()
    return {"destination": destination, "job": job, "message": message, "raw": raw,
            "link": links[0]}


def test_the_test_action_greets_the_smtp_server_and_sends_nothing(mail):
    destination = mail.destination("Checked mailbox")
    response = mail.call("POST", f"/api/destinations/{destination['id']}/test")
    assert response.status == 200 and response.json() == {"ok": True}, response.body
    assert mail.smtp.messages() == []


def test_the_message_names_the_export_and_carries_a_link_not_the_data(delivered):
    job, message, raw = delivered["job"], delivered["message"], delivered["raw"]
    assert message["X-RcptTo"] == "radiology@example.org, zoe@example.org"
    assert message["X-MailFrom"] == "pacsport@hopital.example"
    assert str(message["To"]) == "radiology@example.org, Zoë Martin <zoe@example.org>"
    assert str(message["From"]) == "PACS export <pacsport@hopital.example>"
    assert message["Subject"] == f"Export {job['id']} from {HOSPITAL} is ready"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert f"export_{job['id']}.zip" in body and "patient export" in body
    assert len(raw) < 4096  # a link, not an archive
    where = job["deliveredTo"]
    assert where["kind"] == "email" and where["recipients"] == ["radiology@example.org",
                                                                "zoe@example.org"]
    assert where["messageId"] == message["Message-ID"]
    # The archive is kept as long as its link works (72 hours, over the 24 of retention).
    assert job["archive"]["expiresAt"] == where["linkExpiresAt"]


def test_no_patient_identifier_anywhere_in_the_message(delivered):
    message, raw = delivered["message"], delivered["raw"]
    decoded = "\n".join(f"{k}: {v}" for k, v in message.items()) + "\n" + message.get_content()
    assert delivered["job"]["archiveName"].startswith("patient_")  # it names the patient
    for identifier in patient_identifiers():
        assert identifier not in decoded and identifier.encode() not in raw, identifier
    assert delivered["job"]["archiveName"] not in decoded


def test_the_link_serves_the_archive_once(mail, delivered):
    link, job = delivered["link"], delivered["job"]
    # A HEAD (a link checker) does not spend it.
    assert mail.follow(link, method="HEAD").status == 405
    first = mail.follow(link, headers={"Range": "bytes=0-99"})
    assert first.status == 200 and first.complete  # the whole archive, whatever the Range
    assert hashlib.sha256(first.body).hexdigest() == job["archive"]["sha256"]
    assert first.header("Content-Disposition").startswith("attachment")
    second = mail.follow(link)
    assert second.status == 404 and second.header("Content-Type").startswith("application/json")
    assert second.json()["error"]["code"] == "not_found"
    assert "already used or has expired" in second.json()["error"]["message"]


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_a_page_for_a_spent_link(mail, delivered):
    page = mail.follow(delivered["link"], headers=BROWSER, method="POST")
    assert page.status == 404 and page.header("Content-Type").startswith("text/html")
    assert b"already used or has expired; ask for a new export" in page.body


def test_a_browser_or_a_mail_scanner_opening_the_link_does_not_spend_it(mail):
    """Scanners (Outlook Safe Links, mail gateways) GET every link of a message as a
    browser would: that GET gets a page whose button POSTs, and the link stays usable."""
    job = mail.deliver(mail.destination("Scanned mailbox"))
    assert job["state"] == "delivered", job
    sent = [m for m, _ in mail.smtp.messages() if job["id"] in m["Subject"]]
    assert len(sent) == 1
    (link,) = LINK.findall(sent[0].get_content())
    for _ in range(2):
        page = mail.follow(link, headers=BROWSER)
        assert page.status == 200 and page.header("Content-Type").startswith("text/html")
        assert b'<form method="post">' in page.body and page.header("Cache-Control") == "no-store"
    download = mail.follow(link, headers=BROWSER, method="POST")
    assert download.status == 200 and download.header("Content-Disposition").startswith("attachment")
    assert hashlib.sha256(download.body).hexdigest() == job["archive"]["sha256"]
    assert mail.follow(link, headers=BROWSER, method="POST").status == 404


def test_an_unknown_link_is_404(mail):
    response = mail.follow(PUBLIC_URL + "/api/deliveries/" + "A" * 43)
    assert response.status == 404 and response.json()["error"]["code"] == "not_found"


def test_the_audit_records_the_delivery_and_every_use_of_the_link(mail, delivered):
    job = delivered["job"]
    records = [r for r in mail.audit() if r["target"] == job["id"]]
    sent = [r for r in records if r["endpoint"] == "DELIVER /api/export/jobs/:id"]
    assert len(sent) == 1 and sent[0]["outcome"] == "success", sent
    assert "Radiology mailbox" in sent[0]["targetLabel"]
    uses = [r for r in records
            if r["endpoint"] in ("GET /api/deliveries/:token", "POST /api/deliveries/:token")]
    assert all(r["username"] == "admin" and r["hospital"] == HOSPITAL for r in uses), uses
    served = [r for r in uses if r["outcome"] == "success"]
    assert len(served) == 1 and served[0]["contentSha256"] in ("", job["archive"]["sha256"])
    assert served[0]["bytesSent"] == job["archive"]["size"]
    refused = [r for r in uses if r["outcome"] == "denied"]
    assert len(refused) >= 2 and all("already used" in r["detail"] for r in refused), refused


@pytest.mark.parametrize("settings, named", [
    ({"url": "smtp://mail.example.org", "starttls": "none"}, "settings.starttls"),
    ({"body": "Your export is ready."}, "{link}"),
    ({"to": ["a@example.org\r\nBcc: b@example.org"]}, "settings.to"),
    ({"subject": "Ready\nBcc: b@example.org"}, "settings.subject"),
    ({"subject": "{patientName}"}, "{patientName}"),
])
def test_bad_email_settings_are_refused_when_saved(mail, settings, named):
    body = {"name": "Bad", "kind": "email",
            "settings": {"url": f"smtp://127.0.0.1:{mail.smtp.port}", "starttls": "none",
                         "from": "pacsport@hopital.example", "to": ["a@example.org"], **settings}}
    response = mail.call("POST", "/api/destinations", body)
    assert response.status == 400, response.body
    assert named in response.json()["error"]["message"]


def test_a_job_fails_clearly_when_the_smtp_server_is_down(tmp_path):
    server = EmailServer(tmp_path)
    try:
        destination = server.destination("Down mailbox")
        server.smtp.stop()
        started = time.monotonic()
        job = server.deliver(destination, timeout=120)
        assert job["state"] == "failed", job
        assert job["error"].startswith("delivery failed:") and "SMTP smtp://127.0.0.1:" in job["error"]
        assert job["archive"] is None
        assert time.monotonic() - started > 2  # after pauses between the attempts
        sent = [r for r in server.audit() if r["endpoint"] == "DELIVER /api/export/jobs/:id"]
        assert len(sent) == 1 and sent[0]["outcome"] == "failed"
    finally:
        stop(server.process)


def test_an_expired_link_is_refused_and_audited(tmp_path):
    server = EmailServer(tmp_path, link_seconds=2)
    try:
        job = server.deliver(server.destination("Short-lived links"))
        assert job["state"] == "delivered", job
        [(message, _)] = server.smtp.wait_for_messages(1)
        [link] = LINK.findall(message.get_content())
        expires = job["deliveredTo"]["linkExpiresAt"]
        time.sleep(2.5)
        response = server.follow(link)
        assert response.status == 404 and response.json()["error"]["code"] == "not_found"
        refused = [r for r in server.audit() if r["endpoint"] == "GET /api/deliveries/:token"]
        assert len(refused) == 1 and refused[0]["outcome"] == "denied"
        assert refused[0]["username"] == "admin" and expires in refused[0]["detail"]
    finally:
        server.stop()
