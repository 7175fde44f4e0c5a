# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales expense control (P6): budgets with spending standards (P6.1),
claims reviewed by the supervisor then finance, posted and paid in
accounting (P6.2), consumption and over-budget pre-approval (P6.3) and the
return on expense (P6.3.3)"""
import datetime as dt
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta
from sql import Cast, Literal, Union
from sql.aggregate import Max, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Extract

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from trytond.modules.currency.exceptions import RateError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .approval import SubmittedMixin, _now
from .collection import _decimal
from .exceptions import ExpenseError, ExpenseValidationError
from .model import search_any

# a claim counts against its budget from submission: committed until
# posted, then actual (P6.3.1)
CITY_CLASSES = [
    (None, ""),
    ('first', "First-Tier City"),
    ('second', "Second-Tier City"),
    ('other', "Other City"),
    ]
_CENT = Decimal('0.01')
_COMMITTED = ['submitted', 'approved']
_ACTUAL = ['posted', 'paid']


def check_draft(documents, states=frozenset({'draft'})):
    "Refuse to change what was submitted: only drafts change"
    for document in documents:
        if document.state not in states:
            raise ExpenseError(gettext(
                    'sales_ops_policy.msg_expense_modify',
                    document=document.rec_name,
                    state=document.state_string))


def return_ratio(revenue, expense):
    "The revenue won for each unit spent (P6.3.3), None without expense"
    expense = _decimal(expense)
    if expense:
        return float(_decimal(revenue) / expense)


def _draft_states(mode):
    # a cancelled document may be deleted with its lines
    return {'draft', 'cancelled'} if mode == 'delete' else {'draft'}


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    expense_claim_sequence = fields.Many2One(
        'ir.sequence', "Expense Claim Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('sales_ops_policy', 'sequence_type_expense_claim')),
            ])
    expense_journal = fields.Many2One(
        'account.journal', "Expense Journal",
        help="The journal the approved claims are posted in.")
    expense_payment_journal = fields.Many2One(
        'account.payment.journal', "Expense Payment Journal",
        help="The payment journal the claims are paid through.")
    expense_claim_days = fields.Integer(
        "Claim Deadline Days", required=True,
        domain=[('expense_claim_days', '>=', 0)],
        help="An expense may be claimed only within these days after it "
        "was spent (P6.2.1).")

    @classmethod
    def default_expense_claim_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id(
                'sales_ops_policy', 'sequence_expense_claim')
        except KeyError:
            return None

    @classmethod
    def default_expense_claim_days(cls):
        return 60


class ExpenseDocument(SubmittedMixin):
    "A document of the expense control decided through approval steps"
    __slots__ = ()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_state(cls):
        return 'draft'


class Category(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Expense Category"
    __name__ = 'sale.expense.category'
    __string__ = "Expense Category"
    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")
    account = fields.Many2One(
        'account.account', "Expense Account", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type.expense', '=', True),
            ('closed', '!=', True),
            ],
        help="The account the claims of the category are posted to.")
    guests_required = fields.Boolean(
        "Guests Required",
        help="Each claim line must name the guests (business "
        "entertainment).")
    standards = fields.One2Many(
        'sale.expense.standard', 'category', "Spending Standards")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'sales_ops_policy.msg_expense_category_code_unique'),
            ]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'name', 'code')


class Standard(ModelSQL, ModelView):
    "Spending Standard"
    __name__ = 'sale.expense.standard'
    __string__ = "Spending Standard"
    category = fields.Many2One(
        'sale.expense.category', "Category", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    basis = fields.Selection([
            ('line', "Per Expense"),
            ('day', "Per Day"),
            ('night', "Per Night"),
            ('guest', "Per Guest"),
            ], "Basis", required=True,
        help="What the cap counts: the line's quantity is the days, nights "
        "or guests.")
    city_class = fields.Selection(CITY_CLASSES, "City Class",
        help="Leave empty for every city.")
    amount = fields.Numeric(
        "Cap", digits=(16, 2), required=True,
        domain=[('amount', '>=', 0)],
        help="The most spent per unit of the basis, in company currency.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('category')

    @classmethod
    def default_basis(cls):
        return 'line'

    def applies_to(self, line):
        return not self.city_class or self.city_class == line.city_class

    def cap(self, line):
        "The most line may cost under the standard"
        quantity = 1 if self.basis == 'line' else (line.quantity or 1)
        return self.amount * quantity


class Budget(ExpenseDocument, Workflow, ModelSQL, ModelView):
    "Expense Budget"
    __name__ = 'sale.expense.budget'
    __string__ = "Expense Budget"
    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    fiscalyear = fields.Many2One(
        'account.fiscalyear', "Fiscal Year", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    team = fields.Many2One(
        'sale.team', "Team", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty for the budget of the whole sales department.")
    employee = fields.Many2One(
        'company.employee', "Prepared By", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who prepares the budget; they never approve it.")
    split = fields.Selection([
            ('month', "Monthly"),
            ('quarter', "Quarterly"),
            ], "Split", required=True, states=_states,
        help="The periods the yearly amounts are controlled by.")
    lines = fields.One2Many(
        'sale.expense.budget.line', 'budget', "Lines", states=_states)
    amount = fields.Function(fields.Numeric(
            "Amount", digits=(16, 2)), 'get_amount')
    account_budget = fields.Many2One(
        'account.budget', "Account Budget", readonly=True,
        help="Tryton's budget of the fiscal year the approved amounts are "
        "added to, for finance's budget against actual report.")
    submitted_by = employee_field(
        "Submitted By", states=['submitted', 'approved', 'cancelled'])
    submitted_at = fields.Timestamp("Submitted At", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('fiscalyear', 'DESC'))
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('approved', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'split_periods': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_split(cls):
        return 'month'

    def get_rec_name(self, name):
        team = self.team.rec_name if self.team else gettext(
            'sales_ops_policy.msg_expense_department')
        return f'{self.fiscalyear.rec_name} - {team}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(
            clause, 'fiscalyear.rec_name', 'team.rec_name')

    def get_amount(self, name):
        return sum((l.amount or 0 for l in self.lines), Decimal(0))

    def approval_amount(self):
        return self.get_amount('amount')

    @classmethod
    def check_modification(cls, mode, budgets, values=None, external=False):
        super().check_modification(
            mode, budgets, values=values, external=external)
        if mode == 'delete':
            for budget in budgets:
                if budget.state not in {'draft', 'cancelled'} or (
                        budget.approvals):
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_budget_delete',
                            budget=budget.rec_name))

    @classmethod
    def copy(cls, budgets, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'approvals', 'account_budget', 'submitted_by',
                'submitted_at', 'approved_at', 'cancelled_by',
                'cancelled_at']:
            default.setdefault(name, None)
        return super().copy(budgets, default=default)

    @classmethod
    @ModelView.button
    def split_periods(cls, budgets):
        "Split each line evenly over the fiscal year's months or quarters"
        pool = Pool()
        Period = pool.get('sale.expense.budget.period')
        lines = [l for b in budgets for l in b.lines]
        Period.delete([p for l in lines for p in l.periods])
        periods = []
        for line in lines:
            ranges = line.budget.period_ranges()
            if not ranges or line.amount is None:
                continue
            share = (line.amount / len(ranges)).quantize(_CENT)
            for i, (name, start, end) in enumerate(ranges):
                amount = share if i < len(ranges) - 1 else (
                    line.amount - share * (len(ranges) - 1))
                periods.append({
                        'line': line.id, 'name': name,
                        'start_date': start, 'end_date': end,
                        'amount': amount,
                        })
        Period.create(periods)

    def period_ranges(self):
        "The (name, start, end) of the months or quarters of the year"
        months = [p for p in self.fiscalyear.periods if p.type == 'standard']
        if self.split == 'month':
            return [(p.name, p.start_date, p.end_date) for p in months]
        ranges = []
        start = self.fiscalyear.start_date
        number = 1
        while start <= self.fiscalyear.end_date:
            end = min(
                start + relativedelta(months=3, days=-1),
                self.fiscalyear.end_date)
            ranges.append((
                    f'{self.fiscalyear.name} Q{number}', start, end))
            start, number = end + dt.timedelta(days=1), number + 1
        return ranges

    @classmethod
    def check_submit(cls, budgets):
        for budget in budgets:
            if budget.state != 'draft':
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_submitted_twice',
                        document=budget.rec_name))
            if not budget.lines:
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_budget_empty',
                        budget=budget.rec_name))
            for line in budget.lines:
                split = sum((p.amount for p in line.periods), Decimal(0))
                if not line.periods or split != line.amount:
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_budget_split',
                            line=line.rec_name))
            others = cls.search([
                    ('id', '!=', budget.id),
                    ('company', '=', budget.company.id),
                    ('fiscalyear', '=', budget.fiscalyear.id),
                    ('team', '=', budget.team.id if budget.team else None),
                    ('state', 'in', ['submitted', 'approved']),
                    ])
            if others:
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_budget_duplicate',
                        budget=budget.rec_name))

    @classmethod
    @ModelView.button
    def submit(cls, budgets):
        "Submit to the Sales Manager's approval (P6.1.2)"
        cls.check_submit(budgets)
        cls.submitted(budgets)
        free = cls.request_configured_approvals(cls.browse(budgets))
        cls.approve(free)
        cls.publish(free)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, budgets):
        cls.write(budgets, {'submitted_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, budgets):
        cls.cancel_approvals(budgets)

    @classmethod
    @ModelView.button
    def cancel(cls, budgets):
        approved = [b for b in budgets if b.state == 'approved']
        cls.cancelled(budgets)
        # without them in Tryton's budget too
        cls.publish(approved)

    @classmethod
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancelled(cls, budgets):
        cls.cancel_approvals(budgets)
        cls.write(budgets, {'cancelled_at': _now()})

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, budgets):
        cls.write(budgets, {'approved_at': _now()})

    @classmethod
    def approval_decided(cls, budgets):
        approved = super().approval_decided(budgets)
        cls.publish(approved)
        return approved

    @classmethod
    def publish(cls, budgets):
        """Set the amounts of Tryton's budget of each fiscal year to the
        approved sales budgets, one line per expense account, spread over
        the account periods as the sales budget is"""
        pool = Pool()
        AccountBudget = pool.get('account.budget')
        AccountLine = pool.get('account.budget.line')
        AccountPeriod = pool.get('account.budget.line.period')
        years = {(b.company, b.fiscalyear) for b in budgets}
        with without_check_access():
            for company, fiscalyear in years:
                approved = cls.search([
                        ('company', '=', company.id),
                        ('fiscalyear', '=', fiscalyear.id),
                        ('state', '=', 'approved'),
                        ])
                account_budget = next(
                    (b.account_budget for b in cls.search([
                                ('company', '=', company.id),
                                ('fiscalyear', '=', fiscalyear.id),
                                ('account_budget', '!=', None),
                                ], limit=1)), None)
                if not account_budget:
                    account_budget = AccountBudget(
                        name=gettext(
                            'sales_ops_policy.msg_expense_account_budget',
                            fiscalyear=fiscalyear.rec_name),
                        company=company, fiscalyear=fiscalyear)
                    account_budget.save()
                by_account = defaultdict(lambda: defaultdict(Decimal))
                for budget in approved:
                    for line in budget.lines:
                        for period in line.periods:
                            for account_period in fiscalyear.periods:
                                if (account_period.type == 'standard'
                                        and period.start_date
                                        <= account_period.start_date
                                        <= period.end_date):
                                    by_account[line.category.account][
                                        account_period] += (
                                        period.amount / period.months)
                AccountPeriod.delete([p for l in account_budget.lines
                        for p in l.periods])
                existing = {l.account: l for l in account_budget.lines}
                AccountLine.delete([l for a, l in existing.items()
                        if a not in by_account])
                to_save, periods = [], []
                for account, amounts in by_account.items():
                    line = existing.get(account) or AccountLine(
                        budget=account_budget, account=account)
                    total = sum(amounts.values(), Decimal(0))
                    line.amount = total.quantize(_CENT)
                    to_save.append(line)
                    periods.append((line, amounts, total))
                AccountLine.save(to_save)
                AccountPeriod.save([AccountPeriod(
                            budget_line=line, period=account_period,
                            ratio=(amount / total).quantize(
                                Decimal('0.0001'), ROUND_DOWN)
                            if total else Decimal(0))
                        for line, amounts, total in periods
                        for account_period, amount in amounts.items()])
                cls.write(approved, {'account_budget': account_budget.id})


class BudgetLine(ModelSQL, ModelView):
    "Expense Budget Line"
    __name__ = 'sale.expense.budget.line'
    __string__ = "Expense Budget Line"
    budget = fields.Many2One(
        'sale.expense.budget', "Budget", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'sale.expense.category', "Category", required=True,
        ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company')
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True,
        domain=[('amount', '>', 0)])
    periods = fields.One2Many(
        'sale.expense.budget.period', 'line', "Periods")
    committed = fields.Function(
        fields.Numeric("Committed", digits=(16, 2)), 'get_consumption')
    actual = fields.Function(
        fields.Numeric("Actual", digits=(16, 2)), 'get_consumption')
    remaining = fields.Function(
        fields.Numeric("Remaining", digits=(16, 2)), 'get_consumption')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('budget')
        t = cls.__table__()
        cls._sql_constraints += [
            ('category_unique', Unique(t, t.budget, t.category),
                'sales_ops_policy.msg_expense_budget_category_unique'),
            ]

    @fields.depends('budget', '_parent_budget.company')
    def on_change_with_company(self, name=None):
        return self.budget.company if self.budget else None

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        check_draft([l.budget for l in lines], _draft_states(mode))

    def get_rec_name(self, name):
        return f'{self.budget.rec_name} - {self.category.rec_name}'

    @classmethod
    def get_consumption(cls, lines, names):
        pool = Pool()
        Period = pool.get('sale.expense.budget.period')
        periods = Period.browse([p for l in lines for p in l.periods])
        figures = Period.get_consumption(periods, names)
        return {name: {l.id: sum(
                        (figures[name][p.id] for p in l.periods),
                        Decimal(0))
                    for l in lines}
            for name in names}


class BudgetPeriod(ModelSQL, ModelView):
    "Expense Budget Period"
    __name__ = 'sale.expense.budget.period'
    __string__ = "Expense Budget Period"
    line = fields.Many2One(
        'sale.expense.budget.line', "Budget Line", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date(
        "End Date", required=True,
        domain=[('end_date', '>=', Eval('start_date'))])
    amount = fields.Numeric(
        "Budget", digits=(16, 2), required=True,
        domain=[('amount', '>=', 0)])
    budget = fields.Function(fields.Many2One(
            'sale.expense.budget', "Expense Budget"),
        'get_line_field', searcher='search_line_field')
    category = fields.Function(fields.Many2One(
            'sale.expense.category', "Category"),
        'get_line_field', searcher='search_line_field')
    team = fields.Function(fields.Many2One('sale.team', "Team"),
        'get_budget_field', searcher='search_budget_field')
    state = fields.Function(fields.Selection(
            'get_budget_states', "State"),
        'get_budget_field', searcher='search_budget_field')
    preapproved = fields.Function(fields.Numeric(
            "Pre-Approved Overrun", digits=(16, 2),
            help="Spending above the budget approved in advance (P6.3.2)."),
        'get_consumption')
    committed = fields.Function(fields.Numeric(
            "Committed", digits=(16, 2),
            help="Submitted and approved claims not yet posted."),
        'get_consumption')
    actual = fields.Function(fields.Numeric(
            "Actual", digits=(16, 2), help="Posted claims."),
        'get_consumption')
    remaining = fields.Function(fields.Numeric(
            "Remaining", digits=(16, 2),
            help="Budget and pre-approved overrun less committed and "
            "actual."),
        'get_consumption')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('line')
        cls._order = [('start_date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def check_modification(cls, mode, periods, values=None, external=False):
        super().check_modification(
            mode, periods, values=values, external=external)
        check_draft([p.line.budget for p in periods], _draft_states(mode))

    @classmethod
    def get_budget_states(cls):
        return Pool().get('sale.expense.budget').fields_get(
            ['state'])['state']['selection']

    def get_rec_name(self, name):
        return f'{self.line.rec_name} {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'name', 'line.category.rec_name')

    def get_line_field(self, name):
        return getattr(self.line, name).id

    @classmethod
    def search_line_field(cls, name, clause):
        nested = clause[0][len(name):]
        return [('line.' + name + nested, *clause[1:])]

    def get_budget_field(self, name):
        value = getattr(self.line.budget, name)
        return value.id if isinstance(value, ModelSQL) else value

    @classmethod
    def search_budget_field(cls, name, clause):
        nested = clause[0][len(name):]
        return [('line.budget.' + name + nested, *clause[1:])]

    @property
    def months(self):
        return ((self.end_date.year - self.start_date.year) * 12
            + self.end_date.month - self.start_date.month + 1)

    @classmethod
    def _consumption_query(cls, period_ids):
        "Per budget period: pre-approved overrun, committed and actual"
        union = Union(*cls._consumption_queries(period_ids), all_=True)
        return union.select(
            union.period, Sum(union.preapproved), Sum(union.committed),
            Sum(union.actual),
            group_by=[union.period])

    @classmethod
    def _consumption_queries(cls, period_ids):
        """The queries of columns period, preapproved, committed and actual
        whose sums are the consumption; other modules add theirs"""
        pool = Pool()
        Line = pool.get('sale.expense.claim.line')
        Claim = pool.get('sale.expense.claim')
        PreApproval = pool.get('sale.expense.preapproval')
        line = Line.__table__()
        claim = Claim.__table__()
        preapproval = PreApproval.__table__()
        amount = Coalesce(line.company_amount, 0)
        spent = line.join(claim, condition=line.claim == claim.id).select(
            line.budget_period.as_('period'),
            Literal(0).as_('preapproved'),
            Sum(Case((claim.state.in_(_COMMITTED), amount), else_=0)
                ).as_('committed'),
            Sum(Case((claim.state.in_(_ACTUAL), amount), else_=0)
                ).as_('actual'),
            where=SQL_OPERATORS['in'](line.budget_period, period_ids)
            & claim.state.in_(_COMMITTED + _ACTUAL),
            group_by=[line.budget_period])
        # a pre-approval raises the budget of the period it was consumed in
        extra = preapproval.join(
            claim, condition=preapproval.claim == claim.id).select(
            preapproval.budget_period.as_('period'),
            Sum(preapproval.amount).as_('preapproved'),
            Literal(0).as_('committed'),
            Literal(0).as_('actual'),
            where=SQL_OPERATORS['in'](preapproval.budget_period, period_ids)
            & claim.state.in_(_COMMITTED + _ACTUAL),
            group_by=[preapproval.budget_period])
        return [spent, extra]

    @classmethod
    def get_consumption(cls, periods, names):
        cursor = Transaction().connection.cursor()
        figures = {
            p.id: [Decimal(0), Decimal(0), Decimal(0)] for p in periods}
        for sub in grouped_slice(list(figures), backend.MAX_QUERY_PARAMS):
            cursor.execute(*cls._consumption_query(list(sub)))
            for period_id, *values in cursor:
                figures[period_id] = [_decimal(v) for v in values]
        result = {}
        for name in names:
            result[name] = values = {}
            for period in periods:
                preapproved, committed, actual = figures[period.id]
                if name == 'preapproved':
                    value = preapproved
                elif name == 'committed':
                    value = committed
                elif name == 'actual':
                    value = actual
                else:
                    value = period.amount + preapproved - committed - actual
                values[period.id] = value.quantize(_CENT)
        return result

    @classmethod
    def of_lines(cls, lines):
        """The approved budget period each claim line spends against: its
        team's, else the department's, for its category and date"""
        keys = {l: (l.claim.company, l.category, l.claim.team, l.date)
            for l in lines}
        periods = cls.of_keys(set(keys.values()))
        return {l: periods[k] for l, k in keys.items()}

    @classmethod
    def of_keys(cls, keys):
        """The approved budget period of each key (company, category, team,
        date): the team's, else the department's; None without one"""
        result = {}
        if not keys:
            return result
        periods = cls.search([
                ('line.budget.company', 'in', list({k[0].id for k in keys})),
                ('line.category', 'in', list({k[1].id for k in keys})),
                ('line.budget.state', '=', 'approved'),
                ('start_date', '<=', max(k[3] for k in keys)),
                ('end_date', '>=', min(k[3] for k in keys)),
                ])
        for key in keys:
            company, category, team, date = key
            candidates = [p for p in periods
                if p.line.category == category
                and p.line.budget.company == company
                and p.start_date <= date <= p.end_date]
            mine = [p for p in candidates if p.line.budget.team == team]
            department = [p for p in candidates if not p.line.budget.team]
            result[key] = (mine or department or [None])[0]
        return result


class Claim(ExpenseDocument, Workflow, ModelSQL, ModelView):
    "Expense Claim"
    __name__ = 'sale.expense.claim'
    __string__ = "Expense Claim"
    _rec_name = 'number'
    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    number = fields.Char("Number", readonly=True)
    employee = fields.Many2One(
        'company.employee', "Claimant", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who spent and is reimbursed; they never review the claim.")
    team = fields.Many2One(
        'sale.team', "Team", readonly=True,
        help="The claimant's team when submitted, whose budget is spent.")
    description = fields.Char("Description", states=_states)
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    lines = fields.One2Many(
        'sale.expense.claim.line', 'claim', "Lines", states=_states)
    preapproval = fields.Many2One(
        'sale.expense.preapproval', "Over-Budget Pre-Approval",
        states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('employee', '=', Eval('employee', -1)),
            If(Eval('state') == 'draft',
                [('state', '=', 'approved'), ('claim', '=', None)],
                []),
            ],
        help="The approval asked before spending above the budget "
        "(P6.3.2); it is consumed by this claim.")
    amount = fields.Function(fields.Numeric(
            "Amount", digits=(16, 2),
            help="The total in company currency."), 'get_amount')
    over_standard = fields.Function(fields.Boolean(
            "Above Standard",
            help="A line costs more than a spending standard allows."),
        'get_over_standard')
    move = fields.Many2One('account.move', "Account Move", readonly=True)
    payments = fields.Function(fields.Many2Many(
            'account.payment', None, None, "Payments"), 'get_payments')
    submitted_by = employee_field(
        "Submitted By",
        states=['submitted', 'approved', 'posted', 'paid', 'cancelled'])
    submitted_at = fields.Timestamp("Submitted At", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)
    posted_by = employee_field("Posted By", states=['posted', 'paid'])
    posted_at = fields.Timestamp("Posted At", readonly=True)
    paid_at = fields.Timestamp("Paid At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('posted', "Posted"),
            ('paid', "Paid"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('submitted_at', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('approved', 'posted'),
            ('posted', 'paid'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('approved', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'submitted', 'approved']),
                    'depends': ['state'],
                    },
                'post': {
                    'invisible': Eval('state') != 'approved',
                    'depends': ['state'],
                    },
                'pay': {
                    'invisible': Eval('state') != 'posted',
                    'depends': ['state'],
                    },
                })

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        number = self.number or f'({self.id})'
        if self.employee:
            return f'{number} - {self.employee.rec_name}'
        return number

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(clause, 'number', 'employee.rec_name')

    def get_amount(self, name):
        return sum(
            (l.company_amount or l.on_change_with_company_amount() or 0
                for l in self.lines), Decimal(0))

    def approval_amount(self):
        return self.get_amount('amount')

    def get_over_standard(self, name):
        return any(l.over_standard for l in self.lines)

    @classmethod
    def get_payments(cls, claims, name):
        pool = Pool()
        Payment = pool.get('account.payment')
        result = {c.id: [] for c in claims}
        moves = {c.move.id: c.id for c in claims if c.move}
        if moves:
            for payment in Payment.search([
                        ('line.move', 'in', list(moves)),
                        ], order=[('id', 'ASC')]):
                result[moves[payment.line.move.id]].append(payment.id)
        return result

    @classmethod
    def check_modification(cls, mode, claims, values=None, external=False):
        super().check_modification(
            mode, claims, values=values, external=external)
        if mode == 'write' and not values.keys().isdisjoint({
                    'company', 'employee', 'description', 'preapproval',
                    'lines'}):
            check_draft(claims)
        elif mode == 'delete':
            for claim in claims:
                if claim.state not in {'draft', 'cancelled'} or claim.move:
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_claim_delete',
                            claim=claim.rec_name))

    @classmethod
    def copy(cls, claims, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'team', 'approvals', 'preapproval', 'move',
                'submitted_by', 'submitted_at', 'approved_at', 'posted_by',
                'posted_at', 'paid_at', 'cancelled_by', 'cancelled_at']:
            default.setdefault(name, None)
        return super().copy(claims, default=default)

    @classmethod
    def set_number(cls, claims):
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        config = Configuration(1)
        to_write = []
        for claim in claims:
            if not claim.number:
                with Transaction().set_context(company=claim.company.id):
                    to_write.extend([[claim], {
                                'number': config.expense_claim_sequence.get(),
                                }])
        if to_write:
            cls.write(*to_write)

    @classmethod
    def check_submit(cls, claims):
        """Refuse a claim submitted twice, late, without receipts or
        justification, or above its budget without a pre-approval"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        config = Configuration(1)
        today = Date.today()
        for claim in claims:
            if claim.state != 'draft':
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_submitted_twice',
                        document=claim.rec_name))
            if not claim.lines:
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_claim_empty',
                        claim=claim.rec_name))
            oldest = today - dt.timedelta(days=config.expense_claim_days)
            for line in claim.lines:
                if not line.receipt:
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_line_receipt',
                            line=line.rec_name))
                if line.date < oldest:
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_line_late',
                            line=line.rec_name, date=lang.strftime(line.date),
                            days=config.expense_claim_days))
                if line.over_standard and not (
                        line.justification or '').strip():
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_line_justification',
                            line=line.rec_name,
                            cap=lang.currency(
                                line.standard_cap, claim.currency)))
                if line.category.guests_required and not (
                        line.guests or '').strip():
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_line_guests',
                            line=line.rec_name))
            preapproval = claim.preapproval
            if preapproval:
                if preapproval.state != 'approved' or (
                        preapproval.claim and preapproval.claim != claim):
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_preapproval_used',
                            preapproval=preapproval.rec_name))
                late = [l for l in claim.lines
                    if l.date < preapproval.request_date]
                if late:
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_preapproval_after',
                            preapproval=preapproval.rec_name,
                            line=late[0].rec_name))

    @classmethod
    def check_budget(cls, claims):
        """Refuse claims spending more than their budget periods have left
        unless a pre-approval covers the overrun (P6.3.2); the periods are
        locked so that two claims submitted at once are judged one after
        the other"""
        pool = Pool()
        Line = pool.get('sale.expense.claim.line')
        Period = pool.get('sale.expense.budget.period')
        PreApproval = pool.get('sale.expense.preapproval')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        lines = [l for c in claims for l in c.lines]
        periods = Period.of_lines(lines)
        for line, period in periods.items():
            if period is None:
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_no_budget',
                        line=line.rec_name))
        used = {p for p in periods.values()}
        Period.lock(list(used))
        to_write = []
        for line, period in periods.items():
            to_write.extend([[line], {'budget_period': period.id}])
        if to_write:
            Line.write(*to_write)
        remaining = Period.get_consumption(
            Period.browse(list(used)), ['remaining'])['remaining']
        preapprovals = []
        for claim in claims:
            spent = defaultdict(Decimal)
            for line in claim.lines:
                spent[periods[line]] += line.company_amount
            for period, amount in spent.items():
                # the claim's lines are already counted as committed
                if remaining[period.id] >= 0:
                    continue
                preapproval = claim.preapproval
                if (preapproval
                        and preapproval.category == period.category
                        and remaining[period.id] + preapproval.amount >= 0):
                    remaining[period.id] += preapproval.amount
                    preapprovals.append((preapproval, claim, period))
                    continue
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_over_budget',
                        claim=claim.rec_name, budget=period.rec_name,
                        remaining=lang.currency(
                            remaining[period.id] + amount, claim.currency),
                        amount=lang.currency(amount, claim.currency)))
        PreApproval.consume(preapprovals)

    @classmethod
    @ModelView.button
    def submit(cls, claims):
        "Submit to the supervisor's then finance's review (P6.2)"
        pool = Pool()
        Line = pool.get('sale.expense.claim.line')
        Employee = pool.get('company.employee')
        claims = cls.browse(claims)
        if not claims:
            return
        cls.lock(claims)
        cls.check_submit(claims)
        Line.set_company_amount([l for c in claims for l in c.lines])
        with Transaction().set_context(
                date=max(l.date for c in claims for l in c.lines)):
            teams = Employee.get_sales_team(
                Employee.browse([c.employee for c in claims]), 'sales_team')
        for claim in claims:
            claim.team = teams.get(claim.employee.id)
        cls.save(claims)
        cls.set_number(claims)
        cls.submitted(claims)
        claims = cls.browse(claims)
        cls.check_budget(claims)
        free = cls.request_configured_approvals(claims)
        cls.approve(free)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, claims):
        cls.write(claims, {'submitted_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, claims):
        pool = Pool()
        Line = pool.get('sale.expense.claim.line')
        PreApproval = pool.get('sale.expense.preapproval')
        cls.cancel_approvals(claims)
        Line.write([l for c in claims for l in c.lines], {
                'budget_period': None})
        PreApproval.release([c.preapproval for c in claims if c.preapproval])

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, claims):
        pool = Pool()
        PreApproval = pool.get('sale.expense.preapproval')
        cls.cancel_approvals(claims)
        cls.write(claims, {'cancelled_at': _now()})
        PreApproval.release([c.preapproval for c in claims if c.preapproval])

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, claims):
        cls.write(claims, {'approved_at': _now()})

    def _get_move(self):
        "The move debiting the category accounts, crediting the claimant"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        Date = pool.get('ir.date')
        config = Configuration(1)
        if not config.expense_journal:
            raise ExpenseError(gettext(
                    'sales_ops_policy.msg_expense_journal_missing'))
        with Transaction().set_context(company=self.company.id):
            date = Date.today()
        party = self.employee.party
        payable = party.account_payable_used
        if not payable:
            raise ExpenseError(gettext(
                    'sales_ops_policy.msg_expense_payable_missing',
                    claim=self.rec_name, party=party.rec_name))
        lines = [MoveLine(
                account=l.category.account,
                debit=l.company_amount, credit=Decimal(0),
                description=l.description,
                party=party if l.category.account.party_required else None)
            for l in self.lines]
        lines.append(MoveLine(
                account=payable, party=party,
                debit=Decimal(0), credit=self.amount,
                maturity_date=date, description=self.number))
        return Move(
            company=self.company, journal=config.expense_journal, date=date,
            period=Period.find(self.company, date=date), origin=self,
            description=self.number, lines=lines)

    @classmethod
    @ModelView.button
    @Workflow.transition('posted')
    @set_employee('posted_by')
    def post(cls, claims):
        "Post the approved claims to accounting (P6.2.3)"
        pool = Pool()
        Move = pool.get('account.move')
        moves = []
        for claim in claims:
            claim.move = claim._get_move()
            moves.append(claim.move)
        Move.save(moves)
        Move.post(moves)
        cls.save(claims)
        cls.write(claims, {'posted_at': _now()})

    def payable_line(self):
        if self.move:
            for line in self.move.lines:
                if line.account == self.employee.party.account_payable_used \
                        and line.credit:
                    return line

    @classmethod
    @ModelView.button
    def pay(cls, claims):
        """Pay the claimants through Tryton's payments: approved and
        processed at once, they succeed when the bank pays out"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Payment = pool.get('account.payment')
        Group = pool.get('account.payment.group')
        config = Configuration(1)
        journal = config.expense_payment_journal
        if not journal:
            raise ExpenseError(gettext(
                    'sales_ops_policy.msg_expense_payment_journal_missing'))
        payments = []
        for claim in cls.browse(claims):
            line = claim.payable_line()
            # a failed payment is paid again
            if (claim.state != 'posted' or not line
                    or any(p.state != 'failed' for p in claim.payments)):
                continue
            payments.append(Payment(
                    company=claim.company, journal=journal, kind='payable',
                    party=line.party, line=line, amount=line.credit,
                    reference=claim.number))
        if not payments:
            return
        Payment.save(payments)
        with without_check_access():
            Payment.submit(payments)
            Payment.approve(payments)

            def group():
                group = Group(
                    company=journal.company, journal=journal,
                    kind='payable')
                group.save()
                return group
            Payment.process(payments, group)

    @classmethod
    def update_paid(cls, claims):
        "Mark paid the posted claims whose payable is reconciled"
        to_pay = [c for c in claims
            if c.state == 'posted' and c.payable_line()
            and c.payable_line().reconciliation]
        if to_pay:
            cls.paid(to_pay)

    @classmethod
    @Workflow.transition('paid')
    def paid(cls, claims):
        cls.write(claims, {'paid_at': _now()})


class ClaimLine(sequence_ordered(), ModelSQL, ModelView):
    "Expense Claim Line"
    __name__ = 'sale.expense.claim.line'
    __string__ = "Expense Claim Line"
    _states = {'readonly': Eval('claim_state') != 'draft'}

    claim = fields.Many2One(
        'sale.expense.claim', "Claim", required=True, ondelete='CASCADE')
    claim_state = fields.Function(
        fields.Selection('get_claim_states', "Claim State"),
        'on_change_with_claim_state')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company')
    date = fields.Date("Date", required=True, states=_states)
    category = fields.Many2One(
        'sale.expense.category', "Category", required=True,
        states=_states, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))])
    description = fields.Char(
        "Purpose", required=True, states=_states,
        help="What the expense was for.")
    quantity = fields.Integer(
        "Quantity", required=True, states=_states,
        domain=[('quantity', '>', 0)],
        help="The days, nights or guests the spending standard counts.")
    city_class = fields.Selection(
        CITY_CLASSES, "City Class", states=_states)
    guests = fields.Text(
        "Guests", states=_states,
        help="Who was entertained: names and companies.")
    party = fields.Many2One(
        'party.party', "Customer", states=_states,
        context={'company': Eval('company', -1)}, depends={'company'})
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", states=_states,
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'), ('party', '=', Eval('party', -1)), ()),
            ])
    amount = fields.Numeric(
        "Amount", digits=(16, Eval('currency_digits', 2)), required=True,
        states=_states)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_states)
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    company_amount = fields.Numeric(
        "Company Amount", digits=(16, 2), readonly=True,
        help="The amount in company currency at the rate of its date, "
        "fixed when the claim is submitted.")
    receipt = fields.Binary(
        "Receipt", filename='receipt_name', states=_states,
        help="The scan of the genuine receipt (P6.2.1).")
    receipt_name = fields.Char("Receipt Name", states=_states)
    receipt_number = fields.Char(
        "Receipt Number", states=_states,
        help="The number printed on the receipt or tax invoice.")
    standard_cap = fields.Function(fields.Numeric(
            "Standard Cap", digits=(16, 2),
            help="The most the spending standards allow for the line."),
        'on_change_with_standard_cap')
    over_standard = fields.Function(fields.Boolean(
            "Above Standard"), 'on_change_with_over_standard')
    justification = fields.Text(
        "Justification", states={
            'readonly': Eval('claim_state') != 'draft',
            },
        help="Why the spending standard was exceeded, needed to submit; "
        "the reviewers read it.")
    budget_period = fields.Many2One(
        'sale.expense.budget.period', "Budget Period", readonly=True,
        ondelete='RESTRICT')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('claim')

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        # what submission fixes is written on submitted lines
        if mode != 'write' or set(values) - {
                'company_amount', 'budget_period'}:
            check_draft([l.claim for l in lines], _draft_states(mode))

    @classmethod
    def default_quantity(cls):
        return 1

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def get_claim_states(cls):
        return Pool().get('sale.expense.claim').fields_get(
            ['state'])['state']['selection']

    @fields.depends('claim', '_parent_claim.state')
    def on_change_with_claim_state(self, name=None):
        return self.claim.state if self.claim else 'draft'

    @fields.depends('claim', '_parent_claim.company')
    def on_change_with_company(self, name=None):
        return self.claim.company if self.claim else None

    @fields.depends('currency')
    def on_change_with_currency_digits(self, name=None):
        return self.currency.digits if self.currency else 2

    @fields.depends(
        'amount', 'currency', 'date', 'company_amount', 'claim',
        '_parent_claim.company', methods=['on_change_with_claim_state'])
    def on_change_with_company_amount(self):
        "The amount in company currency; None without a rate"
        if (self.company_amount is not None
                and self.on_change_with_claim_state() != 'draft'):
            return self.company_amount
        if self.amount is None or not self.currency or not self.claim \
                or not self.claim.company:
            return None
        try:
            return self._company_amount()
        except RateError:
            return None

    def _company_amount(self):
        "The amount at the rate of its date; RateError without one"
        Currency = Pool().get('currency.currency')
        with Transaction().set_context(date=self.date):
            return Currency.compute(
                self.currency, self.amount, self.claim.company.currency)

    @fields.depends('category', 'quantity', 'city_class')
    def on_change_with_standard_cap(self, name=None):
        if not self.category:
            return None
        caps = [s.cap(self) for s in self.category.standards
            if s.applies_to(self)]
        return min(caps) if caps else None

    @fields.depends(methods=[
            'on_change_with_standard_cap', 'on_change_with_company_amount'])
    def on_change_with_over_standard(self, name=None):
        cap = self.on_change_with_standard_cap()
        amount = self.on_change_with_company_amount()
        return cap is not None and amount is not None and amount > cap

    def get_rec_name(self, name):
        return f'{self.claim.rec_name}/{self.sequence or self.id}: ' \
            f'{self.description}'

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        cls.check_amount_date(lines, field_names)

    @classmethod
    def check_amount_date(cls, lines, field_names=None):
        pool = Pool()
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        if field_names and not (field_names & {'amount', 'date'}):
            return
        lang = Lang.get()
        today = Date.today()
        for line in lines:
            if line.amount is not None and line.amount <= 0:
                raise ExpenseValidationError(gettext(
                        'sales_ops_policy.msg_expense_line_amount',
                        line=line.rec_name,
                        amount=lang.currency(line.amount, line.currency)))
            if line.date and line.date > today:
                raise ExpenseValidationError(gettext(
                        'sales_ops_policy.msg_expense_line_future',
                        line=line.rec_name, date=lang.strftime(line.date)))

    @classmethod
    def set_company_amount(cls, lines):
        "Fix the company amounts at the rates of the lines' dates"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        to_write = []
        for line in lines:
            try:
                amount = line._company_amount()
            except RateError:
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_line_rate',
                        line=line.rec_name,
                        currency=line.currency.rec_name,
                        date=lang.strftime(line.date)))
            to_write.extend([[line], {'company_amount': amount}])
        if to_write:
            cls.write(*to_write)


class PreApproval(ExpenseDocument, Workflow, ModelSQL, ModelView):
    "Over-Budget Pre-Approval"
    __name__ = 'sale.expense.preapproval'
    __string__ = "Over-Budget Pre-Approval"
    _review_state = 'requested'
    _submitter_field = 'requested_by'
    _states = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Requested By", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    category = fields.Many2One(
        'sale.expense.category', "Category", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    request_date = fields.Date(
        "Request Date", readonly=True,
        help="The day the request was made; only expenses from this day "
        "on may use it.")
    expected_date = fields.Date(
        "Expected Spending Date", states=_states,
        domain=[If(Eval('expected_date') & Eval('request_date'),
                ('expected_date', '>=', Eval('request_date')), ())])
    reason = fields.Text("Reason", required=True, states=_states)
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True, states=_states,
        help="The spending above the budget asked for, in company "
        "currency.")
    claim = fields.Many2One(
        'sale.expense.claim', "Claim", readonly=True,
        help="The claim that consumed the pre-approval.")
    budget_period = fields.Many2One(
        'sale.expense.budget.period', "Budget Period", readonly=True,
        ondelete='RESTRICT',
        help="The budget period whose overrun it covers.")
    requested_by = employee_field(
        "Submitted By", states=['requested', 'approved', 'consumed'])
    requested_at = fields.Timestamp("Submitted At", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)
    consumed_at = fields.Timestamp("Consumed At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('requested', "Requested"),
            ('approved', "Approved"),
            ('consumed', "Consumed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('request_date', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'requested'),
            ('requested', 'draft'),
            ('requested', 'approved'),
            ('approved', 'consumed'),
            ('consumed', 'approved'),
            ('draft', 'cancelled'),
            ('requested', 'cancelled'),
            ('approved', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'requested', 'approved']),
                    'depends': ['state'],
                    },
                })

    def get_rec_name(self, name):
        return f'{self.category.rec_name} ({self.id}) - ' \
            f'{self.employee.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_any(
            clause, 'category.rec_name', 'employee.rec_name')

    def approval_amount(self):
        return self.amount

    @classmethod
    def validate_fields(cls, preapprovals, field_names):
        super().validate_fields(preapprovals, field_names)
        if field_names and 'amount' not in field_names:
            return
        for preapproval in preapprovals:
            if preapproval.amount is not None and preapproval.amount <= 0:
                raise ExpenseValidationError(gettext(
                        'sales_ops_policy.msg_expense_preapproval_amount',
                        preapproval=preapproval.rec_name))

    @classmethod
    def check_modification(
            cls, mode, preapprovals, values=None, external=False):
        super().check_modification(
            mode, preapprovals, values=values, external=external)
        if mode == 'write' and not values.keys().isdisjoint({
                    'company', 'employee', 'category', 'expected_date',
                    'reason', 'amount'}):
            check_draft(preapprovals)
        elif mode == 'delete':
            for preapproval in preapprovals:
                if preapproval.state not in {'draft', 'cancelled'} or (
                        preapproval.approvals):
                    raise ExpenseError(gettext(
                            'sales_ops_policy.msg_expense_preapproval_delete',
                            preapproval=preapproval.rec_name))

    @classmethod
    def copy(cls, preapprovals, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'approvals', 'request_date', 'claim', 'budget_period',
                'requested_by', 'requested_at', 'approved_at', 'consumed_at',
                'cancelled_by', 'cancelled_at']:
            default.setdefault(name, None)
        return super().copy(preapprovals, default=default)

    @classmethod
    @ModelView.button
    def request(cls, preapprovals):
        "Ask the manager (and finance above the configured amount)"
        for preapproval in preapprovals:
            if preapproval.state != 'draft':
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_submitted_twice',
                        document=preapproval.rec_name))
        cls.requested(preapprovals)
        free = cls.request_configured_approvals(cls.browse(preapprovals))
        cls.approve(free)

    @classmethod
    @Workflow.transition('requested')
    @set_employee('requested_by')
    def requested(cls, preapprovals):
        pool = Pool()
        Date = pool.get('ir.date')
        cls.write(preapprovals, {
                'requested_at': _now(),
                'request_date': Date.today(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, preapprovals):
        cls.cancel_approvals(preapprovals)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, preapprovals):
        cls.cancel_approvals(preapprovals)
        cls.write(preapprovals, {'cancelled_at': _now()})

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, preapprovals):
        cls.write(preapprovals, {'approved_at': _now()})

    @classmethod
    def consume(cls, uses):
        "Mark the pre-approvals used by (claim, budget period) of uses"
        if not uses:
            return
        # locked: a pre-approval covers one claim only
        cls.lock([p for p, _, _ in uses])
        to_write = []
        for preapproval, claim, period in uses:
            preapproval = cls(preapproval.id)
            if preapproval.state != 'approved' or (
                    preapproval.claim and preapproval.claim != claim):
                raise ExpenseError(gettext(
                        'sales_ops_policy.msg_expense_preapproval_used',
                        preapproval=preapproval.rec_name))
            to_write.extend([[preapproval], {
                        'claim': claim.id,
                        'budget_period': period.id,
                        'consumed_at': _now(),
                        }])
        with without_check_access():
            cls.write(*to_write)
            cls.consumed([p for p, _, _ in uses])

    @classmethod
    @Workflow.transition('consumed')
    def consumed(cls, preapprovals):
        pass

    @classmethod
    def release(cls, preapprovals):
        "Free the pre-approvals of claims sent back to draft or cancelled"
        consumed = [p for p in preapprovals if p.state == 'consumed']
        if consumed:
            with without_check_access():
                cls.write(consumed, {
                        'claim': None, 'budget_period': None,
                        'consumed_at': None,
                        })
                cls.unconsume(consumed)

    @classmethod
    @Workflow.transition('approved')
    def unconsume(cls, preapprovals):
        pass


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['sale.expense.claim']


class Reconciliation(metaclass=PoolMeta):
    __name__ = 'account.move.reconciliation'

    @classmethod
    def on_modification(cls, mode, reconciliations, field_names=None):
        pool = Pool()
        Claim = pool.get('sale.expense.claim')
        super().on_modification(
            mode, reconciliations, field_names=field_names)
        if mode == 'create':
            # paid by a payment clearing or any other reconciliation
            claims = {l.move.origin for r in reconciliations for l in r.lines
                if isinstance(l.move.origin, Claim)}
            Claim.update_paid(Claim.browse(list(claims)))


class ClaimReport(Report):
    "The claim form finance files on paper (P6.2)"
    __name__ = 'sale.expense.claim.form'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['positions'] = {c.id: sorted(
                {l.budget_period for l in c.lines if l.budget_period},
                key=lambda p: (p.start_date, p.id))
            for c in records}
        context['decisions'] = {c.id: sorted(
                c.approvals, key=lambda r: (r.create_date, r.sequence))
            for c in records}
        context['now'] = _now()
        return context


class ReturnContext(ModelView):
    "Return on Expense Context"
    __name__ = 'sale.expense.return.context'
    __string__ = "Return on Expense Context"
    from_date = fields.Date("From Date", required=True)
    to_date = fields.Date("To Date", required=True)
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def default_from_date(cls):
        today = Pool().get('ir.date').today()
        return today.replace(month=1, day=1)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class Return(ModelSQL, ModelView):
    """Return on Expense (P6.3.3): per month, team and channel the posted
    spending beside the revenue of the opportunities won"""
    __name__ = 'sale.expense.return'
    __string__ = "Return on Expense"
    year = fields.Integer("Year")
    month = fields.Integer("Month")
    period = fields.Function(fields.Char("Period"), 'get_period')
    company = fields.Many2One('company.company', "Company")
    team = fields.Many2One('sale.team', "Team")
    channel = fields.Many2One('sale.lead.channel', "Channel")
    expense = fields.Numeric("Expense", digits=(16, 2))
    revenue = fields.Numeric("Revenue Won", digits=(16, 2))
    ratio = fields.Function(fields.Float(
            "Return Ratio", digits=(16, 2),
            help="Revenue won for each unit spent."), 'get_ratio')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('year', 'DESC'), ('month', 'DESC'), ('team', 'ASC'),
            ('channel', 'ASC'), ('id', 'ASC')]

    @classmethod
    def spent_query(cls, company, from_date, to_date):
        """Return the query of the expense spent by company from from_date to
        to_date (P6.3.3): one row per line of the posted claims with its
        date, company, team and claimant (of the claim), opportunity, the
        opportunity's channel and the expense in company currency"""
        pool = Pool()
        Line = pool.get('sale.expense.claim.line')
        Claim = pool.get('sale.expense.claim')
        Opportunity = pool.get('sale.opportunity')
        line = Line.__table__()
        claim = Claim.__table__()
        opportunity = Opportunity.__table__()
        return (line
            .join(claim, condition=line.claim == claim.id)
            .join(opportunity, 'LEFT',
                condition=line.opportunity == opportunity.id)
            .select(
                line.date.as_('date'),
                claim.company.as_('company'),
                claim.team.as_('team'),
                claim.employee.as_('employee'),
                line.opportunity.as_('opportunity'),
                opportunity.channel.as_('channel'),
                line.company_amount.as_('expense'),
                where=claim.state.in_(_ACTUAL)
                & (claim.company == company)
                & (line.date >= from_date) & (line.date <= to_date)))

    @classmethod
    def won_query(cls, company, from_date, to_date):
        """Return the query of the opportunities of company won from
        from_date to to_date: one row per opportunity with its end date,
        company, the team of its salesperson on that day, salesperson,
        channel, customer and revenue"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Member = pool.get('sale.team.member')
        opportunity = Opportunity.__table__()
        member = Member.__table__()
        return (opportunity
            .join(member, 'LEFT', condition=(
                    member.employee == opportunity.employee)
                & Member.valid_on(member, opportunity.end_date))
            .select(
                opportunity.end_date.as_('date'),
                opportunity.company.as_('company'),
                member.team.as_('team'),
                opportunity.employee.as_('employee'),
                opportunity.id.as_('opportunity'),
                opportunity.channel.as_('channel'),
                opportunity.party.as_('party'),
                Coalesce(opportunity.amount, 0).as_('revenue'),
                where=(opportunity.state == 'won')
                & (opportunity.company == company)
                & (opportunity.end_date >= from_date)
                & (opportunity.end_date <= to_date)))

    @classmethod
    def table_query(cls):
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or dt.date.max
        company = context.get('company') or -1
        spent = cls.spent_query(company, from_date, to_date)
        won = cls.won_query(company, from_date, to_date)

        def month(query, expense, revenue):
            return query.select(
                Extract('YEAR', query.date).as_('year'),
                Extract('MONTH', query.date).as_('month'),
                query.company.as_('company'),
                query.team.as_('team'),
                query.channel.as_('channel'),
                expense.as_('expense'),
                revenue.as_('revenue'))
        union = Union(
            month(spent, spent.expense, Literal(0)),
            month(won, Literal(0), won.revenue),
            all_=True)
        # a stable id from the grouping keys, exact below 2**53
        row_id = (((union.year * 12 + union.month) * 100000
                + Coalesce(union.team, 0)) * 100000
            + Coalesce(union.channel, 0))
        return union.select(
            Cast(Max(row_id), 'BIGINT').as_('id'),
            union.year, union.month, union.company, union.team,
            union.channel,
            Sum(union.expense).as_('expense'),
            Sum(union.revenue).as_('revenue'),
            group_by=[union.year, union.month, union.company, union.team,
                union.channel])

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        for row in result:
            for name in ['expense', 'revenue']:
                if name in row:
                    row[name] = _decimal(row[name]).quantize(_CENT)
            for name in ['year', 'month']:
                if row.get(name) is not None:
                    row[name] = int(row[name])
        return result

    def get_period(self, name):
        return f'{int(self.year):04d}-{int(self.month):02d}'

    def get_ratio(self, name):
        return return_ratio(self.revenue, self.expense)
