"""deploy/prometheus/: the sample scrape configuration and the alert rules parse, and every
rule names only metrics SLA Ops exports (checked by promtool too where it is installed)."""

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from prometheus_client.metrics import MetricWrapperBase

from slaops.metrics import instruments
from slaops.metrics.figures import Figures, gauges

DEPLOY = Path(settings.BASE_DIR) / "deploy" / "prometheus"
SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_created")


def exported() -> set[str]:
    """Every metric family SLA Ops exports: the processes' instruments and the web's figures."""
    instant = datetime(2026, 1, 1, tzinfo=UTC)
    families = list(gauges(Figures(taken_at=instant, last_tick=instant)))
    families += [
        family
        for metric in vars(instruments).values()
        if isinstance(metric, MetricWrapperBase)
        for family in metric.describe()
    ]
    return {"slaops_database_figures_up"} | {family.name for family in families}


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "slaops-alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_scrape_config_parses_and_loads_the_rules():
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["slaops-web"]["metrics_path"] == "/metrics"
    assert jobs["slaops-web"]["authorization"]["type"] == "Bearer"
    assert config["rule_files"] == ["slaops-alerts.yml"]


def test_every_rule_names_only_metrics_we_export():
    ours = exported()
    for rule in rules():
        named = set(re.findall(r"\bslaops_[a-z_]+", rule["expr"]))
        assert named, rule["alert"]
        unknown = {name for name in named if base_name(name) not in ours}
        assert not unknown, f"{rule['alert']}: {unknown}"
        assert {"alert", "expr", "labels", "annotations"} <= set(rule)


def test_the_rule_tests_load_the_rules_and_test_only_alerts_that_exist():
    document = yaml.safe_load((DEPLOY / "slaops-alerts_test.yml").read_text())
    assert document["rule_files"] == ["slaops-alerts.yml"]
    named = {rule["alert"] for rule in rules()}
    tested = {check["alertname"] for test in document["tests"] for check in test["alert_rule_test"]}
    assert tested and tested <= named
    for test in document["tests"]:
        for series in test["input_series"]:
            assert base_name(series["series"].split("{")[0]) in exported()


NO_PROMTOOL = (
    "promtool is not installed (Debian package `prometheus`, tests/setup_promtool.sh): the files "
    "are parsed above"
)


@pytest.mark.skipif(shutil.which("promtool") is None, reason=NO_PROMTOOL)
def test_promtool_accepts_the_files():
    # --syntax-only: the sample's token file (credentials_file) lives on the Prometheus server.
    checks = (
        ["check", "rules", "slaops-alerts.yml"],
        ["check", "config", "--syntax-only", "prometheus.yml"],
    )
    for command in checks:
        subprocess.run(["promtool", *command], cwd=DEPLOY, check=True)


@pytest.mark.skipif(shutil.which("promtool") is None, reason=NO_PROMTOOL)
def test_the_alert_rules_fire_as_their_unit_tests_expect():
    subprocess.run(["promtool", "test", "rules", "slaops-alerts_test.yml"], cwd=DEPLOY, check=True)
