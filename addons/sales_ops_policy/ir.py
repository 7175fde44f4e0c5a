# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    # Models whose record rules follow the sales team tree (P2)
    _team_scoped_models = {
        'approval.request',
        'sale.analysis.alert',
        'sale.collection.plan',
        'sale.collection.rate.employee',
        'sale.complaint',
        'sale.contract',
        'sale.customer.care',
        'sale.customer.change',
        'sale.customer.revisit',
        'sale.customer.tier.history',
        'sale.expense.budget',
        'sale.expense.claim',
        'sale.expense.preapproval',
        'sale.followup',
        'sale.market.intelligence',
        'sale.opportunity',
        'sale.sale',
        'sale.team',
        }

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "employees" as list of ids from the current user'
            '\n- "team_employees" as list of employee ids of the sales teams'
            ' the user manages or supervises')

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        if not cls._team_scoped_models.isdisjoint(model_names):
            key = (*key, User.get_employees(), User.get_team_employees())
        return key

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        if model_name in cls._team_scoped_models:
            context['employees'] = User.get_employees()
            context['team_employees'] = User.get_team_employees()
        return context
