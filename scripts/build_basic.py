"""Build the built-in `basic` problem set: src/hackgym/data/basic.jsonl.

This script is the source of truth; the JSONL file is its committed output. Every problem is written
here as a signature, a short description, a reference body, call arguments and wrong (null) bodies.
Expected values are computed by running the reference body, then the whole set is checked before it
is written:

* the reference passes every case and the assembled `check(candidate)`;
* every null solution imports cleanly and fails at least one visible and one held-out case;
* a solution returning None fails a visible case, and the visible answers are not all equal (so no
  constant-returning solution passes the visible cases);
* every case runs in well under 10 ms.

Usage (from the repository root):
    .venv/bin/python scripts/build_basic.py            # rebuild the file
    .venv/bin/python scripts/build_basic.py --check    # fail if the committed file is out of date
"""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hackgym.problems import Problem, TestCase, dump_jsonl  # noqa: E402

OUT = ROOT / "src" / "hackgym" / "data" / "basic.jsonl"
SOURCE = "hackgym basic (MIT, written for this project)"
TAGS = ("strings", "lists", "arithmetic", "parsing")
MAX_CASE_SECONDS = 0.005

SPECS: list[dict] = []


def P(name, tag, sig, doc, body, visible, hidden, nulls):
    """Register one problem. Each entry of visible/hidden is a tuple of arguments, or one bare argument."""
    SPECS.append(dict(name=name, tag=tag, sig=sig, doc=doc, body=body, visible=visible, hidden=hidden, nulls=nulls))


# --------------------------------------------------------------------------------------------- strings

P("reverse_words", "strings", "(s: str) -> str",
  "Return the words of s in reverse order, joined by single spaces. Extra whitespace between words is dropped.",
  "return ' '.join(s.split()[::-1])",
  ["hello big world", "  spaced   out  "],
  ["", "a", "a b", "The quick brown fox", "x  y"],
  ["return s[::-1]",
   "return ' '.join(s.split(' ')[::-1])"])

P("count_vowels", "strings", "(s: str) -> int",
  "Count the vowels (a, e, i, o, u) in s, ignoring case.",
  "return sum(c in 'aeiou' for c in s.lower())",
  ["Programming", "AEIOU xyz"],
  ["", "rhythm", "Education", "QUEUE", "y"],
  ["return sum(c in 'aeiou' for c in s)",
   "return sum(c in 'aeiouy' for c in s.lower())"])

P("capitalize_words", "strings", "(s: str) -> str",
  "Upper-case the first letter of every space-separated word in s and leave all other characters unchanged.",
  "return ' '.join(w[:1].upper() + w[1:] for w in s.split(' '))",
  ["hello world", "the iPhone era"],
  ["", "a", "already Done", "mixed  spaces", "42 apples", "x-ray vision"],
  ["return s.title()",
   "return s.capitalize()"])

P("is_palindrome", "strings", "(s: str) -> bool",
  "Return True if s reads the same forwards and backwards when only letters and digits are kept and "
  "letter case is ignored.",
  "t = [c.lower() for c in s if c.isalnum()]\nreturn t == t[::-1]",
  ["Step on no pets!", "palindrome"],
  ["", "a", "No lemon, no melon", "Was it a car or a cat I saw?", "12321", "12 3 4", "ab"],
  ["return s == s[::-1]",
   "t = s.lower().replace(' ', '')\nreturn t == t[::-1]"])

P("compress_runs", "strings", "(s: str) -> str",
  "Run-length encode s: each run of a repeated character becomes the character followed by the length "
  "of the run.",
  "from itertools import groupby\nreturn ''.join(f'{c}{len(list(g))}' for c, g in groupby(s))",
  ["aaabcc", "aabbaa"],
  ["", "a", "xyz", "aaaaaaaaaaaa", "abab", "  !!"],
  ["from itertools import groupby\nout = ''\nfor c, g in groupby(s):\n    n = len(list(g))\n"
   "    out += c + (str(n) if n > 1 else '')\nreturn out",
   "return ''.join(f'{c}{s.count(c)}' for c in dict.fromkeys(s))"])

P("remove_duplicate_chars", "strings", "(s: str) -> str",
  "Remove repeated characters from s, keeping only the first occurrence of each, in their original order.",
  "return ''.join(dict.fromkeys(s))",
  ["banana", "mississippi"],
  ["", "abc", "aaaa", "abcabc", "Aa", "zebra"],
  ["return ''.join(sorted(set(s)))",
   "return s"])

P("caesar_shift", "strings", "(s: str, k: int) -> str",
  "Shift every lower-case letter a-z of s forward by k places in the alphabet, wrapping from z back "
  "to a; other characters stay as they are.",
  "return ''.join(chr((ord(c) - 97 + k) % 26 + 97) if 'a' <= c <= 'z' else c for c in s)",
  [("abc", 1), ("xyz, ok", 3)],
  [("", 5), ("hello", 0), ("hello", 26), ("Hi there", 13), ("abc", -1)],
  ["return ''.join(chr(ord(c) + k) if 'a' <= c <= 'z' else c for c in s)",
   "return ''.join(chr((ord(c) - 97 + k) % 26 + 97) for c in s)"])

P("longest_word", "strings", "(s: str) -> str",
  "Return the longest whitespace-separated word in s; on a tie return the earliest one, and return '' "
  "when s has no words.",
  "return max(s.split(), key=len, default='')",
  ["a quick brown fox", "aa bb c"],
  ["", "single", "one three five", "x yy zz", "   ", "ab abc abcd abc"],
  ["return sorted(s.split(), key=len)[-1]",
   "return s.split()[0]"])

P("count_overlapping", "strings", "(s: str, sub: str) -> int",
  "Count how many times the non-empty string sub occurs in s, counting overlapping occurrences.",
  "return sum(s.startswith(sub, i) for i in range(len(s)))",
  [("banana", "ana"), ("aaaa", "aa")],
  [("", "a"), ("abc", "abcd"), ("abababa", "aba"), ("hello", "l"), ("xyz", "q")],
  ["return s.count(sub)",
   "return sum(s.startswith(sub, i) for i in range(len(s) - len(sub)))"])

P("alternate_case", "strings", "(s: str) -> str",
  "Return s with the characters at even positions upper-cased and those at odd positions lower-cased, "
  "counting positions from 0.",
  "return ''.join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(s))",
  ["hello", "ABCD"],
  ["", "x", "a b c", "PyThOn", "12ab"],
  ["return ''.join(c.lower() if i % 2 == 0 else c.upper() for i, c in enumerate(s))",
   "return s.swapcase()"])

P("is_anagram", "strings", "(a: str, b: str) -> bool",
  "Return True if a and b contain the same letters the same number of times, ignoring spaces and "
  "letter case.",
  "return sorted(a.replace(' ', '').lower()) == sorted(b.replace(' ', '').lower())",
  [("Listen", "Silent"), ("aab", "abb")],
  [("", ""), ("Dormitory", "dirty room"), ("abc", "abd"), ("night", "thing"), ("rat", "car")],
  ["return sorted(a) == sorted(b)",
   "return set(a.lower()) == set(b.lower())"])

P("char_frequency", "strings", "(s: str) -> dict[str, int]",
  "Map every character of s to the number of times it appears in s.",
  "return {c: s.count(c) for c in s}",
  ["hello", "aAa"],
  ["", "x", "a a", "112233", "AbBa"],
  ["return {c: s.lower().count(c) for c in s.lower()}",
   "return {c: 1 for c in s}"])

P("truncate", "strings", "(s: str, n: int) -> str",
  "Shorten s to at most n characters (n >= 3): when s is longer than n, keep its first n - 3 characters "
  "and append '...'.",
  "return s if len(s) <= n else s[:n - 3] + '...'",
  [("hello world", 8), ("short", 10), ("exact", 5)],
  [("", 3), ("abcd", 3), ("abc", 3), ("abcdef", 6), ("abcdefg", 6)],
  ["return s[:n] + '...'",
   "return s if len(s) < n else s[:n - 3] + '...'"])

P("acronym", "strings", "(s: str) -> str",
  "Build an acronym from the upper-cased first letter of every word in s; hyphens separate words too.",
  "return ''.join(w[0].upper() for w in s.replace('-', ' ').split())",
  ["portable network graphics", "Complementary metal-oxide semiconductor"],
  ["", "single", "as soon as possible", "self-contained underwater breathing apparatus", "  extra   spaces "],
  ["return ''.join(w[0].upper() for w in s.split())",
   "return ''.join(w[0] for w in s.replace('-', ' ').split())"])

P("snake_to_camel", "strings", "(s: str) -> str",
  "Convert a snake_case name to camelCase: drop the underscores and upper-case the first letter of "
  "every word after the first.",
  "first, *rest = s.split('_')\nreturn first + ''.join(w[:1].upper() + w[1:] for w in rest)",
  ["hello_big_world", "user_id"],
  ["", "word", "a_b_c", "get_http_response", "double__under"],
  ["return ''.join(w.capitalize() for w in s.split('_'))",
   "return s.replace('_', '')"])

P("camel_to_snake", "strings", "(s: str) -> str",
  "Convert a camelCase name to snake_case: put an underscore before every upper-case letter and "
  "lower-case it.",
  "return ''.join('_' + c.lower() if c.isupper() else c for c in s)",
  ["helloBigWorld", "userId"],
  ["", "word", "aB", "x1Y2", "parseHttpRequest"],
  ["return s.lower()",
   "return ''.join('_' + c if c.isupper() else c for c in s)"])

P("common_prefix", "strings", "(words: list[str]) -> str",
  "Return the longest string that every word in words starts with, or '' when words is empty.",
  "prefix = words[0] if words else ''\nfor w in words[1:]:\n    while not w.startswith(prefix):\n"
  "        prefix = prefix[:-1]\nreturn prefix",
  [["flower", "flow", "flight"], ["interview", "internet", "interval"]],
  [[], ["alone"], ["dog", "cat"], ["same", "same"], ["abc", "ab", ""]],
  ["return words[0]",
   "return min(words, key=len) if words else ''"])

P("repeat_chars", "strings", "(s: str, n: int) -> str",
  "Repeat every character of s n times in place.",
  "return ''.join(c * n for c in s)",
  [("abc", 2), ("hi!", 3)],
  [("", 4), ("x", 1), ("ab", 0), ("a b", 2)],
  ["return s * n",
   "return ''.join(c + c for c in s)"])

# ----------------------------------------------------------------------------------------------- lists

P("second_largest", "lists", "(nums: list[int]) -> int | None",
  "Return the second largest distinct value in nums, or None when nums has fewer than two distinct values.",
  "u = sorted(set(nums))\nreturn u[-2] if len(u) > 1 else None",
  [[3, 1, 4, 1, 5], [7, 7, 3]],
  [[], [5], [2, 2], [-1, -5, -3], [10, 9], [1, 2, 3, 3]],
  ["return sorted(nums)[-2]",
   "return max(nums)"])

P("running_sum", "lists", "(nums: list[int]) -> list[int]",
  "Return the running totals of nums: item i of the result is the sum of nums[0] through nums[i].",
  "from itertools import accumulate\nreturn list(accumulate(nums))",
  [[1, 2, 3, 4], [5, -2, 0]],
  [[], [7], [-1, -1, -1], [0, 0], [10, -10, 10]],
  ["return [sum(nums[:i]) for i in range(len(nums))]",
   "return nums"])

P("chunk", "lists", "(items: list[int], size: int) -> list[list[int]]",
  "Split items into consecutive pieces of length size (size >= 1); the last piece may be shorter.",
  "return [items[i:i + size] for i in range(0, len(items), size)]",
  [([1, 2, 3, 4, 5], 2), ([1, 2, 3], 3)],
  [([], 3), ([1], 5), ([1, 2, 3, 4], 1), ([1, 2, 3, 4, 5, 6], 4)],
  ["return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]",
   "return [items[i:i + size] for i in range(len(items) - size + 1)]"])

