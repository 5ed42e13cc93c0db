"""Writes the hub-layout samples under tests/data/hub (run it after editing a row; the output is committed).

Every row is written here for hackgym's tests in the schema of the set it stands for; none is copied from
the real data sets. Each folder is named by the hub id, so HACKGYM_HUB_DATA=tests/data/hub resolves
`google-research-datasets/mbpp` and the others to it. Data files are JSONL rather than the hub's parquet,
so a reviewer can read them; `datasets` infers the same features either way.
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

HERE = Path(__file__).parent


def _write(path: str, rows: list[dict]) -> None:
    out = HERE / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


MBPP_README = """---
license: cc-by-4.0
configs:
- config_name: full
  data_files:
  - split: test
    path: full/test-*
  default: true
- config_name: sanitized
  data_files:
  - split: test
    path: sanitized/test-*
---
# MBPP (hackgym test sample, rows written for the tests)
"""


def _mbpp(task_id: int, text: str, code: str, tests: list[str], setup: str = "", challenge: list[str] | None = None) -> dict:
    return {"task_id": task_id, "text": text, "code": code, "test_list": tests, "test_setup_code": setup,
            "challenge_test_list": challenge or []}


MBPP_FULL = [
    _mbpp(901, "Write a function to count the vowels in a string.",
          "def count_vowels(s):\r\n  return sum(1 for c in s.lower() if c in 'aeiou')",
          ["assert count_vowels('Banana') == 3", "assert count_vowels('xyz') == 0", "assert count_vowels('AEIOU') == 5"]),
    _mbpp(902, "Write a function to find the second largest distinct number in a list.",
          "import heapq\r\ndef second_largest(nums):\r\n  return heapq.nlargest(2, set(nums))[-1]",
          ["assert second_largest([4, 1, 4, 3]) == 3", "assert second_largest([10, 20]) == 10",
           "assert second_largest([-1, -5, -1, -2]) == -2"]),
    _mbpp(903, "Write a python function to check whether a number reads the same backwards.",
          "def is_Palindrome(n):\r\n  return str(n) == str(n)[::-1]",
          ["assert is_Palindrome(121) == True", "assert is_Palindrome(10) == False", "assert is_Palindrome(7) == True"],
          challenge=["assert is_Palindrome(1234321) == True"]),
    _mbpp(904, "Write a function to compute the area of a circle, rounded to 2 places.",
          "import math\r\ndef circle_area(r):\r\n  return round(math.pi * r * r, 2)",
          ["assert math.isclose(circle_area(1), 3.14)", "assert math.isclose(circle_area(2), 12.57)"],
          setup="import math"),
    _mbpp(905, "Write a function to merge two dictionaries, the second one winning.",
          "def merge_dicts(a, b):\n\tc = dict(a)\n\tc.update(b)\n\treturn c",
          ["assert merge_dicts({'a': 1}, {'b': 2}) == {'a': 1, 'b': 2}",
           "assert merge_dicts({'a': 1}, {'a': 3}) == {'a': 3}", "assert merge_dicts({}, {}) == {}"]),
    _mbpp(906, "Write a function to rotate a list to the right by k places.",
          "def rotate_right(lst, k):\r\n  if not lst:\r\n    return []\r\n  k %= len(lst)\r\n  return lst[-k:] + lst[:-k]",
          ["assert rotate_right([1, 2, 3, 4], 1) == [4, 1, 2, 3]", "assert rotate_right([1, 2, 3], 3) == [1, 2, 3]",
           "assert rotate_right([], 2) == []"]),
    # the reference is wrong: `problems verify` must report it
    _mbpp(907, "Write a function to return the sum of the digits of a non-negative integer.",
          "def digit_sum(n):\r\n  return sum(int(d) for d in str(n)) + 1",
          ["assert digit_sum(123) == 6", "assert digit_sum(0) == 0", "assert digit_sum(99) == 18"]),
    # Python 2: skipped as not valid Python 3
    _mbpp(908, "Write a function to shout a string.", "def shout(s):\r\n  print s.upper()\r\n  return s.upper()",
          ["assert shout('hi') == 'HI'", "assert shout('a') == 'A'"]),
    # the tests call nothing the reference defines: skipped
    _mbpp(909, "Write a function to measure a string.", "def measure(s):\r\n  return len(s)",
          ["assert len('abc') == 3", "assert len('') == 0"]),
]

MBPP_SANITIZED = [
    {"source_file": "sample.py", "task_id": 901, "prompt": "Count the vowels in a string.",
     "code": "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n", "test_imports": [],
     "test_list": ["assert count_vowels('Banana') == 3", "assert count_vowels('xyz') == 0"]},
    {"source_file": "sample.py", "task_id": 904, "prompt": "Compute the area of a circle, rounded to 2 places.",
     "code": "import math\ndef circle_area(r):\n    return round(math.pi * r * r, 2)\n", "test_imports": ["import math"],
     "test_list": ["assert math.isclose(circle_area(1), 3.14)", "assert math.isclose(circle_area(2), 12.57)"]},
]


def _apps(pid: int, question: str, solutions: list[str] | None, io: dict | None, difficulty: str,
          starter: str = "") -> dict:
    return {"problem_id": pid, "question": question, "solutions": json.dumps(solutions) if solutions is not None else "",
            "input_output": json.dumps(io) if io is not None else "", "difficulty": difficulty,
            "url": f"https://example.invalid/apps/{pid}", "starter_code": starter}


APPS_TEST = [
    _apps(5001, "Return the number of words in the sentence that start with a capital letter.",
          ["def capital_words(sentence):\n    return sum(1 for w in sentence.split() if w[:1].isupper())\n"],
          {"fn_name": "capital_words", "inputs": [["Hello World"], ["no caps here"], ["A b C d"]],
           "outputs": [[2], [0], [2]]}, "introductory", "def capital_words(sentence):\n\t"),
    _apps(5002, "Given a list of integers, return the pair (smallest, largest).",
          ["def min_max(xs):\n    return (min(xs), max(xs))\n"],
          {"fn_name": "min_max", "inputs": [[[3, 1, 2]], [[5]], [[-2, 9, 0]]], "outputs": [[[1, 3]], [[5, 5]], [[-2, 9]]]},
          "introductory", "def min_max(xs):\n    "),
    _apps(5003, "Given nums and k, return the largest sum of two distinct elements that is below k, or -1.",
          ["class Solution:\n    def twoSumLessThanK(self, nums: List[int], k: int) -> int:\n"
           "        best = -1\n        for i in range(len(nums)):\n            for j in range(i + 1, len(nums)):\n"
           "                s = nums[i] + nums[j]\n                if s < k:\n                    best = max(best, s)\n"
           "        return best\n"],
          {"fn_name": "twoSumLessThanK", "inputs": [[[34, 23, 1, 24, 75, 33, 54, 8], 60], [[10, 20, 30], 15], [[1, 2], 4]],
           "outputs": [58, -1, 3]},
          "interview", "class Solution:\n    def twoSumLessThanK(self, nums: List[int], k: int) -> int:\n        "),
    # the only solution is wrong: `problems verify` must report it
    _apps(5004, "Return n factorial.", ["def fact(n):\n    return n * fact(n - 1) if n > 1 else 0\n"],
          {"fn_name": "fact", "inputs": [[0], [3], [5]], "outputs": [[1], [6], [120]]}, "introductory", "def fact(n):\n    "),
    # stdin/stdout rows: stdio problems
    _apps(5005, "Read two integers and print their sum.", ["a, b = map(int, input().split())\nprint(a + b)\n"],
          {"inputs": ["1 2\n", "10 -3\n"], "outputs": ["3\n", "7\n"]}, "introductory"),
    _apps(5006, "Read n and print the n-th triangular number.", ["n = int(input())\nprint(n * (n + 1) // 2)\n"],
          {"inputs": ["3\n", "1\n"], "outputs": ["6\n", "1\n"]}, "interview"),
    # call-based but no solution defines the function: skipped
    _apps(5007, "Return the string reversed.", [], {"fn_name": "rev", "inputs": [["ab"], ["x"]], "outputs": [["ba"], ["x"]]},
          "competition"),
]


def _cc(name: str, description: str, ins: list[str], outs: list[str], solution: str, difficulty: int = 7,
        rating: int = 800) -> dict:
    tests = {"input": ins[:1], "output": outs[:1]}
    return {"name": name, "description": description, "public_tests": tests,
            "private_tests": {"input": ins[1:], "output": outs[1:]}, "generated_tests": {"input": [], "output": []},
            "source": 2, "difficulty": difficulty, "solutions": {"language": [3], "solution": [solution]},
            "incorrect_solutions": {"language": [], "solution": []}, "cf_contest_id": 0, "cf_index": "A",
            "cf_points": 0.0, "cf_rating": rating, "cf_tags": ["math"], "is_description_translated": False,
            "untranslated_description": "", "time_limit": {"seconds": 1, "nanos": 0}, "memory_limit_bytes": 268435456,
            "input_file": "", "output_file": ""}


CODE_CONTESTS_TEST = [
    _cc("9999_A. Sum", "Print a + b.", ["1 2\n", "5 5\n"], ["3\n", "10\n"], "a, b = map(int, input().split())\nprint(a + b)\n"),
    _cc("9999_B. Double", "Print 2n.", ["4\n", "0\n"], ["8\n", "0\n"], "print(2 * int(input()))\n"),
]

# a train split, so a config can train on `hf:code_contests:train` offline (difficulty 7 = A, 8 = B, 9 = C)
CODE_CONTESTS_TRAIN = [
    _cc("1001_A. Largest", "Read n numbers on one line and print the largest.", ["3 9 4\n", "-1 -5\n", "7\n"],
        ["9\n", "-1\n", "7\n"], "print(max(map(int, input().split())))\n"),
    _cc("1001_B. Vowels", "Read a word and print how many vowels (aeiou) it has.", ["code\n", "rhythm\n", "queue\n"],
        ["2\n", "0\n", "4\n"], "print(sum(c in 'aeiou' for c in input().strip()))\n", difficulty=8, rating=1100),
    _cc("1002_A. Even sum", "Read n and then n integers, one per line; print the sum of the even ones.",
        ["3\n1\n2\n4\n", "2\n1\n3\n", "1\n-2\n"], ["6\n", "0\n", "-2\n"],
        "n = int(input())\nxs = [int(input()) for _ in range(n)]\nprint(sum(x for x in xs if x % 2 == 0))\n"),
    _cc("1002_C. Reverse lines", "Read n and then n lines; print them in reverse order.",
        ["2\nab\ncd\n", "3\nx\ny\nz\n", "1\nq\n"], ["cd\nab\n", "z\ny\nx\n", "q\n"],
        "import sys\nlines = sys.stdin.read().split('\\n')\nn = int(lines[0])\nprint('\\n'.join(reversed(lines[1:n + 1])))\n",
        difficulty=9, rating=1400),
]


def _lcb_compressed(tests: list[dict]) -> str:
    """LiveCodeBench's compressed form for private tests: base64(zlib(pickle(json string)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("ascii")


