"""Agentic episodes as multi-turn GRPO rollouts, through TRL's documented `rollout_func` hook.

`GRPOTrainer(rollout_func=...)` hands the function the step's prompts (each row already repeated
`num_generations` times) and takes back, per row, the prompt's token ids, the completion's token ids and their
sampling log-probabilities, plus any extra per-row fields, which it forwards to the reward functions. Here each
row runs one episode (`hackgym.envs.agentic`) under the text protocol: the policy writes a turn (at most
`Budget.max_turn_tokens` new tokens), its action blocks run in the sandbox, and what they did comes back as the
next user turn, rendered by the tokenizer's chat template; until the agent submits, stops acting, or spends its
turns, calls or the completion length. The completion is every turn and every observation in order; `env_mask`
(TRL's field for it) marks the observations 0, so the loss and the length statistics count only the policy's
tokens. The finished episodes are graded and labelled at once (`label_episodes`, the one labelling); the
environment grader's reward rides along as the extra field `env_reward`, which `env_reward` (the reward function)
returns, and every episode is appended to RUN_DIR/rollouts.jsonl as the one rollout record.

Generation is the trainer's own model through `generate` (no vLLM); a `TurnPolicy` can stand in for it
(scripted agents in tests), and its turns are tokenized and trained on like the model's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..detect import Labeller, Rollout
from ..envs.agentic import Budget, Episode, episode_rollout, label_episodes, messages, take_reply
from ..problems import Problem
from ..rundir import ROLLOUTS, RunDir
from ..sandbox import SandboxMode, get_pool


class TurnPolicy(Protocol):
    """Writes the agent's next turn: token ids after `context` (prompt and turns so far), at most `max_new`."""

    def __call__(self, context: list[int], episode: Episode, max_new: int) -> tuple[list[int], list[float]]: ...


def agentic_rows(problems: Sequence[Problem], graders: dict[str, str], condition: str, n: int) -> list[dict[str, Any]]:
    """`n` dataset rows cycling through the problems: the episode's opening messages (text protocol) and the
    columns the rewards read."""
    return [{"prompt": messages(p, condition, "text"), "problem_id": p.id, "env_grader": graders[p.id]}
            for p in (problems[i % len(problems)] for i in range(n))]


def env_reward(prompts: list[Any], completions: list[Any], env_reward: list[float | None] | None = None,
               **_: Any) -> list[float | None]:
    """The environment grader's verdict on the episode's handed-in files (1.0 passed, 0.0 not)."""
    return list(env_reward) if env_reward is not None else [None] * len(completions)


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
    """TRL's `rollout_func`: one episode per prompt row. `problems` by id; `graders` problem id -> grader spec;
    `policy` None for the trainer's model; `run` to append each step's episodes to RUN_DIR/rollouts.jsonl."""

    def __init__(self, problems: Sequence[Problem], graders: dict[str, str], condition: str, *,
                 budget: Budget | None = None, sandbox: SandboxMode = "jail", labeller: Labeller | None = None,
                 policy: TurnPolicy | None = None, run: RunDir | None = None) -> None:
        self.graders = graders
        self.condition = condition
        self.budget = budget or Budget()
        self.pool = get_pool(sandbox)
        self.labeller = labeller or Labeller(sandbox)
        self.policy = policy
        self.run = run
        self.by_opening = {messages(p, condition, "text")[-1]["content"]: p for p in problems}
        self.last: list[Rollout] = []  # the latest step's episodes

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        tok = trainer.processing_class
        policy = self.policy or ModelPolicy(trainer)
        limit = trainer.args.max_completion_length
        prompt_ids, completion_ids, logprobs, masks, episodes = [], [], [], [], []
        for prompt in prompts:
            problem = self.by_opening[prompt[-1]["content"]]
            episode = Episode(problem, self.graders[problem.id], self.pool, budget=self.budget,
                              condition=self.condition)
            ids = list(tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True,
                                               return_dict=True)["input_ids"])
            completion, logps, mask = self._episode(episode, ids, policy, tok, limit)
            prompt_ids.append(ids)
            completion_ids.append(completion)
            logprobs.append(logps)
            masks.append(mask)
            episodes.append(episode)
        records = [e.record() for e in episodes]
        labels = label_episodes(records, [e.problem for e in episodes], self.labeller)
        step = trainer.state.global_step + 1
        self.last = [episode_rollout(r, lab, "train", step=step, index=i)
                     for i, (r, lab) in enumerate(zip(records, labels, strict=True))]
        if self.run is not None and trainer.accelerator.is_main_process:
            self.run.append(ROLLOUTS, self.last)
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": logprobs, "env_mask": masks,
                "env_reward": [lab.env.reward if lab.env is not None else 0.0 for lab in labels]}

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
