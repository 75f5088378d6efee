"""Refresh a Power BI workspace collection. Another vendor's AppKey scheme: not a Celonis key."""

import os

import requests

pbi_key = os.environ["PBI_ACCESS_KEY"]
requests.get(
    "https://api.powerbi.com/v1.0/collections/acme/workspaces",
    headers={"Authorization": "AppKey " + pbi_key},
    timeout=30,
)
