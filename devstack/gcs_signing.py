"""Throwaway service-account keys, and offline verification of GCS V4 signed URLs."""

import hashlib
import json
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.oauth2 import service_account


def throwaway_service_account() -> tuple[service_account.Credentials, rsa.RSAPublicKey, dict]:
    """Return credentials for a freshly generated key, its public half, and the key file JSON."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "vividly-test",
        "private_key_id": "test-key-1",
        "private_key": pem,
        "client_email": "signer@vividly-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return service_account.Credentials.from_service_account_info(info), private_key.public_key(), info


def v4_signature_is_valid(
    url: str, public_key: rsa.RSAPublicKey, method: str = "GET", headers: dict[str, str] | None = None
) -> bool:
    """Rebuild the V4 canonical request from `url` (and the `headers` a client sends with it) and
    verify its signature with `public_key`; a signed header the client does not send fails."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = params.pop("X-Goog-Signature", None)
    sent = {"host": parts.netloc, **{name.lower(): value for name, value in (headers or {}).items()}}
    signed_names = params.get("X-Goog-SignedHeaders", "").split(";")
    if signature is None or any(name not in sent for name in signed_names):
        return False
    canonical_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(params.items()))
    canonical_headers = "".join(f"{name}:{sent[name]}\n" for name in signed_names)
    canonical_request = "\n".join(
        [method, parts.path, canonical_query, canonical_headers, ";".join(signed_names), "UNSIGNED-PAYLOAD"]
    )
    scope = params["X-Goog-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join(
        ["GOOG4-RSA-SHA256", params["X-Goog-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    try:
        public_key.verify(bytes.fromhex(signature), string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def key_file(tmp_path, info: dict) -> str:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return str(path)
