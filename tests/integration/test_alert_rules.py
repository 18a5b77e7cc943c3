"""The alert rules shipped for Prometheus (etc/prometheus/ftpsgw-alerts.yml,
README "Monitoring"; issue 16, part 5): valid for Debian's promtool, each
alert firing and staying quiet as tests/prometheus/ftpsgw-alerts.test.yml
says, and every metric they read one that ftpsgw serves (the renderer's
golden text, tests/unit/metrics.golden, is made from the metric table)."""
import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(REPO, "etc", "prometheus", "ftpsgw-alerts.yml")
UNIT = os.path.join(REPO, "tests", "prometheus", "ftpsgw-alerts.test.yml")
GOLDEN = os.path.join(REPO, "tests", "unit", "metrics.golden")
PROMTOOL = shutil.which("promtool")

pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool missing: bash scripts/deps.sh installs "
    "Debian's prometheus package")


def promtool(*args, cwd=None):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_rules_are_valid_and_fire_as_specified():
    p = promtool("check", "rules", RULES)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS: 4 rules found" in p.stdout
    p = promtool("test", "rules", UNIT)
    assert p.returncode == 0, p.stdout + p.stderr


def test_rules_read_only_metrics_ftpsgw_serves():
    with open(GOLDEN) as f:
        served = set(re.findall(r"^# TYPE (\S+) ", f.read(), re.M))
    with open(RULES) as f:
        exprs = re.findall(r"^\s+expr: (.*)$", f.read(), re.M)
    assert len(exprs) == 4
    for expr in exprs:
        names = set(re.findall(r"\b(ftpsgw_\w+)", expr))
        assert names and names <= served, (expr, names - served)


def test_unit_tests_can_fail(tmp_path):
    """A rule reading a misspelt metric no longer fires: promtool's unit
    test says so (the tests above would pass vacuously otherwise)."""
    os.makedirs(tmp_path / "etc" / "prometheus")
    os.makedirs(tmp_path / "tests" / "prometheus")
    with open(RULES) as f:
        text = f.read()
    broken = text.replace('ftpsgw_backend_state{state="down"}',
                          'ftpsgw_backend_status{state="down"}')
    assert broken != text
    (tmp_path / "etc" / "prometheus" / "ftpsgw-alerts.yml").write_text(broken)
    shutil.copy(UNIT, tmp_path / "tests" / "prometheus")
    p = promtool("test", "rules", "tests/prometheus/ftpsgw-alerts.test.yml",
                 cwd=tmp_path)
    assert p.returncode != 0
    assert "FtpsgwBackendDown" in p.stdout + p.stderr
