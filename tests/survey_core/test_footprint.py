"""A worker's memory: no service loads numpy, scipy or krippendorff (issue 12).

scipy.stats alone added ~65 MB to every gunicorn worker of the aggregator and the training
service (123 MB each, target 100 MB) for one Student-t quantile, Spearman's r and
Krippendorff's alpha, now computed in pure Python (test_scoring, test_calibration check the
figures). Checked in a fresh interpreter: every app built, every statistic computed.
bench/memory.py measures the RSS itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "scipy", "krippendorff", "pandas", "matplotlib")

SCRIPT = """
import json, sys
config = json.loads(sys.argv[1])
import aggregator, ivr_survey, training_survey, web_survey
from survey_core import calibration, scoring
for service in (aggregator, ivr_survey, training_survey, web_survey):
    service.create_app(config)
scoring.csat({"5": 3, "4": 2, "1": 1})
scoring.ces({"2": 3, "3": 4})
calibration.monitor_vs_customer([(80.0, 5), (60.0, 3), (40.0, 2), (90.0, 4), (20.0, 1)])
calibration.pairwise_alpha({"c1": {"M1": 80.0, "M2": 70.0}, "c2": {"M1": 50.0, "M2": 55.0}})
heavy = json.loads(sys.argv[2])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def test_no_service_loads_numpy_scipy_or_krippendorff(config):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(config), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"heavy modules loaded: {sorted({m.split('.')[0] for m in loaded})}"
