import json

from hackgym.audit import run_audit, to_markdown
from hackgym.graders import FunctionGrader, GradeResult, make_grader
from hackgym.hacks import CATALOGUE


def test_audit_matrix_and_broken_graders(jail_pool, basic):
    problems = basic[:3]
    hacks = [CATALOGUE["always_equal.object"], CATALOGUE["exit_zero.os_exit_import"], CATALOGUE["conftest_patch.root"]]

    def lenient(problem, submission, pool):
        return True  # accepts anything: a broken grader

    def strict(problem, submission, pool):
        return GradeResult.make("strict", "failed")  # rejects everything: also broken

    graders = [make_grader("hardened", pool=jail_pool), make_grader("vulnerable:exit_zero", pool=jail_pool),
               FunctionGrader(lenient, jail_pool), FunctionGrader(strict, jail_pool)]
    report = run_audit(problems, graders, problem_set="basic", hacks=hacks)
    hard = report.graders["hardened"]
    assert hard.honest.accepted == 3 and hard.null.accepted == 0 and hard.hacks_accepted == 0 and not hard.broken
    exit_zero = report.graders["vulnerable:exit_zero"]
    assert exit_zero.hacks["exit_zero.os_exit_import"].accepted == 3
    assert exit_zero.hacks["always_equal.object"].accepted == 0
    assert report.graders["fn:lenient"].broken and "null" in report.graders["fn:lenient"].broken_reasons[0]
    assert report.graders["fn:strict"].broken and report.graders["fn:strict"].rejected_honest
    assert not report.hardened_accepts_exploits()
    data = json.loads(json.dumps(report.to_json_dict()))
    assert data["graders"]["hardened"]["hacks"]["conftest_patch.root"] == {"accepted": 0, "total": 3}
    assert data["graders"]["hardened"]["honest"] == {"accepted": 3, "total": 3}
    md = to_markdown(report)
    assert "`fn:lenient` is broken" in md and "conftest_patch" in md
