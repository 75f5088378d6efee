"""Push the ORDERS table to a Celonis data pool with the Data Push API."""

import os

import requests

CELONIS_URL = "https://acme.eu-1.celonis.cloud"
POOL_ID = "aaaaaaaa-0000-4000-8000-000000000001"


def _auth():
    return {"Authorization": f"AppKey {os.environ['ACME_CELONIS_KEY']}"}


def create_job(table):
    h = {**_auth(), "Content-Type": "application/json"}
    url = f"{CELONIS_URL}/data-ingestion/api/v1/data-push/{POOL_ID}/jobs/"
    return requests.post(url, headers=h, json={"targetName": table, "type": "DELTA"}, timeout=60).json()["id"]


def upload(job_id, path):
    with open(path, "rb") as fh:
        url = f"{CELONIS_URL}/data-ingestion/api/v1/data-push/{POOL_ID}/jobs/{job_id}/chunks/upserted"
        requests.post(url, headers=_auth(), files={"file": fh}, timeout=300).raise_for_status()


def execute(job_id):
    url = f"{CELONIS_URL}/data-ingestion/api/v1/data-push/{POOL_ID}/jobs/{job_id}"
    requests.post(url, headers=_auth(), timeout=60).raise_for_status()


if __name__ == "__main__":
    job = create_job("ORDERS")
    upload(job, "orders.parquet")
    execute(job)
