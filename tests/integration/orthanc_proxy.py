"""An HTTP proxy in front of an Orthanc (orthanc_process.Orthanc) that runs a hook
just before it forwards a chosen request, so that a test can change Orthanc at an
exact point of pacsport's conversation with it (between two pages of a listing, say)
while Orthanc itself stays real.

    with OrthancProxy(orthanc) as proxy:
        proxy.before(lambda path: path.startswith("/instances?expand&since=2&"), hook)
        ... configure pacsport with proxy.url ...

A hook fires once. Requests are forwarded as they came (method, path, headers,
body); answers are passed back whole."""

import http.client
import http.server
import threading


class OrthancProxy:
    def __init__(self, orthanc):
        self.orthanc = orthanc
        self.paths = []  # every path requested, in order
        self._hooks = []  # [(matches(path), hook)], each fired once
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                proxy._fire(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection")}
                connection = http.client.HTTPConnection("127.0.0.1", proxy.orthanc.port, timeout=120)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                finally:
                    connection.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def before(self, matches, hook):
        """Runs hook() once, before forwarding the first request whose path matches."""
        with self._lock:
            self._hooks.append((matches, hook))

    def fired(self):
        """True when every hook has run."""
        with self._lock:
            return not self._hooks

    def _fire(self, path):
        with self._lock:
            self.paths.append(path)
            due = [h for h in self._hooks if h[0](path)]
            for h in due:
                self._hooks.remove(h)
            # Under the lock: a hook finishes before any later request is forwarded.
            for _, hook in due:
                hook()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()