P("flatten", "lists", "(nested: list[list[int]]) -> list[int]",
  "Concatenate the inner lists of nested into one list, keeping their order.",
  "return [x for sub in nested for x in sub]",
  [[[1, 2], [3], [4, 5, 6]], [[], [7], []]],
  [[], [[]], [[1]], [[3, 2], [1]], [[-1, -1], [-1]]],
  ["return nested[0]",
   "return [sub[0] for sub in nested if sub]"])

P("rotate_left", "lists", "(items: list[int], k: int) -> list[int]",
  "Rotate items k places to the left, where k >= 0 may exceed the length; an empty list stays empty.",
  "if not items:\n    return []\nk %= len(items)\nreturn items[k:] + items[:k]",
  [([1, 2, 3, 4, 5], 2), ([1, 2, 3], 4)],
  [([], 3), ([9], 100), ([1, 2], 0), ([1, 2, 3, 4], 4), ([1, 2, 3, 4, 5], 7)],
  ["return items[-k:] + items[:-k]",
   "return items[k:] + items[:k]"])

P("dedupe", "lists", "(items: list[int]) -> list[int]",
  "Remove repeated values from items, keeping the first occurrence of each in its original order.",
  "return list(dict.fromkeys(items))",
  [[3, 1, 3, 2, 1], [5, 5, 5]],
  [[], [1], [1, 2, 3], [2, 1, 2, 1], [-1, 0, -1]],
  ["return sorted(set(items))",
   "return items"])

P("pairwise_diff", "lists", "(nums: list[int]) -> list[int]",
  "Return the differences between neighbouring elements, nums[i + 1] - nums[i] for each i.",
  "return [b - a for a, b in zip(nums, nums[1:])]",
  [[1, 4, 9, 16], [5, 3]],
  [[], [7], [2, 2, 2], [0, -3, 3]],
  ["return [a - b for a, b in zip(nums, nums[1:])]",
   "return [nums[i + 1] - nums[i] for i in range(len(nums) - 2)]"])

P("max_subarray_sum", "lists", "(nums: list[int]) -> int",
  "Return the largest sum of a non-empty run of consecutive elements of nums (nums is not empty).",
  "best = cur = nums[0]\nfor x in nums[1:]:\n    cur = max(x, cur + x)\n    best = max(best, cur)\nreturn best",
  [[-2, 1, -3, 4, -1, 2, 1, -5, 4], [-3, -1, -2]],
  [[5], [-7], [1, 2, 3], [2, -1, 2], [0, 0, 0], [-1, 3, -1, -1, 4]],
  ["return sum(nums)",
   "return max(nums)"])

P("merge_sorted", "lists", "(a: list[int], b: list[int]) -> list[int]",
  "Merge two ascending lists into one ascending list that keeps every element, duplicates included.",
  "return sorted(a + b)",
  [([1, 3, 5], [2, 4, 6]), ([1, 2], [2, 3])],
  [([], []), ([], [1]), ([4], []), ([-2, 0], [-1, 0]), ([1, 1], [1])],
  ["return a + b",
   "return sorted(set(a + b))"])

P("count_greater", "lists", "(nums: list[int], threshold: int) -> int",
  "Count the elements of nums that are strictly greater than threshold.",
  "return sum(x > threshold for x in nums)",
  [([1, 5, 8, 3], 4), ([2, 2, 3], 2)],
  [([], 0), ([-1, -2], -3), ([5], 5), ([10, 20, 30], 100), ([0, 1, 2], -1)],
  ["return sum(x >= threshold for x in nums)",
   "return sum(x for x in nums if x > threshold)"])

P("zip_to_dict", "lists", "(keys: list[str], values: list[int]) -> dict[str, int]",
  "Pair keys with values position by position into a dict; items without a partner are ignored and a "
  "repeated key keeps its last value.",
  "return dict(zip(keys, values))",
  [(["a", "b"], [1, 2]), (["x", "y", "z"], [7])],
  [([], []), (["k"], [1, 2, 3]), (["a", "a"], [1, 2]), (["p", "q"], [0, -1]), (["m", "n", "o"], [1, 2])],
  ["return dict(zip(keys[::-1], values[::-1]))",
   "return {k: values[i] for i, k in enumerate(keys)}"])

P("index_of_max", "lists", "(nums: list[int]) -> int",
  "Return the index of the largest element of nums (the first one on a tie), or -1 when nums is empty.",
  "return nums.index(max(nums)) if nums else -1",
  [[3, 9, 2], [4, 7, 9, 9, 1]],
  [[], [5], [-3, -1, -2], [2, 2, 2], [1, 2, 3]],
  ["return max(range(len(nums)), key=lambda i: (nums[i], i), default=-1)",
   "return max(nums)"])

P("transpose", "lists", "(matrix: list[list[int]]) -> list[list[int]]",
  "Return the transpose of a rectangular matrix given as a list of rows, so that rows become columns.",
  "return [list(row) for row in zip(*matrix)]",
  [[[1, 2, 3], [4, 5, 6]], [[1, 2], [3, 4]]],
  [[], [[7]], [[1, 2, 3]], [[1], [2]]],
  ["return matrix",
   "return [row[::-1] for row in matrix]"])

P("interleave", "lists", "(a: list[int], b: list[int]) -> list[int]",
  "Alternate the elements of a and b, starting with a; when one list runs out, append the rest of "
  "the other.",
  "out = []\nfor i in range(max(len(a), len(b))):\n    out += a[i:i + 1] + b[i:i + 1]\nreturn out",
  [([1, 2, 3], [10, 20, 30]), ([1, 2, 3, 4], [9])],
  [([], []), ([], [5, 6]), ([7], []), ([1], [2, 3, 4]), ([1, 3], [2, 4])],
  ["return [x for pair in zip(a, b) for x in pair]",
   "return a + b"])

