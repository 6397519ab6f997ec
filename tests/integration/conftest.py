"""Black-box integration tests of pacsport over real HTTP.

One server for the whole session: a fresh data directory seeded by
scripts/seed-demo.sh from Debian's pydicom corpus, `pacsport serve --demo` on a
kernel-chosen port of 127.0.0.1, stopped with SIGTERM at the end (it must exit 0 and
its log must never have named a patient). The binary is $PACSPORT_BIN, by default
build/src/app/pacsport.

Modules run in the order below: the audit checks read the attempts the earlier
modules made, and ingest adds data that the export and Orthanc ID checks do not expect."""

import os

import pytest

from api_client import Api
from archive_checks import ExportChecker
from corpus import Corpus
import index_db
from server_process import Server, seed_demo

MODULE_ORDER = [
    "test_schemas",
    "test_server_log",
    "test_auth",
    "test_browse",
    "test_export_archives",
    "test_orthanc_ids",
    "test_orthanc_source",
    "test_export_options",
    "test_media",
    "test_deidentify",
    "test_ai_analysis",
    "test_ingest",
    "test_names",
    "test_faults",
    "test_cli",
    "test_push_dicom",
    "test_audit",
    "test_push_dicomweb",
]


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.module.__name__.rsplit(".", 1)[-1]
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)
    items.sort(key=rank)


def pytest_report_header():
    if index_db.on_postgres():
        return f"index engine: PostgreSQL ({index_db.SERVER_URL}), a database per data directory"
    return "index engine: SQLite (set PACSPORT_TEST_INDEX=postgres for PostgreSQL)"


def pytest_sessionfinish():
    # A cluster removed right after (scripts/test.sh) needs no DROP DATABASE, each of
    # which costs PostgreSQL a checkpoint.
    if index_db.on_postgres() and not os.environ.get("PACSPORT_TEST_POSTGRES_THROWAWAY"):
        index_db.drop_all_databases()


@pytest.fixture(scope="session")
def corpus():
    return Corpus()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, corpus):
    directory = str(tmp_path_factory.mktemp("data"))
    seed_demo(directory, corpus.root)
    return directory


@pytest.fixture(scope="session")
def server(data_dir, corpus, tmp_path_factory):
    process = Server(data_dir, str(tmp_path_factory.mktemp("server")))
    yield process
    exit_code = process.stop(timeout=10)
    assert exit_code == 0, f"pacsport serve exited with {exit_code} after SIGTERM: {process.stderr()}"
    log = process.log()
    assert "status=200" in log, "the server logged no requests"
    secrets = corpus.identifying_strings()
    for line in log.splitlines():
        for secret in secrets:
            assert secret not in line, f"the server log names a patient or a UID: {line!r}"


@pytest.fixture(scope="session")
def api(server):
    return Api(server.base_url)


@pytest.fixture(scope="session")
def checker(corpus, api, tmp_path_factory):
    return ExportChecker(corpus, api, tmp_path_factory)


@pytest.fixture(scope="session")
def store_dir(data_dir):
    return os.path.join(data_dir, "store")
