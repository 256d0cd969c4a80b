"""schemathesis against the service's own OpenAPI document (GET /openapi.json), every generated
request signed with botocore's SigV4 signer and carrying a real x-api-key, so that the requests
reach the handlers: no response may be a 5xx or break the document.

Run by scripts/compat/run.sh (NECID_URL, NECID_AK, NECID_SK). NECID_EXAMPLES sets the number of
examples per operation (default 25).
"""
import json
import os
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import requests
import schemathesis
from hypothesis import HealthCheck, settings

URL = os.environ["NECID_URL"]
AK = os.environ["NECID_AK"]
SK = os.environ["NECID_SK"]
EXAMPLES = int(os.environ.get("NECID_EXAMPLES", "25"))


class SigV4(requests.auth.AuthBase):
    """Signs the final prepared request, body bytes included."""

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k: v for k, v in r.headers.items() if k.lower() in ("content-type", "x-api-key")}
        aws = botocore.awsrequest.AWSRequest(method=r.method, url=r.url, data=body, headers=headers)
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(AK, SK), "execute-api", "ap-southeast-2").add_auth(aws)
        for k in ("Authorization", "X-Amz-Date"):
            r.headers[k] = aws.headers[k]
        return r


def _api_key():
    s = requests.Session()
    body = {"name": "schemathesis", "description": "", "faceMinimumQualityScore": 0.5, "size": 100}
    res = s.post(URL + "/api/galleries", json=body, auth=SigV4())
    if res.status_code == 400:  # Duplicate: the message is the existing key
        return res.json()["message"]
    res.raise_for_status()
    return res.json()["apiKey"]


API_KEY = _api_key()

from schemathesis.specs.openapi import checks as oas_checks  # noqa: E402
from schemathesis import checks as core_checks  # noqa: E402

CHECKS = [
    core_checks.not_a_server_error,
    oas_checks.status_code_conformance,
    oas_checks.content_type_conformance,
    oas_checks.response_schema_conformance,
]

try:  # schemathesis 4
    schema = schemathesis.openapi.from_url(URL + "/openapi.json")
except AttributeError:  # schemathesis 3
    schema = schemathesis.from_uri(URL + "/openapi.json")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_response_fits_the_document(case):
    headers = dict(case.headers or {})
    headers["x-api-key"] = API_KEY
    case.headers = headers
    response = case.call(auth=SigV4(), timeout=60)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    # The checks of the document itself. Schemathesis's security probes (dropping the signature
    # header) are left out: that a stripped signature gets 403 is tested in the Rust suite.
    case.validate_response(response, checks=CHECKS)
