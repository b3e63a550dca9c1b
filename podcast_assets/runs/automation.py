"""Automation conditions shared by stages.

``AutomationCondition.on_missing()`` only fires for partitions added after the condition is applied,
so an unpartitioned asset that has never been materialised (a fresh data dir) is never requested by it:
its ``missing`` is not *newly* true on the first evaluation. ``NEVER_MATERIALISED`` asks for such an
asset once its parents exist. A first attempt that failed is not repeated on every tick: the asset's
retry policy already retried it, and its schedule or cron condition tries again later.
"""

import dagster as dg

A = dg.AutomationCondition

NEVER_MATERIALISED = (A.missing() & ~A.in_progress() & ~A.execution_failed()
                      & ~A.any_deps_missing() & ~A.any_deps_in_progress()).with_label("never materialised")

# ``eager()`` forgets a parent update that lands on the same tick as the asset's own materialisation
# (its reset, "handled", includes ``newly_updated``): a transcript committed while the embedding run
# that started before it was finishing was never embedded, and had no neighbours. Here only a new
# request resets the trigger, so an update during a run asks for one more run once it ends.
# The reset, ``newly_requested``, is true on the tick *after* the request: a parent update seen on that
# tick (it landed after the request) would be reset with it, and lost (one transcript of the demo's 18 was
# left without passages that way). Trigger and reset are therefore each a single timed condition (a
# parent's materialisation time, the request's tick): Dagster's ``since`` keeps a trigger that came after
# the reset it meets. A parent about to be requested is not a trigger: its update, landing in the same
# run, would come after this asset's request and ask for a second run.
PARENT_UPDATES = ((A.any_deps_match(A.newly_updated()).since(A.newly_requested())
                   | A.newly_missing().since(A.newly_requested() | A.initial_evaluation()))
                  & ~A.in_progress()).with_label("any parent updated since the last request")


def failed_and_retried(cron: str) -> dg.AutomationCondition:
    """An asset whose last execution failed (every retry of its run spent: the source was away for longer) is
    asked for again at each tick of ``cron`` until one succeeds, instead of waiting for its next scheduled run."""
    return (A.execution_failed() & A.cron_tick_passed(cron) & ~A.in_progress()).with_label(
        f"last execution failed: again at each '{cron}' tick")
