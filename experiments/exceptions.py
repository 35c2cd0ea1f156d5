from core.exceptions import ApplicationError


class ExperimentNotReady(ApplicationError):
    code = "experiment_not_ready"


class ExperimentTransitionInvalid(ApplicationError):
    code = "experiment_transition_invalid"
    status = 409


class ProposalDecisionInvalid(ApplicationError):
    code = "proposal_decision_invalid"
    status = 409
