"""Admin auth (loopback without a token, Bearer token with one) and DELETE."""

from __future__ import annotations

import hmac
import uuid
from pathlib import Path

import pytest

from cratedig import deps
from cratedig.api import create_app
from cratedig.models import Sample
from cratedig.storage.keys import AUDIO_WAV, HLS_PLAYLIST, sample_key, staging_key
from tests.api.conftest import Api, api_settings
from tests.fixtures.factories import make_sample

OUTSIDER = "203.0.113.9"


def stored_sample(api: Api) -> Sample:
    """A committed sample with published and staged objects."""
    sample = make_sample(id=uuid.uuid4(), generation=1)
    api.add(sample)
    storage = api.runtime.storage
    for key in (
        sample_key(sample.id, AUDIO_WAV),
        sample_key(sample.id, HLS_PLAYLIST),
        staging_key(sample.id, 1, AUDIO_WAV),
    ):
        storage.put_bytes(key, b"data")
    return sample


def test_delete_removes_objects_then_the_row(api: Api) -> None:
    sample = stored_sample(api)
    keep = make_sample(id=uuid.uuid4())
    api.add(keep)
    api.runtime.storage.put_bytes(sample_key(keep.id, AUDIO_WAV), b"other")
    response = api.client.delete(f"/api/v1/samples/{sample.id}")
    assert response.status_code == 204
    assert [info.key for info in api.runtime.storage.list()] == [sample_key(keep.id, AUDIO_WAV)]
    assert api.client.get(f"/api/v1/samples/{sample.id}").status_code == 404
    assert api.client.delete(f"/api/v1/samples/{sample.id}").status_code == 404


def test_without_a_token_only_loopback_clients_are_admins(api: Api) -> None:
    sample = stored_sample(api)
    for host in (OUTSIDER, "10.0.0.1", "::ffff:10.0.0.1"):
        response = api.client_from(host).delete(f"/api/v1/samples/{sample.id}")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert api.client_from("::1").delete(f"/api/v1/samples/{sample.id}").status_code == 204


def test_with_a_token_it_is_required_and_compared_in_constant_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.settings, "admin_token", "s3cret-token")
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(deps.hmac, "compare_digest", spy)
    sample = stored_sample(api)
    url = f"/api/v1/samples/{sample.id}"
    missing = api.client.delete(url)  # loopback is not enough once a token is set
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    wrong = api.client.delete(url, headers={"Authorization": "Bearer s3cret-tokeX"})
    assert wrong.status_code == 403
    assert compared == [(b"s3cret-tokeX", b"s3cret-token")]
    basic = api.client.delete(url, headers={"Authorization": "Basic s3cret-token"})
    assert basic.status_code == 401
    right = api.client_from(OUTSIDER).delete(url, headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 204


def test_production_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    settings = api_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", env="production")
    with pytest.raises(RuntimeError, match="ADMIN_TOKEN"):
        create_app(settings)
