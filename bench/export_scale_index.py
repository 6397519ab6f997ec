#!/usr/bin/env python3
"""export_scale_index.py BIN DATA_DIR N: a synthetic hospital of N instances for
bench/export_scale.sh, written straight into pacsport's SQLite index.

pacsport itself imports one tiny real DICOM file (pydicom's SC_rgb_small_odd.dcm,
1,444 bytes, 3 frames) into DATA_DIR for hospital "Bench" and adds the admin "bench";
then every synthetic instance is a row pointing at that one stored file (same size,
SHA-256 and location), in patients of 2 studies of 2 series of 25 instances (100
instances a patient), with distinct UIDs. Exports read and check the file as for any
instance. Takes about 10 s per million instances."""
import os
import sqlite3
import subprocess
import sys

CORPUS_FILE = "/usr/lib/python3/dist-packages/pydicom/data/test_files/SC_rgb_small_odd.dcm"
STUDIES_PER_PATIENT, SERIES_PER_STUDY, INSTANCES_PER_SERIES = 2, 2, 25
PER_PATIENT = STUDIES_PER_PATIENT * SERIES_PER_STUDY * INSTANCES_PER_SERIES


def main(binary, data, count):
    subprocess.run([binary, "hospital", "add", "--data", data, "Bench"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([binary, "import", "--data", data, "--hospital", "Bench", CORPUS_FILE],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "user", "add", "--data", data, "--hospital", "Bench", "--role",
                    "admin", "bench"], input=b"bench-password\n", check=True,
                   stdout=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(data, "index.sqlite"))
    db.execute("PRAGMA synchronous = OFF")
    (hospital,) = db.execute("SELECT id FROM hospitals WHERE name = 'Bench'").fetchone()
    template = db.execute(
        "SELECT sop_class_uid, frames, transfer_syntax, size_bytes, sha256, orthanc_id, source, "
        "location_key FROM instances WHERE hospital_id = ?", (hospital,)).fetchone()
    patients = (count + PER_PATIENT - 1) // PER_PATIENT
    made = 0
    with db:
        for p in range(patients):
            cursor = db.execute(
                "INSERT INTO patients (hospital_id, patient_id, name, birth_date, sex) "
                "VALUES (?, ?, ?, '19700101', 'O')",
                (hospital, "SCALE-%07d" % p, "SCALE^PATIENT %07d" % p))
            patient_row = cursor.lastrowid
            for s in range(STUDIES_PER_PATIENT):
                study_uid = "1.2.826.0.1.3680043.10.1.%d.%d" % (p, s)
                cursor = db.execute(
                    "INSERT INTO studies (hospital_id, patient_row, study_uid, study_date, "
                    "study_time, description, accession, modalities, ai_analysis, ai_models, "
                    "ai_analyzed_at) VALUES (?, ?, ?, ?, '120000', 'SCALE STUDY', ?, 'OT', NULL, "
                    "'[]', '')",
                    (hospital, patient_row, study_uid, "2020%02d%02d" % (1 + s, 1 + p % 28),
                     "A%07d%d" % (p, s)))
                study_row = cursor.lastrowid
                for x in range(SERIES_PER_STUDY):
                    series_uid = "%s.%d" % (study_uid, x)
                    cursor = db.execute(
                        "INSERT INTO series (study_row, series_uid, series_number, modality, "
                        "description) VALUES (?, ?, ?, 'OT', 'SCALE SERIES')",
                        (study_row, series_uid, x + 1))
                    series_row = cursor.lastrowid
                    rows = []
                    for i in range(INSTANCES_PER_SERIES):
                        if made == count:
                            break
                        made += 1
                        rows.append((hospital, series_row, "%s.%d" % (series_uid, i), template[0],
                                     i + 1, template[1], template[2], template[3], template[4],
                                     template[5], template[6], template[7]))
                    db.executemany(
                        "INSERT INTO instances (hospital_id, series_row, sop_uid, sop_class_uid, "
                        "instance_number, frames, transfer_syntax, size_bytes, sha256, "
                        "orthanc_id, source, location_key) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(made + 1)  # the synthetic instances and the imported one


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
