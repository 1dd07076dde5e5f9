"""Checks shared by the operator test tables (import: `from optest import ...`)."""
import mxlite as mx


def assert_json_round_trip(sym):
    """`sym`'s JSON loads back to the same JSON, arguments and outputs; returns the JSON."""
    text = sym.tojson()
    again = mx.sym.load_json(text)
    assert again.tojson() == text
    assert again.list_arguments() == sym.list_arguments()
    assert again.list_outputs() == sym.list_outputs()
    return text
