"""The container files parse and agree with the repository: Docker cannot run here to prove more."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


#: What the operator makes before the first start (README, "Deploying"): never in git.
SECRETS = ("mosquitto/passwd", "mosquitto/certs")


def test_compose_has_the_four_services_and_every_bind_mount_exists():
    services = compose()["services"]
    assert set(services) == {"mosquitto", "influxdb", "grafana", "civicwatt"}
    ignored = (DEPLOY / "mosquitto" / ".gitignore").read_text().split()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                continue
            relative = str(Path(source).relative_to("."))
            if relative.startswith(SECRETS):  # made by the operator, kept out of git
                top = relative.split("/")[1]
                assert top in ignored or f"{top}/" in ignored, f"{source} is not git-ignored"
                continue
            assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
    readme = (ROOT / "README.md").read_text()
    assert "make-certs.sh" in readme and "mosquitto_passwd -c" in readme


def test_no_default_secret_in_any_deploy_file():
    """Every secret comes from the environment, with no fallback value and no printed hint."""
    text = (DEPLOY / "docker-compose.yml").read_text()
    for name in ("INFLUXDB_TOKEN", "INFLUXDB_PASSWORD", "GRAFANA_ADMIN_PASSWORD",
                 "CIVICWATT_MQTT_PASSWORD"):
        uses = re.findall(r"\$\{" + name + r"(:?[-?][^}]*)?\}", text)
        assert uses and all(u.startswith(":?") for u in uses), f"{name}: {uses}"
    services = compose()["services"]
    assert services["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "8883" in services["mosquitto"]["ports"][0]  # TLS only: no plain 1883
    demo = (ROOT / "civicwatt" / "commands" / "demo.py").read_text()
    assert "admin / civicwatt" not in demo and "admin / civicwatt" not in text


def test_civicwatt_service_points_the_example_config_at_the_other_services():
    service = compose()["services"]["civicwatt"]
    example = (ROOT / "config" / "example-site.yaml").read_text()
    for variable in service["environment"]:
        if variable.startswith("CIVICWATT_"):
            assert f"${{{variable}:-" in example, f"{variable} is not used by the example config"
    assert service["environment"]["CIVICWATT_MQTT_URL"] == "mqtts://mosquitto:8883"
    assert "influxdb2://influxdb:8086" in service["environment"]["CIVICWATT_STORE_URL"]
    assert "/etc/civicwatt/site.yaml" in " ".join(service["volumes"])


def test_mosquitto_keeps_messages_for_an_offline_collector_and_is_locked():
    conf = (DEPLOY / "mosquitto" / "mosquitto.conf").read_text()
    assert re.search(r"^persistence true$", conf, re.M)
    assert re.search(r"^max_queued_messages 0$", conf, re.M)
    assert re.search(r"^allow_anonymous false$", conf, re.M)
    for key in ("password_file", "acl_file", "cafile", "certfile", "keyfile"):
        assert re.search(rf"^{key} /mosquitto/", conf, re.M), key
    assert re.findall(r"^listener (\d+)", conf, re.M) == ["8883"]


def test_dockerfile_copies_what_exists_runs_as_non_root_and_has_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+) ", dockerfile, re.M):
        assert (ROOT / source).exists(), source
    assert re.search(r"^USER civicwatt$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "/etc/civicwatt/site.yaml" in dockerfile


def test_ci_installs_the_debian_packages_the_readme_names():
    packages = (DEPLOY / "debian-packages.txt").read_text().split()
    assert {"mosquitto", "mosquitto-clients", "influxdb"} <= set(packages)
    assert "deploy/debian-packages.txt" in (ROOT / ".ci" / "run").read_text()
    assert "deploy/debian-packages.txt" in (ROOT / "README.md").read_text()


def test_the_image_installs_the_wheel_not_the_source_tree():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -e" not in dockerfile and "COPY config" not in dockerfile
    assert re.search(r"^RUN pip wheel .*--no-deps", dockerfile, re.M)
    assert re.search(r"^RUN pip install .*civicwatt-\*\.whl", dockerfile, re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in
                project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./", dockerfile, re.M))
    assert packages == copied, "every package the wheel needs, and nothing else"


def test_ci_runs_the_installed_wheel_away_from_the_repository():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip wheel" in ci and "venv" in ci
    assert re.search(r'civicwatt" check-config "\$repo/config/example-site.yaml"', ci)
    assert re.search(r'civicwatt" demo --days 7', ci)
