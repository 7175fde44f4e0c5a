# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pay (P8.1): a compensation plan per role — base salary, performance pay
from the score, bonuses — and the pay run of a closed period, approved by
the Sales Manager then Finance and accrued in accounting"""
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from sales_ops_policy.approval import SubmittedMixin, _now
from sales_ops_policy.model import ValidityMixin, check_not_negative
from sales_ops_training.competency import ROLES

from .exceptions import PayError
from .kpi import SCOPE_ROLES, _round

_HUNDRED = Decimal(100)
LINE_KINDS = [
    ('base', "Base Salary"),
    ('performance', "Performance Pay"),
    ('champion', "Sales Champion Bonus"),
    ('breakthrough', "Team Breakthrough Bonus"),
    ('collection_bonus', "Collection Bonus"),
    ('collection_penalty', "Collection Penalty"),
    ]
# the base salary is paid by payroll; the run accrues the variable pay
VARIABLE_KINDS = {k for k, _ in LINE_KINDS if k != 'base'}


def _months(period):
    "The months a KPI period covers, for monthly amounts"
    return Decimal(max(1, round(
                ((period.end_date - period.start_date).days + 1) / 30.4)))


class Configuration(metaclass=PoolMeta):
    __name__ = 'sale.configuration'
    pay_journal = fields.Many2One(
        'account.journal', "Variable Pay Journal",
        help="The journal the approved pay runs are accrued in.")
    pay_expense_account = fields.Many2One(
        'account.account', "Variable Pay Expense Account",
        domain=[
            ('type.expense', '=', True),
            ('closed', '!=', True),
            ],
        help="Debited with the variable pay of the approved pay runs; each "
        "person's payable is credited.")


class CompensationPlan(ValidityMixin, ModelSQL, ModelView):
    "Compensation Plan"
    __name__ = 'sale.compensation.plan'
    __string__ = "Compensation Plan"
    company = fields.Many2One('company.company', "Company", required=True)
    name = fields.Char("Name", required=True, translate=True)
    role = fields.Selection(ROLES, "Role", required=True)
    role_string = role.translated('role')
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    base_salary = fields.Numeric(
        "Monthly Base Salary", digits=(16, 2), required=True,
        help="Fixed pay per month (P8.1.1), paid by payroll; shown on the "
        "pay run for the whole picture.")
    target_pay = fields.Numeric(
        "Monthly Target Performance Pay", digits=(16, 2), required=True,
        help="The performance pay per month at a coefficient of 1.")
    coefficient_method = fields.Selection([
            ('table', "Table"),
            ('linear', "Score ÷ 100"),
            ], "Coefficient", required=True,
        help="How the score gives the coefficient of the target "
        "performance pay.")
    coefficients = fields.One2Many(
        'sale.compensation.coefficient', 'plan', "Coefficients",
        states={'invisible': Eval('coefficient_method') != 'table'})
    minimum_score = fields.Numeric(
        "Minimum Score", digits=(16, 2),
        states={'invisible': Eval('coefficient_method') != 'linear'},
        help="Below this score the linear coefficient is 0.")
    maximum_coefficient = fields.Numeric(
        "Coefficient Cap", digits=(16, 4), required=True,
        help="The performance pay never exceeds the target pay times this.")
    champion_bonus = fields.Numeric(
        "Sales Champion Bonus", digits=(16, 2),
        help="Paid to the salesperson ranked first on revenue in the "
        "period.")
    breakthrough_threshold = fields.Numeric(
        "Team Breakthrough Threshold", digits=(16, 2),
        help="The total score of the team from which each member gets the "
        "team breakthrough bonus.")
    breakthrough_bonus = fields.Numeric(
        "Team Breakthrough Bonus", digits=(16, 2))
    collection_bonus_rate = fields.Numeric(
        "Collection Bonus from %", digits=(16, 2),
        help="The collection rate from which the collection bonus is paid "
        "(P3.5.3).")
    collection_bonus = fields.Numeric("Collection Bonus", digits=(16, 2))
    collection_penalty_rate = fields.Numeric(
        "Collection Penalty under %", digits=(16, 2),
        help="The collection rate under which the collection penalty is "
        "deducted (P3.5.3).")
    collection_penalty = fields.Numeric(
        "Collection Penalty", digits=(16, 2))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('role', 'ASC'), ('start_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_coefficient_method(cls):
        return 'table'

    @classmethod
    def default_maximum_coefficient(cls):
        return Decimal('1.5')

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def validate_fields(cls, plans, field_names):
        super().validate_fields(plans, field_names)
        check_not_negative(plans, 'base_salary', 'target_pay',
            'maximum_coefficient', 'champion_bonus', 'breakthrough_bonus',
            'collection_bonus', 'collection_penalty')

    def coefficient(self, score):
        "The coefficient of the score, capped"
        if score is None:
            return Decimal(0)
        if self.coefficient_method == 'linear':
            if self.minimum_score is not None and score < self.minimum_score:
                value = Decimal(0)
            else:
                value = score / _HUNDRED
        else:
            value = Decimal(0)
            for line in sorted(self.coefficients,
                    key=lambda c: c.minimum_score, reverse=True):
                if score >= line.minimum_score:
                    value = line.coefficient
                    break
        return min(max(value, Decimal(0)), self.maximum_coefficient)

    @classmethod
    def of(cls, company, date):
        "{role: plan} valid on date"
        with Transaction().set_context(date=date):
            plans = cls.search([
                    ('company', '=', company.id),
                    ('current', '=', True),
                    ], order=[('start_date', 'ASC')])
        return {p.role: p for p in plans}


class Coefficient(ModelSQL, ModelView):
    "Performance Pay Coefficient"
    __name__ = 'sale.compensation.coefficient'
    __string__ = "Performance Pay Coefficient"
    plan = fields.Many2One(
        'sale.compensation.plan', "Plan", required=True, ondelete='CASCADE')
    minimum_score = fields.Numeric(
        "From Score", digits=(16, 2), required=True)
    coefficient = fields.Numeric("Coefficient", digits=(16, 4), required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('plan')
        cls._order = [
            ('plan', 'ASC'), ('minimum_score', 'ASC'), ('id', 'ASC')]

    @classmethod
    def validate_fields(cls, coefficients, field_names):
        super().validate_fields(coefficients, field_names)
        check_not_negative(coefficients, 'minimum_score', 'coefficient')


class Run(SubmittedMixin, Workflow, ModelSQL, ModelView):
    "Pay Run"
    __name__ = 'sale.pay.run'
    __string__ = "Pay Run"
    _states = {'readonly': Eval('state') != 'draft'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    period = fields.Many2One(
        'sale.kpi.period', "KPI Period", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="A closed period: its frozen scorecards decide the pay.")
    employee = fields.Many2One(
        'company.employee', "Prepared By", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who prepares the run; they never approve it.")
    date = fields.Date(
        "Accounting Date", required=True, states=_states,
        help="The date of the accrual move.")
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    lines = fields.One2Many(
        'sale.pay.run.line', 'run', "Lines", readonly=True)
    variable_amount = fields.Function(fields.Numeric(
            "Variable Pay", digits=(16, 2),
            help="Performance pay and bonuses net of penalties: what the "
            "run accrues."), 'get_amounts')
    total_amount = fields.Function(fields.Numeric(
            "Total Pay", digits=(16, 2)), 'get_amounts')
    move = fields.Many2One('account.move', "Accrual Move", readonly=True)
    cancel_move = fields.Many2One(
        'account.move', "Cancellation Move", readonly=True)
    computed_at = fields.Timestamp("Computed At", readonly=True)
    submitted_by = employee_field(
        "Submitted By", states=['submitted', 'posted', 'cancelled'])
    submitted_at = fields.Timestamp("Submitted At", readonly=True)
    posted_at = fields.Timestamp("Posted At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('posted', "Posted"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'posted'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('posted', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('lines', []),
                    'depends': ['state', 'lines'],
                    },
                'draft': {
                    'invisible': (Eval('state') != 'cancelled')
                    | Bool(Eval('move')),
                    'depends': ['state', 'move'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('period', '_parent_period.end_date')
    def on_change_period(self):
        if self.period:
            self.date = self.period.end_date

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_rec_name(self, name):
        return self.period.rec_name if self.period else f'({self.id})'

    @classmethod
    def get_amounts(cls, runs, names):
        result = {n: {} for n in names}
        for run in runs:
            amounts = {
                'variable_amount': sum((line.amount for line in run.lines
                        if line.kind in VARIABLE_KINDS), Decimal(0)),
                'total_amount': sum(
                    (line.amount for line in run.lines), Decimal(0)),
                }
            for name in names:
                result[name][run.id] = amounts[name]
        return result

    def approval_amount(self):
        return self.variable_amount

    @classmethod
    def check_modification(cls, mode, runs, values=None, external=False):
        super().check_modification(
            mode, runs, values=values, external=external)
        if mode == 'delete':
            for run in runs:
                if run.state != 'draft' or run.move:
                    raise PayError(gettext(
                            'sales_ops_incentive.msg_pay_run_delete',
                            run=run.rec_name))

    @classmethod
    def copy(cls, runs, default=None):
        default = default.copy() if default else {}
        for name in ['lines', 'move', 'cancel_move', 'computed_at',
                'submitted_by', 'submitted_at', 'posted_at', 'cancelled_by',
                'cancelled_at']:
            default.setdefault(name, None)
        return super().copy(runs, default=default)

    @classmethod
    def check_period(cls, runs):
        for run in runs:
            if run.period.state != 'closed':
                raise PayError(gettext(
                        'sales_ops_incentive.msg_pay_period_open',
                        run=run.rec_name, period=run.period.rec_name))

    @classmethod
    @ModelView.button
    def compute(cls, runs):
        """The pay lines of everyone scored in the period, each with the
        figures that justify it (P8.1)"""
        pool = Pool()
        Line = pool.get('sale.pay.run.line')
        for run in runs:
            if run.state != 'draft':
                raise PayError(gettext(
                        'sales_ops_incentive.msg_pay_run_computed_state',
                        run=run.rec_name))
        cls.check_period(runs)
        Line.delete([line for run in runs for line in run.lines])
        Line.save([line for run in runs for line in run._compute_lines()])
        cls.write(runs, {'computed_at': _now()})

    def _compute_lines(self):
        pool = Pool()
        Line = pool.get('sale.pay.run.line')
        Plan = pool.get('sale.compensation.plan')
        Scorecard = pool.get('sale.kpi.scorecard')
        Team = pool.get('sale.team')
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        period = self.period
        plans = Plan.of(self.company, period.start_date)
        months = _months(period)
        scorecards = Scorecard.search([('period', '=', period.id)])
        by_team = {s.team.id: s for s in scorecards if s.scope == 'team'}
        department = [s for s in scorecards if s.scope == 'company']
        people = [s for s in scorecards if s.scope == 'employee']

        def figure(scorecard, computation):
            for line in scorecard.lines:
                if line.kpi.computation == computation:
                    return line
        # the sales champion: first on revenue among the people (P8.1.1)
        revenues = {s.employee.id: figure(s, 'revenue') for s in people}
        best = max((r.actual for r in revenues.values()
                if r and r.actual is not None), default=None)

        def money(value):
            return lang.currency(
                value, self.company.currency, grouping=True)

        # who is paid on which scorecard: the people on their own, the
        # supervisors on their team's, the managers on the department's
        paid = [(s.employee, s, s.role) for s in people]
        teams = Team.browse(list(by_team))
        for team in teams:
            for supervisor in team.supervisors:
                paid.append((supervisor, by_team[team.id], 'supervisor'))
        if department:
            managers = {t.manager for t in teams if t.manager}
            for manager in managers:
                paid.append((manager, department[0], 'manager'))

        lines, seen = [], set()
        for employee, scorecard, role in paid:
            if employee.id in seen:
                continue
            seen.add(employee.id)
            role = employee.sales_role or role or SCOPE_ROLES.get(
                scorecard.scope, 'salesperson')
            plan = plans.get(role)
            if not plan:
                continue

            def line(kind, amount, basis):
                return Line(
                    run=self, company=self.company, period=period,
                    employee=employee, kind=kind, plan=plan,
                    scorecard=scorecard, amount=_round(amount), basis=basis)

            if plan.base_salary:
                lines.append(line('base', plan.base_salary * months,
                        gettext('sales_ops_incentive.msg_pay_basis_base',
                            months=months,
                            salary=money(plan.base_salary))))
            coefficient = plan.coefficient(scorecard.total_score)
            target = plan.target_pay * months
            lines.append(line('performance', target * coefficient,
                    gettext('sales_ops_incentive.msg_pay_basis_performance',
                        score=scorecard.total_score,
                        band=scorecard.band.rec_name if scorecard.band
                        else '-',
                        coefficient=lang.format_number(coefficient, 4),
                        target=money(target))))
            revenue = figure(scorecard, 'revenue')
            if (plan.champion_bonus and scorecard.scope == 'employee'
                    and best is not None and revenue
                    and revenue.actual == best):
                lines.append(line('champion', plan.champion_bonus,
                        gettext('sales_ops_incentive.msg_pay_basis_champion',
                            revenue=money(revenue.actual))))
            team_card = by_team.get(scorecard.team.id) \
                if scorecard.team else None
            if (plan.breakthrough_bonus and team_card
                    and plan.breakthrough_threshold is not None
                    and team_card.total_score >= plan.breakthrough_threshold):
                lines.append(line('breakthrough', plan.breakthrough_bonus,
                        gettext(
                            'sales_ops_incentive.msg_pay_basis_breakthrough',
                            team=team_card.team.rec_name,
                            score=team_card.total_score,
                            threshold=lang.format_number(
                                plan.breakthrough_threshold, 2))))
            collection = figure(scorecard, 'collection_rate')
            rate = collection.actual if collection else None
            if rate is not None:
                if (plan.collection_bonus
                        and plan.collection_bonus_rate is not None
                        and rate >= plan.collection_bonus_rate):
                    lines.append(line('collection_bonus',
                            plan.collection_bonus, gettext(
                                'sales_ops_incentive'
                                '.msg_pay_basis_collection_bonus',
                                rate=rate,
                                threshold=lang.format_number(
                                    plan.collection_bonus_rate, 2))))
                elif (plan.collection_penalty
                        and plan.collection_penalty_rate is not None
                        and rate < plan.collection_penalty_rate):
                    lines.append(line('collection_penalty',
                            -plan.collection_penalty, gettext(
                                'sales_ops_incentive'
                                '.msg_pay_basis_collection_penalty',
                                rate=rate,
                                threshold=lang.format_number(
                                    plan.collection_penalty_rate, 2))))
        return lines

    @classmethod
    def check_approval(cls, requests):
        "Nobody approves a run that pays them"
        pool = Pool()
        User = pool.get('res.user')
        super().check_approval(requests)
        employees = set(User.get_employees())
        for request in requests:
            if any(line.employee.id in employees
                    for line in request.document.lines):
                raise PayError(gettext(
                        'sales_ops_incentive.msg_pay_own',
                        run=request.document.rec_name))

    @classmethod
    @ModelView.button
    def submit(cls, runs):
        "Submit to the Sales Manager, then Finance (P8.1)"
        for run in runs:
            if run.state != 'draft' or not run.lines:
                raise PayError(gettext(
                        'sales_ops_incentive.msg_pay_run_not_computed',
                        run=run.rec_name))
        cls.check_period(runs)
        cls.submitted(runs)
        free = cls.request_configured_approvals(cls.browse(runs))
        cls.approve(free)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, runs):
        cls.write(runs, {'submitted_at': _now()})

    @classmethod
    @Workflow.transition('posted')
    def approve(cls, runs):
        "Approved by the last step: the variable pay is accrued"
        pool = Pool()
        Move = pool.get('account.move')
        moves = [run._get_move() for run in runs]
        Move.save(moves)
        Move.post(moves)
        for run, move in zip(runs, moves):
            run.move = move
            run.posted_at = _now()
        cls.save(runs)

    def _get_move(self):
        """The accrual: the variable pay expense debited, each person's
        payable credited with their variable pay"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        config = Configuration(1)
        if not config.pay_journal or not config.pay_expense_account:
            raise PayError(gettext(
                    'sales_ops_incentive.msg_pay_accounts_missing'))
        by_party = defaultdict(Decimal)
        for line in self.lines:
            if line.kind in VARIABLE_KINDS:
                by_party[line.employee.party] += line.amount
        lines, total = [], Decimal(0)
        for party, amount in by_party.items():
            if not amount:
                continue
            payable = party.account_payable_used
            if not payable:
                raise PayError(gettext(
                        'sales_ops_incentive.msg_pay_payable_missing',
                        run=self.rec_name, party=party.rec_name))
            lines.append(MoveLine(
                    account=payable, party=party,
                    debit=max(-amount, Decimal(0)),
                    credit=max(amount, Decimal(0)),
                    maturity_date=self.date,
                    description=self.rec_name))
            total += amount
        expense = config.pay_expense_account
        lines.append(MoveLine(
                account=expense,
                debit=max(total, Decimal(0)), credit=max(-total, Decimal(0)),
                description=self.rec_name))
        return Move(
            company=self.company, journal=config.pay_journal, date=self.date,
            period=Period.find(self.company, date=self.date), origin=self,
            description=self.rec_name, lines=lines)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, runs):
        # a posted accrual and its reversal stay the record of a cancelled
        # run: paying again is a new run
        for run in runs:
            if run.move:
                raise PayError(gettext(
                        'sales_ops_incentive.msg_pay_run_draft_posted',
                        run=run.rec_name))
        cls.cancel_approvals(runs)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, runs):
        """Cancel the runs; a posted accrual is reversed by a cancellation
        move, never deleted"""
        pool = Pool()
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        cls.cancel_approvals(runs)
        for run in runs:
            if run.move and not run.cancel_move:
                run.cancel_move = run.move.cancel()
                Move.post([run.cancel_move])
                to_reconcile = defaultdict(list)
                for line in run.move.lines + run.cancel_move.lines:
                    if line.account.reconcile:
                        to_reconcile[(line.account, line.party)].append(line)
                for lines in to_reconcile.values():
                    if not any(line.reconciliation for line in lines):
                        MoveLine.reconcile(lines)
            run.cancelled_at = _now()
        cls.save(runs)


class RunLine(ModelSQL, ModelView):
    "Pay Run Line"
    __name__ = 'sale.pay.run.line'
    __string__ = "Pay Run Line"
    run = fields.Many2One(
        'sale.pay.run', "Pay Run", required=True, readonly=True,
        ondelete='CASCADE')
    # stored: a salesperson reads their own lines, never the run
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    period = fields.Many2One(
        'sale.kpi.period', "Period", required=True, readonly=True,
        ondelete='RESTRICT')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, readonly=True)
    plan = fields.Many2One(
        'sale.compensation.plan', "Compensation Plan", readonly=True,
        ondelete='RESTRICT')
    scorecard = fields.Many2One(
        'sale.kpi.scorecard', "Scorecard", readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection(LINE_KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True, readonly=True)
    basis = fields.Char(
        "Basis", readonly=True,
        help="The figures the amount comes from.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('run', 'DESC'), ('employee', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.employee.rec_name}: {self.kind_string}'


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['sale.pay.run']
