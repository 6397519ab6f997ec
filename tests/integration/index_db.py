"""The index of a data directory, whichever engine holds it: what the tests that look
into the index itself (sealed secrets, tampered audit records, archived rows) use, so
that they run unchanged on both engines.

PACSPORT_TEST_INDEX selects the engine: "sqlite" (the default: DIR/index.sqlite) or
"postgres", where PACSPORT_TEST_POSTGRES_URL names a throwaway server
(scripts/postgres-test-server.sh) and each data directory has a database of its own,
named after the directory's path (see pacsport_on_postgres.sh), dropped at the end of
the session unless PACSPORT_TEST_POSTGRES_THROWAWAY says the whole cluster goes. SQL
is written with "?" placeholders and in the dialect both engines accept.

Run as a script, `index_db.py ensure DIR` creates DIR's database when absent and
prints its URL."""

import contextlib
import hashlib
import os
import shutil
import sqlite3
import sys

ENGINE = os.environ.get("PACSPORT_TEST_INDEX", "sqlite")
SERVER_URL = os.environ.get("PACSPORT_TEST_POSTGRES_URL", "").rstrip("/")
DATABASE_PREFIX = "pacsport_it_"

if ENGINE not in ("sqlite", "postgres"):
    raise RuntimeError(f"PACSPORT_TEST_INDEX must be sqlite or postgres, not {ENGINE!r}")
if ENGINE == "postgres" and not SERVER_URL:
    raise RuntimeError("PACSPORT_TEST_INDEX=postgres needs PACSPORT_TEST_POSTGRES_URL "
                       "(scripts/postgres-test-server.sh prints one)")


def on_postgres():
    return ENGINE == "postgres"


def database_name(data_dir):
    path = os.path.realpath(str(data_dir))
    return DATABASE_PREFIX + hashlib.sha1(path.encode()).hexdigest()[:20]


def database_url(data_dir):
    return f"{SERVER_URL}/{database_name(data_dir)}"


@contextlib.contextmanager
def _maintenance():
    import psycopg2
    db = psycopg2.connect(f"{SERVER_URL}/postgres")
    db.autocommit = True
    try:
        yield db.cursor()
    finally:
        db.close()


def ensure_database(data_dir, template=None):
    """Creates the database of `data_dir` (a copy of `template`'s when given) unless
    it exists; its URL."""
    import psycopg2
    name = database_name(data_dir)
    with _maintenance() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            source = database_name(template) if template else "template0"
            try:
                cursor.execute(f"CREATE DATABASE {name} TEMPLATE {source} ENCODING 'UTF8' "
                               "LC_COLLATE 'C' LC_CTYPE 'C'")
            except psycopg2.errors.DuplicateDatabase:
                pass  # another process on the same directory was first
    return database_url(data_dir)


def drop_all_databases():
    """Drops every database this module made (the end of a test session)."""
    with _maintenance() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                       (DATABASE_PREFIX + "%",))
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class _Connection:
    """A DB-API connection whose execute() takes "?" placeholders on both engines and
    commits when the `with` block ends without an exception."""

    def __init__(self, data_dir, read_only):
        if on_postgres():
            import psycopg2
            self._db = psycopg2.connect(database_url(data_dir))
            self._placeholder = "%s"
        else:
            path = os.path.join(str(data_dir), "index.sqlite")
            self._db = (sqlite3.connect(f"file:{path}?mode=ro", uri=True) if read_only
                        else sqlite3.connect(path))
            self._placeholder = "?"

    def execute(self, statement, parameters=()):
        cursor = self._db.cursor()
        cursor.execute(statement.replace("?", self._placeholder), parameters)
        return cursor

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self._db.commit()
        else:
            self._db.rollback()
        self._db.close()


def connect(data_dir, read_only=False):
    """The index of `data_dir`, to read (or, unless read_only, change) directly."""
    return _Connection(data_dir, read_only)


@contextlib.contextmanager
def table_write_locked(data_dir, table):
    """Holds a lock that keeps every other process from writing `table` (on SQLite, the
    whole database's write lock) until the `with` block ends."""
    if on_postgres():
        import psycopg2
        db = psycopg2.connect(database_url(data_dir))
        db.cursor().execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    else:
        db = sqlite3.connect(os.path.join(str(data_dir), "index.sqlite"), timeout=1)
        db.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        db.rollback()
        db.close()


def copy_data_dir(source, target):
    """Copies data directory `source` to `target`, its index included (no process may
    have `source` open on PostgreSQL: CREATE DATABASE ... TEMPLATE needs it idle)."""
    shutil.copytree(str(source), str(target))
    if on_postgres():
        ensure_database(target, template=source)


def stored_bytes(data_dir):
    """What the index holds, as bytes to search: the SQLite file, or every row of every
    table of the PostgreSQL database as text."""
    if not on_postgres():
        with open(os.path.join(str(data_dir), "index.sqlite"), "rb") as f:
            return f.read()
    with connect(data_dir, read_only=True) as db:
        tables = [name for (name,) in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        text = [row for table in tables
                for (row,) in db.execute(f"SELECT CAST(row_to_json(t) AS TEXT) FROM {table} t")]
    return "\n".join(text).encode()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "ensure":
        sys.exit("usage: index_db.py ensure DATA_DIR")
    print(ensure_database(sys.argv[2]))
