"""Replicas behind nginx, as docs/deploy.md lays them out, on loopback: N `pacsport
serve` processes sharing one data directory and one index, and a real nginx running
the project's own site file deploy/nginx-pacsport.conf over TLS (a throwaway
certificate), with every path nginx writes in a temporary directory.

The site file is used as it is, but for the values on its lines marked "# site:", which
`render_site` replaces by exact text (a marked line that changed fails here, so the
file and the tests cannot drift apart). The replicas get the limits of
deploy/pacsport.env, with the secrets and the index URL of the test.

The index: the data directory's SQLite file by default; with PACSPORT_TEST_INDEX=postgres
a fresh database on the server named by PACSPORT_TEST_POSTGRES_URL.

Run as a program, it starts nginx in the foreground for bench/replicas.sh:
    replica_cluster.py nginx DIR PORT REPLICA_PORT..."""

import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(REPO, "deploy", "nginx-pacsport.conf")
ENV_FILE = os.path.join(REPO, "deploy", "pacsport.env")
NGINX = "/usr/sbin/nginx"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import pacsport_binary  # noqa: E402

# The lines of the site file a test deployment changes: {marked line: its value there}.
REPLICA_LINE = "    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;  # site: replica {n}\n"


def render_site(listen_port, replica_ports, certificate, private_key, access_log,
                down=()):
    """The site file with the test's ports and paths; `down` lists replica ports that
    nginx must leave out (the `down` parameter)."""
    with open(SITE) as f:
        text = f.read()
    replacements = {
        "    listen 443 ssl;": f"    listen 127.0.0.1:{listen_port} ssl;",
        "/etc/pacsport/tls/fullchain.pem": certificate,
        "/etc/pacsport/tls/privkey.pem": private_key,
        "/var/log/nginx/pacsport.access.log": access_log,
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{SITE} no longer holds {old!r} once"
        text = text.replace(old, new)
    documented = [REPLICA_LINE.format(port=8081 + i, n=i + 1) for i in range(2)]
    for line in documented:
        assert text.count(line) == 1, f"{SITE} no longer holds {line!r}"
    servers = ""
    for i, port in enumerate(replica_ports):
        line = REPLICA_LINE.format(port=port, n=i + 1)
        if port in down:
            line = line.replace(" max_fails", " down max_fails")
        servers += line
    text = text.replace("".join(documented), servers)
    return text


def main_config(directory, site_path, workers="1"):
    """nginx.conf of a foreground nginx whose every file is under `directory`. The tests
    use one worker, whose choice of replica (round robin from the first) is predictable."""
    temp = {name: os.path.join(directory, name) for name in
            ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        os.makedirs(path, exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return (f"{user}daemon off;\nworker_processes {workers};\npid {directory}/nginx.pid;\n"
            f"error_log {directory}/error.log info;\nevents {{ worker_connections 1024; }}\n"
            "http {\n"
            f"    client_body_temp_path {temp['client_body']};\n"
            f"    proxy_temp_path {temp['proxy']};\n"
            f"    fastcgi_temp_path {temp['fastcgi']};\n"
            f"    uwsgi_temp_path {temp['uwsgi']};\n"
            f"    scgi_temp_path {temp['scgi']};\n"
            f"    include {site_path};\n"
            "}\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {open(log_path).read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def throwaway_certificate(directory):
    """A self-signed certificate for 127.0.0.1: (certificate path, key path)."""
    certificate = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    if not os.path.exists(certificate):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", certificate], check=True, capture_output=True)
    return certificate, key


class Nginx:
    """A foreground nginx in front of `replica_ports`, stopped by its PID."""

    def __init__(self, directory, replica_ports, down=()):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.certificate, key = throwaway_certificate(directory)
        self.port = free_port()
        self.access_log = os.path.join(directory, "access.log")
        site = os.path.join(directory, "pacsport-site.conf")
        with open(site, "w") as f:
            f.write(render_site(self.port, replica_ports, self.certificate, key,
                                self.access_log, down))
        self.config = os.path.join(directory, "nginx.conf")
        with open(self.config, "w") as f:
            f.write(main_config(directory, site))
        self.log_path = os.path.join(directory, "nginx.stderr")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, self.log_path)
        self.base_url = f"https://127.0.0.1:{self.port}"

    def command(self):
        return [NGINX, "-p", self.directory, "-c", self.config, "-e",
                os.path.join(self.directory, "error.log")]

    def ssl_context(self):
        return ssl.create_default_context(cafile=self.certificate)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def deployment_environment():
    """The limits of deploy/pacsport.env (its secrets and paths are the test's own)."""
    kept = {}
    with open(ENV_FILE) as f:
        for line in f:
            match = re.match(r"^(PACSPORT_[A-Z_]+)=(.*)$", line.strip())
            if match and match.group(1) not in ("PACSPORT_INDEX_URL", "PACSPORT_JWT_SECRET",
                                                 "PACSPORT_WEB_ROOT"):
                kept[match.group(1)] = match.group(2)
    return kept


def index_url_for_tests():
    """"" (the data directory's SQLite file), or a fresh PostgreSQL database."""
    if os.environ.get("PACSPORT_TEST_INDEX") != "postgres":
        return ""
    server = os.environ["PACSPORT_TEST_POSTGRES_URL"]
    import psycopg2  # Debian's python3-psycopg2, installed with PostgreSQL by install-deps
    name = "replicas_" + secrets.token_hex(6)
    connection = psycopg2.connect(server + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()
    return f"{server}/{name}"


class Replica:
    """One `pacsport serve` of the cluster on its own kernel-chosen port."""

    LISTENING = re.compile(r"event=listening url=(http://127\.0\.0\.1:\d+)")

    def __init__(self, name, data_dir, log_dir, env, config=None):
        self.name = name
        self.data_dir, self.env, self.config = data_dir, env, config
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.port = None
        self.start()

    def start(self):
        args = [pacsport_binary(), "serve", "--data", self.data_dir,
                "--listen", f"127.0.0.1:{self.port or 0}"]
        if self.config:
            args += ["--config", self.config]
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + 30
        while not (match := self.LISTENING.search(self.log())):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica {self.name} did not start: {self.log()}")
            time.sleep(0.05)
        self.base_url = match.group(1)
        self.port = int(self.base_url.rsplit(":", 1)[1])

    def log(self):
        """This run's log (a restarted replica appends to the same file)."""
        with open(self.log_path, errors="replace") as f:
            f.seek(self.log_offset)
            return f.read()

    def alive(self):
        return self.process.poll() is None

    def kill(self):
        """SIGKILL: no clean-up of any kind, as a crash or a power cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """SIGTERM; the exit code (None when it had to be killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


def replica_environment(**settings):
    """The environment every replica of a test cluster and its CLI commands share: the
    limits of deploy/pacsport.env, one JWT secret, the index of the test, `settings`."""
    pacsport_binary()  # on the PostgreSQL round, puts the real binary in os.environ
    return {**os.environ, **deployment_environment(),
            "PACSPORT_JWT_SECRET": secrets.token_urlsafe(48),
            "PACSPORT_INDEX_URL": index_url_for_tests(), **settings}


def cli(env, *args, stdin=None):
    """`pacsport ARGS` in `env` (a replica_environment: the cluster's index)."""
    return subprocess.run([pacsport_binary(), *args], input=stdin, capture_output=True,
                          text=True, timeout=300, env=env)


class Cluster:
    """`count` replicas of one data directory and index, behind nginx."""

    def __init__(self, directory, data_dir, env, count=2, config=None):
        self.directory = directory
        self.data_dir = data_dir
        self.env = env
        self.replicas = []
        self.nginx = None
        try:
            self.replicas = [Replica(chr(ord("a") + i), data_dir, directory, self.env, config)
                             for i in range(count)]
            self.nginx = Nginx(os.path.join(directory, "nginx"), [r.port for r in self.replicas])
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stops nginx and every replica; the replicas' exit codes."""
        if self.nginx:
            self.nginx.stop()
        return [replica.stop() for replica in self.replicas]


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] != "nginx":
        sys.exit(__doc__)
    directory, port, replicas = sys.argv[2], int(sys.argv[3]), [int(p) for p in sys.argv[4:]]
    os.makedirs(directory, exist_ok=True)
    certificate, key = throwaway_certificate(directory)
    site = os.path.join(directory, "pacsport-site.conf")
    with open(site, "w") as f:
        f.write(render_site(port, replicas, certificate, key,
                            os.path.join(directory, "access.log")))
    config = os.path.join(directory, "nginx.conf")
    with open(config, "w") as f:
        f.write(main_config(directory, site, workers="auto"))
    os.execv(NGINX, [NGINX, "-p", directory, "-c", config, "-e",
                     os.path.join(directory, "error.log")])
