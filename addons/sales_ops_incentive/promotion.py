# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Promotion (P8.3): criteria per step of the ladder, eligible employees
proposed periodically, and an approved proposal written to the career
history, which gives the new role and its access groups from the effective
date"""
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields)
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from sales_ops_policy.approval import SubmittedMixin, _now
from sales_ops_training.competency import ROLES

from .exceptions import KpiValidationError, PromotionError
from .kpi import PERIOD_TYPES

_ROLE_ORDER = [r for r, _ in ROLES]
# the access group each step of the ladder works with
ROLE_GROUPS = {
    'salesperson': 'group_salesperson',
    'supervisor': 'group_supervisor',
    'manager': 'group_manager',
    'director': 'group_manager',
    }


def _months_between(start, end):
    return (end.year - start.year) * 12 + end.month - start.month - (
        1 if end.day < start.day else 0)


class Criterion(DeactivableMixin, ModelSQL, ModelView):
    "Promotion Criterion"
    __name__ = 'sale.promotion.criterion'
    __string__ = "Promotion Criterion"
    from_role = fields.Selection(ROLES, "From Role", required=True)
    to_role = fields.Selection(ROLES, "To Role", required=True)
    from_role_string = from_role.translated('from_role')
    to_role_string = to_role.translated('to_role')
    period_type = fields.Selection(
        PERIOD_TYPES, "Periods", required=True,
        help="The closed periods whose scorecards are read.")
    consecutive_periods = fields.Integer(
        "Consecutive Periods", required=True,
        domain=[('consecutive_periods', '>=', 0)],
        help="The number of latest closed periods in a row the employee "
        "must be rated in the band or above.")
    band = fields.Many2One(
        'sale.kpi.band', "Band or Above", ondelete='RESTRICT',
        states={'required': Eval('consecutive_periods', 0) > 0})
    competencies = fields.Boolean(
        "Required Competencies",
        help="The employee must have passed the levels the new role "
        "requires (training module, P7.2.1).")
    minimum_months = fields.Integer(
        "Minimum Months in Role", required=True,
        domain=[('minimum_months', '>=', 0)])

    @classmethod
    def default_period_type(cls):
        return 'quarter'

    @classmethod
    def default_consecutive_periods(cls):
        return 2

    @classmethod
    def default_competencies(cls):
        return True

    @classmethod
    def default_minimum_months(cls):
        return 12

    def get_rec_name(self, name):
        return f'{self.from_role_string} → {self.to_role_string}'

    @classmethod
    def validate_fields(cls, criteria, field_names):
        super().validate_fields(criteria, field_names)
        for criterion in criteria:
            if (_ROLE_ORDER.index(criterion.to_role)
                    <= _ROLE_ORDER.index(criterion.from_role)):
                raise KpiValidationError(gettext(
                        'sales_ops_incentive.msg_criterion_up',
                        criterion=criterion.rec_name))


class Proposal(SubmittedMixin, Workflow, ModelSQL, ModelView):
    "Promotion Proposal"
    __name__ = 'sale.promotion.proposal'
    __string__ = "Promotion Proposal"
    _states = {'readonly': Eval('state') != 'draft'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who is proposed; never a reviewer of their own promotion.")
    criterion = fields.Many2One(
        'sale.promotion.criterion', "Criterion", states=_states,
        ondelete='RESTRICT')
    from_role = fields.Selection(
        ROLES, "From Role", required=True, states=_states)
    to_role = fields.Selection(ROLES, "To Role", required=True, states=_states)
    from_role_string = from_role.translated('from_role')
    to_role_string = to_role.translated('to_role')
    date = fields.Date(
        "Effective Date", required=True, states=_states,
        help="The new role and its access take effect on this day.")
    reasons = fields.Text(
        "Reasons", states=_states,
        help="The figures that make the employee eligible.")
    move = fields.Many2One(
        'sale.career.move', "Promotion", readonly=True)
    submitted_by = employee_field(
        "Proposed By", states=['submitted', 'approved', 'cancelled'])
    submitted_at = fields.Timestamp("Proposed At", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Proposed"),
            ('approved', "Approved"),
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
            ('submitted', 'approved'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
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
                    'invisible': Eval('state').in_(['approved', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('employee')
    def on_change_employee(self):
        if self.employee:
            self.from_role = self.employee.sales_role
            index = _ROLE_ORDER.index(self.from_role or 'salesperson')
            if index + 1 < len(_ROLE_ORDER):
                self.to_role = _ROLE_ORDER[index + 1]

    def get_rec_name(self, name):
        return (f'{self.employee.rec_name}: {self.from_role_string} → '
            f'{self.to_role_string}')

    @classmethod
    def validate_fields(cls, proposals, field_names):
        super().validate_fields(proposals, field_names)
        for proposal in proposals:
            if (_ROLE_ORDER.index(proposal.to_role)
                    <= _ROLE_ORDER.index(proposal.from_role)):
                raise KpiValidationError(gettext(
                        'sales_ops_incentive.msg_proposal_up',
                        proposal=proposal.rec_name))

    def approval_author(self):
        # proposed by the task: the employee is checked apart
        return None

    @classmethod
    def check_approval(cls, requests):
        "Nobody approves their own promotion"
        pool = Pool()
        User = pool.get('res.user')
        super().check_approval(requests)
        employees = set(User.get_employees())
        for request in requests:
            if request.document.employee.id in employees:
                raise PromotionError(gettext(
                        'sales_ops_incentive.msg_proposal_own',
                        proposal=request.document.rec_name))

    @classmethod
    def check_modification(cls, mode, proposals, values=None,
            external=False):
        super().check_modification(
            mode, proposals, values=values, external=external)
        if mode == 'delete':
            for proposal in proposals:
                if proposal.state not in {'draft', 'cancelled'}:
                    raise PromotionError(gettext(
                            'sales_ops_incentive.msg_proposal_delete',
                            proposal=proposal.rec_name))

    @classmethod
    def eligible(cls, company, date):
        """[(employee, criterion, reasons)] of the employees meeting a
        criterion of their role on date, read for all at once"""
        pool = Pool()
        Assessment = pool.get('sale.competency.assessment')
        Competency = pool.get('sale.competency')
        Criterion = pool.get('sale.promotion.criterion')
        Employee = pool.get('company.employee')
        Move = pool.get('sale.career.move')
        Period = pool.get('sale.kpi.period')
        Scorecard = pool.get('sale.kpi.scorecard')
        Lang = pool.get('ir.lang')
        lang = Lang.get()

        criteria = Criterion.search([])
        if not criteria:
            return []
        with Transaction().set_context(date=date):
            employees = Employee.search([
                    ('company', '=', company.id),
                    ('sales_role', 'in', [c.from_role for c in criteria]),
                    ])
        if not employees:
            return []
        pending = {p.employee.id for p in cls.search([
                    ('employee', 'in', [e.id for e in employees]),
                    ('state', 'in', ['draft', 'submitted']),
                    ])}
        since = {}
        for move in Move.search([
                    ('employee', 'in', [e.id for e in employees]),
                    ('state', '=', 'done'),
                    ('type', '=', 'promotion'),
                    ], order=[('date', 'ASC')]):
            since[move.employee.id] = move.date
        levels = Assessment.current_levels(employees)
        required = Competency.required_levels()

        # the latest closed periods of each type and their scorecards
        bands = {}
        for period_type in {c.period_type for c in criteria}:
            count = max(c.consecutive_periods for c in criteria
                if c.period_type == period_type)
            periods = Period.search([
                    ('company', '=', company.id),
                    ('type', '=', period_type),
                    ('state', '=', 'closed'),
                    ('end_date', '<=', date),
                    ], order=[('end_date', 'DESC')], limit=count)
            scorecards = Scorecard.search([
                    ('period', 'in', [p.id for p in periods]),
                    ('scope', '=', 'employee'),
                    ('employee', 'in', [e.id for e in employees]),
                    ])
            by_key = {(s.period.id, s.employee.id): s for s in scorecards}
            bands[period_type] = (periods, by_key)

        result = []
        for employee in employees:
            if employee.id in pending:
                continue
            for criterion in criteria:
                if criterion.from_role != employee.sales_role:
                    continue
                reasons = []
                periods, by_key = bands[criterion.period_type]
                latest = periods[:criterion.consecutive_periods]
                if criterion.consecutive_periods:
                    if len(latest) < criterion.consecutive_periods:
                        continue
                    cards = [by_key.get((p.id, employee.id)) for p in latest]
                    if not all(c and c.band
                            and c.band.minimum >= criterion.band.minimum
                            for c in cards):
                        continue
                    reasons.append(gettext(
                            'sales_ops_incentive.msg_proposal_reason_bands',
                            count=len(cards), band=criterion.band.rec_name,
                            scores=', '.join(
                                f'{c.period.rec_name} '
                                f'{lang.format_number(c.total_score, 2)}'
                                for c in reversed(cards))))
                if criterion.competencies:
                    missing = [c for (c, role), level in required.items()
                        if role == criterion.to_role
                        and levels.get(employee.id, {}).get(c, 0) < level]
                    if missing:
                        continue
                    reasons.append(gettext(
                            'sales_ops_incentive'
                            '.msg_proposal_reason_competencies',
                            role=criterion.to_role_string))
                start = since.get(employee.id) or employee.start_date
                months = _months_between(start, date) if start else 0
                if months < criterion.minimum_months:
                    continue
                reasons.append(gettext(
                        'sales_ops_incentive.msg_proposal_reason_months',
                        months=months))
                result.append((employee, criterion, '\n'.join(reasons)))
                break
        return result

    @classmethod
    def propose(cls, date=None):
        """Propose the eligible employees of every company for approval
        (P8.3); the periodic task"""
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        proposals = []
        for company in Company.search([]):
            with Transaction().set_context(company=company.id):
                on = date or Date.today()
                for employee, criterion, reasons in cls.eligible(
                        company, on):
                    proposals.append(cls(
                            company=company,
                            employee=employee,
                            criterion=criterion,
                            from_role=criterion.from_role,
                            to_role=criterion.to_role,
                            date=on,
                            reasons=reasons,
                            state='draft'))
        if not proposals:
            return []
        return cls.submit_proposed(proposals)

    @classmethod
    @ModelView.button
    def submit(cls, proposals):
        cls.submitted(proposals)
        free = cls.request_configured_approvals(cls.browse(proposals))
        cls.approve(free)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, proposals):
        cls.write(proposals, {'submitted_at': _now()})

    @classmethod
    @Workflow.transition('draft')
    def draft(cls, proposals):
        cls.cancel_approvals(proposals)

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, proposals):
        """Write the promotion into the career history; it takes effect at
        once when due, else by the daily task"""
        pool = Pool()
        Move = pool.get('sale.career.move')
        Date = pool.get('ir.date')
        moves = Move.create([{
                    'company': p.company.id,
                    'employee': p.employee.id,
                    'type': 'promotion',
                    'from_role': p.from_role,
                    'to_role': p.to_role,
                    'from_team': (
                        p.employee.sales_team.id
                        if p.employee.sales_team else None),
                    'date': p.date,
                    'reason': p.reasons or p.rec_name,
                    'origin': str(p),
                    } for p in proposals])
        for proposal, move in zip(proposals, moves):
            proposal.move = move
            proposal.approved_at = _now()
        cls.save(proposals)
        with without_check_access():
            Move.confirm([m for m in moves if m.date <= Date.today()])

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, proposals):
        cls.cancel_approvals(proposals)
        cls.write(proposals, {'cancelled_at': _now()})


class Move(metaclass=PoolMeta):
    __name__ = 'sale.career.move'

    @classmethod
    def get_origins(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return super().get_origins() + [
            ('sale.promotion.proposal',
                Model.get_name('sale.promotion.proposal'))]

    @classmethod
    def confirm(cls, moves):
        "A promotion also gives the access groups of the new role"
        super().confirm(moves)
        cls._write_role_groups(
            [m for m in moves if m.type == 'promotion'], 'add')

    @classmethod
    def cancel(cls, moves):
        "A cancelled promotion takes back the access groups it gave"
        done = [m for m in moves
            if m.type == 'promotion' and m.state == 'done'
            and ROLE_GROUPS.get(m.to_role) != ROLE_GROUPS.get(m.from_role)]
        super().cancel(moves)
        cls._write_role_groups(done, 'remove')

    @classmethod
    def _write_role_groups(cls, moves, action):
        "Add or remove the group of the role each move promotes to"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        by_group = defaultdict(set)
        for move in moves:
            if move.to_role in ROLE_GROUPS:
                group = ModelData.get_id(
                    'sales_ops_policy', ROLE_GROUPS[move.to_role])
                by_group[group].add(move.employee.id)
        to_write = []
        for group, employees in by_group.items():
            users = User.search([('employees', 'in', list(employees))])
            if users:
                to_write.extend([users, {'groups': [(action, [group])]}])
        if to_write:
            with without_check_access():
                User.write(*to_write)

    @classmethod
    def confirm_due(cls, date=None):
        "Confirm the approved promotions whose effective date has come"
        pool = Pool()
        Date = pool.get('ir.date')
        moves = cls.search([
                ('state', '=', 'draft'),
                ('origin', 'like', 'sale.promotion.proposal,%'),
                ('date', '<=', date or Date.today()),
                ])
        with without_check_access():
            cls.confirm(moves)
        return moves


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('sale.promotion.proposal|propose',
                    "Propose Promotions"),
                ('sale.career.move|confirm_due',
                    "Confirm Due Promotions"),
                ])
