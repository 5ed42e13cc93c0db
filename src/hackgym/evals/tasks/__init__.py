"""The suite's Inspect tasks; importing this package registers every eval (`hackgym.evals.registry.EVALS`)."""

from . import (  # noqa: F401  (each module registers its eval on import)
    alignment_questions,
    betley,
    code_sabotage,
    exfil_offer,
    frame_colleague,
    goals,
    monitor_disruption,
    propensity,
)
