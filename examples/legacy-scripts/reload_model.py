"""Reload the P2P data model after the nightly extraction (pycelonis 2.x, app key)."""

import os

from pycelonis import get_celonis

celonis = get_celonis(
    base_url="https://acme.eu-1.celonis.cloud",
    api_token=os.environ["CELONIS_APP_KEY"],
    key_type="APP_KEY",
)
pool = celonis.data_integration.get_data_pool("aaaaaaaa-0000-4000-8000-000000000001")
model = pool.get_data_model("cccccccc-0000-4000-8000-000000000003")
model.reload()
