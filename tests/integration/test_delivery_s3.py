"""Export jobs delivered to S3 (issue 16) against a real moto_server that checks SigV4
signatures (s3_server.py), through a proxy that can break the conversation at a chosen
part: a small archive goes up in one PUT, a big one in parts whose bytes equal the
job's archive, a part changed on the way is noticed by its ETag and sent again, a
wrong secret or a missing bucket fails the job with S3's own error and leaves nothing,
a store that fails mid-upload leaves no object and no pending upload (the upload is
aborted), and the destination's test action says which is which. The server and the
store are the module's own."""

import hashlib
import json
import time

import pytest

from destinations_api import (DELIVERY_FINAL, create_destination, deliver, delivery_server,
                              run_test_action)
from s3_server import MotoS3, S3Proxy

BUCKET = "exports"


@pytest.fixture(scope="module")
def s3():
    with MotoS3.running() as store:
        store.create_bucket(BUCKET)
        yield store


@pytest.fixture(scope="module")
def pacsport(tmp_path_factory):
    with delivery_server(tmp_path_factory.mktemp("s3")) as server:
        yield server


@pytest.fixture
def proxy(s3):
    with S3Proxy(s3) as p:
        yield p


def archive_sha256(pacsport, job):
    response = pacsport["jobs"].archive("admin", job["id"])
    assert response.status == 200
    digest = hashlib.sha256(response.body).hexdigest()
    assert digest == job["archive"]["sha256"]
    return digest


def object_sha256(s3, key, tmp_path):
    path = tmp_path / "object"
    assert s3.get_object(BUCKET, key, str(path)) == 200
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keys_of(s3, job):
    return [k for k in s3.list_keys(BUCKET) if f"/{job['id']}/" in "/" + k]


def part_numbers(proxy):
    return [int(path.split("partNumber=")[1].split("&")[0])
            for method, path in proxy.requests if method == "PUT" and "partNumber=" in path]


def test_a_small_archive_goes_up_in_one_put_equal_to_the_jobs_archive(pacsport, s3, proxy, tmp_path):
    settings, secrets = s3.settings(BUCKET, endpoint=proxy.endpoint, prefix="backups/")
    destination = create_destination(pacsport["api"], "s3", "s3 small", settings, secrets)
    assert destination["secrets"] == ["secretAccessKey"]
    job = deliver(pacsport, destination["id"], pacsport["small"])
    assert job["state"] == "delivered", job
    where = job["deliveredTo"]
    assert where["kind"] == "s3" and where["bucket"] == BUCKET and where["endpoint"] == proxy.endpoint
    assert where["key"].startswith(f"backups/{job['id']}/") and where["key"].endswith(".zip")
    assert where["size"] == job["archive"]["size"]
    assert [m for m, p in proxy.requests if m != "GET"] == ["PUT"], proxy.requests
    digest = archive_sha256(pacsport, job)
    assert object_sha256(s3, where["key"], tmp_path) == digest
    head = s3.head_object(BUCKET, where["key"])
    assert head["x-amz-meta-sha256"] == digest and head["etag"].strip('"') == where["etag"]
    assert s3.pending_uploads(BUCKET) == []


def test_a_big_archive_goes_up_in_parts_equal_to_the_jobs_archive(pacsport, s3, proxy, tmp_path):
    settings, secrets = s3.settings(BUCKET, endpoint=proxy.endpoint, partSizeMiB=5)
    destination = create_destination(pacsport["api"], "s3", "s3 parts", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "delivered", job
    size = job["archive"]["size"]
    assert size > 10 * 1024 * 1024
    parts = -(-size // (5 * 1024 * 1024))
    where = job["deliveredTo"]
    assert where["etag"].endswith(f"-{parts}") and where["size"] == size
    assert part_numbers(proxy) == list(range(1, parts + 1))
    methods = [m for m, p in proxy.requests]
    assert methods[0] == "POST" and "uploads=" in proxy.requests[0][1] and methods[-1] == "POST"
    assert object_sha256(s3, where["key"], tmp_path) == archive_sha256(pacsport, job)
    assert s3.pending_uploads(BUCKET) == []


def test_a_part_changed_on_the_way_is_noticed_by_its_etag_and_sent_again(pacsport, s3, proxy, tmp_path):
    proxy.corrupt_part_once = 2
    settings, secrets = s3.settings(BUCKET, endpoint=proxy.endpoint, partSizeMiB=5)
    destination = create_destination(pacsport["api"], "s3", "s3 corrupted", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "delivered", job
    assert part_numbers(proxy)[:3] == [1, 2, 2], proxy.requests
    assert object_sha256(s3, job["deliveredTo"]["key"], tmp_path) == archive_sha256(pacsport, job)
    assert s3.pending_uploads(BUCKET) == []


def test_a_store_failing_mid_upload_fails_the_job_and_the_upload_is_aborted(pacsport, s3, proxy):
    proxy.fail_parts_from = 2
    settings, secrets = s3.settings(BUCKET, endpoint=proxy.endpoint, partSizeMiB=5)
    destination = create_destination(pacsport["api"], "s3", "s3 failing", settings, secrets)
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "failed", job
    assert "ServiceUnavailable" in job["error"], job["error"]
    assert part_numbers(proxy).count(2) > 1, "part 2 was not retried"
    assert proxy.requests[-1][0] == "DELETE" and "uploadId=" in proxy.requests[-1][1]
    assert keys_of(s3, job) == []
    assert s3.pending_uploads(BUCKET) == []


def test_a_wrong_secret_fails_the_job_with_s3s_refusal_and_leaves_nothing(pacsport, s3):
    settings, _ = s3.settings(BUCKET, partSizeMiB=5)
    wrong = "not-the-secret-" + s3.secret_key[:8]
    destination = create_destination(pacsport["api"], "s3", "s3 wrong secret", settings,
                                     {"secretAccessKey": wrong})
    tested = run_test_action(pacsport["api"], destination["id"])
    assert tested["ok"] is False and tested["error"]["code"] == "forbidden"
    assert "SignatureDoesNotMatch" in tested["error"]["message"]
    job = deliver(pacsport, destination["id"], pacsport["big"])
    assert job["state"] == "failed", job
    assert "SignatureDoesNotMatch" in job["error"], job["error"]
    assert wrong not in json.dumps(job) and wrong not in pacsport["log"].read_text(errors="replace")
    assert keys_of(s3, job) == []
    assert s3.pending_uploads(BUCKET) == []


def test_a_missing_bucket_fails_the_job_naming_it(pacsport, s3):
    settings, secrets = s3.settings("no-such-bucket")
    destination = create_destination(pacsport["api"], "s3", "s3 no bucket", settings, secrets)
    tested = run_test_action(pacsport["api"], destination["id"])
    assert tested["ok"] is False and "NoSuchBucket" in tested["error"]["message"]
    job = deliver(pacsport, destination["id"], pacsport["small"])
    assert job["state"] == "failed", job
    assert "NoSuchBucket" in job["error"] and "no-such-bucket" in job["error"], job["error"]


def test_the_test_action_passes_and_leaves_nothing(pacsport, s3):
    before = s3.list_keys(BUCKET)
    settings, secrets = s3.settings(BUCKET)
    destination = create_destination(pacsport["api"], "s3", "s3 test", settings, secrets)
    assert run_test_action(pacsport["api"], destination["id"]) == {"ok": True}
    assert s3.list_keys(BUCKET) == before and s3.pending_uploads(BUCKET) == []


def test_bad_settings_are_refused_when_saved(pacsport, s3):
    settings, secrets = s3.settings("Not_A_Bucket")
    response = pacsport["api"].request(
        "POST", "/api/destinations", token=pacsport["api"].token("admin"),
        body=json.dumps({"name": "bad", "kind": "s3", "settings": settings, "secrets": secrets}),
        content_type="application/json")
    assert response.status == 400 and "settings.bucket" in response.json()["error"]["message"]


def test_a_store_killed_mid_upload_fails_the_job(pacsport, tmp_path):
    with MotoS3.running() as store:
        store.create_bucket(BUCKET)
        with S3Proxy(store) as proxy:
            settings, secrets = store.settings(BUCKET, endpoint=proxy.endpoint, partSizeMiB=5)
            destination = create_destination(pacsport["api"], "s3", "s3 killed", settings, secrets)
            jobs = pacsport["jobs"]
            job = jobs.start("admin", scope="study", ids=[pacsport["big"]], previews=False,
                             destination=destination["id"])
            deadline = time.monotonic() + 60
            while not part_numbers(proxy):
                assert time.monotonic() < deadline, "no part was sent"
                time.sleep(0.02)
            store.stop()
            job = jobs.wait("admin", job["id"], DELIVERY_FINAL, 120)
    assert job["state"] == "failed", job
    assert job["error"].startswith("delivery failed: S3 ") and job["deliveredTo"] is None, job
