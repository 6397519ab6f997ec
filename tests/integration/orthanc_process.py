"""Debian's real Orthanc (/usr/sbin/Orthanc) as a child process of the tests: a free
loopback port, a temporary storage directory and JSON configuration, optionally HTTP
basic authentication, optionally with Debian's DICOMweb plugin (orthanc-dicomweb) and a
Lua script (e.g. a ReceivedInstanceFilter refusing some instances). It uploads files
(remembering which ones Orthanc accepted and the IDs it gave them), deletes instances,
and is stopped (SIGTERM), killed (SIGKILL) and started again on the same port and
storage.

    with Orthanc.running(directory, credentials=("pacsport", "secret")) as orthanc:
        orthanc.upload_files(paths)

Orthanc cannot bind to loopback only; RemoteAccessAllowed false refuses every other
client."""

import base64
import contextlib
import glob
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass

import pydicom

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
# Debian's orthanc-dicomweb installs the plugin as /usr/lib/orthanc/libOrthancDicomWeb.so.<version>.
DICOMWEB_PLUGINS = "/usr/lib/orthanc/libOrthancDicomWeb.so*"


def free_port():
    """A loopback port free now, below the kernel's ephemeral range: Orthanc binds it
    only once started (and again when restarted), and a port from that range could be
    taken meanwhile as the local port of any outgoing connection (the tests make
    thousands), which failed a CI run with "port already in use"."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
    candidates = list(range(10000, ephemeral_low))
    random.SystemRandom().shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free loopback port below the ephemeral range")


def dicom_files(root):
    """Every file under `root` (recursively) named *.dcm or without an extension that
    pydicom reads as DICOM, in `find | LC_ALL=C sort` order."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            extension = os.path.splitext(name)[1]
            if extension == ".dcm" or (extension == "" and _is_dicom(path)):
                found.append(path)
    return sorted(found, key=os.fsencode)


