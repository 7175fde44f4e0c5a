# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from lxml import etree

from trytond.pool import Pool, PoolMeta

# the role desks of sales_ops_policy that show the scores (P5.3)
DESKS = [
    'dashboard_salesperson_view_board', 'dashboard_supervisor_view_board',
    'dashboard_manager_view_board']


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


class View(metaclass=PoolMeta):
    __name__ = 'ir.ui.view'

    def view_get(self, model=None):
        """Put the scores of the open periods in the place the role desks
        keep for them: Tryton extends no board view (an extension needs a
        model, a board has none)"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        result = dict(super().view_get(model=model))
        if self.type == 'board' and self.id in {
                ModelData.get_id('sales_ops_policy', d) for d in DESKS}:
            tree = etree.fromstring(result['arch'])
            for group in tree.xpath('//group[@id="score"]'):
                etree.SubElement(group, 'action',
                    name='sales_ops_incentive.act_scorecard_current')
            result['arch'] = etree.tostring(tree, encoding='unicode')
        return result
