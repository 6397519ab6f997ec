"""Export jobs delivered to Azure Blob storage (issue 16) against a real Azurite in
strict mode that checks Shared Key and SAS signatures (azurite_server.py), through a
proxy that can change a block or stop Azurite on the way: a small archive is one Put
Blob, a big one Put Blocks and a Put Block List, both equal to the job's archive; a
block changed on the way is refused by its Content-MD5 and sent again; a container SAS
works; a wrong key, a SAS without write permission, a missing container, Azurite
stopped mid-upload and a commit whose answer is lost fail the job and leave no blob; the destination's test action says
which is which and leaves nothing. The server and Azurite are the module's own."""

import base64
import hashlib
import json

import pytest

from azurite_server import Azurite, AzuriteProxy
from destinations_api import create_destination, deliver, delivery_server, run_test_action

CONTAINER = "exports"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def azurite(tmp_path_factory):
    with Azurite.running(str(tmp_path_factory.mktemp("azurite"))) as emulator:
        emulator.create_container(CONTAINER)
        yield emulator


@pytest.fixture(scope="module")
def pacsport(tmp_path_factory):
    with delivery_server(tmp_path_factory.mktemp("azure")) as server:
        yield server


@pytest.fixture
def proxy(azurite):
    with AzuriteProxy(azurite) as p:
        yield p


def job_archive(pacsport, job):
    response = pacsport["jobs"].archive("admin", job["id"])
    assert response.status == 200
    assert hashlib.sha256(response.body).hexdigest() == job["archive"]["sha256"]
    return response.body


def blobs_of(azurite, job, include_uncommitted=False):
    return [name for name in azurite.blob_names(CONTAINER, include_uncommitted)
            if f"/{job['id']}/" in "/" + name]


