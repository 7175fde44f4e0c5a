# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class KpiError(UserError):
    pass


class KpiValidationError(ValidationError):
    pass


class PayError(UserError):
    pass


class HonourError(UserError):
    pass


class PromotionError(UserError):
    pass
