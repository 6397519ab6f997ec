"""An independent HS256 JWT implementation (standard library only) for interop tests.

Inputs come from the environment so no shell quoting is involved:
  JWT_SECRET   the HMAC key (its UTF-8 bytes)
  JWT_MODE     "sign": print a token for the JSON object in JWT_PAYLOAD
               "verify": check JWT_TOKEN and print its payload as JSON (exit 1 if bad)
"""
import base64
import hashlib
import hmac
import json
import os
import sys


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> int:
    key = os.environ["JWT_SECRET"].encode("utf-8")
    mode = os.environ["JWT_MODE"]
    if mode == "sign":
        # Python's default separators (", " and ": ") and a different key order than
        # pacsport's own output: the verifier must not depend on either.
        header = b64url_encode(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        payload = b64url_encode(json.dumps(json.loads(os.environ["JWT_PAYLOAD"])).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = hmac.new(key, signing_input, hashlib.sha256).digest()
        print(f"{header}.{payload}.{b64url_encode(signature)}")
        return 0
    header, payload, signature = os.environ["JWT_TOKEN"].split(".")
    if json.loads(b64url_decode(header)).get("alg") != "HS256":
        return 1
    expected = hmac.new(key, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, b64url_decode(signature)):
        return 1
    print(json.dumps(json.loads(b64url_decode(payload)), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
