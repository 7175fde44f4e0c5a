# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales data analysis (P5.1, P5.2): the reports share one context, the
company, the dates and the period of the time series, narrowed to a team or
a salesperson."""
from dateutil.relativedelta import relativedelta

from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction


class Context(ModelView):
    "Sales Analysis Context"
    __name__ = 'sale.analysis.context'
    __string__ = "Sales Analysis Context"
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date", required=True,
        domain=[
            If(Eval('to_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[
            If(Eval('from_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True,
        help="The length of the periods of the time series.")
    team = fields.Many2One(
        'sale.team', "Team",
        domain=[('company', '=', Eval('company', -1))])
    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        "The first day of the month a year ago: a year beside this month"
        context = Transaction().context
        if context.get('from_date'):
            return context['from_date']
        today = Pool().get('ir.date').today()
        return today.replace(day=1) - relativedelta(years=1)

    @classmethod
    def default_to_date(cls):
        context = Transaction().context
        if context.get('to_date'):
            return context['to_date']
        return Pool().get('ir.date').today()

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')

    @classmethod
    def default_team(cls):
        return Transaction().context.get('team')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')
