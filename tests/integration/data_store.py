"""The server's content-addressed DICOM store (DATA/store/ab/cd/<sha256>), seen from
outside: what it holds, and damage done to one file for as long as a test needs."""

import contextlib
import os


def store_files(store_dir):
    """The files of the store, temporary ones (store/tmp) excluded."""
    found = set()
    for directory, subdirectories, names in os.walk(store_dir):
        if os.path.relpath(directory, store_dir) == ".":
            subdirectories[:] = [d for d in subdirectories if d != "tmp"]
        found.update(os.path.join(directory, name) for name in names)
    return found


def store_path(store_dir, sha256):
    return os.path.join(store_dir, sha256[:2], sha256[2:4], sha256)


def delete(path):
    os.remove(path)


def corrupt(path):
    """Flips the bits of the last byte: same size, other content."""
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)[0]
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last ^ 0xFF]))


@contextlib.contextmanager
def damaged(path, damage):
    """Applies `damage` (delete or corrupt) to the file and restores it afterwards."""
    with open(path, "rb") as f:
        original = f.read()
    try:
        damage(path)
        yield
    finally:
        with open(path, "wb") as f:
            f.write(original)
