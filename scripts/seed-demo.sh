#!/usr/bin/env bash
# seed-demo.sh BIN DATA CORPUS: two demo hospitals, an admin and a user in each, and
# the DICOM files of CORPUS split between them (sorted, alternately), with CT_small
# and MR_small in both so that the same patient exists in both hospitals.
# Used by scripts/demo.sh and by the integration tests.
set -euo pipefail
BIN=$1 DATA=$2 CORPUS=$3

"$BIN" hospital add --data "$DATA" "Northside General"
"$BIN" hospital add --data "$DATA" "Riverside Clinic"
for spec in "Northside General:north" "Riverside Clinic:river"; do
  hospital=${spec%%:*} prefix=${spec##*:}
  echo "$prefix-admin-pass" | "$BIN" user add --data "$DATA" --hospital "$hospital" --role admin "$prefix-admin"
  echo "$prefix-user-pass" | "$BIN" user add --data "$DATA" --hospital "$hospital" --role user "$prefix-user"
  echo "$prefix-ai-pass" | "$BIN" user add --data "$DATA" --hospital "$hospital" --role ai "$prefix-ai"
done

north=() river=()
i=0
while IFS= read -r file; do
  if [ $((i % 2)) -eq 0 ]; then north+=("$file"); else river+=("$file"); fi
  i=$((i + 1))
done < <(find "$CORPUS" -type f | LC_ALL=C sort)
shared=("$CORPUS/CT_small.dcm" "$CORPUS/MR_small.dcm")

# Exit code 2 means some files were rejected (the corpus has broken ones on purpose).
import() {
  local status=0
  "$BIN" import --data "$DATA" --hospital "$1" "${@:2}" || status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 2 ]
}
import "Northside General" "${north[@]}" "${shared[@]}"
import "Riverside Clinic" "${river[@]}" "${shared[@]}"