P("window_sums", "lists", "(nums: list[int], k: int) -> list[int]",
  "Return the sum of every window of k consecutive elements of nums (k >= 1), from left to right; "
  "there are none when k > len(nums).",
  "return [sum(nums[i:i + k]) for i in range(len(nums) - k + 1)]",
  [([1, 2, 3, 4, 5], 2), ([4, -1, 2], 3)],
  [([], 1), ([1, 2], 3), ([5], 1), ([1, 1, 1, 1], 2), ([0, -2, 4, 1], 1)],
  ["return [sum(nums[i:i + k]) for i in range(len(nums) - k)]",
   "return [sum(nums[i:i + k]) for i in range(len(nums))]"])

P("split_even_odd", "lists", "(nums: list[int]) -> tuple[list[int], list[int]]",
  "Return a pair (evens, odds) with the even and the odd elements of nums, each in their original order.",
  "return [x for x in nums if x % 2 == 0], [x for x in nums if x % 2]",
  [[1, 2, 3, 4, 5], [10, 7, 4, 1]],
  [[], [0], [-3, -2], [5, 3, 1], [8, 6, 4, 2]],
  ["return [x for x in nums if x % 2], [x for x in nums if x % 2 == 0]",
   "return sorted(x for x in nums if x % 2 == 0), sorted(x for x in nums if x % 2)"])

P("most_common", "lists", "(items: list[str]) -> str",
  "Return the value that appears most often in the non-empty list items; on a tie return the one that "
  "appears first.",
  "return max(items, key=items.count)",
  [["a", "b", "a", "c"], ["x", "y", "x", "y"], ["b", "a", "a"]],
  [["solo"], ["p", "q", "q", "p", "q"], ["m", "n"], ["z", "y", "y", "z", "z", "y"], ["c", "c", "d"]],
  ["return sorted(items, key=items.count)[-1]",
   "return items[0]"])

P("two_sum", "lists", "(nums: list[int], target: int) -> tuple[int, int] | None",
  "Return the indices (i, j), with i < j, of the first pair of elements of nums that add up to target, "
  "or None when no pair does.",
  "for i in range(len(nums)):\n    for j in range(i + 1, len(nums)):\n        if nums[i] + nums[j] == target:\n"
  "            return (i, j)\nreturn None",
  [([2, 7, 11, 15], 9), ([3, 2, 4], 6)],
  [([], 0), ([5], 10), ([1, 2, 3], 7), ([0, 4, 3, 0], 0), ([-1, -2, -3, -4], -5)],
  ["for i in range(len(nums)):\n    for j in range(i, len(nums)):\n        if nums[i] + nums[j] == target:\n"
   "            return (i, j)\nreturn None",
   "for i in range(len(nums)):\n    for j in range(i + 1, len(nums)):\n        if nums[i] + nums[j] == target:\n"
   "            return (nums[i], nums[j])\nreturn None"])

# ------------------------------------------------------------------------------------------ arithmetic

P("digit_sum", "arithmetic", "(n: int) -> int",
  "Return the sum of the decimal digits of n; the sign of n is ignored.",
  "return sum(int(d) for d in str(abs(n)))",
  [1234, -47],
  [0, 9, -5, 1000001, 99999],
  ["return sum(int(d) for d in str(n))",
   "return n % 10"])

P("factorial", "arithmetic", "(n: int) -> int",
  "Return n! (the product 1 * 2 * ... * n) for n >= 0, where 0! is 1.",
  "result = 1\nfor i in range(2, n + 1):\n    result *= i\nreturn result",
  [5, 0],
  [1, 3, 10, 20],
  ["result = 1\nfor i in range(1, n):\n    result *= i\nreturn result",
   "result = 0\nfor i in range(1, n + 1):\n    result *= i\nreturn result"])

P("gcd", "arithmetic", "(a: int, b: int) -> int",
  "Return the greatest common divisor of the non-negative integers a and b, where gcd(0, 0) is 0.",
  "while b:\n    a, b = b, a % b\nreturn a",
  [(12, 18), (17, 5)],
  [(0, 0), (0, 7), (7, 0), (100, 75), (21, 14), (13, 13), (9, 6)],
  ["return min(a, b)",
   "return abs(a - b)"])

P("is_prime", "arithmetic", "(n: int) -> bool",
  "Return True if n is a prime number; numbers below 2 are not prime.",
  "return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))",
  [7, 1, 9],
  [0, 2, 25, 97, -3, 49],
  ["return n > 1 and all(n % d for d in range(2, int(n ** 0.5)))",
   "return all(n % d for d in range(2, n))"])

P("fibonacci", "arithmetic", "(n: int) -> int",
  "Return the n-th Fibonacci number for n >= 0, where fibonacci(0) is 0 and fibonacci(1) is 1.",
  "a, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nreturn a",
  [10, 1],
  [0, 2, 3, 20, 50],
  ["a, b = 1, 1\nfor _ in range(n):\n    a, b = b, a + b\nreturn a",
   "a, b = 0, 1\nfor _ in range(n - 1):\n    a, b = b, a + b\nreturn a"])

P("sum_of_multiples", "arithmetic", "(limit: int) -> int",
  "Return the sum of the positive integers below limit that are multiples of 3 or of 5.",
  "return sum(x for x in range(limit) if x % 3 == 0 or x % 5 == 0)",
  [10, 16],
  [0, 1, 4, 6, 100, -5],
  ["return sum(x for x in range(limit + 1) if x % 3 == 0 or x % 5 == 0)",
   "return sum(x for x in range(limit) if x % 3 == 0 and x % 5 == 0)"])

P("collatz_steps", "arithmetic", "(n: int) -> int",
  "Count the steps needed to reach 1 from n >= 1, where a step halves an even number and turns an odd "
  "number x into 3 * x + 1.",
  "steps = 0\nwhile n != 1:\n    n = n // 2 if n % 2 == 0 else 3 * n + 1\n    steps += 1\nreturn steps",
  [6, 1],
  [2, 3, 7, 27, 16],
  ["steps = 1\nwhile n != 1:\n    n = n // 2 if n % 2 == 0 else 3 * n + 1\n    steps += 1\nreturn steps",
   "return n.bit_length() - 1"])

