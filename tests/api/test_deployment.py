"""The compose file (issue 16 item 10): PostgreSQL, the API and the scheduler, production settings,
secrets as files, health checks; and the settings that read those files."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_postgresql_the_api_and_the_scheduler_with_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"db", "api", "scheduler"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped"
    assert services["api"]["command"][:2] == ["ledger", "serve"]
    assert services["scheduler"]["command"] == ["ledger", "scheduler"]
    assert services["api"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["scheduler"]["depends_on"]["api"] == {"condition": "service_healthy"}
    assert "/metrics" in " ".join(services["scheduler"]["healthcheck"]["test"])
    assert services["scheduler"]["environment"]["LEDGER_SCHEDULER_METRICS_PORT"] == "9100"
    # published on the host's loopback only
    assert all(port.startswith("127.0.0.1:") for s in services.values() for port in s.get("ports", []))


def test_compose_gives_secrets_as_files_never_as_values(compose: dict[str, Any]) -> None:
    assert {name: spec["file"] for name, spec in compose["secrets"].items()} == {
        "postgres_password": "./deploy/secrets/postgres_password",
        "audit_signing_key": "./deploy/secrets/audit_signing_key"}
    for name in ("api", "scheduler"):
        service = compose["services"][name]
        environment = service["environment"]
        assert environment["LEDGER_ENVIRONMENT"] == "production"
        assert environment["LEDGER_DATABASE"] == "postgres"
        assert environment["LEDGER_AUDIT_SIGNING_KEY_FILE"] == "/run/secrets/audit_signing_key"
        assert environment["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
        assert "LEDGER_AUDIT_SIGNING_KEY" not in environment and "POSTGRES_PASSWORD" not in environment
        assert set(service["secrets"]) == {"postgres_password", "audit_signing_key"}
    assert (ROOT / "deploy" / ".gitignore").read_text().split() == ["secrets/"]
    assert "deploy/secrets" in (ROOT / ".dockerignore").read_text().split()  # not sent to a build


def test_production_settings_read_the_secret_files(compose: dict[str, Any], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    (tmp_path / "audit_signing_key").write_text(key + "\n")
    (tmp_path / "postgres_password").write_text("s3cret\n")
    for name, value in compose["services"]["api"]["environment"].items():
        monkeypatch.setenv(name, str(value).replace("/run/secrets", str(tmp_path)))
    settings = Settings()
    assert settings.environment == "production"
    assert settings.postgres.password == "s3cret"
    assert settings.audit_signing_key is not None and settings.audit_signing_key.get_secret_value() == key
    assert "s3cret" not in repr(settings) and key not in repr(settings)
    assert settings.audit_signer() is not None


def test_a_missing_secret_file_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="cannot read the secret file"):
        Settings()
    monkeypatch.delenv("LEDGER_AUDIT_SIGNING_KEY_FILE")
    monkeypatch.setenv("POSTGRES_PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="cannot read the secret file"):
        Settings()
