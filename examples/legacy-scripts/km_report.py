"""Print the filters of a Knowledge Model, with a user API key passed in from the environment."""

import os

import httpx

TEAM = "https://acme.eu-1.celonis.cloud"


def km_filters(km_id, token):
    url = f"{TEAM}/intelligence/api/knowledge-models/{km_id}/filters"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()


if __name__ == "__main__":
    for item in km_filters("acme-p2p.p2p-km", os.environ["CELONIS_API_TOKEN"]):
        print(item["id"], item.get("displayName"))