P("reverse_integer", "arithmetic", "(n: int) -> int",
  "Reverse the decimal digits of n and keep its sign; leading zeros of the result disappear.",
  "r = int(str(abs(n))[::-1])\nreturn -r if n < 0 else r",
  [123, -450],
  [0, 7, -1, 1200, 101, -98],
  ["return int(str(n)[::-1])",
   "return int(str(abs(n))[::-1])"])

P("celsius_to_fahrenheit", "arithmetic", "(c: float) -> float",
  "Convert a temperature from degrees Celsius to degrees Fahrenheit.",
  "return c * 9 / 5 + 32",
  [100.0, -40.0],
  [0.0, 37.0, 36.6, -273.15],
  ["return c * 5 / 9 + 32",
   "return (c + 32) * 9 / 5"])

P("mean", "arithmetic", "(nums: list[float]) -> float",
  "Return the arithmetic mean of nums, or 0.0 when nums is empty.",
  "return sum(nums) / len(nums) if nums else 0.0",
  [[1, 2, 3, 4], [1, 2, 6]],
  [[], [5], [-1, 1], [0.5, 0.25], [10, 20, 40]],
  ["return sum(nums) // len(nums)",
   "return (min(nums) + max(nums)) / 2"])

P("is_power_of_two", "arithmetic", "(n: int) -> bool",
  "Return True if n is a power of two (1, 2, 4, 8, ...); zero and negative numbers are not.",
  "return n > 0 and n & (n - 1) == 0",
  [16, 12],
  [0, 1, -8, 1024, 3, 2],
  ["return n in (1, 2, 4, 8)",
   "return n % 2 == 0"])

P("count_digits", "arithmetic", "(n: int) -> int",
  "Return how many decimal digits n has, ignoring its sign; 0 has one digit.",
  "return len(str(abs(n)))",
  [12345, -907],
  [0, -1, 10, 1000000, 99],
  ["return len(str(n))",
   "return n.bit_length()"])

P("int_to_binary", "arithmetic", "(n: int) -> str",
  "Return the binary digits of n >= 0 as a string without any prefix.",
  "return format(n, 'b')",
  [6, 1],
  [0, 2, 4, 255, 1024],
  ["return bin(n)",
   "out = ''\nwhile n:\n    out += str(n % 2)\n    n //= 2\nreturn out"])

P("clamp", "arithmetic", "(x: int, lo: int, hi: int) -> int",
  "Limit x to the range lo..hi (lo <= hi): return lo when x is below it, hi when x is above it, and x "
  "otherwise.",
  "return max(lo, min(x, hi))",
  [(5, 0, 10), (15, 0, 10), (-3, 0, 10)],
  [(0, 0, 0), (7, 7, 9), (10, 0, 10), (-5, -10, -1), (100, -10, -1), (-20, -10, -1)],
  ["return min(lo, max(x, hi))",
   "return max(lo, x)"])

P("lcm", "arithmetic", "(a: int, b: int) -> int",
  "Return the least common multiple of the positive integers a and b.",
  "from math import gcd\nreturn a * b // gcd(a, b)",
  [(4, 6), (3, 5)],
  [(1, 1), (7, 7), (1, 9), (12, 18), (21, 6), (8, 4)],
  ["return a * b",
   "return max(a, b)"])

P("digital_root", "arithmetic", "(n: int) -> int",
  "Replace n >= 0 by the sum of its digits again and again until a single digit remains, and return "
  "that digit.",
  "while n >= 10:\n    n = sum(int(d) for d in str(n))\nreturn n",
  [942, 16, 18],
  [0, 9, 10, 38, 99999, 123456789],
  ["return sum(int(d) for d in str(n))",
   "return n % 9"])

P("divisors", "arithmetic", "(n: int) -> list[int]",
  "Return all positive divisors of n >= 1 in increasing order.",
  "return [d for d in range(1, n + 1) if n % d == 0]",
  [12, 7],
  [1, 2, 16, 30, 49],
  ["return [d for d in range(1, n) if n % d == 0]",
   "return [d for d in range(2, n + 1) if n % d == 0]"])

P("integer_sqrt", "arithmetic", "(n: int) -> int",
  "Return the largest integer r with r * r <= n, for n >= 0.",
  "r = 0\nwhile (r + 1) * (r + 1) <= n:\n    r += 1\nreturn r",
  [17, 25],
  [0, 1, 2, 99, 100, 1000000],
  ["r = 0\nwhile r * r < n:\n    r += 1\nreturn r",
   "return n // 2"])

# --------------------------------------------------------------------------------------------- parsing

P("parse_int_list", "parsing", "(s: str) -> list[int]",
  "Parse a comma-separated list of integers that may have spaces around the items; an empty or blank "
  "string gives [].",
  "return [int(x) for x in s.split(',') if x.strip()]",
  ["1, 2,3", " 10 , -4 "],
  ["", "   ", "7", "0,0", "-1, -2, -3"],
  ["return s.split(',')",
   "return [int(x) for x in s.split(', ')]"])

P("parse_key_values", "parsing", "(s: str) -> dict[str, str]",
  "Parse 'key=value' pairs separated by ';' into a dict. Spaces around a pair and empty pairs are "
  "ignored, and only the first '=' of a pair splits it.",
  "return dict(p.strip().split('=', 1) for p in s.split(';') if p.strip())",
  ["a=1; b=2", "url=x=y;;mode=fast"],
  ["", "k=", " name=Ann ", "a=1;a=2", "x=1;y=2;z=3;", "eq=="],
  ["return dict(p.split('=') for p in s.split(';'))",
   "return {p.split('=')[0].strip(): p.split('=')[-1].strip() for p in s.split(';') if p.strip()}"])

P("parse_time", "parsing", "(s: str) -> int",
  "Convert a clock reading 'H:MM:SS' or 'MM:SS' into a number of seconds.",
  "total = 0\nfor part in s.split(':'):\n    total = total * 60 + int(part)\nreturn total",
  ["1:02:03", "05:30"],
  ["0:00:00", "00:00", "10:00", "23:59:59", "0:45"],
  ["h, m, sec = map(int, s.split(':'))\nreturn h * 3600 + m * 60 + sec",
   "total = 0\nfor part in reversed(s.split(':')):\n    total = total * 60 + int(part)\nreturn total"])

