"""Nightly export of the Celonis audit log and login history to CSV (legacy, uses an app key)."""

import csv
import sys

import requests

BASE = "https://acme.eu-1.celonis.cloud"
# Application key created under Admin & Settings > Applications in 2023.
APP_KEY = "MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOkZBS0VGQUtFRkFLRUZBS0VGQUtFRkFLRUZBS0VGQUtFRkFLRUZBS0VGQUtF"
HEADERS = {"Authorization": "AppKey " + APP_KEY, "Accept": "application/json"}


def fetch(path):
    response = requests.get(BASE + path, headers=HEADERS, params={"pageSize": 200}, timeout=30)
    response.raise_for_status()
    return response.json()


def main(out):
    writer = csv.writer(out)
    for event in fetch("/log/api/external/audit").get("content", []):
        writer.writerow([event.get("timestamp"), event.get("userEmail"), event.get("eventType")])
    for login in fetch("/api/external/authentication-events").get("content", []):
        writer.writerow([login.get("timestamp"), login.get("userEmail"), "LOGIN"])


if __name__ == "__main__":
    main(sys.stdout)
