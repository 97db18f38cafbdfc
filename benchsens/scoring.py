"""(being written) accuracy metrics of an Estimate against a GroundTruth."""


def score(estimate, truth):
    raise NotImplementedError("score is being written")