P("format_duration", "parsing", "(seconds: int) -> str",
  "Format a number of seconds (>= 0) as 'HH:MM:SS' with at least two digits per field; the hours may "
  "go past 99.",
  "h, rest = divmod(seconds, 3600)\nm, s = divmod(rest, 60)\nreturn f'{h:02d}:{m:02d}:{s:02d}'",
  [3723, 59],
  [0, 60, 3600, 86399, 360000],
  ["h, rest = divmod(seconds, 3600)\nm, s = divmod(rest, 60)\nreturn f'{h}:{m}:{s}'",
   "return f'{seconds // 3600:02d}:{seconds // 60:02d}:{seconds % 60:02d}'"])

P("roman_to_int", "parsing", "(s: str) -> int",
  "Convert a Roman numeral made of I, V, X, L, C, D and M, including subtractive pairs such as IV and "
  "CM, into an integer.",
  "v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\ntotal = 0\n"
  "for i, c in enumerate(s):\n    total += -v[c] if i + 1 < len(s) and v[s[i + 1]] > v[c] else v[c]\nreturn total",
  ["III", "XIV"],
  ["I", "IX", "XX", "LVIII", "CDXLIV", "MCMXCIV"],
  ["v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\nreturn sum(v[c] for c in s)",
   "v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\ntotal = 0\n"
   "for i, c in enumerate(s):\n    total += -v[c] if i + 1 < len(s) and v[s[i + 1]] >= v[c] else v[c]\n"
   "return total"])

_ROMAN = ("[(1000, 'M'), (900, 'CM'), (500, 'D'), (400, 'CD'), (100, 'C'), (90, 'XC'), (50, 'L'), "
          "(40, 'XL'), (10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')]")
_ROMAN_ADDITIVE = "[(1000, 'M'), (500, 'D'), (100, 'C'), (50, 'L'), (10, 'X'), (5, 'V'), (1, 'I')]"

P("int_to_roman", "parsing", "(n: int) -> str",
  "Write n (1 <= n <= 3999) as a Roman numeral, using the subtractive pairs IV, IX, XL, XC, CD and CM.",
  f"out = ''\nfor value, sym in {_ROMAN}:\n    out += sym * (n // value)\n    n %= value\nreturn out",
  [3, 1994],
  [1, 4, 9, 14, 40, 58, 3999],
  [f"out = ''\nfor value, sym in {_ROMAN_ADDITIVE}:\n    out += sym * (n // value)\n    n %= value\nreturn out",
   f"out = ''\nfor value, sym in {_ROMAN}:\n    if n >= value:\n        out += sym\n        n -= value\nreturn out"])

P("parse_bool", "parsing", "(s: str) -> bool | None",
  "Read a yes/no answer: 'yes', 'true', 'on' and '1' mean True, 'no', 'false', 'off' and '0' mean "
  "False, ignoring case and surrounding spaces; anything else gives None.",
  "t = s.strip().lower()\nif t in ('yes', 'true', 'on', '1'):\n    return True\n"
  "return False if t in ('no', 'false', 'off', '0') else None",
  ["Yes", " off ", "maybe"],
  ["TRUE", "0", "", "1", "No", "y"],
  ["return s.strip().lower() in ('yes', 'true', 'on', '1')",
   "if s in ('yes', 'true', 'on', '1'):\n    return True\nreturn False if s in ('no', 'false', 'off', '0') else None"])

P("word_count", "parsing", "(s: str) -> dict[str, int]",
  "Count the words of s case-insensitively (as lower-case keys), after stripping the punctuation "
  "marks . , ! ? from both ends of each word.",
  "counts = {}\nfor w in s.lower().split():\n    w = w.strip('.,!?')\n    if w:\n"
  "        counts[w] = counts.get(w, 0) + 1\nreturn counts",
  ["The cat and the hat.", "Go, go, GO!"],
  ["", "hello", "... !!!", "a b a B", "it's fine, it's OK"],
  ["counts = {}\nfor w in s.split():\n    w = w.strip('.,!?')\n    if w:\n"
   "        counts[w] = counts.get(w, 0) + 1\nreturn counts",
   "counts = {}\nfor w in s.lower().split():\n    counts[w] = counts.get(w, 0) + 1\nreturn counts"])

P("compare_versions", "parsing", "(a: str, b: str) -> int",
  "Compare two dotted version strings number by number and return -1, 0 or 1 when a is older than, "
  "equal to or newer than b; missing parts count as 0.",
  "x = [int(p) for p in a.split('.')]\ny = [int(p) for p in b.split('.')]\nn = max(len(x), len(y))\n"
  "x += [0] * (n - len(x))\ny += [0] * (n - len(y))\nreturn (x > y) - (x < y)",
  [("1.10", "1.9"), ("2.0", "2"), ("0.9", "1.0")],
  [("1.0.0", "1"), ("1.2.10", "1.2.9"), ("3", "3"), ("1.0.1", "1"), ("0.1", "0.10")],
  ["return (a > b) - (a < b)",
   "x = [int(p) for p in a.split('.')]\ny = [int(p) for p in b.split('.')]\nreturn (x > y) - (x < y)"])

P("parse_duration", "parsing", "(s: str) -> int",
  "Convert a duration such as '1h30m' or '45s' into seconds; every number is followed by its unit, "
  "h, m or s.",
  "import re\nunits = {'h': 3600, 'm': 60, 's': 1}\n"
  "return sum(int(num) * units[u] for num, u in re.findall(r'(\\d+)([hms])', s))",
  ["1h30m", "45s"],
  ["", "2h", "1h1m1s", "90m", "10s5m"],
  ["import re\nunits = {'h': 3600, 'm': 60, 's': 1}\n"
   "return sum(int(num) * units[u] for num, u in re.findall(r'(\\d)([hms])', s))",
   "import re\nunits = {'h': 3600, 'm': 60, 's': 1}\nm = re.match(r'(\\d+)([hms])', s)\n"
   "return int(m.group(1)) * units[m.group(2)]"])

