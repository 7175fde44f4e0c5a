# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'


class FollowUp(ModelSQL, ModelView):
    "Follow-up"
    __name__ = 'sale.followup'


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
