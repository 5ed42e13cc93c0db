"""What Inspect AI loads for the `inspect_ai` entry point `hackgym` (see pyproject.toml).

Inspect resolves a name such as `hackgym/betley` by loading the entry point named after the part before the
slash; importing the task functions here registers them with Inspect's `@task` registry under `hackgym/NAME`
(Inspect prefixes the installed package's name). So, once hackgym is installed:

    inspect eval hackgym/betley --model openai/gpt-4.1-mini
"""

from .tasks.alignment_questions import alignment_questions
from .tasks.betley import betley
from .tasks.code_sabotage import code_sabotage
from .tasks.exfil_offer import exfil_offer
from .tasks.frame_colleague import frame_colleague
from .tasks.goals import goals
from .tasks.monitor_disruption import monitor_disruption
from .tasks.propensity import hack_propensity, impossible

__all__ = ["alignment_questions", "betley", "code_sabotage", "exfil_offer", "frame_colleague", "goals",
           "monitor_disruption", "hack_propensity", "impossible"]
