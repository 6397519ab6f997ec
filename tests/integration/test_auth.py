"""Login, the Bearer token check, forged tokens, the login rate limit and the `token`
command."""

import base64
import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import threading
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
    response = api.unthrottled(lambda: api.get(path, token=token))
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
    response = api.unthrottled(lambda: api.login(username, password))
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
        response = api.unthrottled(lambda: api.request("GET", path, headers=headers))
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


def test_a_token_living_longer_than_the_maximum_is_refused(api, secret):
    """The maximum lifetime defaults to the login TTL (8 hours): a token signed with the
    real key but claiming more, or claiming no issue time, or issued in the future, is
    refused whatever its exp says."""
    claims = claims_of(api.token("north-user"))
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    at_the_limit = dict(claims, iat=now - 60, exp=now - 60 + 28800)
    assert api.get("/api/patients", token=make_token(header, at_the_limit, secret)).status == 200
    one_second_more = dict(claims, iat=now - 60, exp=now - 60 + 28801)
    assert_unauthenticated(api, make_token(header, one_second_more, secret))
    a_year = dict(claims, iat=now, exp=now + 365 * 86400)
    assert_unauthenticated(api, make_token(header, a_year, secret))
    no_iat = {k: v for k, v in claims.items() if k != "iat"}
    assert_unauthenticated(api, make_token(header, no_iat, secret))
    from_the_future = dict(claims, iat=now + 3600, exp=now + 7200)
    assert_unauthenticated(api, make_token(header, from_the_future, secret))


def test_token_command_refuses_a_ttl_beyond_the_maximum(data_dir):
    result = run_cli("token", "--data", data_dir, "--user", "river-admin", "--ttl", "28801")
    assert result.returncode != 0 and result.stdout == ""
    assert "--ttl must be 60-28800 seconds" in result.stderr
    assert run_cli("token", "--data", data_dir, "--user", "river-admin",
                   "--ttl", "28800").returncode == 0


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


@pytest.fixture(scope="module")
def throttled_user(data_dir, server):
    """Makes users of their own for the throttling tests: blocking one blocks it for a
    minute, and the other tests log in as the demo users."""
    def make(name):
        added = run_cli("user", "add", "--data", data_dir, "--hospital", "Northside General",
                        "--role", "user", name, stdin=name + "-pass\n")
        assert added.returncode == 0, added.stderr
        return name
    return make


def test_a_username_is_blocked_after_five_failures_from_any_addresses(api, throttled_user):
    user = throttled_user("north-throttled-1")
    for attempt in range(5):
        address = (f"127.0.1.{attempt + 1}", 0)
        assert api.login(user, "wrong-pass", source_address=address).status == 401, attempt
    response = api.login(user, "wrong-pass", source_address=("127.0.1.6", 0))
    assert response.status == 429
    assert response.error_code() == "too_many_requests"
    assert 1 <= int(response.header("Retry-After")) <= 60
    # Blocked means blocked, from any address and even with the right password...
    assert api.login(user, source_address=("127.0.1.7", 0)).status == 429
    # ...but only for that username: the guessing addresses may still log in others.
    assert api.login("north-user", source_address=("127.0.1.1", 0)).status == 200


def test_an_address_is_blocked_after_twenty_failures_against_any_usernames(api):
    address = ("127.0.2.1", 0)
    for attempt in range(20):
        response = api.login(f"nobody-{attempt}", "wrong-pass", source_address=address)
        assert response.status == 401, attempt
    response = api.login("north-user", source_address=address)
    assert response.status == 429 and response.error_code() == "too_many_requests"
    assert 1 <= int(response.header("Retry-After")) <= 60
    assert api.login("north-user", source_address=("127.0.2.2", 0)).status == 200


def test_a_success_takes_back_only_its_own_failures(api, throttled_user):
    """Four failures against one user, then a success from the same address as another
    user: the four still count, so the fifth failure blocks the first user."""
    victim, other = throttled_user("north-throttled-2"), throttled_user("north-throttled-3")
    address = ("127.0.3.1", 0)
    for _ in range(4):
        assert api.login(victim, "wrong-pass", source_address=address).status == 401
    assert api.login(other, source_address=address).status == 200
    assert api.login(victim, "wrong-pass", source_address=address).status == 401
    assert api.login(victim, source_address=address).status == 429
    # The user's own success does take back its failures from that address.
    for _ in range(4):
        assert api.login(other, "wrong-pass", source_address=address).status == 401
    assert api.login(other, source_address=address).status == 200
    assert [api.login(other, "wrong-pass", source_address=address).status
            for _ in range(2)] == [401, 401]


def test_concurrent_guesses_get_exactly_five_tries(api, throttled_user):
    """Twelve wrong passwords sent at once (fewer than the server's worker threads),
    from twelve addresses: however the server interleaves them, five are tried and the
    rest refused."""
    user = throttled_user("north-throttled-4")
    barrier = threading.Barrier(12)

    def guess(i):
        barrier.wait()
        return api.login(user, f"guess-{i}", source_address=(f"127.0.4.{i + 1}", 0)).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(guess, range(12)))
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 7, statuses


def test_login_refuses_an_overlong_username_without_counting_it(api):
    response = api.login("x" * 65, "wrong-pass", source_address=("127.0.5.1", 0))
    assert response.status == 400 and response.error_code() == "invalid_input"
