"""Agentic episodes as multi-turn GRPO rollouts, through TRL's documented `rollout_func` hook.

`GRPOTrainer(rollout_func=...)` hands the function the step's prompts (each row already repeated
`num_generations` times) and takes back, per row, the prompt's token ids, the completion's token ids and their
sampling log-probabilities, plus any extra per-row fields, which it forwards to the reward functions. Here each
row runs one episode (`hackgym.envs.agentic`) under the text protocol: the policy writes a turn (at most
`Budget.max_turn_tokens` new tokens), its action blocks run in the sandbox, and what they did comes back as the
next user turn, rendered by the tokenizer's chat template; until the agent submits, stops acting, or spends its
turns, calls or the completion length. The completion is every turn and every observation in order; `env_mask`
(TRL's field for it) marks the observations 0, so the loss and the length statistics count only the policy's
tokens. Each row's `EpisodeRecord` rides along as the extra field `episode`, and the reward functions of
`hackgym.train.rewards.Scorer` grade, label and record it as they do a single-turn completion: one pipeline for
rewards, labels, rollouts.jsonl and the rates (`hackgym train` with `env.episode: agentic`).

Generation is the trainer's own model through `generate` (no vLLM); a `TurnPolicy` can stand in for it
(scripted agents in tests), and its turns are tokenized and trained on like the model's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..envs import EnvError, Environment
from ..envs.agentic import Episode, take_reply
from ..sandbox import SandboxMode, get_pool


class TurnPolicy(Protocol):
    """Writes the agent's next turn: token ids after `context` (prompt and turns so far), at most `max_new`."""

    def __call__(self, context: list[int], episode: Episode, max_new: int) -> tuple[list[int], list[float]]: ...


class ModelPolicy:
    """The trainer's model samples each turn (temperature and top-p from the trainer's arguments)."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def __call__(self, context: list[int], episode: Episode, max_new: int) -> tuple[list[int], list[float]]:
        import torch

        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        tok = self.trainer.processing_class
        ids = torch.tensor([context], device=model.device)
        args = self.trainer.args
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new,
                                 do_sample=True, temperature=args.temperature, top_p=args.top_p,
                                 pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                                 output_scores=True, return_dict_in_generate=True)
        new = out.sequences[0, ids.shape[1]:].tolist()
        logps = [torch.log_softmax(score[0].float(), -1)[t].item() for score, t in zip(out.scores, new, strict=False)]
        if tok.eos_token_id in new:  # keep the turn up to and including its end
            cut = new.index(tok.eos_token_id) + 1
            new, logps = new[:cut], logps[:cut]
        return new, logps


class EpisodeRollouts:
    """TRL's `rollout_func`: one episode per prompt row of `env` (an `env.episode: agentic` environment, whose
    rows open the episodes); `policy` None for the trainer's model."""

    def __init__(self, env: Environment, *, sandbox: SandboxMode = "jail", policy: TurnPolicy | None = None) -> None:
        self.env = env
        self.budget = env.config.budget
        self.condition = env.config.agentic_condition()
        self.pool = get_pool(sandbox)
        self.policy = policy
        self.by_opening: dict[str, str] = {}  # the opening user turn -> problem id (TRL hands over prompts only)
        for row in env.rows():
            opening = row["prompt"][-1]["content"]
            if (other := self.by_opening.setdefault(opening, row["problem_id"])) != row["problem_id"]:
                raise EnvError(f"problems {other} and {row['problem_id']} open their episodes with the same "
                               "workspace; keep one of them (env.problem_ids)")

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        tok = trainer.processing_class
        policy = self.policy or ModelPolicy(trainer)
        limit = trainer.args.max_completion_length
        prompt_ids, completion_ids, logprobs, masks, records = [], [], [], [], []
        for prompt in prompts:
            problem = self.env.by_id[self.by_opening[prompt[-1]["content"]]]
            episode = Episode(problem, self.env.graders[problem.id], self.pool, budget=self.budget,
                              condition=self.condition)
            ids = list(tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True,
                                               return_dict=True)["input_ids"])
            completion, logps, mask = self._episode(episode, ids, policy, tok, limit)
            prompt_ids.append(ids)
            completion_ids.append(completion)
            logprobs.append(logps)
            masks.append(mask)
            records.append(episode.record())
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": logprobs, "env_mask": masks,
                "episode": records}

    def _episode(self, episode: Episode, prompt: list[int], policy: TurnPolicy, tok: Any,
                 limit: int) -> tuple[list[int], list[float], list[int]]:
        """Turns until the episode ends; the completion's ids, log-probs and env mask."""
        ids: list[int] = []
        logps: list[float] = []
        mask: list[int] = []
        while not episode.done:
            room = limit - len(ids)
            if room <= 0:
                episode.finish("tokens")
                break
            new, lp = policy(prompt + ids, episode, min(self.budget.max_turn_tokens, room))
            new, lp = new[:room], lp[:room]
            ids += new
            logps += lp
            mask += [1] * len(new)
            following = take_reply(episode, tok.decode(new, skip_special_tokens=True))
            if following is None:
                break
            glue = observation_ids(tok, following, ended=bool(new) and new[-1] == tok.eos_token_id)
            glue = glue[: max(0, limit - len(ids))]
            ids += glue
            logps += [0.0] * len(glue)
            mask += [0] * len(glue)
        return ids, logps, mask


def observation_ids(tok: Any, text: str, ended: bool) -> list[int]:
    """The tokens between the end of a policy turn and the start of the next: the template's close of the
    assistant turn (less its end token when the policy wrote it), the user turn holding `text`, and the
    opening of the next assistant turn."""
    base = [{"role": "user", "content": "u"}, {"role": "assistant", "content": "\x00"}]
    full = tok.apply_chat_template([*base, {"role": "user", "content": text}], tokenize=False,
                                   add_generation_prompt=True)
    glue = full[full.index("\x00") + 1:]
    if ended and tok.eos_token and glue.startswith(tok.eos_token):
        glue = glue[len(tok.eos_token):]
    return list(tok(glue, add_special_tokens=False)["input_ids"])


def scripted(replies: Callable[[Episode], str], tok: Any) -> TurnPolicy:
    """A policy that writes `replies(episode)` as its turn (tokenized, ended by the end token): scripted agents
    in tests and examples."""

    def policy(context: list[int], episode: Episode, max_new: int) -> tuple[list[int], list[float]]:
        new = list(tok(replies(episode), add_special_tokens=False)["input_ids"]) + [tok.eos_token_id]
        return new[:max_new], [0.0] * min(len(new), max_new)

    return policy
