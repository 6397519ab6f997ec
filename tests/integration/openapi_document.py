"""docs/openapi.json as the tests read it, and a client that checks each real answer
against it: the operation must be documented (its path template, method and every
query parameter sent), a request body the server accepts must match the documented
one, and the answer's status, content type, required headers and JSON body (Draft
2020-12, $refs resolved inside the document and to docs/schemas/*.json) must be the
documented ones. Every checked (operation, status) is remembered, so a test can tell
which operations were never exercised."""

import json
import os
import urllib.parse

import jsonschema

from server_process import REPO

DOCS = os.path.join(REPO, "docs")
DOCUMENT_PATH = os.path.join(DOCS, "openapi.json")
METHODS = ("get", "put", "post", "delete", "patch")


def load_document():
    with open(DOCUMENT_PATH) as f:
        return json.load(f)


def operations(document):
    """Every documented operation as "METHOD /path/{param}"."""
    return {f"{method.upper()} {path}"
            for path, item in document["paths"].items() for method in METHODS if method in item}


def route_of(label):
    """A server route label ("/api/studies/:studyUID") as an OpenAPI path template."""
    return "/".join("{" + part[1:] + "}" if part.startswith(":") else part
                    for part in label.split("/"))


def _resolver(document):
    """Resolves "#/…" in the document and "schemas/…" relative to it, as a client
    that fetched /api/openapi.json resolves them against /api/schemas/…."""
    base = "file://" + DOCUMENT_PATH
    store = {}
    for name in os.listdir(os.path.join(DOCS, "schemas")):
        with open(os.path.join(DOCS, "schemas", name)) as f:
            schema = json.load(f)
        store["file://" + os.path.join(DOCS, "schemas", name)] = schema
        store[schema["$id"]] = schema
    return jsonschema.RefResolver(base, document, store=store)


def media_type(response):
    return (response.header("Content-Type") or "").split(";")[0].strip()


class DocumentedApi:
    """Calls the API through `api` (api_client.Api), checking each answer against the
    document."""

    def __init__(self, api, document):
        self.api = api
        self.document = document
        self.resolver = _resolver(document)
        self.checked = set()  # ("METHOD /path", status)

    def _resolve(self, node):
        while "$ref" in node:
            node = self.resolver.resolve(node["$ref"])[1]
        return node

    def _validate(self, instance, schema, what):
        validator = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, f"{what}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5])

    def operation(self, method, template):
        item = self.document["paths"].get(template)
        assert item is not None and method.lower() in item, f"{method} {template} is not documented"
        return item[method.lower()]

    def call(self, method, template, expect, path_params=None, query=None, user=None,
             token=None, body=None, content_type=None, headers=None, source_address=None):
        """Requests `method` on `template` with `path_params` filled in, asserts the
        status `expect` and checks the answer against the document; returns it."""
        operation = self.operation(method, template)
        declared = {p["name"] for p in map(self._resolve, operation.get("parameters", []))
                    if p["in"] == "query"}
        undeclared = set(query or {}) - declared
        assert not undeclared, f"{method} {template}: query parameters {undeclared} not documented"
        path = template
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
        if query:
            path += "?" + urllib.parse.urlencode(query)
        if user is not None:
            token = self.api.token(user)
        if expect < 400 and body is not None:
            request_body = self._resolve(operation["requestBody"])
            assert content_type in request_body["content"], (template, content_type)
            schema = request_body["content"][content_type].get("schema")
            if content_type == "application/json" and schema is not None:
                self._validate(json.loads(body), schema, f"request body of {method} {template}")
        response = self.api.request(method, path, token=token, body=body,
                                    content_type=content_type, headers=headers,
                                    source_address=source_address)
        assert response.status == expect, (method, path, response.status, response.body[:300])
        self.check(method, template, response)
        return response

    def check(self, method, template, response):
        """Checks one answer of `method` on `template` against the document."""
        what = f"{method} {template} {response.status}"
        responses = self.operation(method, template)["responses"]
        assert str(response.status) in responses, f"{what}: status not documented"
        documented = self._resolve(responses[str(response.status)])
        for name, header in documented.get("headers", {}).items():
            if self._resolve(header).get("required"):
                assert response.header(name), f"{what}: no {name} header"
        content = documented.get("content")
        if not content:
            assert response.body == b"", f"{what}: documented without a body"
        else:
            media = media_type(response)
            assert media in content, f"{what}: content type {media!r} not documented"
            schema = content[media].get("schema")
            if media == "application/json" and schema is not None:
                self._validate(json.loads(response.body), schema, what)
        self.checked.add((f"{method} {template}", response.status))