def test_a_small_archive_goes_up_in_one_put_blob_equal_to_the_jobs_archive(pacsport, azurite, proxy):
    settings, secrets = azurite.destination(CONTAINER, prefix="pacs/")
    settings["endpoint"] = proxy.endpoint
    destination = create_destination(pacsport["api"], "azure-blob", "azure small", settings, secrets)
    assert destination["secrets"] == ["accountKey"]
    job = deliver(pacsport, destination["id"], pacsport["small"])
    assert job["state"] == "delivered", job
    where = job["deliveredTo"]
    assert where["kind"] == "azure-blob" and where["endpoint"] == proxy.endpoint
    assert where["container"] == CONTAINER and where["size"] == job["archive"]["size"]
    assert where["blob"].startswith(f"pacs/{job['id']}/") and where["blob"].endswith(".zip")
    assert proxy.requests == [("PUT", f"/{azurite.account}/{CONTAINER}/{where['blob']}")]
    data, headers = azurite.blob(CONTAINER, where["blob"])
    assert data == job_archive(pacsport, job)
    assert headers["etag"] == where["etag"] and headers["content-type"] == "application/zip"
    assert headers["content-md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    assert headers["x-ms-meta-sha256"] == job["archive"]["sha256"]


def test_a_big_archive_goes_up_in_blocks_then_one_block_list(pacsport, azurite, proxy):
    settings, secrets = azurite.destination(CONTAINER, block_size_mib=1)
    settings["endpoint"] = proxy.endpoint
    destination = create_destination(pacsport["api"], "azure-blob", "azure blocks", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "delivered", job
    size = job["archive"]["size"]
    assert size > 10 * MiB
    assert len(proxy.block_requests()) == -(-size // MiB)
    assert proxy.requests[-1][0] == "PUT" and proxy.requests[-1][1].endswith("?comp=blocklist")
    data, headers = azurite.blob(CONTAINER, job["deliveredTo"]["blob"])
    assert data == job_archive(pacsport, job)
    assert headers["x-ms-meta-sha256"] == job["archive"]["sha256"]
    assert headers["etag"] == job["deliveredTo"]["etag"]


def test_a_block_changed_on_the_way_is_refused_by_its_md5_and_sent_again(pacsport, azurite, proxy):
    proxy.corrupt_block_once = 2
    settings, secrets = azurite.destination(CONTAINER, block_size_mib=4)
    settings["endpoint"] = proxy.endpoint
    destination = create_destination(pacsport["api"], "azure-blob", "azure corrupted", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "delivered", job
    blocks = proxy.block_requests()
    assert len(blocks) == -(-job["archive"]["size"] // (4 * MiB)) + 1
    assert blocks[1] == blocks[2], "the changed block was not the one sent again"
    assert azurite.blob(CONTAINER, job["deliveredTo"]["blob"])[0] == job_archive(pacsport, job)


def test_a_container_sas_delivers_and_the_test_action_accepts_it(pacsport, azurite):
    settings, secrets = azurite.destination(CONTAINER, block_size_mib=4,
                                            sas=azurite.container_sas(CONTAINER, "cwdl"))
    del settings["account"]
    destination = create_destination(pacsport["api"], "azure-blob", "azure sas", settings, secrets)
    assert destination["secrets"] == ["sasToken"]
    assert run_test_action(pacsport["api"], destination["id"]) == {"ok": True}
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "delivered", job
    assert azurite.blob(CONTAINER, job["deliveredTo"]["blob"])[0] == job_archive(pacsport, job)


def test_a_sas_without_write_permission_fails_the_job_and_leaves_no_blob(pacsport, azurite):
    settings, secrets = azurite.destination(CONTAINER, sas=azurite.container_sas(CONTAINER, "rl"))
    destination = create_destination(pacsport["api"], "azure-blob", "azure read-only", settings, secrets)
    assert run_test_action(pacsport["api"], destination["id"]) == {"ok": True}  # it may list
    job = deliver(pacsport, destination["id"], pacsport["small"])
    assert job["state"] == "failed" and "403" in job["error"], job
    assert blobs_of(azurite, job, include_uncommitted=True) == []


def test_a_wrong_key_fails_the_job_and_the_test_action_with_forbidden(pacsport, azurite):
    wrong = base64.b64encode(b"not the key of this account").decode()
    settings, secrets = azurite.destination(CONTAINER, block_size_mib=1, key=wrong)
    destination = create_destination(pacsport["api"], "azure-blob", "azure wrong key", settings, secrets)
    test = run_test_action(pacsport["api"], destination["id"])
    assert test["ok"] is False and test["error"]["code"] == "forbidden", test
    assert "List Blobs" in test["error"]["message"] and "403" in test["error"]["message"]
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "failed" and "Put Block 1 of" in job["error"], job
    assert blobs_of(azurite, job, include_uncommitted=True) == []


def test_a_missing_container_fails_naming_azures_error_code(pacsport, azurite):
    settings, secrets = azurite.destination("no-such-container")
    destination = create_destination(pacsport["api"], "azure-blob", "azure missing", settings, secrets)
    test = run_test_action(pacsport["api"], destination["id"])
    assert test["ok"] is False and test["error"]["code"] == "invalid_input", test
    assert "ContainerNotFound" in test["error"]["message"]
    job = deliver(pacsport, destination["id"], pacsport["small"])
    assert job["state"] == "failed" and "ContainerNotFound" in job["error"], job


def test_the_test_action_leaves_nothing_behind(pacsport, azurite):
    before = azurite.blob_names(CONTAINER, include_uncommitted=True)
    settings, secrets = azurite.destination(CONTAINER, prefix="checked/")
    destination = create_destination(pacsport["api"], "azure-blob", "azure checked", settings, secrets)
    assert run_test_action(pacsport["api"], destination["id"]) == {"ok": True}
    assert azurite.blob_names(CONTAINER, include_uncommitted=True) == before


@pytest.mark.parametrize("settings, secrets, named", [
    ({"container": "Bad_Name"}, None, "settings.container"),
    ({"blockSizeMiB": 0}, None, "settings.blockSizeMiB"),
    ({"endpoint": "ftp://127.0.0.1/x"}, None, "settings.endpoint"),
    ({"bucket": "exports"}, None, "settings.bucket"),
    ({}, {"accountKey": "a2V5", "sasToken": "sv=1&sig=x"}, "secrets.accountKey"),
    ({}, {}, "secrets.accountKey"),
    ({}, {"accountKey": "not base64!"}, "secrets.accountKey"),
])
def test_bad_settings_are_refused_when_saved_naming_the_key(pacsport, azurite, settings, secrets, named):
    good_settings, good_secrets = azurite.destination(CONTAINER)
    body = {"name": "azure bad", "kind": "azure-blob", "settings": {**good_settings, **settings},
            "secrets": good_secrets if secrets is None else secrets}
    api = pacsport["api"]
    response = api.request("POST", "/api/destinations", token=api.token("admin"),
                           body=json.dumps(body), content_type="application/json")
    assert response.status == 400 and named in response.body.decode(), (response.status, response.body)
    assert "not base64!" not in response.body.decode()


def test_azurite_stopped_mid_upload_fails_the_job_and_leaves_no_blob(pacsport, azurite, proxy):
    proxy.stop_at_block = 3
    settings, secrets = azurite.destination(CONTAINER, block_size_mib=1)
    settings["endpoint"] = proxy.endpoint
    destination = create_destination(pacsport["api"], "azure-blob", "azure stopped", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "failed" and "Put Block 3 of" in job["error"], job
    assert len(proxy.block_requests()) > 3, "the block was not retried"
    azurite.start()
    # Its two blocks stay uncommitted (Azure deletes them after a week): no blob.
    assert blobs_of(azurite, job) == []


def test_a_commit_whose_answer_is_lost_is_deleted_and_fails_the_job(pacsport, azurite, proxy):
    proxy.lose_block_list_answers = True
    settings, secrets = azurite.destination(CONTAINER, block_size_mib=4)
    settings["endpoint"] = proxy.endpoint
    destination = create_destination(pacsport["api"], "azure-blob", "azure lost commit", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "failed" and "Put Block List" in job["error"], job
    methods = [method for method, path in proxy.requests]
    assert methods[-1] == "DELETE" and any("comp=blocklist" in path for _, path in proxy.requests)
    assert blobs_of(azurite, job, include_uncommitted=True) == []


def test_the_server_log_names_no_key_and_no_sas(pacsport, azurite):
    log = pacsport["log"].read_text(errors="replace")
    assert "azure" in log.lower() or "destination" in log
    assert azurite.key not in log
    assert "sig=" not in log
