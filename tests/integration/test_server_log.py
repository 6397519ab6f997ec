"""The request log: one key=value line per request, naming the route pattern, never
the path. (The session fixture checks at shutdown that no line names a patient.)"""

import http.client
import re
import time

REQUEST_LINE = re.compile(
    r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z level=\w+ request route="([^"]*)" status=(\d{3}) '
    r'ms=\d+ client=127\.0\.0\.\d+ request_id=[A-Za-z0-9_.-]{1,64}$')


def request_lines(server):
    return [line for line in server.log().splitlines() if " request " in line]


def wait_for_lines(server, count, timeout=5):
    deadline = time.monotonic() + timeout
    while len(request_lines(server)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return request_lines(server)


def test_request_lines_have_the_documented_shape(api, server):
    assert api.get("/api/health").status == 200
    lines = wait_for_lines(server, 1)
    assert lines
    for line in lines:
        assert REQUEST_LINE.match(line), line


def test_unrouted_request_is_not_logged_as_the_previous_route(api, server):
    """Two requests on one keep-alive connection run on the same worker thread: the
    second, which matches no route, must not inherit the first one's route label."""
    before = len(request_lines(server))
    connection = http.client.HTTPConnection(api.host, api.port, timeout=30)
    try:
        connection.request("GET", "/api/health")
        first = connection.getresponse()
        first.read()
        connection.request("PATCH", "/api/health")
        second = connection.getresponse()
        second.read()
    finally:
        connection.close()
    assert first.status == 200 and second.status == 404
    lines = wait_for_lines(server, before + 2)[before:]
    routes = [REQUEST_LINE.match(line).groups() for line in lines]
    assert ("GET /api/health", "200") in routes
    assert ("PATCH (unrouted)", "404") in routes, lines
