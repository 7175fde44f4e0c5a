# This file is part of Sales Ops.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Honours (P8.2): the monthly sales star, the quarterly sales champion and
the annual outstanding salesperson, found when a period closes, approved,
then published on the honour board with a certificate"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Sum

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.model.fields import SQL_OPERATORS
from trytond.modules.company.model import employee_field, set_employee
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction

from sales_ops_policy.approval import SubmittedMixin, _now
from sales_ops_policy.collection import _decimal
from sales_ops_policy.sale import _date

from .exceptions import HonourError
from .kpi import ADDITIVE, PERIOD_TYPES


class Type(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Honour Type"
    __name__ = 'sale.honour.type'
    __string__ = "Honour Type"
    name = fields.Char("Name", required=True, translate=True)
    period_type = fields.Selection(
        PERIOD_TYPES, "Period", required=True,
        help="The honour is awarded when a period of this type closes.")
    period_type_string = period_type.translated('period_type')
    kpi = fields.Many2One(
        'sale.kpi', "Ranked By", ondelete='RESTRICT',
        help="The KPI whose actual figure ranks the salespeople; leave "
        "empty to rank by total score.")
    minimum_achievement = fields.Numeric(
        "Minimum Achievement %", digits=(16, 2), required=True,
        help="Nobody is honoured below this achievement of the KPI (or "
        "this total score).")
    tie_kpi = fields.Many2One(
        'sale.kpi', "Tie Broken By", ondelete='RESTRICT',
        help="The second KPI that decides between equal figures; then the "
        "one who reached the target earlier wins.")
    winners = fields.Integer(
        "Winners", required=True,
        domain=[('winners', '>', 0)])
    description = fields.Text("Description", translate=True)

    @classmethod
    def default_minimum_achievement(cls):
        return Decimal(100)

    @classmethod
    def default_winners(cls):
        return 1


class Honour(SubmittedMixin, Workflow, ModelSQL, ModelView):
    "Honour"
    __name__ = 'sale.honour'
    __string__ = "Honour"
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    type = fields.Many2One(
        'sale.honour.type', "Honour", required=True, readonly=True,
        ondelete='RESTRICT')
    period = fields.Many2One(
        'sale.kpi.period', "Period", required=True, readonly=True,
        ondelete='RESTRICT')
    employee = fields.Many2One(
        'company.employee', "Salesperson", required=True, readonly=True,
        help="The winner, who never approves their own honour.")
    scorecard = fields.Many2One(
        'sale.kpi.scorecard', "Scorecard", readonly=True,
        ondelete='RESTRICT')
    rank = fields.Integer("Rank", readonly=True)
    figure = fields.Numeric(
        "Figure", digits=(16, 2), readonly=True,
        help="The actual figure (or total score) the honour ranks by.")
    achievement = fields.Numeric(
        "Achievement %", digits=(16, 2), readonly=True)
    tie_figure = fields.Numeric(
        "Tie-break Figure", digits=(16, 2), readonly=True)
    achieved_date = fields.Date(
        "Target Reached On", readonly=True,
        help="The day the salesperson's figure reached the target, the "
        "last tie-break.")
    reason = fields.Char("Reason", readonly=True)
    citation = fields.Text(
        "Citation", states={'readonly': Eval('state') != 'approved'},
        help="The words printed on the certificate.")
    submitted_by = employee_field(
        "Proposed By", states=['submitted', 'approved', 'published',
            'cancelled'])
    submitted_at = fields.Timestamp("Proposed At", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)
    published_by = employee_field("Published By", states=['published'])
    published_at = fields.Timestamp("Published At", readonly=True)
    cancelled_by = employee_field("Cancelled By", states=['cancelled'])
    cancelled_at = fields.Timestamp("Cancelled At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Proposed"),
            ('approved', "Approved"),
            ('published', "Published"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('period', 'DESC'), ('type', 'ASC'), ('rank', 'ASC'),
            ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('approved', 'published'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('approved', 'cancelled'),
            ('published', 'cancelled'),
            }
        cls._buttons.update({
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'publish': {
                    'invisible': Eval('state') != 'approved',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') == 'cancelled',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    def get_rec_name(self, name):
        return (f'{self.type.rec_name} {self.period.rec_name}: '
            f'{self.employee.rec_name}')

    @classmethod
    def check_modification(cls, mode, honours, values=None, external=False):
        super().check_modification(
            mode, honours, values=values, external=external)
        if mode == 'delete':
            for honour in honours:
                if honour.state not in {'draft', 'cancelled'}:
                    raise HonourError(gettext(
                            'sales_ops_incentive.msg_honour_delete',
                            honour=honour.rec_name))

    def approval_author(self):
        # proposed when the period closes: the winner is checked apart
        return None

    @classmethod
    def check_approval(cls, requests):
        "The winner never approves their own honour"
        pool = Pool()
        User = pool.get('res.user')
        super().check_approval(requests)
        employees = set(User.get_employees())
        for request in requests:
            if request.document.employee.id in employees:
                raise HonourError(gettext(
                        'sales_ops_incentive.msg_honour_own',
                        honour=request.document.rec_name))

    @classmethod
    def propose(cls, periods):
        """The winners of the honour types of each closed period, ranked
        on the frozen scorecards, proposed for approval (P8.2.1)"""
        pool = Pool()
        Type = pool.get('sale.honour.type')
        Scorecard = pool.get('sale.kpi.scorecard')
        types = Type.search([])
        honours = []
        for period in periods:
            period_types = [t for t in types if t.period_type == period.type]
            if not period_types:
                continue
            scorecards = Scorecard.search([
                    ('period', '=', period.id),
                    ('scope', '=', 'employee'),
                    ])
            for type_ in period_types:
                honours.extend(cls._winners(type_, period, scorecards))
        if not honours:
            return []
        # proposed by the closing of the period: whoever closed it may
        # approve
        return cls.submit_proposed(honours)

    @classmethod
    def _winners(cls, type_, period, scorecards):
        pool = Pool()
        Kpi = pool.get('sale.kpi')

        def line(scorecard, kpi):
            for line in scorecard.lines:
                if line.kpi == kpi:
                    return line

        # the tie KPI need not count in the scheme: measured when missing
        tie_figures = {}
        if type_.tie_kpi and any(
                not any(l.kpi == type_.tie_kpi for l in s.lines)
                for s in scorecards):
            measured = Kpi.measure([type_.tie_kpi], period.company,
                period.start_date, period.end_date)[type_.tie_kpi.id]
            tie_figures = {e: Kpi.value(type_.tie_kpi.computation, *v)
                for e, v in measured.items()}
        # nothing measured of a count or an amount is nought
        no_figure = (Decimal(0) if type_.tie_kpi
            and type_.tie_kpi.computation in ADDITIVE else None)

        candidates = []
        for scorecard in scorecards:
            if type_.kpi:
                ranked = line(scorecard, type_.kpi)
                if not ranked or ranked.actual is None:
                    continue
                figure, achievement = ranked.actual, ranked.achievement
            else:
                figure = achievement = scorecard.total_score
            if achievement is None or achievement < type_.minimum_achievement:
                continue
            tie = None
            if type_.tie_kpi:
                tied_line = line(scorecard, type_.tie_kpi)
                if tied_line:
                    tie = tied_line.actual
                else:
                    tie = tie_figures.get(scorecard.employee.id, no_figure)
            candidates.append([scorecard, figure, achievement, tie, None])

        def key(candidate):
            _, figure, _, tie, reached = candidate
            return (-figure,
                -(tie if tie is not None else Decimal('-Infinity')),
                reached or dt.date.max)

        candidates.sort(key=key)
        # the date reached decides only between those still tied
        tied = [c for c in candidates
            if candidates and (c[1], c[3]) == (
                candidates[0][1], candidates[0][3])]
        if len(tied) > 1 and type_.kpi:
            reached = Kpi.reached_dates(type_.kpi, period,
                {c[0].employee.id: c[0] for c in tied})
            for candidate in tied:
                candidate[4] = reached.get(candidate[0].employee.id)
            candidates.sort(key=key)

        # equal on the ranking figure: the tie-breaks decided
        level = [c for c in candidates
            if candidates and c[1] == candidates[0][1]]
        honours = []
        for rank, (scorecard, figure, achievement, tie, reached) in enumerate(
                candidates[:type_.winners], 1):
            if rank == 1 and len(level) > 1:
                reason = gettext('sales_ops_incentive.msg_honour_tie',
                    count=len(level))
            else:
                reason = None
            honours.append(cls(
                    company=period.company,
                    type=type_,
                    period=period,
                    employee=scorecard.employee,
                    scorecard=scorecard,
                    rank=rank,
                    figure=figure,
                    achievement=achievement,
                    tie_figure=tie,
                    achieved_date=reached,
                    reason=reason,
                    state='draft'))
        return honours

    @classmethod
    @ModelView.button
    def submit(cls, honours):
        cls.submitted(honours)
        free = cls.request_configured_approvals(cls.browse(honours))
        cls.approve(free)

    @classmethod
    @Workflow.transition('submitted')
    @set_employee('submitted_by')
    def submitted(cls, honours):
        cls.write(honours, {'submitted_at': _now()})

    @classmethod
    @Workflow.transition('draft')
    def draft(cls, honours):
        cls.cancel_approvals(honours)

    @classmethod
    @Workflow.transition('approved')
    def approve(cls, honours):
        cls.write(honours, {'approved_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('published')
    @set_employee('published_by')
    def publish(cls, honours):
        "On the honour board for everyone to read (P8.2.2)"
        cls.write(honours, {'published_at': _now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    @set_employee('cancelled_by')
    def cancel(cls, honours):
        cls.cancel_approvals(honours)
        cls.write(honours, {'cancelled_at': _now()})


class Kpi(metaclass=PoolMeta):
    __name__ = 'sale.kpi'

    @classmethod
    def reached_dates(cls, kpi, period, scorecards):
        """{employee id: the first day their cumulative figure reached the
        target} for the invoiced KPIs; scorecards by employee id"""
        if kpi.computation not in {'revenue', 'gross_profit'}:
            return {}
        cursor = Transaction().connection.cursor()
        lines = (cls._invoiced_lines if kpi.computation == 'revenue'
            else cls._profit_lines)(
            period.company, period.start_date, period.end_date)
        cursor.execute(*lines.select(
                lines.employee, lines.date, Sum(lines.amount),
                where=SQL_OPERATORS['in'](lines.employee, list(scorecards)),
                group_by=[lines.employee, lines.date],
                order_by=[lines.employee, lines.date]))
        running = defaultdict(Decimal)
        result = {}
        for employee, date, amount in cursor:
            running[employee] += _decimal(amount)
            if employee in result:
                continue
            scorecard = scorecards[employee]
            target = [line.target for line in scorecard.lines
                if line.kpi == kpi]
            goal = target[0] if target and target[0] else None
            if goal is not None and running[employee] >= goal:
                result[employee] = _date(date)
        return result


class Period(metaclass=PoolMeta):
    __name__ = 'sale.kpi.period'

    @classmethod
    def close(cls, periods):
        pool = Pool()
        Honour = pool.get('sale.honour')
        super().close(periods)
        Honour.propose(periods)


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'
    honours = fields.One2Many(
        'sale.honour', 'employee', "Honours", readonly=True,
        filter=[('state', '=', 'published')])


class Certificate(Report):
    "Honour Certificate"
    __name__ = 'sale.honour.certificate'