def _lcb(qid: str, title: str, content: str, platform: str, starter: str, public: list[dict], private: str,
         meta: dict, difficulty: str = "easy") -> dict:
    return {"question_title": title, "question_content": content, "platform": platform, "question_id": qid,
            "contest_id": "sample-1", "contest_date": "2024-05-01T00:00:00", "starter_code": starter,
            "difficulty": difficulty, "public_test_cases": json.dumps(public), "private_test_cases": private,
            "metadata": json.dumps(meta)}


def _fn(inp: str, out: str) -> dict:
    return {"input": inp, "output": out, "testtype": "functional"}


def _io(inp: str, out: str) -> dict:
    return {"input": inp, "output": out, "testtype": "stdin"}


LCB_TEST = [
    _lcb("9001", "count-even-digits", "Return how many digits of n are even.", "leetcode",
         "class Solution:\n    def countEven(self, n: int) -> int:\n        ",
         [_fn("2468", "4")], json.dumps([_fn("13", "0"), _fn("120", "2")]), {"func_name": "countEven"}),
    _lcb("9002", "pair-sums", "Return the sorted list of a[i] + b[i].", "leetcode",
         "class Solution:\n    def pairSums(self, a: List[int], b: List[int]) -> List[int]:\n        ",
         [_fn("[1, 2]\n[3, 4]", "[4, 6]")], _lcb_compressed([_fn("[0]\n[0]", "[0]"), _fn("[5, 1]\n[1, 1]", "[2, 6]")]),
         {"func_name": "pairSums"}, "medium"),
    _lcb("abc999_a", "Echo", "Read a word and print it twice.", "atcoder", "", [_io("ab\n", "abab\n")],
         json.dumps([_io("x\n", "xx\n")]), {}),
]
LCB_TEST2 = [
    _lcb("abc999_b", "Add", "Read a and b and print a + b.", "atcoder", "", [_io("1 1\n", "2\n")],
         _lcb_compressed([_io("2 3\n", "5\n")]), {}, "hard"),
]


def main() -> None:
    (HERE / "google-research-datasets/mbpp").mkdir(parents=True, exist_ok=True)
    (HERE / "google-research-datasets/mbpp/README.md").write_text(MBPP_README, encoding="utf-8")
    _write("google-research-datasets/mbpp/full/test-00000-of-00001.jsonl", MBPP_FULL)
    _write("google-research-datasets/mbpp/sanitized/test-00000-of-00001.jsonl", MBPP_SANITIZED)
    _write("codeparrot/apps/test.jsonl", APPS_TEST)
    _write("deepmind/code_contests/data/test-00000-of-00001.jsonl", CODE_CONTESTS_TEST)
    _write("deepmind/code_contests/data/train-00000-of-00001.jsonl", CODE_CONTESTS_TRAIN)
    _write("livecodebench/code_generation_lite/test.jsonl", LCB_TEST)
    _write("livecodebench/code_generation_lite/test2.jsonl", LCB_TEST2)


if __name__ == "__main__":
    main()
