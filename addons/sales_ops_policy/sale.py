# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval, In
from trytond.transaction import Transaction


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    def _get_sale_opportunity(self):
        sale = super()._get_sale_opportunity()
        sale.employee = self.employee
        return sale


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'
    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': In(Eval('state'), ['done', 'cancelled']),
            },
        help="The salesperson who owns the order (P2.2.3).")

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')
