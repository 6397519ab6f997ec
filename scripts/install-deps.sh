#!/usr/bin/env bash
# Installs the Debian 12 packages pacsport builds, runs and tests with. Idempotent:
# apt is only called when something is missing. Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config
  # the libFuzzer harnesses (scripts/fuzz.sh): clang, its fuzzer and sanitizer runtimes,
  # and llvm-symbolizer for readable reports
  clang-14 libclang-rt-14-dev llvm-14
  # libraries (see docs/architecture.md for why each)
  libdcmtk-dev libsoci-dev libboost-dev libsqlite3-dev libpq-dev libcpp-httplib-dev
  libssl-dev libsodium-dev libdeflate-dev zlib1g-dev libtbb-dev libspng-dev nlohmann-json3-dev
  libtomlplusplus-dev libspdlog-dev libcli11-dev libgtest-dev libgmock-dev libopenjp2-7-dev libseccomp-dev
  libcurl4-openssl-dev libzip-dev
  # GET /metrics: prometheus-cpp's registry and text format (its core library; the dev
  # package brings the pull and push parts too, unused)
  prometheus-cpp-dev
  # schedules' time zones: cctz (GCC 12's libstdc++ has no std::chrono::tzdb) reading
  # the system's zoneinfo, which tzdata provides
  libcctz-dev tzdata
  # demo data and independent checkers used by the tests
  python3 python3-pydicom python3-numpy python3-gdcm python3-jsonschema python3-pytest python3-cryptography dcmtk
  # the parser of /metrics in tests/integration/test_metrics.py
  python3-prometheus-client
  libopenjp2-tools
  unzip libarchive-tools p7zip-full pngcheck curl sqlite3 openssl
  # the real PACS that orthancInstanceId is checked against, and its DICOMweb plugin
  # (STOW-RS and QIDO-RS peer of the dicomweb destinations)
  orthanc orthanc-dicomweb
  # independent checkers of de-identified output: gdcmanon/gdcmdump (GDCM) and
  # dciodvfy (dicom3tools, IOD validity)
  libgdcm-tools dicom3tools
  # the audit record repository the IHE ATNA messages are checked against (UDP and TLS)
  rsyslog rsyslog-gnutls
  # the SMTP server that e-mail delivery is tested against (run with /usr/bin/python3)
  python3-aiosmtpd
  # the index's scale-out engine: a throwaway PostgreSQL 15 cluster per test round
  # (scripts/postgres-test-server.sh), and the driver the integration tests read it with
  postgresql-15 postgresql-client-15 python3-psycopg2
  # the browser the UI's tests drive (web/e2e, through playwright-core)
  chromium
  # the libraries Debian's Node.js 18 runs on, which scripts/test-node18-build.sh unpacks
  # beside a newer Node.js without installing it
  libuv1 libicu72 libc-ares2 libbrotli1 libnghttp2-14
)

# The UI builds and its tests run with Debian 12's own Node.js 18 or later (decision
# 0021), so a machine without npm gets Debian's nodejs and npm.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

# The S3 delivery tests (tests/integration/s3_server.py) and bench/delivery_upload.sh run
# moto_server (moto 5, a Python S3 emulator that checks SigV4 signatures). It is not a
# Debian package and PyPI is not reachable here: the machine image carries it in a pyenv
# Python, and a machine without it must get it there first.
if ! command -v moto_server >/dev/null 2>&1 &&
  ! compgen -G "${PYENV_ROOT:-/root/.pyenv}/versions/*/bin/moto_server" >/dev/null; then
  echo "error: moto_server is missing; the S3 delivery tests need it." >&2
  echo "  install it into a Python 3: python3 -m pip install 'moto[server]>=5,<6'" >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# nginx, the load balancer of docs/deploy.md, which the replica test and
# bench/replicas.sh run from a temporary configuration as their own child process. The
# system's nginx service is not wanted: the install must not start it (a policy-rc.d
# for the length of the install says so) and it is left disabled.
if ! dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q "install ok installed"; then
  echo "installing: nginx-light (its service neither started nor enabled)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nginx-light
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nginx.service >/dev/null 2>&1 || true
  else
    $SUDO update-rc.d nginx disable >/dev/null 2>&1 || true
  fi
fi

# The storage emulators the delivery tests send archives to (Azurite for Azure Blob),
# from npm at the versions of tests/emulators/package-lock.json; only when missing or
# older than the lock file.
emulators="$(cd "$(dirname "$0")/../tests/emulators" && pwd)"
if [ ! -f "$emulators/node_modules/.package-lock.json" ] ||
  [ "$emulators/package-lock.json" -nt "$emulators/node_modules/.package-lock.json" ]; then
  (cd "$emulators" && npm ci --no-audit --no-fund --loglevel=error)
fi
