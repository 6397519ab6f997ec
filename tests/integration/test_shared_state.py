"""State that any replica's next request needs lives in the index, not in a process
(docs/decisions/0023-shared-links-and-login-limits.md): browser download links
survive a restart and are used once across two `pacsport serve` processes on one
data directory, and failed logins spread over both meet one limit."""

import json

from api_client import Api
from test_export_links import new_link
from test_serve_config import make_data_dir, start, stop


def login_as_admin(base):
    api = Api(base)
    response = api.login("admin", "admin-pass")
    assert response.status == 200, (response.status, response.body)
    api.tokens["admin"] = response.json()["token"]
    return api


def first_study(api):
    return api.get_json("/api/studies", "admin")["studies"][0]["studyInstanceUID"]


def refused_link_uses(api):
    records = api.get_json("/api/audit", "admin", {"limit": 50})["records"]
    return [r for r in records
            if r["endpoint"] == "GET /api/downloads/:token" and r["outcome"] == "denied"]


def test_a_link_survives_a_restart_and_still_works_once(tmp_path):
    data = make_data_dir(tmp_path)
    process, base = start(data, tmp_path / "log-1", "--demo")
    try:
        api = login_as_admin(base)
        link = new_link(api, "admin", f"study/{first_study(api)}", "?includeImages=false")
    finally:
        stop(process)
    process, base = start(data, tmp_path / "log-2", "--demo")
    try:
        api = login_as_admin(base)
        first = api.request("GET", link["url"])
        assert first.status == 200 and first.complete, (first.status, first.body[:200])
        assert json.loads(first.body)  # the metadata document of the study
        assert api.get_json(link["statusUrl"], "admin") == {"state": "completed"}
        again = api.request("GET", link["url"])
        assert again.status == 404 and again.json()["error"]["code"] == "not_found"
    finally:
        stop(process)


def test_two_servers_on_one_data_directory_share_links_and_login_limits(tmp_path):
    data = make_data_dir(tmp_path)
    a_process, a_base = start(data, tmp_path / "log-a", "--demo")
    try:
        b_process, b_base = start(data, tmp_path / "log-b", "--demo")
        try:
            a, b = login_as_admin(a_base), login_as_admin(b_base)
            uid = first_study(a)

            # A link made on A is used on B, once; its second use on A is refused and
            # audited under the link's user; its status reads the same on both.
            link = new_link(a, "admin", f"study/{uid}", "?includeImages=false")
            used = b.request("GET", link["url"])
            assert used.status == 200 and used.complete, (used.status, used.body[:200])
            refused_before = len(refused_link_uses(a))
            again = a.request("GET", link["url"])
            assert again.status == 404 and again.json()["error"]["code"] == "not_found"
            refused = refused_link_uses(b)
            assert len(refused) == refused_before + 1
            assert refused[0]["username"] == "admin" and refused[0]["target"] == uid
            for api in (a, b):
                assert api.get_json(link["statusUrl"], "admin") == {"state": "completed"}

            # Failed logins spread over A and B meet one limit (5 per username): the
            # fifth failure blocks, on either server, even with the right password.
            for attempt in range(5):
                server = (a, b)[attempt % 2]
                failed = server.login("admin", "wrong-password")
                assert failed.status == 401, (attempt, failed.status, failed.body)
            for server in (a, b):
                blocked = server.login("admin", "admin-pass")
                assert blocked.status == 429, (blocked.status, blocked.body)
                assert blocked.error_code() == "too_many_requests"
                assert 1 <= int(blocked.header("Retry-After")) <= 60
        finally:
            stop(b_process)
    finally:
        stop(a_process)
