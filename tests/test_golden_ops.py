"""Every operator case MXNet 1.9.1 recorded in golden/manifest.json, run here."""
import pytest

from conftest import GOLDEN
from golden import build_like_mxnet, case_ids, find_case, run_golden_case

import mxlite as mx
from mxlite.ops import registry

CASES = case_ids(GOLDEN) or ['<golden corpus absent>']


def _require_op(golden, case_id):
    case = find_case(golden, case_id)
    if registry.find(case['op']) is None:
        pytest.fail("operator '%s' is not implemented" % case['op'])
    return case


@pytest.mark.parametrize('case_id', CASES)
def test_golden_case(golden, case_id):
    _require_op(golden, case_id)
    run_golden_case(golden, case_id)


@pytest.mark.parametrize('case_id', CASES)
def test_golden_symbol_built_by_call(golden, case_id):
    """mx.sym.<op>(...) called as the corpus called it writes MXNet's exact JSON."""
    case = _require_op(golden, case_id)
    with mx.name.NameManager():
        sym = build_like_mxnet(case)
    assert sym.tojson() == case['symbol_json']
