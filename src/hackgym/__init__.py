"""hackgym: hackable and hardened graders, hack audits, rollout labels, SDF corpora and GRPO runs for studying
emergent misalignment from reward hacking."""

__version__ = "0.1.0"
