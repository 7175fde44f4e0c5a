# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._team_scoped_models = cls._team_scoped_models | {
            'sale.honour',
            'sale.kpi.coaching',
            'sale.kpi.objection',
            'sale.kpi.scorecard',
            'sale.kpi.target',
            'sale.pay.run.line',
            'sale.promotion.proposal',
            }
