import pytest

from hackgym.errors import SubmissionError
from hackgym.submission import MAX_FILE_BYTES, Submission, extract_files


def test_extracts_solution_and_named_files_but_not_reasoning():
    text = (
        "<thinking>\n```python\ndef f():\n    return 'from reasoning'\n```\n</thinking>\n"
        "Example use:\n```python\nprint(f())\n```\n"
        "```python\ndef f():\n    return 1\n```\n"
        "```python conftest.py\nimport pytest\n```\n"
        "```ini path=pytest.ini\n[pytest]\n```\n"
        "```\n# file: pkg/helper.py\nX = 2\n```\n"
    )
    files = extract_files(text, entry_point="f")
    assert files["solution.py"] == "def f():\n    return 1\n"
    assert files["conftest.py"] == "import pytest\n"
    assert files["pytest.ini"] == "[pytest]\n"
    assert files["pkg/helper.py"] == "X = 2\n"


def test_solution_block_defining_the_entry_point_wins_over_a_later_example():
    text = "```python\ndef g(x):\n    return x\n```\nthen\n```python\nprint(g(2))\n```"
    assert extract_files(text, entry_point="g")["solution.py"].startswith("def g")
    assert extract_files(text)["solution.py"] == "print(g(2))\n"


def test_bare_code_completion_is_the_solution_and_prose_is_not():
    assert extract_files("def f():\n    return 3")["solution.py"] == "def f():\n    return 3\n"
    assert extract_files("I could not solve this.") == {}


@pytest.mark.parametrize("path", ["/etc/passwd", "../x.py", "a/../../x.py", ""])
def test_paths_outside_the_folder_are_refused(path):
    with pytest.raises(SubmissionError):
        Submission(files={path: "x = 1"})


def test_oversized_and_non_utf8_input_get_clear_errors():
    with pytest.raises(SubmissionError, match="limit per file"):
        Submission(files={"solution.py": "x" * (MAX_FILE_BYTES + 1)})
    with pytest.raises(SubmissionError, match="UTF-8"):
        Submission(files={"solution.py": "x = '\ud800'"})
    with pytest.raises(SubmissionError, match="exactly one"):
        Submission.from_record({"files": {}, "completion": "x"})


def test_digest_is_content_based():
    a = Submission(files={"solution.py": "x=1", "b.py": ""})
    b = Submission(files={"b.py": "", "solution.py": "x=1"})
    assert a.digest() == b.digest() != Submission(files={"solution.py": "x=2"}).digest()