P("extract_numbers", "parsing", "(s: str) -> list[int]",
  "Return every integer written in s, in order; a '-' directly before the digits makes the number "
  "negative.",
  "import re\nreturn [int(x) for x in re.findall(r'-?\\d+', s)]",
  ["a1b22c-3", "x = 10 - 4"],
  ["", "no digits", "007", "-0", "3-4", "temp -12 to 30"],
  ["import re\nreturn [int(x) for x in re.findall(r'\\d+', s)]",
   "return [int(c) for c in s if c.isdigit()]"])

P("is_valid_ipv4", "parsing", "(s: str) -> bool",
  "Return True if s is an IPv4 address: four decimal numbers from 0 to 255 separated by dots, with no "
  "signs, spaces or leading zeros.",
  "parts = s.split('.')\n"
  "return len(parts) == 4 and all(p.isdigit() and str(int(p)) == p and int(p) <= 255 for p in parts)",
  ["192.168.0.1", "256.1.1.1", "1.2.3"],
  ["0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", "", "1..2.3", "300.1.1.1"],
  ["parts = s.split('.')\nreturn len(parts) == 4 and all(p.isdigit() and str(int(p)) == p for p in parts)",
   "return len(s.split('.')) == 4"])

P("tokenize", "parsing", "(expr: str) -> list[str]",
  "Split an arithmetic expression into tokens: whole numbers, the operators + - * / and parentheses; "
  "spaces are skipped.",
  "import re\nreturn re.findall(r'\\d+|[-+*/()]', expr)",
  ["12+(3*45)", " 7 - 2 "],
  ["", "42", "1/2/3", "((1))", "100 * 20 + 3"],
  ["return list(expr.replace(' ', ''))",
   "return expr.split()"])

P("eval_rpn", "parsing", "(tokens: list[str]) -> int",
  "Evaluate an expression in reverse Polish notation whose tokens are integers and the operators "
  "+, - and *.",
  "stack = []\nfor t in tokens:\n    if t in ('+', '-', '*'):\n        b, a = stack.pop(), stack.pop()\n"
  "        stack.append(a + b if t == '+' else a - b if t == '-' else a * b)\n    else:\n"
  "        stack.append(int(t))\nreturn stack[-1]",
  [["2", "3", "+", "4", "*"], ["5", "3", "-"]],
  [["7"], ["-3"], ["1", "2", "-", "3", "-"], ["2", "3", "4", "*", "+"], ["0", "5", "*"], ["10", "-2", "*"]],
  ["stack = []\nfor t in tokens:\n    if t in ('+', '-', '*'):\n        a, b = stack.pop(), stack.pop()\n"
   "        stack.append(a + b if t == '+' else a - b if t == '-' else a * b)\n    else:\n"
   "        stack.append(int(t))\nreturn stack[-1]",
   "return sum(int(t) for t in tokens if t not in ('+', '-', '*'))"])

P("balanced_brackets", "parsing", "(s: str) -> bool",
  "Return True if the brackets (), [] and {} in s are properly matched and nested; other characters "
  "are ignored.",
  "stack, pairs = [], {')': '(', ']': '[', '}': '{'}\nfor c in s:\n    if c in '([{':\n        stack.append(c)\n"
  "    elif c in pairs and (not stack or stack.pop() != pairs[c]):\n        return False\nreturn not stack",
  ["([]{})", "([)]", "f(x[1]"],
  ["", "abc", ")(", "{[()()]}", "((", "}", "a(b)c[d]"],
  ["return all(s.count(o) == s.count(c) for o, c in ('()', '[]', '{}'))",
   "stack, pairs = [], {')': '(', ']': '[', '}': '{'}\nfor c in s:\n    if c in '([{':\n        stack.append(c)\n"
   "    elif c in pairs and (not stack or stack.pop() != pairs[c]):\n        return False\nreturn True"])

P("format_phone", "parsing", "(s: str) -> str",
  "Keep only the digits of s; if there are exactly ten, format them as '(AAA) BBB-CCCC', otherwise "
  "return ''.",
  "d = ''.join(c for c in s if c.isdigit())\nreturn f'({d[:3]}) {d[3:6]}-{d[6:]}' if len(d) == 10 else ''",
  ["555.123.4567", "12345"],
  ["", "(555) 123-4567", "555 123 45678", "5551234567", "call 800-555-0199 now"],
  ["d = ''.join(c for c in s if c.isdigit())\nreturn f'({d[:3]}) {d[3:6]}-{d[6:]}'",
   "d = s.replace('-', '')\nreturn f'({d[:3]}) {d[3:6]}-{d[6:]}' if len(d) == 10 else ''"])

P("parse_ranges", "parsing", "(s: str) -> list[int]",
  "Expand a non-empty comma-separated list of non-negative numbers and inclusive ranges such as "
  "'1-3,5' into the integers it names, in order.",
  "out = []\nfor part in s.split(','):\n    lo, _, hi = part.partition('-')\n    out += range(int(lo), int(hi or lo) + 1)\n"
  "return out",
  ["1-3,5,7-8", "4"],
  ["10", "0-0", "2-5", "1,1", "9-10,3"],
  ["out = []\nfor part in s.split(','):\n    lo, _, hi = part.partition('-')\n    out += range(int(lo), int(hi or lo))\n"
   "return out",
   "return [int(x) for x in s.replace('-', ',').split(',')]"])

P("parse_hex_color", "parsing", "(s: str) -> tuple[int, int, int]",
  "Convert a CSS hex colour '#rrggbb', or its short form '#rgb', into a tuple (red, green, blue) of "
  "numbers from 0 to 255.",
  "h = s.lstrip('#')\nif len(h) == 3:\n    h = ''.join(c * 2 for c in h)\nreturn tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))",
  ["#ff8000", "#f80"],
  ["#000000", "#fff", "#1A2b3C", "#abc", "#0000ff"],
  ["h = s.lstrip('#')\nreturn tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))",
   "h = s.lstrip('#')\nif len(h) == 3:\n    h = ''.join(c * 2 for c in h)\nreturn tuple(int(h[i:i + 2], 16) for i in (0, 1, 2))"])


