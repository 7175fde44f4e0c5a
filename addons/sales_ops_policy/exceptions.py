# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class TeamMembershipError(ValidationError):
    pass


class ApprovalError(UserError):
    pass


class LeadInputError(ValidationError):
    pass


class LeadChannelError(ValidationError):
    pass


class LeadScoringConfigurationError(ValidationError):
    pass


class FollowUpValidationError(ValidationError):
    pass


class FollowUpMissingError(UserError):
    pass


class ContractError(UserError):
    pass


class ContractValidationError(ValidationError):
    pass


class SigningError(UserError):
    pass


class DelegationError(ValidationError):
    pass


class ReleaseError(UserError):
    pass


class ReleaseConfigurationError(ValidationError):
    pass


class CollectionError(UserError):
    pass


class CollectionValidationError(ValidationError):
    pass


class SuspensionError(UserError):
    pass


class DisputeError(ValidationError):
    pass


class CustomerValidationError(ValidationError):
    pass


class TierConfigurationError(ValidationError):
    pass


class ComplaintValidationError(ValidationError):
    pass


class ExpenseError(UserError):
    pass


class ExpenseValidationError(ValidationError):
    pass


class MarketSizeValidationError(ValidationError):
    pass


class AlertError(UserError):
    pass
