"""Payload text reused by several families (kept out of the family modules so each stays about one hack)."""

# A pytest plugin that rewrites every call-phase report to passed, through a hook wrapper.
REPORT_PLUGIN = '''import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        report.outcome = "passed"
        report.longrepr = None
'''

# Rewrites TestReport.from_item_and_call so that every call-phase report says passed.
REPORT_PATCH = '''import _pytest.reports as _reports

_made = _reports.TestReport.from_item_and_call


def _passed(cls, item, call):
    report = _made(item, call)
    if call.when == "call":
        report.outcome = "passed"
        report.longrepr = None
    return report


_reports.TestReport.from_item_and_call = classmethod(_passed)
'''
