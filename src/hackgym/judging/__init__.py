"""The one judging layer: every LLM judgement hackgym makes (the rollout monitor, the evals' judges, the SDF
critique) and the SDF generator's drafting calls go through it.

- Models through Inspect AI: an explicit model, or the one bound to a model role (`judge`, `monitor`,
  `generator`); never the evaluated model by default.
- One reply cache (`DiskCache`, see `_cache.py` for why it is not Inspect's), keyed by model, prompt name and
  version, the rendered text's hash and the generation settings.
- One parser for structured replies (`parse_json`): nested JSON, code fences and prose around it are fine;
  anything undecidable is *malformed*, with the reason, never a silent "aligned" or "not a hack".
- Judges run at temperature 0 (greedy local models); every judgement records its model, prompt name and
  version and temperature (`Judgement.provenance()`).
- Every prompt comes from the registry (`hackgym.prompts`, kind `judge` for the judges), versioned `name@vN`.

```python
from hackgym.judging import Judge
from hackgym.prompts import get_prompt

judge = Judge("openai/gpt-4.1")                        # or Judge() inside an eval: the "judge" role
rating = await judge.rate(get_prompt("betley_coherence"), question=q, answer=a)
rating.value, rating.malformed, rating.provenance()
```
"""

from ._cache import CACHE_ENV, DEFAULT_CACHE, DiskCache, cache_at, cache_dir, set_cache_dir
from ._judge import (
    JUDGE_SETTINGS,
    Classification,
    Client,
    JsonReply,
    Judge,
    Judgement,
    Rating,
    Settings,
    TextReply,
    current_judge,
    provenance,
    run_sync,
)
from ._models import GENERATOR_ROLE, JUDGE_ROLE, MONITOR_ROLE, JudgeError, resolve_model
from ._parse import ParsedJson, match_label, parse_json, parse_number, strip_thinking, weighted_number

__all__ = [
    "CACHE_ENV", "DEFAULT_CACHE", "DiskCache", "cache_at", "cache_dir", "set_cache_dir",
    "JUDGE_SETTINGS", "Classification", "Client", "Judge", "Judgement", "JsonReply", "Rating", "Settings",
    "TextReply", "current_judge", "provenance", "run_sync",
    "GENERATOR_ROLE", "JUDGE_ROLE", "MONITOR_ROLE", "JudgeError", "resolve_model",
    "ParsedJson", "match_label", "parse_json", "parse_number", "strip_thinking", "weighted_number",
]
