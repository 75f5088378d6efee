"""Already migrated: an OAuth client-credentials token, not a static key. Must not be reported."""

import os

import requests

BASE = "https://acme.eu-1.celonis.cloud"


def token():
    response = requests.post(
        f"{BASE}/oauth2/token",
        auth=(os.environ["CELONIS_CLIENT_ID"], os.environ["CELONIS_CLIENT_SECRET"]),
        data={"grant_type": "client_credentials", "scope": "audit.log:read"},
        timeout=30,
    )
    return response.json()["access_token"]


events = requests.get(f"{BASE}/log/api/external/audit", headers={"Authorization": f"Bearer {token()}"}).json()
