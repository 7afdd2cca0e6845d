"""The names of a deployment's arms: which part of the traffic a served answer belongs to.

Their own module because both the deployments (which route traffic to them) and the evidence
read from the prediction log (which compares them) need the names, and the deployments sit above
the stability window that the evidence feeds.
"""

from __future__ import annotations

PRIMARY, CANARY, SHADOW, AB = "primary", "canary", "shadow", "ab"
ARM_A, ARM_B = "a", "b"  # the arms of an A/B test: the primary version and the challenger
ARMS = (PRIMARY, CANARY, SHADOW, ARM_A, ARM_B)
