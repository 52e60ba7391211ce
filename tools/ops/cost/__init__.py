"""Monthly cost estimate of the Taskly stacks, read from synthesized CloudFormation templates.

Run ``python -m tools.ops.cost --help`` (or ``make cost`` after ``make synth``).
"""