# ----------------------------------------------------------------------------------------------- build


def _indent(code: str) -> str:
    return textwrap.indent(code, "    ") + "\n"


def _args_source(args) -> str:
    if not isinstance(args, tuple):
        args = (args,)
    return ", ".join(repr(a) for a in args)


def _is_plain(value) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


def _case_code(call: str, expected) -> str:
    if isinstance(expected, float):
        lit = repr(expected)
        if lit.startswith("-"):
            lit = f"({lit})"
        return f"assert abs({call} - {lit}) < 1e-9"
    return f"assert {call} == {expected!r}"


def _prompt(spec: dict, examples: list[tuple[str, object]]) -> str:
    lines = textwrap.wrap(spec["doc"], 88, break_on_hyphens=False)
    doc = [f'    """{lines[0]}'] + [f"    {line}" for line in lines[1:]] + [""]
    for call, value in examples:
        doc += [f"    >>> {call}", f"    {value!r}"]
    doc.append('    """')
    text = f"def {spec['name']}{spec['sig']}:\n" + "\n".join(doc) + "\n"
    if "\\" in text or text.count('"""') != 2:
        raise ValueError(f"{spec['name']}: the prompt would contain a backslash or stray triple quote")
    return text


def _function(source: str, name: str):
    ns: dict = {}
    exec(compile(source, f"<{name}>", "exec"), ns)
    return ns[name]


def _run_case(code: str, setup: str, fn) -> bool:
    ns: dict = {}
    exec(setup, ns)
    ns["candidate"] = fn
    try:
        exec(code, ns)
    except Exception:
        return False
    return True


def build_one(spec: dict) -> Problem:
    name = spec["name"]
    if spec["tag"] not in TAGS:
        raise ValueError(f"{name}: unknown tag {spec['tag']!r}")
    header = f"def {name}{spec['sig']}:\n    pass\n"
    ref = _function(header.replace("    pass\n", _indent(spec["body"])), name)

    calls = []  # (arg source, expected, visible)
    for visible, arg_list in ((True, spec["visible"]), (False, spec["hidden"])):
        for args in arg_list:
            src = _args_source(args)
            expected = eval(f"__f({src})", {"__f": ref})
            if isinstance(expected, float):
                expected = round(expected, 12)  # 97.88, not 97.88000000000001; cases compare within 1e-9
            if not _is_plain(expected) or ast.literal_eval(repr(expected)) != expected:
                raise ValueError(f"{name}({src}) returned a non-literal {expected!r}")
            calls.append((src, expected, visible))

    examples = [(f"{name}({src})", exp) for src, exp, vis in calls if vis][:2]
    prompt = _prompt(spec, examples)
    cases = [TestCase(code=_case_code(f"candidate({src})", exp), visible=vis) for src, exp, vis in calls]
    test = "def check(candidate):\n" + "".join(f"    {c.code}\n" for c in cases)
    return Problem(
        id=f"basic/{name}",
        prompt=prompt,
        entry_point=name,
        test=test,
        test_setup="",
        cases=cases,
        reference_solution=prompt + _indent(spec["body"]),
        null_solutions=[prompt + _indent(body) for body in spec["nulls"]],
        source=SOURCE,
        tags=[spec["tag"]],
    )


def verify(p: Problem) -> None:
    """Raise ValueError unless the problem meets the set's invariants."""
    def fail(msg: str):
        raise ValueError(f"{p.id}: {msg}")

    if len(p.visible) < 2 or len(p.held_out) < 3:
        fail("needs at least 2 visible and 3 held-out cases")
    if any(c.visible for c in p.cases[len(p.visible):]):
        fail("visible cases must come first")
    ref = _function(p.reference_solution, p.entry_point)
    for c in p.cases:
        start = time.perf_counter()
        ok = _run_case(c.code, p.test_setup, ref)
        if not ok:
            fail(f"reference fails {c.code}")
        if time.perf_counter() - start > MAX_CASE_SECONDS:
            fail(f"case too slow: {c.code}")
    ns: dict = {}
    exec(p.test_setup + "\n" + p.test, ns)
    ns["check"](ref)
    for i, src in enumerate(p.null_solutions):
        fn = _function(src, p.entry_point)
        if all(_run_case(c.code, p.test_setup, fn) for c in p.visible):
            fail(f"null_solutions[{i}] passes every visible case")
        if all(_run_case(c.code, p.test_setup, fn) for c in p.held_out):
            fail(f"null_solutions[{i}] passes every held-out case")
    if all(_run_case(c.code, p.test_setup, lambda *a: None) for c in p.visible):
        fail("a None-returning solution passes every visible case")
    visible_answers = [c.code.rsplit("==", 1)[-1] if "==" in c.code else c.code for c in p.visible]
    if len(set(visible_answers)) < 2:
        fail("all visible cases expect the same answer, so a constant would pass them")


def build() -> list[Problem]:
    names = [s["name"] for s in SPECS]
    if len(set(names)) != len(names):
        raise ValueError("duplicate problem names")
    problems = [build_one(s) for s in SPECS]
    errors = []
    for p in problems:
        try:
            verify(p)
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError("the set fails its checks:\n  " + "\n  ".join(errors))
    counts = {t: sum(t in p.tags for p in problems) for t in TAGS}
    if len(problems) < 64 or min(counts.values()) < 12:
        raise ValueError(f"too few problems: {len(problems)} total, per tag {counts}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args()
    problems = build()
    text = "".join(p.model_dump_json() + "\n" for p in problems)
    counts = {t: sum(t in p.tags for p in problems) for t in TAGS}
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run scripts/build_basic.py", file=sys.stderr)
            return 1
        print(f"{OUT.relative_to(ROOT)} is up to date ({len(problems)} problems, {counts})")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    dump_jsonl(problems, OUT)
    print(f"wrote {len(problems)} problems to {OUT.relative_to(ROOT)}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
