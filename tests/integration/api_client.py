"""A small client of the pacsport REST API over http.client (no third-party HTTP
library), which keeps a ledger of every export attempt it made so that the audit
trail can be checked against it."""

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass

from corpus import NORTH, RIVER

EXPORT_ENDPOINTS = {
    "study": "GET /api/export/study/:studyUID",
    "series": "GET /api/export/series/:seriesUID",
    "patient": "GET /api/export/patient/:patientID",
    "all": "GET /api/export/all",
}


def password_of(username):
    return username + "-pass"


def hospital_of(username):
    return {"north": NORTH, "river": RIVER}[username.split("-", 1)[0]]


def quote(segment):
    return urllib.parse.quote(segment, safe="")


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    complete: bool  # False when the body ended without its final chunk

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def error_code(self):
        """The code of an error body; asserts the documented error shape."""
        body = self.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message"}, body
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        return body["error"]["code"]


def refusal_of(response):
    """The message of an error body, "" for anything else."""
    if response.status < 400:
        return ""
    try:
        return json.loads(response.body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""


@dataclass
class ExportAttempt:
    """One export request as the audit trail should remember it."""
    username: str  # "" when the request carried no valid token
    endpoint: str
    target: str
    status: int
    complete: bool
    bytes: int
    refusal: str = ""  # the error message of a refused attempt


class Api:
    def __init__(self, base_url, ssl_context=None):
        """`ssl_context`: for an https `base_url`, the context its certificate is checked by."""
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.ssl_context = ssl_context
        self.tokens = {}
        self.export_attempts = []

    def request(self, method, path, token=None, body=None, content_type=None, headers=None,
                source_address=None, timeout=120):
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = "Bearer " + token
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        if self.ssl_context is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                                    source_address=source_address)
        else:
            connection = http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                                     source_address=source_address,
                                                     context=self.ssl_context)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            complete = True
            try:
                data = response.read()
            except http.client.IncompleteRead as e:
                data, complete = e.partial, False
            return Response(response.status, response.headers, data, complete)
        finally:
            connection.close()

    def login(self, username, password=None, source_address=None):
        body = json.dumps({"username": username,
                           "password": password_of(username) if password is None else password})
        return self.request("POST", "/api/auth/login", body=body, content_type="application/json",
                            source_address=source_address)

    @staticmethod
    def unthrottled(send):
        """send()'s response, sent again after its Retry-After (up to three times, as a
        client should) while the per-address rate limit of anonymous requests refuses it
        (429): tests of refused tokens and logins spend that limit, and a request without
        a valid token asks something else of the server than whether it is throttled."""
        response = send()
        for _ in range(3):
            if response.status != 429:
                break
            time.sleep(min(float(response.header("Retry-After") or 1), 5))
            response = send()
        return response

    def token(self, username):
        """A token of `username`, logged in once (unthrottled); other answers fail."""
        if username not in self.tokens:
            response = self.unthrottled(lambda: self.login(username))
            assert response.status == 200, (username, response.status, response.body)
            self.tokens[username] = response.json()["token"]
        return self.tokens[username]

    def get(self, path, user=None, token=None, params=None, **kwargs):
        if user is not None:
            token = self.token(user)
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return self.request("GET", path, token=token, **kwargs)

    def get_json(self, path, user, params=None):
        response = self.get(path, user=user, params=params)
        assert response.status == 200, (path, response.status, response.body[:300])
        assert response.header("Content-Type").startswith("application/json")
        return response.json()

    def list_all(self, path, key, user, params=None):
        """Every item of a paginated list, in one page of the maximum size."""
        page = self.get_json(path, user, dict(params or {}, limit=1000))
        assert page["total"] == len(page[key]), "more than 1000 items: page through them"
        return page[key]

    def export(self, scope, target="", user=None, token=None, params=None, **kwargs):
        """GET /api/export/<scope>/<target>, recorded in export_attempts."""
        path = "/api/export/all" if scope == "all" else f"/api/export/{scope}/{quote(target)}"
        response = self.get(path, user=user, token=token, params=params, **kwargs)
        self.export_attempts.append(ExportAttempt(
            user or "", EXPORT_ENDPOINTS[scope], target, response.status, response.complete,
            len(response.body), refusal_of(response)))
        return response
