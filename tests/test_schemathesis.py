"""schemathesis against the app's own ``/openapi.json``, in process (ASGI) over fakes, no network: every
operation gets a bounded number of generated requests (valid and invalid); none may answer a server error,
and every answer must match the status codes, content types and schemas the document promises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fake_app_support import fake_runtime
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.schemas import APIOperation
from starlette.testclient import TestClient

from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.tools import build_tools

EXAMPLES = 25  # per operation (16 operations): a few seconds in all


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("home")
    runtime = fake_runtime(home)
    with TestClient(create_app(runtime, build_tools(runtime), mcp=False), raise_server_exceptions=False) as c:
        yield c


QUIET = list(HealthCheck)
# Not checked: that every schema-valid body is accepted. Some rules join two fields ("context" applies only
# to a plain-words query) and are answered 422 naming the field; the document states each field alone.
LOOSE = [checks.positive_data_acceptance]
# This home has no CLIP model, so a request with a picture (search_by_image, search_anime's image,
# /api/query's image) answers its documented 503 saying what to export and install, before it reads the
# picture: that one answer is checked by hand below instead of by schemathesis' "no 5xx"; any other 5xx
# still fails.
NO_IMAGE_MODEL = "image search needs a CLIP image model"


def no_image_model(response: Any) -> bool:
    if response.status_code != 503:
        return False
    error = response.json()["error"]
    return bool(error["code"] == "embedder_unavailable" and error["message"].startswith(NO_IMAGE_MODEL))


def operations(client: TestClient) -> list[APIOperation]:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    return [result.ok() for result in loaded.get_all_operations()]


def test_every_operation_answers_as_documented(client: TestClient) -> None:
    """One hypothesis run per operation (schemathesis' pytest plugin needs pytest < 9, so it is driven
    here): the cases of its strategy, sent through the app, validated by all of schemathesis' checks."""
    found = operations(client)
    assert len(found) >= 15, [op.label for op in found]
    for operation in found:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def answers_as_documented(case: schemathesis.Case) -> None:
            sent = case.as_transport_kwargs(base_url="http://testserver")
            sent.pop("cookies", None)  # none in this API; per-request cookies are deprecated in the client
            response = client.request(**sent)
            if no_image_model(response):
                assert "anime-mcp models export" in response.json()["error"]["message"]
                case.validate_response(response, excluded_checks=[*LOOSE, checks.not_a_server_error])
                return
            case.validate_response(response, excluded_checks=LOOSE)

        try:
            answers_as_documented()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc
