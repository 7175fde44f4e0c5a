# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, ModelView
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'


class Proposal(ModelSQL, ModelView):
    "Sales Proposal"
    __name__ = 'sale.opportunity.proposal'


class OpportunityLine(metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'
