"""Login, the Bearer token check, forged tokens, the login rate limit and the `token`
command."""

import base64
import hashlib
import hmac
import json
import os
import re
import time
from datetime import datetime, timezone

import pytest

from server_process import run_cli

ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(header, claims, key):
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}.get(header.get("alg"))
    signature = b64url(hmac.new(key, signing_input.encode(), digest).digest()) if digest else ""
    return signing_input + "." + signature


def claims_of(token):
    return json.loads(b64url_decode(token.split(".")[1]))


@pytest.fixture(scope="module")
def secret(data_dir, server):
    with open(os.path.join(data_dir, "jwt-secret"), "rb") as f:
        return f.readline().rstrip(b"\n")


def assert_unauthenticated(api, token, path="/api/patients"):
    response = api.get(path, token=token)
    assert response.status == 401, (token, response.status, response.body)
    assert response.error_code() == "unauthenticated"


def test_login_answers_token_expiry_and_user(api):
    before = time.time()
    response = api.login("north-user")
    assert response.status == 200
    body = response.json()
    assert set(body) == {"token", "expiresAt", "user"}
    assert body["user"] == {"username": "north-user", "hospital": "Northside General", "role": "user"}
    assert ISO_MILLIS.match(body["expiresAt"])
    expires = datetime.strptime(body["expiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(expires.timestamp() - (before + 28800)) < 60, "default token lifetime is 8 hours"
    header = json.loads(b64url_decode(body["token"].split(".")[0]))
    assert header["alg"] == "HS256"
    claims = claims_of(body["token"])
    assert claims["sub"] == "north-user" and claims["role"] == "user"
    assert abs(claims["exp"] - expires.timestamp()) <= 1
    assert api.get("/api/patients", token=body["token"]).status == 200


@pytest.mark.parametrize("username,password", [
    ("north-user", "wrong-pass"), ("nobody-at-all", "nobody-pass"), ("north-user", ""),
])
def test_bad_credentials_answer_401_without_telling_which(api, username, password):
    response = api.login(username, password)
    assert response.status == 401
    assert response.error_code() == "unauthenticated"
    assert response.json()["error"]["message"] == "invalid username or password"


def test_login_body_must_be_json_with_strings(api):
    response = api.request("POST", "/api/auth/login", body=b'{"username": 1, "password": []}',
                           content_type="application/json")
    assert response.status == 400 and response.error_code() == "invalid_input"
    response = api.request("POST", "/api/auth/login", body=b"username=x", content_type="text/plain")
    assert response.status == 415 and response.error_code() == "unsupported_media_type"


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Basic bm9ydGgtdXNlcjpub3J0aC11c2VyLXBhc3M=",
    "Bearer garbage", "Bearer a.b.c", "Bearer ....",
])
def test_missing_or_garbage_authorization_is_401(api, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for path in ("/api/patients", "/api/studies", "/api/audit"):
        response = api.request("GET", path, headers=headers)
        assert response.status == 401, (path, authorization)
        assert response.error_code() == "unauthenticated"


def test_export_without_token_is_401(api, corpus):
    uid = corpus.file("CT_small.dcm").text("StudyInstanceUID")
    response = api.export("study", uid, headers={"Authorization": "Bearer nope"})
    assert response.status == 401 and response.error_code() == "unauthenticated"


def test_forged_tokens_are_refused(api, secret):
    genuine = api.token("north-user")
    claims = claims_of(genuine)
    now = int(time.time())
    # The control: a token this test forges with the real key is accepted, so every
    # refusal below is the server's doing, not a bug of the forging code.
    control = make_token({"alg": "HS256", "typ": "JWT"}, dict(claims, iat=now, exp=now + 600), secret)
    assert api.get("/api/patients", token=control).status == 200

    assert_unauthenticated(api, make_token({"alg": "none", "typ": "JWT"}, claims, b""))
    assert_unauthenticated(api, make_token({"alg": "none", "typ": "JWT"}, claims, b"")[:-1])
    assert_unauthenticated(api, make_token({"alg": "HS256", "typ": "JWT"}, claims, b"k" * 32))
    assert_unauthenticated(api, make_token({"alg": "HS512", "typ": "JWT"}, claims, secret))
    expired = dict(claims, iat=now - 7200, exp=now - 3600)
    assert_unauthenticated(api, make_token({"alg": "HS256", "typ": "JWT"}, expired, secret))
    no_expiry = {k: v for k, v in claims.items() if k != "exp"}
    assert_unauthenticated(api, make_token({"alg": "HS256", "typ": "JWT"}, no_expiry, secret))


def test_tampered_payload_cannot_raise_the_role(api, secret):
    genuine = api.token("north-user")
    header, _, signature = genuine.split(".")
    promoted = dict(claims_of(genuine), role="admin")
    tampered = header + "." + b64url(json.dumps(promoted).encode()) + "." + signature
    assert_unauthenticated(api, tampered)
    assert_unauthenticated(api, tampered, "/api/audit")
    # Even signed with the real key, a role the user does not have is refused.
    resigned = make_token({"alg": "HS256", "typ": "JWT"}, promoted, secret)
    assert_unauthenticated(api, resigned, "/api/audit")
    other_hospital = dict(claims_of(genuine), hospital="Riverside Clinic",
                          hid=claims_of(api.token("river-user"))["hid"])
    assert_unauthenticated(api, make_token({"alg": "HS256", "typ": "JWT"}, other_hospital, secret))


def test_token_command_output_is_accepted(api, data_dir):
    result = run_cli("token", "--data", data_dir, "--user", "river-admin", "--ttl", "120")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert claims_of(token)["exp"] - claims_of(token)["iat"] == 120
    response = api.get("/api/audit", token=token)
    assert response.status == 200
    unknown = run_cli("token", "--data", data_dir, "--user", "nobody-at-all")
    assert unknown.returncode != 0 and unknown.stdout == "" and unknown.stderr.strip()


def test_sixth_failed_login_from_one_address_is_429(api):
    """The limiter counts per client address: the failures come from 127.0.0.2 so that
    127.0.0.1, which the other tests use, is never blocked."""
    blocked_address = ("127.0.0.2", 0)
    for attempt in range(5):
        response = api.login("north-user", "wrong-pass", source_address=blocked_address)
        assert response.status == 401, attempt
    response = api.login("north-user", "wrong-pass", source_address=blocked_address)
    assert response.status == 429
    assert response.error_code() == "too_many_requests"
    assert 1 <= int(response.header("Retry-After")) <= 60
    # Blocked means blocked, even with the right password...
    response = api.login("north-user", source_address=blocked_address)
    assert response.status == 429
    # ...but only for that address.
    assert api.login("north-user").status == 200


def test_a_successful_login_resets_the_failure_count(api):
    """Four failures, a success, then two more failures: without the reset the second
    of those would be the sixth attempt after five failures, and refused."""
    address = ("127.0.0.3", 0)
    for _ in range(4):
        assert api.login("river-user", "wrong-pass", source_address=address).status == 401
    assert api.login("river-user", source_address=address).status == 200
    statuses = [api.login("river-user", "wrong-pass", source_address=address).status
                for _ in range(2)]
    assert statuses == [401, 401]
