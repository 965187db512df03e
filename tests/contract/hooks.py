"""Schemathesis hooks for the gateway's contract test (tests/contract.rs).

The JSON login is the legacy service's: a body schemathesis makes up never signs anybody in, so
the stateful phase would never get past it to the MFA endpoints the `401 mfa_required` answer
links to. This hook puts a real member's credentials (from MFA_CONTRACT_LOGIN, a JSON object
written by the test) into generated login bodies that have a username, so held logins happen
and the links from `mfa_required` to enroll / send / verify are followed with live challenges.
Bodies without a string username (negative cases) are left as they are.
"""

import json
import os

import schemathesis

CREDENTIALS = json.loads(os.environ.get("MFA_CONTRACT_LOGIN", "{}"))


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if operation is None or operation.definition.raw.get("operationId") != "jsonLogin":
        return body
    if CREDENTIALS and isinstance(body, dict) and isinstance(body.get("username"), str):
        return {**body, **CREDENTIALS}
    return body