def _is_dicom(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pydicom.dcmread(path, stop_before_pixels=True)
            return True
        except Exception:  # pydicom raises many kinds on what is not DICOM
            return False


@dataclass
class Upload:
    """One file Orthanc accepted: its bytes and the instance ID Orthanc gave it.
    `new` is False when Orthanc already held that instance (same identifiers)."""
    path: str
    data: bytes
    orthanc_id: str
    new: bool


@dataclass(frozen=True)
class InstanceFacts:
    """What Orthanc says of one of its instances."""
    study_uid: str
    sop_uid: str


class OrthancError(AssertionError):
    pass


class Orthanc:
    """One Orthanc server. Its port and storage stay the same across stop/start."""

    def __init__(self, directory, credentials=None, name="pacsport-test", dicomweb=False,
                 lua=None, dicom_peer=None):
        """`directory` (created) holds the configuration, the storage and the log;
        `credentials` is (username, password) to require HTTP basic authentication;
        `dicomweb` loads the DICOMweb plugin (its base URL is then `dicomweb_url`); `lua`
        is the text of a Lua script Orthanc runs; `dicom_peer`, an AE title, starts its
        DICOM server (AE title ORTHANC, port `dicom_port`) and lets that AE store and
        query."""
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.credentials = credentials
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.directory, "orthanc.log")
        self.config_path = os.path.join(self.directory, "orthanc.json")
        self.uploads = []  # every accepted upload, in order
        self.refused = []  # paths Orthanc refused
        storage = os.path.join(self.directory, "storage")
        config = {
            "Name": name, "StorageDirectory": storage, "IndexDirectory": storage,
            "HttpPort": self.port, "DicomServerEnabled": False, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": credentials is not None, "Plugins": [],
            "StorageCompression": False, "SaveJobs": False, "HttpDescribeErrors": True,
        }
        if credentials is not None:
            config["RegisteredUsers"] = {credentials[0]: credentials[1]}
        self.dicom_port = None
        if dicom_peer is not None:
            self.dicom_port = free_port()
            config.update({"DicomServerEnabled": True, "DicomAet": "ORTHANC",
                           "DicomPort": self.dicom_port, "DicomCheckCalledAet": True,
                           "DicomModalities": {"peer": [dicom_peer, "127.0.0.1", 104]}})
        self.dicomweb_url = None
        if dicomweb:
            plugins = sorted(glob.glob(DICOMWEB_PLUGINS))
            assert plugins, "Debian's orthanc-dicomweb is missing: scripts/install-deps.sh installs it"
            config["Plugins"] = plugins[-1:]
            config["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/"}
            self.dicomweb_url = self.url + "/dicom-web"
        if lua is not None:
            lua_path = os.path.join(self.directory, "script.lua")
            with open(lua_path, "w") as f:
                f.write(lua)
            config["LuaScripts"] = [lua_path]
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=1)
        self.process = None

    @classmethod
    @contextlib.contextmanager
    def running(cls, directory, credentials=None, name="pacsport-test", **options):
        """A started Orthanc, stopped on leaving whatever happened (killed if it must);
        `options` as the constructor's."""
        orthanc = cls(directory, credentials, name, **options)
        try:
            orthanc.start()
            yield orthanc
        finally:
            orthanc.stop(timeout=30)

    # --- the process --------------------------------------------------------------------

    def start(self, timeout=90):
        """Starts Orthanc (again) and waits until /system answers."""
        assert os.access(ORTHANC, os.X_OK), \
            "Debian's orthanc is missing: scripts/install-deps.sh installs it"
        assert not self.alive(), "Orthanc is already running"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([ORTHANC, self.config_path], stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, _ = self.request("GET", "/system", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise OrthancError(f"Orthanc exited with {self.process.returncode}: {self.log()}")
            if time.monotonic() > deadline:
                raise OrthancError(f"Orthanc did not answer /system: {self.log()[-3000:]}")
            time.sleep(0.1)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=60):
        """SIGTERM and wait: Orthanc closes its database cleanly."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self):
        """SIGKILL: Orthanc disappears mid-request."""
        if self.alive():
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    # --- REST ----------------------------------------------------------------------------

    def _headers(self, extra=None):
        headers = dict(extra or {})
        if self.credentials is not None:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            headers["Authorization"] = "Basic " + token
        return headers

    def request(self, method, path, body=None, headers=None, timeout=120, authenticate=True):
        """(status, body bytes) of one request."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body,
                               headers=self._headers(headers) if authenticate else (headers or {}))
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get_json(self, path):
        status, body = self.request("GET", path)
        if status != 200:
            raise OrthancError(f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def catalog(self):
        """Orthanc ID -> InstanceFacts of every instance Orthanc holds."""
        studies = {s["ID"]: s["MainDicomTags"]["StudyInstanceUID"]
                   for s in self.get_json("/studies?expand")}
        series = {s["ID"]: studies[s["ParentStudy"]] for s in self.get_json("/series?expand")}
        return {i["ID"]: InstanceFacts(series[i["ParentSeries"]],
                                       i["MainDicomTags"]["SOPInstanceUID"])
                for i in self.get_json("/instances?expand")}

    def file(self, orthanc_id):
        status, body = self.request("GET", f"/instances/{orthanc_id}/file")
        if status != 200:
            raise OrthancError(f"GET /instances/{orthanc_id}/file: {status}")
        return body

    def last_change(self):
        return self.get_json("/changes?last")["Last"]

    def upload(self, data, path=""):
        """Uploads one file; its Upload when Orthanc accepted it, else None."""
        status, body = self.request("POST", "/instances", body=data,
                                    headers={"Content-Type": "application/dicom"})
        if status != 200:
            self.refused.append(path)
            return None
        answer = json.loads(body)
        upload = Upload(path, data, answer["ID"], answer["Status"] == "Success")
        self.uploads.append(upload)
        return upload

    def upload_files(self, paths):
        """Uploads every file; the accepted ones as Uploads, in order."""
        accepted = []
        for path in paths:
            with open(path, "rb") as f:
                upload = self.upload(f.read(), path)
            if upload is not None:
                accepted.append(upload)
        return accepted

    def delete_instance(self, orthanc_id):
        status, body = self.request("DELETE", f"/instances/{orthanc_id}")
        if status != 200:
            raise OrthancError(f"DELETE /instances/{orthanc_id}: {status} {body[:300]!r}")
